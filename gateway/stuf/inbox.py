"""Watched inbox directories: ``<inbox root>/<client id>/`` per municipality client (the
root, ``FLEXGW_INBOX_DIR``, is shared with the agencies' upload inbox).

A municipality (or the file transfer acting for it) drops a batch file there. Write it under
another name first (``*.part``, ``*.tmp``) and rename it to ``*.xml`` when complete; a file is
also taken only once its size and modification time held still for one poll
(:class:`gateway.inbox.HeldStill`). The watcher hands
it to the batch service exactly like an upload, and removes it once the batch is registered.
A directory whose name is no municipality client is left alone (and logged).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import structlog

from gateway.auth import Client
from gateway.context import GatewayContext
from gateway.errors import PayloadTooLarge
from gateway.inbox import HeldStill
from gateway.stuf.batches import BatchService
from gateway.worker import Worker

__all__ = ["InboxWatcher"]

log = structlog.get_logger(__name__)
_CHUNK = 1024 * 1024


class InboxWatcher:
    def __init__(self, ctx: GatewayContext, batches: BatchService) -> None:
        self._ctx = ctx
        self._batches = batches
        self.root = ctx.settings.resolved_inbox_dir
        self._still = HeldStill(ctx.settings.stuf_inbox_poll_seconds)
        self._loop = Worker(
            "stuf-inbox",
            self.scan,
            interval=lambda: ctx.settings.stuf_inbox_poll_seconds,
            failure_event="stuf_inbox_scan_failed",
        )

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def scan(self) -> int:
        """Takes every complete file once; returns how many batches it registered."""
        taken = 0
        sender_of: dict[Path, Client] = {}
        for directory in sorted(p for p in self.root.iterdir() if p.is_dir()):
            client = self._ctx.clients.get(directory.name)
            if client is None or client.role != "municipality":
                continue
            sender_of.update((path, client) for path in sorted(directory.glob("*.xml")))
        # New or still growing files wait for the next poll.
        for path in self._still.select(sender_of):
            client = sender_of[path]
            try:
                batch, repeated = await self._batches.receive(
                    client, _read(path), file_name=path.name, source="inbox"
                )
            except PayloadTooLarge:
                path.rename(path.with_name(path.name + ".too-large"))
                log.warning("stuf_inbox_file_too_large", client=client.id, file=path.name)
                continue
            path.unlink()
            self._still.forget(path)
            taken += 1
            log.info(
                "stuf_inbox_taken",
                client=client.id,
                file=path.name,
                batch_id=batch.id,
                repeated=repeated,
            )
        return taken


async def _read(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            yield chunk
            await asyncio.sleep(0)
