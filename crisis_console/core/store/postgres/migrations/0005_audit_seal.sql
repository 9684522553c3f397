-- The key that signs checkpoints of the audit chain (`audit checkpoint`), kept in the
-- database and readable only by the schema's owner. Operators reach it through
-- audit_checkpoint_at, which signs only a record the chain holds, with the hash it has: so
-- nobody forges a checkpoint, and a checkpoint pasted into a ticket proves later that the
-- chain up to it was not rewritten, even by the owner. (Operators cannot change or delete a
-- row at all: see the grants and audit_append_only.)
CREATE TABLE audit_key (
    id  integer PRIMARY KEY CHECK (id = 1),
    key bytea NOT NULL
);
-- gen_random_uuid draws on the server's strong random source.
INSERT INTO audit_key
VALUES (1, sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')));
REVOKE ALL ON audit_key FROM PUBLIC;

-- The record's hash and the checkpoint's signature: the key hashed twice around the
-- message (sha256(key || sha256(key || message))), as pgcrypto's HMAC may not be installed.
CREATE FUNCTION audit_checkpoint_at(wanted bigint) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT a.hash || ':' || encode(sha256(k.key || sha256(k.key || convert_to(
        'checkpoint:' || a.seq || ':' || left(a.hash, 32), 'UTF8'))), 'hex')
    FROM audit a, audit_key k
    WHERE a.seq = wanted
$$;
