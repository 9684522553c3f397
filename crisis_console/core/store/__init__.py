"""Storage: the store's contract and its TinyDB implementation — segments, the directory,
the typed repositories of state, the due index, the counters, the inbox index, the thread
index (who answers which post)."""
