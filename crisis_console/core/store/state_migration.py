"""A data folder from before the state had a file per table: `state.json` held every table.

At the first open by a writer, each of its records is moved into its typed repository, and
the old file is renamed `state.json.migrated` (kept, never deleted). Nothing is lost: the
rename happens only once every table is written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from crisis_console.core.crisis.crisis_state import alarm_from
from crisis_console.core.replies.reply_model import Reply
from crisis_console.core.store.jsonfile import read_json
from crisis_console.core.store.state_tables import Claim, StateStore


def migrate_state_file(path: Path, state: StateStore) -> bool:
    """Move `path`'s tables into `state`; return True if there was a file to migrate."""
    data = read_json(path)
    if data is None:
        return False

    def table(name: str) -> dict[str, dict[str, Any]]:
        docs = data.get(name) or {}
        return {doc["key"]: dict(doc["record"]) for doc in docs.values()}

    current = table("crisis_state").get("current")
    if current is not None:
        state.crisis.set(current)
    claims = [Claim.from_record(key, r) for key, r in table("claims").items() if r.get("holder")]
    for claim in claims:
        state.claims.take(claim, force=True)
    alarms = [alarm_from(r) for r in table("alarms").values()]
    state.alarms.add_new(alarms)
    state.alarms.save(alarms)
    state.breaches.add_new(table("sla_breaches"))
    state.spikes.add_new(table("spike_suggestions"))
    for key, record in table("template_approvals").items():
        template_id, _, sha = key.rpartition(":")
        state.templates.approve(template_id, sha, record)
    for record in table("replies").values():
        reply = Reply.from_record(record)
        state.replies.save(reply)
        if reply.status in ("sending", "sent"):
            state.replies.take_answer(reply.mention, reply.id)
    os.replace(path, path.with_name(path.name + ".migrated"))
    return True
