"""`mentions/index/columns.bin`: the rows (`columns.ROW`) of every closed segment, in one file
that opening the store reads in one piece.

    file header   magic, the folder's salt for key digests, CRC-32 of both
    blocks        a header (kind, segment name, row count, the size, change time and inode of
                  the segment's JSON index when the block was made, payload length, CRC-32)
                  and a payload: a segment's rows (kind R), or symbols added (kind S, JSON)

A block is appended when a segment closes, and rewritten in place, at the same size, when an
edit or deletion changes a closed segment. The file is derived data: a block that is torn,
fails its checksum, or no longer matches its segment's JSON index (a crash between the two
writes) is rebuilt from that index; a file that is missing or foreign, or whose header or
symbols are damaged (every block's codes depend on them), is rebuilt whole. The JSON index is
replaced by a new file at every write, so its inode tells two versions apart even where the
file system's clock is too coarse to.
"""

from __future__ import annotations

import json
import os
import secrets
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from io import BufferedReader
from pathlib import Path

from crisis_console.core.store.columns import (
    ROW_SIZE,
    Block,
    block_bytes,
    block_len,
    new_rows,
    rows_buffer,
)

NAME = "columns.bin"
_MAGIC = b"CCcols02"
_SALT = 16
_HEAD = len(_MAGIC) + _SALT + 4
_BLOCK = struct.Struct("<4sc32sIQqQII")  # magic, kind, name, rows, size, mtime, inode, length, crc
_CHECKED = _BLOCK.size - 4  # the CRC covers the header before it, and the payload
_BLOCK_MAGIC = b"CCbk"


Source = tuple[int, int, int]  # (size, mtime_ns, inode) of a segment's JSON index


@dataclass(frozen=True, slots=True)
class StoredBlock:
    name: str
    offset: int  # of the block's header
    count: int
    source: Source  # the segment's JSON index it was made from
    start: int = -1  # where its rows begin in `Loaded.rows`, if it was read at open


@dataclass
class Loaded:
    salt: bytes
    symbols: list[list[str]]
    blocks: dict[str, StoredBlock]
    end: int  # where the next block goes (past any torn tail)
    rows: Block = None  # every valid block's rows, in file order, with room to grow
    filled: int = 0  # how many of `rows` hold rows


def source_of(index_path: Path) -> Source:
    try:
        st = index_path.stat()
    except FileNotFoundError:
        return (-1, -1, -1)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _head(salt: bytes) -> bytes:
    return _MAGIC + salt + struct.pack("<I", zlib.crc32(_MAGIC + salt))


def read(path: Path) -> Loaded | None:
    """The file's valid blocks, or None when it is missing or not one of ours. The rows are
    read straight into one array (no copy of a million rows, nor a second one in memory):
    the headers first, then each payload into its place, checked there."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    with handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(_HEAD)
        if len(head) < _HEAD or head != _head(head[len(_MAGIC) : len(_MAGIC) + _SALT]):
            return None
        out = Loaded(head[len(_MAGIC) : len(_MAGIC) + _SALT], [], {}, _HEAD)
        headers = []
        at = out.end
        while at + _BLOCK.size <= size:
            handle.seek(at)
            header = handle.read(_BLOCK.size)
            magic, _, _, _, _, _, _, length, _ = _BLOCK.unpack(header)
            if magic != _BLOCK_MAGIC or at + _BLOCK.size + length > size:
                break  # a torn tail: what follows is rewritten
            headers.append((at, header))
            at = out.end = at + _BLOCK.size + length
        # Rows only of blocks whose count agrees with their length: within the file's size.
        total = sum(count for _, h in headers if (count := _rows_in(h)) is not None)
        out.rows = new_rows(total + total // 8 + 1024)  # room for the next segments
        for at, header in headers:
            if not _read_block(handle, at, header, out):
                return None  # damaged symbols: the codes of every block are in doubt
    return out


def _rows_in(header: bytes) -> int | None:
    _, kind, _, count, _, _, _, length, _ = _BLOCK.unpack(header)
    return count if kind == b"R" and length == count * ROW_SIZE else None


def _read_block(handle: BufferedReader, at: int, header: bytes, out: Loaded) -> bool:
    """Read one block into `out`; False when it is a symbols block that fails its check."""
    _, kind, raw_name, count, size, mtime, inode, length, crc = _BLOCK.unpack(header)
    handle.seek(at + _BLOCK.size)
    if _rows_in(header) is not None:
        into = rows_buffer(out.rows, out.filled, count)
        handle.readinto(into)
        if zlib.crc32(into, zlib.crc32(header[:_CHECKED])) == crc:
            name = raw_name.rstrip(b"\0").decode()
            out.blocks[name] = StoredBlock(name, at, count, (size, mtime, inode), out.filled)
            out.filled += count  # (a bad block's rows are overwritten by the next)
    elif kind == b"S":
        payload = handle.read(length)
        if zlib.crc32(payload, zlib.crc32(header[:_CHECKED])) != crc:
            return False
        out.symbols.extend(json.loads(payload))
    return True


def create(path: Path) -> Loaded:
    """A new, empty file with a new salt (replacing whatever was there)."""
    salt = secrets.token_bytes(_SALT)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as handle:
        handle.write(_head(salt))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return Loaded(salt, [], {}, _HEAD, new_rows(1024))


def _block(kind: bytes, name: str, count: int, source: Source, payload: bytes) -> bytes:
    raw = name.encode()[:32]
    size, mtime, inode = source
    header = _BLOCK.pack(_BLOCK_MAGIC, kind, raw, count, size, mtime, inode, len(payload), 0)
    crc = zlib.crc32(payload, zlib.crc32(header[:_CHECKED]))
    return header[:_CHECKED] + struct.pack("<I", crc) + payload


def append(
    path: Path,
    loaded: Loaded,
    symbols: Sequence[tuple[str, str]],
    segments: Sequence[tuple[str, Block, Source]],
) -> None:
    """Append new symbols, then each segment's rows; one fsync."""
    out = bytearray()
    if symbols:
        out += _block(b"S", "", 0, (0, 0, 0), json.dumps([list(p) for p in symbols]).encode())
    offsets = []
    for name, rows, source in segments:
        offsets.append(loaded.end + len(out))
        out += _block(b"R", name, block_len(rows), source, block_bytes(rows))
    if not out:
        return
    with path.open("r+b") as handle:
        handle.truncate(loaded.end)  # past a torn tail
        handle.seek(loaded.end)
        handle.write(out)
        handle.flush()
        os.fsync(handle.fileno())
    for at, (name, rows, source) in zip(offsets, segments, strict=True):
        loaded.blocks[name] = StoredBlock(name, at, block_len(rows), source)
    loaded.end += len(out)


def rewrite(path: Path, loaded: Loaded, name: str, rows: Block, source: Source) -> None:
    """Rewrite a segment's block in place (same rows, changed values)."""
    block = loaded.blocks[name]
    assert block.count == block_len(rows), "a closed segment keeps its rows"
    with path.open("r+b") as handle:
        handle.seek(block.offset)
        handle.write(_block(b"R", name, block_len(rows), source, block_bytes(rows)))
        handle.flush()
        os.fsync(handle.fileno())
    loaded.blocks[name] = StoredBlock(name, block.offset, block.count, source, block.start)
