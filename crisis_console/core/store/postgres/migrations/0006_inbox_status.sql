-- The inbox at a million mentions: what made a page, a filter's total and the alarm banner
-- grow with the store.
--
-- 1. Whether a mention is answered is kept on its row (`answered`), set by a trigger as
--    answers are recorded and released, so the open and the answered inbox are each a
--    partial index walked in page order: no per-row look-up in `state`, and no walk of the
--    whole table to find a page of the few answered (or, in a long-lived store, the few
--    open) mentions.
-- 2. The kept counts of migration 0004 are kept per urgency too, so the urgency filter's
--    total is a sum over a few rows, like the status filter's, not a count of ten thousand.
-- 3. The oldest open alarm (the banner) is the first entry of an index, not a sort of every
--    open alarm.

ALTER TABLE mentions ADD COLUMN answered boolean NOT NULL DEFAULT false;
UPDATE mentions m SET answered = true
FROM state a WHERE a.tbl = 'answers' AND a.key = m.key AND NOT m.answered;

CREATE INDEX mentions_open ON mentions (urgency_rank, deadline, seq)
    WHERE NOT deleted AND NOT answered;
CREATE INDEX mentions_answered ON mentions (urgency_rank, deadline, seq)
    WHERE answered AND NOT deleted;

-- A mention stored after its answer (an import, a replay) is answered from the start.
CREATE FUNCTION mentions_answered_at_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.answered := EXISTS (SELECT 1 FROM state WHERE tbl = 'answers' AND key = NEW.key);
    RETURN NEW;
END $$;
CREATE TRIGGER mentions_answered_at_insert BEFORE INSERT ON mentions
    FOR EACH ROW EXECUTE FUNCTION mentions_answered_at_insert();

-- An answer recorded or released marks its mention; the mention's update moves the counts.
-- A statement that writes no answer (a claim, an alarm) updates nothing: not even an empty
-- UPDATE, which would still notify every console that the mentions changed.
CREATE FUNCTION mentions_answered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows WHERE tbl = 'answers') THEN
            RETURN NULL;
        END IF;
        UPDATE mentions m SET answered = true
        FROM (SELECT DISTINCT key FROM new_rows WHERE tbl = 'answers') a
        WHERE m.key = a.key AND NOT m.answered;
    ELSE
        IF NOT EXISTS (SELECT 1 FROM old_rows WHERE tbl = 'answers') THEN
            RETURN NULL;
        END IF;
        UPDATE mentions m SET answered = false
        FROM (SELECT DISTINCT key FROM old_rows WHERE tbl = 'answers') a
        WHERE m.key = a.key AND m.answered
        AND NOT EXISTS (SELECT 1 FROM state s WHERE s.tbl = 'answers' AND s.key = m.key);
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER inbox_counts_answer ON state;
DROP TRIGGER inbox_counts_unanswer ON state;
DROP FUNCTION inbox_counts_answers();
CREATE TRIGGER mentions_answered AFTER INSERT ON state
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mentions_answered();
CREATE TRIGGER mentions_unanswered AFTER DELETE ON state
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mentions_answered();

-- The counts, per urgency as well, from the mention's own columns.
CREATE FUNCTION inbox_row_status(deleted boolean, answered boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN deleted THEN 'deleted' WHEN answered THEN 'answered' ELSE 'open' END
$$;

TRUNCATE inbox_counts;
ALTER TABLE inbox_counts ADD COLUMN urgency_rank smallint NOT NULL;

CREATE OR REPLACE FUNCTION inbox_counts_mentions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO inbox_counts (queue, level_queues, status, urgency_rank, n)
        SELECT queue, level_queues, inbox_row_status(deleted, answered), urgency_rank, count(*)
        FROM new_rows GROUP BY 1, 2, 3, 4;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO inbox_counts (queue, level_queues, status, urgency_rank, n)
        SELECT queue, level_queues, status, urgency_rank, sum(n) FROM (
            SELECT queue, level_queues, inbox_row_status(deleted, answered) AS status,
                   urgency_rank, 1 AS n
            FROM new_rows
            UNION ALL
            SELECT queue, level_queues, inbox_row_status(deleted, answered), urgency_rank, -1
            FROM old_rows
        ) changed GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0;
    ELSE
        INSERT INTO inbox_counts (queue, level_queues, status, urgency_rank, n)
        SELECT queue, level_queues, inbox_row_status(deleted, answered), urgency_rank, -count(*)
        FROM old_rows GROUP BY 1, 2, 3, 4;
    END IF;
    RETURN NULL;
END $$;

INSERT INTO inbox_counts (queue, level_queues, status, urgency_rank, n)
SELECT queue, level_queues, inbox_row_status(deleted, answered), urgency_rank, count(*)
FROM mentions GROUP BY 1, 2, 3, 4;

-- The alarm banner's oldest open alarm (`PgTable.oldest`).
CREATE INDEX state_open_alarms_raised ON state ((record->>'raised_at'))
    WHERE tbl = 'open_alarms';
