-- A lease (a claim) taken with its terms in one statement: the mention is stored, the crisis
-- level in force is one at which the taker may take it, and the lease is free (no holder, the
-- same holder renewing, run out by the new lease's start, or `force`). Before this a claim
-- read the level and the mention in two round trips of their own, then took the lease: a
-- level raised in between let one claim through under the old level's rules, and eight
-- operators claiming at once spent their two cores on five round trips each.
--
-- It raises instead of returning a refusal, so that a caller may send it with the lease's
-- reminder, its audit record and the COMMIT in one pipeline: a refusal aborts the rest, and
-- nothing of the refused claim is written. SQLSTATEs (the message says it in words):
--   CC002  the lease is held; DETAIL is the holder's record (JSON)
--   CC003  no such mention
--   CC004  not at this level; DETAIL is the level in force
CREATE FUNCTION lease_take(
    lease_tbl text, lease_key text, lease jsonb, force boolean, mention text, levels integer[]
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    level_now integer;
    holder    jsonb;
BEGIN
    IF mention IS NOT NULL AND NOT EXISTS (SELECT 1 FROM mentions WHERE key = mention) THEN
        RAISE EXCEPTION USING ERRCODE = 'CC003', MESSAGE = 'no mention ' || mention;
    END IF;
    IF levels IS NOT NULL THEN
        SELECT (record->>'level')::integer INTO level_now
        FROM state WHERE tbl = 'crisis' AND key = 'current';
        level_now := coalesce(level_now, 0);
        IF NOT level_now = ANY(levels) THEN
            RAISE EXCEPTION USING ERRCODE = 'CC004', DETAIL = level_now::text,
                MESSAGE = format('not allowed at crisis level %s', level_now);
        END IF;
    END IF;
    LOOP
        -- The conflicting row is locked and the condition read on its latest version, so two
        -- takers never both win; no other lock is taken.
        INSERT INTO state AS s (tbl, key, record) VALUES (lease_tbl, lease_key, lease)
        ON CONFLICT (tbl, key) DO UPDATE SET record = EXCLUDED.record
        WHERE force OR s.record->>'holder' = EXCLUDED.record->>'holder'
            OR (s.record->>'expires')::timestamptz <= (EXCLUDED.record->>'since')::timestamptz;
        IF FOUND THEN
            RETURN;
        END IF;
        SELECT record INTO holder FROM state WHERE tbl = lease_tbl AND key = lease_key;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'CC002', DETAIL = holder::text,
                MESSAGE = format('%s is held by %s', lease_key, holder->>'holder');
        END IF;
        -- The lease in the way was released between the two statements: take it again.
    END LOOP;
END $$;
