-- The change feed: every statement that changes mentions, the state or the audit chain
-- notifies the schema's channel with the table's name, so each open console reloads what it
-- shows within a moment of another process's change (`PgStore.changes`). A transaction's
-- identical notifications arrive once, when it commits.
CREATE FUNCTION crisis_console_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('crisis_console_' || current_schema(), TG_TABLE_NAME);
    RETURN NULL;
END $$;
CREATE TRIGGER mentions_changed AFTER INSERT OR UPDATE OR DELETE ON mentions
    FOR EACH STATEMENT EXECUTE FUNCTION crisis_console_changed();
CREATE TRIGGER state_changed AFTER INSERT OR UPDATE OR DELETE ON state
    FOR EACH STATEMENT EXECUTE FUNCTION crisis_console_changed();
CREATE TRIGGER audit_changed AFTER INSERT ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION crisis_console_changed();
