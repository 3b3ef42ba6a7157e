"""Receiving a file of any size: streamed to disk under the data directory while it is hashed
and counted, never held in memory; made durable (fsync) before anyone is told it arrived."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import PayloadTooLarge

__all__ = ["HEAD_BYTES", "ReceivedFile", "file_chunks", "keep", "receive"]

HEAD_BYTES = 512
_WRITE_BUFFER = 1 << 20


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    path: Path
    size: int
    sha256: str
    #: The first bytes, for format detection.
    head: bytes


async def receive(chunks: AsyncIterator[bytes], incoming: Path, *, limit: int) -> ReceivedFile:
    """Writes the stream to ``incoming/<random>.part``; removes it again on any failure."""
    await asyncio.to_thread(incoming.mkdir, parents=True, exist_ok=True)
    path = incoming / f"{uuid.uuid4().hex}.part"
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with path.open("wb", buffering=_WRITE_BUFFER) as handle:
            async for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"the file is larger than {limit} bytes", limit=limit)
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            await asyncio.to_thread(os.fsync, handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    return ReceivedFile(path, size, digest.hexdigest(), head)


async def file_chunks(path: Path, size: int = 1 << 20) -> AsyncIterator[bytes]:
    """A file on disk as an async stream (the inbox feeds uploads through the same path)."""
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, size):
            yield chunk


def keep(received: ReceivedFile, target: Path) -> None:
    """Moves the received file to its place and makes the move durable."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(received.path, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
