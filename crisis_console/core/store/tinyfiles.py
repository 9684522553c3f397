"""TinyDB files of mentions: opening one, and writing a batch of records to it in one write
(one pass over the table for the records it replaces, one insert for the new ones)."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from crisis_console.core.store.jsonfile import AtomicJSONStorage

TABLE, META = "mentions", "meta"


def open_db(path: Path, cache: bool) -> TinyDB:
    return TinyDB(str(path), storage=AtomicJSONStorage, cache=cache)


def storage(db: TinyDB) -> AtomicJSONStorage:
    found = db.storage
    assert isinstance(found, AtomicJSONStorage)
    return found


def write_batch(
    db: TinyDB,
    records: Mapping[str, dict[str, Any]],
    applied: int | None,
    known: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """Replace or insert `records` (by mention key) and set `applied`, in one write;
    `known`: key -> TinyDB id of what the file holds, if the caller keeps it (else read).
    Returns the ids given to the new records."""
    table = db.table(TABLE)
    with storage(db).batch():
        if known is None:
            known = {doc["id"]: doc.doc_id for doc in table.all()} if records else {}
        fresh = [r for k, r in records.items() if k not in known]

        def replace_doc(doc: MutableMapping[Any, Any]) -> None:
            new = records[doc["id"]]
            doc.clear()
            doc.update(new)

        changed = [known[k] for k in records if k in known]
        if changed:  # one pass over the table for all of them, not one per record
            table.update(replace_doc, doc_ids=changed)
        new_ids = table.insert_multiple(fresh) if fresh else []
        if applied is not None:
            db.table(META).upsert({"applied": applied}, lambda d: True)
    return dict(zip((r["id"] for r in fresh), new_ids, strict=True))
