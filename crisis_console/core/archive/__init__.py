"""The archive: the hash-chained audit log, its verification and its export."""
