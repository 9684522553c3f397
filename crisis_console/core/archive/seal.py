"""The key that anchors a folder's audit chain, kept outside the data folder.

Anyone who can write the data folder can rewrite `audit.jsonl` and recompute every hash; a
hash chain alone proves nothing against them. So the head of the chain (`audit.head`: the
last record's sequence number and hash) is signed with an HMAC key that lives in the
operator's own configuration directory (`keys_dir`, one file per data folder, mode 0600),
never in the folder. Without the key, nobody can write a head that verifies, so cutting the
log short, appending a record, or re-hashing the whole chain is found.

Beside the key, an *anchor* file remembers the last head this account sealed. A folder
whose log and head were both put back to an older state (an old copy of the head is still
signed) falls short of the anchor, which is an error too.

A *checkpoint* (`cc1.<seq>.<hash>.<signature>`, shortened so it pastes into a ticket) is
signed with the same key: `audit verify --against` proves that the record at that sequence
number still has that hash, so nothing before it changed.

The key file is named after the data folder's resolved path, so a folder that was sealed
is known to be sealed even when its head has been deleted or replaced by an unsigned one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from crisis_console.core.errors import AuditError

_KEY_BYTES = 32
_SHORT = 32  # hex digits of a hash and of a signature kept in a checkpoint (128 bits each)
CHECKPOINT_PREFIX = "cc1"


@dataclass(frozen=True, slots=True)
class Head:
    """The chain's last record (`seq`, `hash`) and, while an append is under way, the one
    before it (`before_seq`, `before_hash`): the head is written first, then the records,
    so a crash between the two leaves a head one append ahead, which the writer undoes."""

    seq: int
    hash: str
    before_seq: int
    before_hash: str
    mac: str = ""

    def message(self) -> bytes:
        return f"head:{self.seq}:{self.hash}:{self.before_seq}:{self.before_hash}".encode()

    def to_json(self) -> str:
        return json.dumps(
            {
                "seq": self.seq,
                "hash": self.hash,
                "before_seq": self.before_seq,
                "before_hash": self.before_hash,
                "mac": self.mac,
            }
        )


def read_head(path: Path) -> Head | None:
    """The head in `path`; None when there is none. A damaged head is an `AuditError`."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return Head(
            int(doc["seq"]),
            str(doc["hash"]),
            int(doc.get("before_seq", doc["seq"])),
            str(doc.get("before_hash", doc["hash"])),
            str(doc.get("mac", "")),
        )
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise AuditError(f"{path}: the head of the audit chain is damaged ({exc})") from None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    hash: str  # the first `_SHORT` hex digits of the record's hash
    signature: str

    def __str__(self) -> str:
        return f"{CHECKPOINT_PREFIX}.{self.seq}.{self.hash}.{self.signature}"

    def message(self) -> bytes:
        return f"checkpoint:{self.seq}:{self.hash}".encode()


def parse_checkpoint(text: str) -> Checkpoint:
    """A checkpoint as `audit checkpoint` printed it; anything else says what it should be."""
    parts = text.strip().split(".")
    if (
        len(parts) != 4
        or parts[0] != CHECKPOINT_PREFIX
        or not parts[1].isdigit()
        or not all(len(p) == _SHORT and _is_hex(p) for p in parts[2:])
    ):
        raise AuditError(
            f"{text.strip()!r} is not a checkpoint: it looks like "
            f"{CHECKPOINT_PREFIX}.<number>.<32 hex digits>.<32 hex digits>, "
            "as 'crisis-console audit checkpoint' prints it"
        )
    return Checkpoint(int(parts[1]), parts[2], parts[3])


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


class Seal:
    """The signing key and anchor of one data folder's audit chain (see the module
    docstring). `keys_dir` is outside the folder: the operator's configuration."""

    def __init__(self, keys_dir: Path, folder: Path) -> None:
        name = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:24]
        self.key_path = keys_dir / f"{name}.key"
        self.anchor_path = keys_dir / f"{name}.anchor"
        self.folder = folder
        self._key: bytes | None = None

    @property
    def known(self) -> bool:
        """Whether this folder has been sealed from this account (its key is here)."""
        return self.key_path.is_file()

    def key(self) -> bytes:
        if self._key is None:
            try:
                self._key = bytes.fromhex(self.key_path.read_text(encoding="ascii").split()[0])
            except FileNotFoundError:
                raise AuditError(
                    f"the audit log in {self.folder} is sealed with a key this account does "
                    f"not hold (looked for {self.key_path}); run as the account that made the "
                    "folder, or copy its key file there (mode 600)"
                ) from None
            except (ValueError, IndexError, UnicodeDecodeError):
                raise AuditError(f"{self.key_path}: not an audit key (damaged?)") from None
        return self._key

    def create(self) -> None:
        """Make this folder's key (once; a second call keeps the first)."""
        if self.known:
            return
        self.key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(_KEY_BYTES) + f"\n{self.folder.resolve()}\n")
            handle.flush()
            os.fsync(handle.fileno())

    def retire(self) -> None:
        """Set this folder's key and anchor aside (never deleted), for a new chain."""
        stamp = 1
        while self.key_path.with_name(f"{self.key_path.name}.retired-{stamp}").exists():
            stamp += 1
        for path in (self.key_path, self.anchor_path):
            if path.exists():
                os.replace(path, path.with_name(f"{path.name}.retired-{stamp}"))
        self._key = None

    def _mac(self, message: bytes) -> str:
        return hmac.new(self.key(), message, hashlib.sha256).hexdigest()

    def signed(self, head: Head) -> Head:
        return Head(
            head.seq, head.hash, head.before_seq, head.before_hash, self._mac(head.message())
        )

    def is_signed(self, head: Head) -> bool:
        return bool(head.mac) and hmac.compare_digest(head.mac, self._mac(head.message()))

    def checkpoint(self, seq: int, record_hash: str) -> Checkpoint:
        unsigned = Checkpoint(seq, record_hash[:_SHORT], "")
        return Checkpoint(seq, unsigned.hash, self._mac(unsigned.message())[:_SHORT])

    def is_genuine(self, checkpoint: Checkpoint) -> bool:
        expected = self._mac(checkpoint.message())[:_SHORT]
        return hmac.compare_digest(checkpoint.signature, expected)

    def anchor(self) -> tuple[int, str] | None:
        """The last head this account sealed (`seq`, `hash`), if any."""
        try:
            doc = json.loads(self.anchor_path.read_text(encoding="utf-8"))
            return int(doc["seq"]), str(doc["hash"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise AuditError(f"{self.anchor_path}: the audit anchor is damaged") from None

    def move_anchor(self, seq: int, record_hash: str) -> None:
        """Remember the newest sealed head. Not fsynced: after a power cut it may be a little
        behind, which only weakens the check for those last records; never ahead, as it is
        written after the records are on disk."""
        tmp = self.anchor_path.with_name(self.anchor_path.name + ".tmp")
        tmp.write_text(json.dumps({"seq": seq, "hash": record_hash}), encoding="utf-8")
        os.replace(tmp, self.anchor_path)
