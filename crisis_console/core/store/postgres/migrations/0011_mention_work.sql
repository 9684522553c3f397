-- Mentions worked without a reply (`core/work`): assigned to a team member or moved to a
-- queue, closed with a reason, tagged. The records live in `state` (tbl 'work', one per
-- mention, as in a folder); what the inbox filters, counts and the SLA timer read is kept on
-- the mention's row by a trigger, as `answered` is (migration 0006), so a page, a total and a
-- tick stay indexed reads:
--
--   closed          closed without a reply: out of the open inbox and its counts (status
--                   'closed'), and out of the timer's reads (its SLA clock stops)
--   assignee        the team member it is assigned to ("my queue", the Who column)
--   assigned_queue  the queue it was moved to: its queue at every crisis level
--
-- A `work` record is written only for a mention stored already, so a mention's insert never
-- has one to read (unlike an answer, which a replay may store first).
ALTER TABLE mentions
    ADD COLUMN closed boolean NOT NULL DEFAULT false,
    ADD COLUMN assignee text,
    ADD COLUMN assigned_queue text;

CREATE FUNCTION mentions_work() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM old_rows WHERE tbl = 'work') THEN
            RETURN NULL;
        END IF;
        UPDATE mentions m SET closed = false, assignee = NULL, assigned_queue = NULL
        FROM (SELECT DISTINCT key FROM old_rows WHERE tbl = 'work') w
        WHERE m.key = w.key
        AND (m.closed OR m.assignee IS NOT NULL OR m.assigned_queue IS NOT NULL)
        AND NOT EXISTS (SELECT 1 FROM state s WHERE s.tbl = 'work' AND s.key = m.key);
    ELSE
        -- A statement that writes no work (a claim, an alarm) updates nothing: not even an
        -- empty UPDATE, which would still tell every console that the mentions changed.
        IF NOT EXISTS (SELECT 1 FROM new_rows WHERE tbl = 'work') THEN
            RETURN NULL;
        END IF;
        UPDATE mentions m SET closed = w.closed, assignee = w.person, assigned_queue = w.queue
        FROM (
            SELECT key, record ? 'closed' AS closed, record->'assigned'->>'person' AS person,
                   record->'assigned'->>'queue' AS queue
            FROM new_rows WHERE tbl = 'work'
        ) w
        WHERE m.key = w.key
        AND (m.closed, m.assignee, m.assigned_queue) IS DISTINCT FROM (w.closed, w.person, w.queue);
    END IF;
    RETURN NULL;
END $$;
-- An upsert fires both the INSERT trigger (the rows it inserted) and the UPDATE one.
CREATE TRIGGER mentions_work_inserted AFTER INSERT ON state
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mentions_work();
CREATE TRIGGER mentions_work_updated AFTER UPDATE ON state
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mentions_work();
CREATE TRIGGER mentions_work_deleted AFTER DELETE ON state
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mentions_work();

-- The counts by status (deleted first, then answered: a reply went out, closed or not, then
-- closed, else open), and by the queue a mention was moved to, at every level.
CREATE FUNCTION inbox_work_status(deleted boolean, answered boolean, closed boolean)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN deleted THEN 'deleted' WHEN answered THEN 'answered'
                WHEN closed THEN 'closed' ELSE 'open' END
$$;

CREATE OR REPLACE FUNCTION inbox_counts_mentions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO inbox_counts (queue, level_queues, status, urgency_rank, n)
        SELECT coalesce(assigned_queue, queue),
               CASE WHEN assigned_queue IS NULL THEN level_queues ELSE '' END,
               inbox_work_status(deleted, answered, closed), urgency_rank, count(*)
        FROM new_rows GROUP BY 1, 2, 3, 4;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO inbox_counts (queue, level_queues, status, urgency_rank, n)
        SELECT queue, level_queues, status, urgency_rank, sum(n) FROM (
            SELECT coalesce(assigned_queue, queue) AS queue,
                   CASE WHEN assigned_queue IS NULL THEN level_queues ELSE '' END AS level_queues,
                   inbox_work_status(deleted, answered, closed) AS status, urgency_rank, 1 AS n
            FROM new_rows
            UNION ALL
            SELECT coalesce(assigned_queue, queue),
                   CASE WHEN assigned_queue IS NULL THEN level_queues ELSE '' END,
                   inbox_work_status(deleted, answered, closed), urgency_rank, -1
            FROM old_rows
        ) changed GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0;
    ELSE
        INSERT INTO inbox_counts (queue, level_queues, status, urgency_rank, n)
        SELECT coalesce(assigned_queue, queue),
               CASE WHEN assigned_queue IS NULL THEN level_queues ELSE '' END,
               inbox_work_status(deleted, answered, closed), urgency_rank, -count(*)
        FROM old_rows GROUP BY 1, 2, 3, 4;
    END IF;
    RETURN NULL;
END $$;

-- The open inbox leaves the closed out; the closed have their own, walked in page order.
DROP INDEX mentions_open;
CREATE INDEX mentions_open ON mentions (urgency_rank, deadline, seq)
    WHERE NOT deleted AND NOT answered AND NOT closed;
CREATE INDEX mentions_closed ON mentions (urgency_rank, deadline, seq)
    WHERE closed AND NOT answered AND NOT deleted;
-- The timer's read of what came due (migration 0009): the closed are not overdue, and a
-- mention moved to a queue is that queue's breach.
DROP INDEX mentions_open_due;
CREATE INDEX mentions_open_due ON mentions (key) INCLUDE (queue, assigned_queue, deadline)
    WHERE NOT deleted AND NOT answered AND NOT closed;
-- A team member's assigned mentions; the mentions with a tag (`record->'tags' ? tag`).
CREATE INDEX mentions_assignee ON mentions (assignee) WHERE assignee IS NOT NULL;
CREATE INDEX state_work_tags ON state USING gin ((record->'tags')) WHERE tbl = 'work';
