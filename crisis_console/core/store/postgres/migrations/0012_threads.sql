-- Conversations (`core/conversations.py`): the mentions answering a post, found by the key of
-- the post they answer. A mention's `in_reply_to` is in its record; this index on it is the
-- team database's thread index (`postgres/threads.py`), so the row a batch of ingest writes is
-- the entry, in the same transaction, and there is nothing else to write, replay or lose. A
-- post that answers nothing (most of them) has no entry.
CREATE INDEX mentions_in_reply_to ON mentions ((record->'mention'->>'in_reply_to'), seq)
    WHERE record->'mention'->>'in_reply_to' <> '';
