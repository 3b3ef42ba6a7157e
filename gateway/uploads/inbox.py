"""Watched inbox: one directory per agency client (what an SFTP server writes into).

``<inbox>/<client-id>/`` is scanned every ``inbox_poll_seconds``. A file is complete when its
size and modification time held still for one interval (:class:`gateway.inbox.HeldStill`),
and its name is not a temporary one
(``.*``, ``*.part``, ``*.tmp``, ``*.filepart``); uploading under a temporary name and renaming
when done is the surest way. A complete file goes through the same path as an HTTP upload and
is removed; ``<name>.status.json`` next to it tells the upload id and, once processed, the
result; ``<name>.errors.csv`` lists the errors. A file that cannot be taken at all is renamed
``<name>.rejected`` and its status file says why.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog

from gateway.auth import ClientLookup
from gateway.errors import GatewayError
from gateway.inbox import HeldStill
from gateway.uploads.report import write_status
from gateway.uploads.service import Accepted, UploadService
from gateway.worker import Worker

__all__ = ["InboxWatcher"]

log = structlog.get_logger(__name__)

_SKIP_SUFFIXES = (
    ".part",
    ".tmp",
    ".filepart",
    ".partial",
    ".rejected",
    ".status.json",
    ".errors.csv",
)


class InboxWatcher:
    def __init__(
        self,
        *,
        root: Path,
        clients: ClientLookup,
        service: UploadService,
        poll_seconds: float,
    ) -> None:
        self.root = root
        self._clients = clients
        self._service = service
        self._poll = poll_seconds
        self._still = HeldStill(poll_seconds)
        self._warned: set[str] = set()
        self._loop = Worker(
            "inbox", self.scan, interval=lambda: self._poll, failure_event="inbox_scan_failed"
        )

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def scan(self) -> list[Accepted]:
        """One pass: takes every file that held still since the previous pass."""
        taken: list[Accepted] = []
        sender_of: dict[Path, str] = {}
        for directory in sorted(p for p in self.root.iterdir() if p.is_dir()):
            client = self._clients.get(directory.name)
            if client is None or client.role != "agency":
                # Municipalities' directories belong to the StUF batch inbox (same root).
                if client is None and directory.name not in self._warned:
                    self._warned.add(directory.name)
                    log.warning("inbox_directory_ignored", directory=directory.name)
                continue
            sender_of.update(
                (path, client.id)
                for path in sorted(directory.iterdir())
                if path.is_file() and not _temporary(path.name)
            )
        for path in self._still.select(sender_of):
            accepted = await self._take(path, sender_of[path], path.parent)
            self._still.forget(path)
            if accepted is not None:
                taken.append(accepted)
        return taken

    async def _take(self, path: Path, client_id: str, directory: Path) -> Accepted | None:
        client = self._clients.get(client_id)
        assert client is not None
        try:
            accepted = await self._service.take_file(path, client=client, report_dir=directory)
        except GatewayError as exc:
            log.warning("inbox_file_refused", file=path.name, code=exc.code)
            # Renamed first: whoever sees the status file finds the file already put aside.
            await asyncio.to_thread(path.replace, path.with_name(path.name + ".rejected"))
            write_status(
                directory,
                path.name,
                {"status": "rejected", "error": {"code": exc.code, "detail": exc.detail}},
            )
            return None
        status = accepted.upload.receipt(repeated=accepted.repeated)
        if accepted.repeated:
            published = await self._service.published(accepted.upload.id)
            status = accepted.upload.status(published=published) | {"repeated": True}
        write_status(directory, path.name, status)
        log.info("inbox_file_taken", upload_id=accepted.upload.id, repeated=accepted.repeated)
        return accepted


def _temporary(name: str) -> bool:
    return name.startswith(".") or name.endswith(_SKIP_SUFFIXES)
