-- The inbox's counts, kept as mentions and answers are written, so that a page's total and
-- the open count of each queue are a sum over a few rows, not a count over a million.
--
-- Each statement that changes mentions, or the answers in `state`, appends its difference
-- per (queue, queues by level, status): rows are only ever added, so concurrent writers never
-- wait on each other or deadlock over a counter. A reader sums them; the inbox folds them
-- back into one row per group now and then (`PgInbox`).
CREATE TABLE inbox_counts (
    queue        text NOT NULL,
    level_queues text NOT NULL,
    status       text NOT NULL,            -- open, answered or deleted
    n            bigint NOT NULL
);

-- A mention's status for the counts: deleted first, then answered, else open.
CREATE FUNCTION inbox_status(mention text, deleted boolean) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN deleted THEN 'deleted'
        WHEN EXISTS (SELECT 1 FROM state WHERE tbl = 'answers' AND key = mention) THEN 'answered'
        ELSE 'open'
    END
$$;

CREATE FUNCTION inbox_counts_mentions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO inbox_counts
        SELECT queue, level_queues, inbox_status(key, deleted), count(*)
        FROM new_rows GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO inbox_counts
        SELECT queue, level_queues, status, sum(n) FROM (
            SELECT queue, level_queues, inbox_status(key, deleted) AS status, 1 AS n
            FROM new_rows
            UNION ALL
            SELECT queue, level_queues, inbox_status(key, deleted), -1 FROM old_rows
        ) changed GROUP BY 1, 2, 3 HAVING sum(n) <> 0;
    ELSE
        INSERT INTO inbox_counts
        SELECT queue, level_queues, inbox_status(key, deleted), -count(*)
        FROM old_rows GROUP BY 1, 2, 3;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER inbox_counts_insert AFTER INSERT ON mentions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_counts_mentions();
CREATE TRIGGER inbox_counts_update AFTER UPDATE ON mentions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_counts_mentions();
CREATE TRIGGER inbox_counts_delete AFTER DELETE ON mentions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_counts_mentions();

-- An answer recorded moves a live mention from open to answered; one released moves it back.
CREATE FUNCTION inbox_counts_answers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO inbox_counts
        SELECT m.queue, m.level_queues, s.status, sum(s.n)
        FROM new_rows a JOIN mentions m ON m.key = a.key AND NOT m.deleted
        CROSS JOIN (VALUES ('answered', 1), ('open', -1)) AS s(status, n)
        WHERE a.tbl = 'answers' GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO inbox_counts
        SELECT m.queue, m.level_queues, s.status, sum(s.n)
        FROM old_rows a JOIN mentions m ON m.key = a.key AND NOT m.deleted
        CROSS JOIN (VALUES ('answered', -1), ('open', 1)) AS s(status, n)
        WHERE a.tbl = 'answers' GROUP BY 1, 2, 3;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER inbox_counts_answer AFTER INSERT ON state
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_counts_answers();
CREATE TRIGGER inbox_counts_unanswer AFTER DELETE ON state
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_counts_answers();

-- What a database migrated from version 3 already holds.
INSERT INTO inbox_counts
SELECT queue, level_queues, inbox_status(key, deleted), count(*) FROM mentions GROUP BY 1, 2, 3;

-- When each mention event was logged: recovery replays only what a writer left unstored for
-- longer than a batch takes (`PgMentions.applied`), never another process's batch in flight.
ALTER TABLE audit_unapplied ADD COLUMN logged_at timestamptz NOT NULL DEFAULT now();

-- Posts per author, kept as mentions arrive: triage asks for each author in every batch, and
-- counting a prolific author's rows grows with the store (an edit is not another post).
CREATE TABLE author_posts (
    author_key text PRIMARY KEY,
    n          bigint NOT NULL
);
CREATE FUNCTION author_posts_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- In key order: two batches touching the same authors lock them in the same order.
    INSERT INTO author_posts
    SELECT author_key, count(*) FROM new_rows GROUP BY 1 ORDER BY 1
    ON CONFLICT (author_key) DO UPDATE SET n = author_posts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE TRIGGER author_posts_counted AFTER INSERT ON mentions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION author_posts_counted();
INSERT INTO author_posts SELECT author_key, count(*) FROM mentions GROUP BY 1;
