-- Mentions, as the folder's store keeps them, with the columns the inbox sorts and filters
-- on, so a page is an indexed query, never a scan of the table.
CREATE TABLE mentions (
    key          text PRIMARY KEY,
    seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,  -- arrival: the last tie-break
    platform     text NOT NULL,
    author_key   text NOT NULL,                 -- platform:handle
    fingerprint  bigint NOT NULL,               -- the folder's 64-bit digest, as signed
    urgency_rank smallint NOT NULL,             -- 0 critical .. 3 low
    deadline     timestamptz NOT NULL,          -- when a response is due
    created_at   timestamptz NOT NULL,
    ingested_at  timestamptz NOT NULL,
    category     text NOT NULL,
    queue        text NOT NULL,
    level_queues text NOT NULL DEFAULT '',      -- the queue at each crisis level: 0:support,2:pr
    deleted      boolean NOT NULL DEFAULT false,
    search       text NOT NULL,                 -- lower-cased start of the text, handle, name
    record       jsonb NOT NULL                 -- the whole stored mention, versions included
);
-- The inbox: most urgent first, then the earliest deadline, then arrival.
CREATE INDEX mentions_inbox ON mentions (urgency_rank, deadline, seq);
CREATE INDEX mentions_author ON mentions (author_key, created_at DESC);
CREATE INDEX mentions_ingested ON mentions (ingested_at);

-- Small named numbers the store keeps (the last audit sequence number applied, ...).
CREATE TABLE store_meta (
    name  text PRIMARY KEY,
    value bigint NOT NULL
);
