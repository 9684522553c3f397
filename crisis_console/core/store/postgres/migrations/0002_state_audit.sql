-- The store's state beside the mentions: claims, alarms, breaches, replies, answers, template
-- approvals, the crisis level, the notification outbox. One row per record, keyed by the
-- repository's name and the record's key, as the folder's tables are (`store/tables.py`);
-- the typed repositories (`store/state_tables.py`) work on either.
CREATE TABLE state (
    tbl    text NOT NULL,
    key    text NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (tbl, key)
);

-- What comes due, and when (`store/due.py`): the timers read what is due, oldest first.
CREATE TABLE due (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at   timestamptz NOT NULL,
    kind text NOT NULL,
    key  text NOT NULL
);
CREATE INDEX due_at ON due (at);

-- Mentions per minute of creation (`store/volume.py`): spikes and sparklines read these.
CREATE TABLE volume (
    minute timestamptz PRIMARY KEY,
    counts jsonb NOT NULL
);

-- The hash-chained audit log: each row is the line the folder's log would hold, byte for
-- byte, so verify and export read the same on both backends. Appends are serialised by an
-- advisory lock; nothing updates or deletes a row (see the trigger).
CREATE TABLE audit (
    seq    bigint PRIMARY KEY,
    at     timestamptz NOT NULL,
    action text NOT NULL,
    hash   text NOT NULL,
    line   text NOT NULL
);
CREATE INDEX audit_action_at ON audit (action, at);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Mention events logged but not yet in `mentions` (a crash between the two): recovery
-- replays from the oldest of these, whichever process logged it.
CREATE TABLE audit_unapplied (
    seq bigint PRIMARY KEY,
    key text NOT NULL
);

-- The team: each operator's database login and roles. Changing it is a lead action.
CREATE TABLE roster (
    login text PRIMARY KEY,
    roles text[] NOT NULL
);
