-- The audit chain continued in one statement: the lock, the check of the last record, the
-- hashes and the rows, all on the server. Every audited action in the database waits on the
-- one chain lock; before this an appender held it across four round trips (the lock, the
-- last record, the rows, the commit) and its own Python work, so eight operators at once
-- queued behind whichever of them the CPU had paused. Now it is held for this function and
-- the commit.
--
-- The caller sends each record's canonical JSON (`archive/audit_verify.canonical`) in two
-- parts, without `prev` and `seq`, which sort between `data` and `subject`: `head` is
-- `{"action":…,"actor":…,"at":…,"data":…,` and `tail` is `"subject":…}`. The body hashed
-- is head || "prev":"<hash>","seq":<n>, || tail, and the row's line is that body with
-- ,"hash":"<hash>" spliced in before its closing brace: byte for byte what `chain_lines`
-- writes, so verify reads the same on both backends.
--
-- Before continuing, the last record must be what its hash says (a row changed outside
-- crisis-console is refused, not built on). A record in the splice layout is checked here;
-- for any other (an older layout, carried across by `db import`) nothing is appended and -1
-- is returned: the caller checks that record in Python and calls again naming the record it
-- checked (`checked_seq`, `checked_hash`). -1 is not an error, so that a caller inside a
-- transaction can go on with it; with `or_raise` it is (SQLSTATE CC001): a caller that sends
-- the call and its COMMIT together, so that the lock is not held across a round trip, has
-- nothing to go on with, and its whole transaction must fail rather than commit without its
-- record.
CREATE FUNCTION audit_append(
    heads text[], tails text[], ats timestamptz[], actions text[], replayed text[],
    checked_seq bigint DEFAULT NULL, checked_hash text DEFAULT NULL, or_raise boolean DEFAULT false
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    last_seq  bigint;
    last_hash text;
    last_line text;
    body      text;
    seqs      bigint[] := '{}';
    hashes    text[] := '{}';
    lines     text[] := '{}';
    i         integer;
BEGIN
    PERFORM pg_advisory_xact_lock(72026113, hashtext(current_schema()));
    SELECT seq, hash, line INTO last_seq, last_hash, last_line
    FROM audit ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        last_seq := 0;
        last_hash := repeat('0', 64);
    ELSIF checked_seq IS NOT NULL THEN
        IF last_seq <> checked_seq OR last_hash <> checked_hash THEN
            RETURN -1;
        END IF;
    ELSIF NOT (
        right(last_line, 75) = ',"hash":"' || last_hash || '"}'
        AND encode(sha256(convert_to(left(last_line, -75) || '}', 'UTF8')), 'hex') = last_hash
        AND (left(last_line, -75) || '}')::jsonb ->> 'seq' = last_seq::text
    ) THEN
        IF or_raise THEN
            RAISE EXCEPTION USING ERRCODE = 'CC001', MESSAGE = format(
                'the audit chain''s last record (%s) does not match its hash: it was changed '
                'outside crisis-console; nothing more is appended until '
                '''crisis-console audit verify'' passes', last_seq);
        END IF;
        RETURN -1;
    END IF;
    FOR i IN 1 .. coalesce(array_length(heads, 1), 0) LOOP
        last_seq := last_seq + 1;
        body := heads[i] || '"prev":"' || last_hash || '","seq":' || last_seq || ',' || tails[i];
        last_hash := encode(sha256(convert_to(body, 'UTF8')), 'hex');
        -- Element assignment: PL/pgSQL extends the array in place (`||` would copy it).
        seqs[i] := last_seq;
        hashes[i] := last_hash;
        lines[i] := left(body, -1) || ',"hash":"' || last_hash || '"}';
    END LOOP;
    INSERT INTO audit (seq, at, action, hash, line)
    SELECT * FROM unnest(seqs, ats, actions, hashes, lines);
    INSERT INTO audit_unapplied (seq, key)
    SELECT s, k FROM unnest(seqs, replayed) AS r (s, k) WHERE k IS NOT NULL;
    RETURN last_seq;
END $$;
