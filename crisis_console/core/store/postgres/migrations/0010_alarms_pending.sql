-- Escalated posts whose batch is committed but whose alarms may not be (`PgPendingAlarms`):
-- an ingest files a batch's alarms in the transaction after the batch's (filing them inside
-- would wait for the state's lock while holding the batch's rows), so the batch notes them
-- and the alarms' transaction clears the note. A note left older than a few seconds is what
-- a process killed between the two left behind: the leader's timers raise those alarms. Its
-- age is the server's clock, never a process's (one running fast would hide its notes).
CREATE TABLE alarms_pending (
    token text PRIMARY KEY,
    at    timestamptz NOT NULL DEFAULT now(),
    keys  text[] NOT NULL
);
CREATE INDEX alarms_pending_at ON alarms_pending (at);
