"""Checking the audit chain: the canonical JSON a record's hash is taken over, and the
line-by-line verification that `AuditLog.verify` (a folder's files) and `PgAuditLog.verify`
(the team database's rows) share. See `audit.py` for the layout of a line."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import orjson

_VERIFY_BLOCK = 256 * 1024  # read a file a block at a time; hashed while still in cache
# A line in the canonical layout ends with `,"hash":"<64 hex>"}`: that suffix is 75 bytes.
_HASH_SUFFIX = len(',"hash":""}') + 64


# One encoder for every call: `json.dumps` with options makes a new one each time, which
# was a third of the cost of encoding a stored record's values.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_DUMPS = orjson.dumps
# Keys sorted; and what is not plain JSON (a date, a dataclass, a subclass of str, int, dict
# or list, whose `json` form may differ) handed to `_not_plain`, so that `json` decides
# how it is written, or that it cannot be, whatever else the value holds.
_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _not_plain(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is left to json")


def canonical_json(value: Any) -> str:
    """`value` as the chain encodes JSON: keys sorted at every depth, no spaces, characters
    as they are (not escaped to ASCII), floats as Python's `repr` writes them: `json`'s
    bytes, exactly.

    An object or array is encoded by orjson, several times faster (a stored record's JSON
    was a fifth of ingest's time), unless it cannot (a key that is not a string, an integer
    past 64 bits, a lone surrogate), holds what is not plain JSON (`_OPTIONS`), or may
    write it otherwise (below): then by `json`, as is anything else. (orjson still
    writes a UUID or a plain `Enum` member, which `json` refuses: no record holds one.)"""
    kind = type(value)
    if kind is not dict and kind is not list:
        # (`json.JSONEncoder.encode` builds an encoder for each value but a string: a few
        # microseconds, which a stored record's `null` cost every mention)
        if kind is str:
            return encode_basestring(value)
        if value is None:
            return "null"
        if kind is bool:
            return "true" if value else "false"
        return int.__repr__(value) if kind is int else _CANONICAL.encode(value)
    try:
        fast = _DUMPS(value, default=_not_plain, option=_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):
        return _CANONICAL.encode(value)
    # Where orjson's bytes may differ from `json`'s, which define the chain's: a float
    # below 1e-4 (`json` writes 9e-05 and 1e-07, orjson 0.00009 and 1e-7), and `null`,
    # also how orjson writes NaN and the infinities (`json`: NaN, Infinity). Text that
    # merely holds one of these costs only the slower encoder. (Substring tests: a regular
    # expression took longer than orjson's whole encoding.)
    if b"null" in fast or b"0.0000" in fast or b"e-" in fast:
        return _CANONICAL.encode(value)
    return fast.decode()


def json_string(value: Any) -> str:
    """`canonical_json(value)`, quickly for a string (or an object's key)."""
    return encode_basestring(value) if isinstance(value, str) else canonical_json(value)


def json_object(members: Mapping[str, str]) -> str:
    """`canonical_json` of an object whose values are encoded already (by key)."""
    return "{" + ",".join(f"{json_string(k)}:{members[k]}" for k in sorted(members)) + "}"


def canonical(record: Mapping[str, Any]) -> bytes:
    return canonical_json({k: v for k, v in record.items() if k != "hash"}).encode()


def digest(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()


def verify_file(
    path: Path, prev: bytes, seq: int, marks: dict[int, bytes | None] | None = None
) -> tuple[str, int, bytes, int]:
    """Check the records of one file as the continuation of the chain at (`seq`, `prev`):
    (what is wrong with the first bad line or "", its line number, the last good hash, the
    last good sequence number).

    A line in the canonical layout is checked without parsing it: one hash over the slice
    that is the canonical body, then `prev` and `seq` where they must be, right before the
    last key, `subject`. A body that hashes to the record's hash is byte for byte one that
    `append` hashed, and `append` hashes only canonical JSON, so parsing and re-serialising
    it would find nothing more. (Bytes that are not canonical JSON could pass only if someone
    hashed them and rewrote the chain from there on and the head; they could as well write
    canonical JSON, which passes either way.) A line that fails, or is in another layout, is
    parsed and checked by `_check_slowly`, which names what is wrong.

    `marks`: sequence numbers whose hashes the caller wants (a checkpoint's, the anchor's);
    each one met is filled in."""
    first = seq  # every line is a record or the error, so the bad line is `seq - first + 1`
    with path.open("rb") as handle:
        data = b""
        while True:
            more = handle.read(max(_VERIFY_BLOCK, len(data)))
            if not more:
                if not data:
                    return "", 0, prev, seq
                more = b"\n"  # the last line has no newline: check it as a whole line
            data = data + more if data else more
            with memoryview(data) as view:
                bad, prev, seq, pos = verify_lines(data, view, prev, seq, marks)
            if bad:
                return bad, seq - first + 1, prev, seq
            data = data[pos:]


def verify_lines(
    data: bytes,
    view: memoryview,
    prev: bytes,
    seq: int,
    marks: dict[int, bytes | None] | None = None,
) -> tuple[str, bytes, int, int]:
    """Check the whole lines of `data`: (what is wrong or "", the last good hash and sequence
    number, where the unchecked rest of `data` starts). `marks`: see `verify_file`."""
    marks = marks if marks is not None else {}
    find, rfind, starts, ends = data.find, data.rfind, data.startswith, data.endswith
    sha256 = hashlib.sha256
    pos = 0
    while (end := find(b"\n", pos)) >= 0:
        cut = end - _HASH_SUFFIX  # where `,"hash":"` starts in the canonical layout
        if cut > pos:
            hasher = sha256(view[pos:cut])
            hasher.update(b"}")
            digest = hasher.hexdigest().encode()
            # Accept if the line ends with this very hash, after the quote closing the last
            # value (the subject, a string), and the quote opening that string ends the
            # expected `,"prev":"…","seq":N,"subject":"`. Quotes inside a JSON string are
            # escaped, so that text is structure, and the string after it is followed only by
            # the body's last brace: these are the record's own top-level fields, never text
            # or a nested object in `data`. Anything else (another layout, a subject holding
            # an escaped quote, any damage) is parsed below, which names what is wrong.
            if starts(b'","hash":"%s"}' % digest, cut - 1) and ends(
                b',"prev":"%s","seq":%d,"subject":"' % (prev, seq + 1),
                pos,
                rfind(b'"', pos, cut - 1) + 1,
            ):
                prev, seq, pos = digest, seq + 1, end + 1
                if seq in marks:
                    marks[seq] = prev
                continue
        bad, prev, seq = _check_slowly(data[pos:end], prev, seq, marks)
        if bad:
            return bad, prev, seq, pos
        pos = end + 1
    return "", prev, seq, pos


def _check_slowly(
    line: bytes, prev: bytes, seq: int, marks: dict[int, bytes | None]
) -> tuple[str, bytes, int]:
    """Check a line by parsing it, as the log was always read, in text mode: there a carriage
    return (alone, or before the newline) ends a line too, so this may be several lines.
    (What is wrong or "", the last good hash and sequence number.)"""
    pieces = line.split(b"\r")
    if len(pieces) > 1 and not pieces[-1]:
        pieces.pop()  # \r\n ends one line
    for piece in pieces:
        bad, digest = _check_line(piece, prev.decode(), seq + 1)
        if bad:
            return bad, prev, seq
        prev, seq = digest.encode(), seq + 1
        if seq in marks:
            marks[seq] = prev
    return "", prev, seq


def _check_line(line: bytes, prev: str, expected: int) -> tuple[str, str]:
    """(what is wrong with this line as the record after `prev` or "", its hash); the line
    is parsed once."""
    try:
        record = json.loads(line.decode("utf-8"))
    except ValueError:  # not UTF-8, or not JSON
        return "not valid JSON", ""
    if not isinstance(record, dict) or "hash" not in record:
        return "not an audit record", ""
    if record.get("prev") != prev:
        return "does not follow the record before it (changed, removed, inserted or moved)", ""
    if record.get("seq") != expected:
        return f"sequence {record.get('seq')}, expected {expected}", ""
    if digest(record) != record["hash"]:
        return "its content does not match its hash (the record was changed)", ""
    return "", str(record["hash"])
