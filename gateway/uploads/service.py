"""The upload channel's front: receive a file (HTTP body or inbox file), answer at once with
an upload id, hand it to the processor; show status and errors to whom may see them."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import structlog
from sqlalchemy.exc import IntegrityError

from adapters.payroll_csv import AgencyProfile
from adapters.setu import detect_syntax
from gateway.auth import Client
from gateway.errors import Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType
from gateway.intake import Intake, StoredFile, Submission
from gateway.states import InboundState
from gateway.store import Store
from gateway.uploads import repo
from gateway.uploads.errors import NoProfile
from gateway.uploads.metrics import UploadMetrics
from gateway.uploads.model import Counts, Upload, UploadFormat
from gateway.uploads.processor import UploadProcessor
from gateway.uploads.receive import ReceivedFile, file_chunks, keep, receive

__all__ = ["Accepted", "UploadService", "UploadSource"]

log = structlog.get_logger(__name__)

_EXTENSIONS: Mapping[str, str] = {"csv": "csv", "setu-xml": "xml", "setu-json": "json"}
_CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})
_XML_TYPES = frozenset({"application/xml", "text/xml"})
_JSON_TYPES = frozenset({"application/json"})


@dataclass(frozen=True, slots=True)
class UploadSource:
    """How a file arrived: channel, the name it had, what the sender said it is."""

    channel: Literal["api", "inbox"] = "api"
    file_name: str | None = None
    declared_format: Literal["csv", "setu"] | None = None
    content_type: str = ""
    report_dir: Path | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    upload: Upload
    repeated: bool


class UploadService:
    def __init__(
        self,
        *,
        store: Store,
        intake: Intake,
        data_dir: Path,
        profiles: Mapping[str, AgencyProfile],
        processor: UploadProcessor,
        metrics: UploadMetrics,
        max_bytes: int,
        setu_max_bytes: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._intake = intake
        self._data_dir = data_dir
        self._profiles = profiles
        self.processor = processor
        self._metrics = metrics
        self._max_bytes = max_bytes
        self._setu_max_bytes = setu_max_bytes
        self._clock = clock

    @property
    def store(self) -> Store:
        return self._store

    @property
    def profiles(self) -> Mapping[str, AgencyProfile]:
        return self._profiles

    # --- in ------------------------------------------------------------------------------
    async def receive(
        self, chunks: AsyncIterator[bytes], *, client: Client, source: UploadSource
    ) -> Accepted:
        agency = _agency_of(client)
        if source.declared_format == "csv" and agency not in self._profiles:
            raise NoProfile(f"no CSV profile is configured for agency {agency}")
        received = await receive(
            chunks, self._data_dir / "uploads" / "incoming", limit=self._max_bytes
        )
        try:
            return await self._register(received, client, agency, source)
        finally:
            with contextlib.suppress(OSError):
                received.path.unlink()  # still there unless it was kept

    async def take_file(self, path: Path, *, client: Client, report_dir: Path) -> Accepted:
        """An inbox file: read through the same path as an HTTP body, then removed."""
        accepted = await self.receive(
            file_chunks(path),
            client=client,
            source=UploadSource(channel="inbox", file_name=path.name, report_dir=report_dir),
        )
        await asyncio.to_thread(path.unlink)
        return accepted

    async def _register(
        self, received: ReceivedFile, client: Client, agency: str, source: UploadSource
    ) -> Accepted:
        upload_format = self._format(received, source)
        profile = self._profiles.get(agency)
        if upload_format == "csv" and profile is None:
            raise NoProfile(f"no CSV profile is configured for agency {agency}")
        if upload_format != "csv" and received.size > self._setu_max_bytes:
            raise PayloadTooLarge(
                f"a SETU document may be at most {self._setu_max_bytes} bytes",
                limit=self._setu_max_bytes,
            )
        async with self._store.read() as conn:
            earlier = await repo.find_by_hash(conn, agency, received.sha256)
        if earlier is not None:
            return self._repeated(earlier)
        upload_id = str(uuid.uuid4())
        relative = Path("uploads") / agency / f"{upload_id}.{_EXTENSIONS[upload_format]}"
        upload = Upload(
            id=upload_id,
            sender=client.id,
            agency_kvk=agency,
            channel=source.channel,
            format=upload_format,
            profile=profile.id if upload_format == "csv" and profile is not None else None,
            file_name=_clean_name(source.file_name),
            content_hash=received.sha256,
            state=InboundState.RECEIVED,
            policy=profile.policy if upload_format == "csv" and profile else "all-or-nothing",
            size=received.size,
            received_at=self._clock(),
            counts=Counts(),
            payload_path=str(relative),
            report_dir=str(source.report_dir) if source.report_dir else None,
        )
        await asyncio.to_thread(keep, received, self._data_dir / relative)
        try:
            async with self._store.write() as conn:
                await self._intake.register_file(
                    conn,
                    _submission(upload, source),
                    StoredFile(upload.payload_path, upload.size, upload.content_hash),
                    inbound_id=upload.id,
                    received_at=upload.received_at,
                    response=upload.receipt(),
                )
                await repo.insert_upload(conn, upload)
        except IntegrityError:
            # The same file raced us: answer with the upload that won.
            await asyncio.to_thread((self._data_dir / relative).unlink, missing_ok=True)
            async with self._store.read() as conn:
                earlier = await repo.find_by_hash(conn, agency, received.sha256)
            if earlier is None:
                raise
            return self._repeated(earlier)
        self._metrics.received.labels(source.channel, upload_format).inc()
        log.info(
            "upload_received",
            upload_id=upload_id,
            sender=client.id,
            channel=source.channel,
            format=upload_format,
            size=received.size,
        )
        self.processor.enqueue(upload_id)
        return Accepted(upload, repeated=False)

    def _repeated(self, earlier: Upload) -> Accepted:
        self._metrics.repeated.inc()
        log.info("upload_repeated", upload_id=earlier.id)
        return Accepted(earlier, repeated=True)

    def _format(self, received: ReceivedFile, source: UploadSource) -> UploadFormat:
        syntax = detect_syntax(received.head)
        declared = source.declared_format
        media = source.content_type
        if declared == "csv" or (declared is None and media in _CSV_TYPES):
            return "csv"
        if declared == "setu" or media in _XML_TYPES | _JSON_TYPES:
            if syntax is None:
                raise UnsupportedMediaType("a SETU upload is XML or JSON; this is neither")
            return "setu-xml" if syntax == "xml" else "setu-json"
        if syntax == "xml":
            return "setu-xml"
        if syntax == "json":
            return "setu-json"
        return "csv"

    # --- out -----------------------------------------------------------------------------
    async def get(self, upload_id: str, client: Client) -> Upload:
        async with self._store.read() as conn:
            upload = await repo.get_upload(conn, upload_id)
        if upload is None:
            raise NotFound(f"no upload {upload_id}")
        if not client.is_ops and (client.role != "agency" or client.kvk != upload.agency_kvk):
            raise Forbidden("this upload belongs to another sender")
        return upload

    async def published(self, upload_id: str) -> int:
        async with self._store.read() as conn:
            return await repo.count_published(conn, upload_id)


def _submission(upload: Upload, source: UploadSource) -> Submission:
    return Submission(
        sender=upload.sender,
        channel="upload" if source.channel == "api" else "inbox",
        content_type=source.content_type or _default_type(upload.format),
        payload=b"",  # kept in the file at upload.payload_path
        adapter="payroll-csv" if upload.format == "csv" else "setu",
        external_ref=upload.file_name,
    )


def _agency_of(client: Client) -> str:
    if client.role != "agency" or client.kvk is None:
        raise Forbidden("only staffing agencies upload files")
    return client.kvk


def _clean_name(name: str | None) -> str | None:
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base[:255] or None


def _default_type(upload_format: str) -> str:
    return {"csv": "text/csv", "setu-xml": "application/xml"}.get(upload_format, "application/json")
