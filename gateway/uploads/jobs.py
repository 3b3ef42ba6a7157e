"""Reading one stored upload into the stager: CSV row by row in chunks, a SETU document whole.

Parsing, mapping and building the outbox records run in a worker thread one chunk ahead of
the event loop, which compares each chunk with what is known and writes it: reading chunk n+1
overlaps with writing chunk n, and status requests keep being answered meanwhile.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from adapters.payroll_csv import AgencyProfile, CsvFileError, RowOutcome, read_rows
from adapters.setu import (
    AssignmentDoc,
    Document,
    OfficialSchemas,
    SetuFileError,
    TimecardDoc,
    read_document,
    to_outcome,
)
from gateway.store import Store
from gateway.uploads import repo
from gateway.uploads.prepare import Prepared, Preparer
from gateway.uploads.staging import Stager

__all__ = ["StoreDirectory", "run_csv", "run_setu"]


class _CsvChunks:
    """The next chunk of prepared rows, read and prepared by whichever thread asks."""

    def __init__(self, handle: BinaryIO, profile: AgencyProfile, preparer: Preparer) -> None:
        self._handle = handle
        self._rows: Iterator[RowOutcome] = read_rows(handle, profile)
        self._preparer = preparer

    def next(self, size: int) -> tuple[list[Prepared], int]:
        prepare = self._preparer.prepare
        chunk = [
            prepare(
                line=o.line,
                location=f"line {o.line}",
                issues=o.issues,
                draft=o.draft,
                index=o.line,
                key=o.key,
                correction=o.correction,
                worker=o.worker,
                delta=o.delta,
                columns=o.columns,
            )
            for o in itertools.islice(self._rows, size)
        ]
        return chunk, self._handle.tell()

    def close(self) -> None:
        if isinstance(self._rows, Generator):
            self._rows.close()


async def run_csv(stager: Stager, path: Path, profile: AgencyProfile, chunk_rows: int) -> None:
    with path.open("rb") as handle:
        chunks = _CsvChunks(handle, profile, stager.preparer)
        pending = asyncio.ensure_future(asyncio.to_thread(chunks.next, chunk_rows))
        try:
            while True:
                try:
                    rows, position = await pending
                except CsvFileError as exc:
                    await stager.file_error([exc.issue])
                    return
                if not rows:
                    return
                pending = asyncio.ensure_future(asyncio.to_thread(chunks.next, chunk_rows))
                await stager.add(rows, bytes_read=position)
        finally:
            # A stop mid-file: the thread finishes its chunk before the file is closed.
            if not pending.done():
                await asyncio.wait([pending])
            if not pending.cancelled():
                pending.exception()  # retrieved: a read error after a stop is of no interest
            chunks.close()


class StoreDirectory:
    """The SETU mapping's view of what the store knows, loaded for one document."""

    def __init__(
        self, placements: Mapping[str, repo.KnownPlacement], workers: Mapping[str, str]
    ) -> None:
        self._placements = placements
        self._workers = workers

    def bsn_for_assignment(self, assignment_id: str) -> str | None:
        found = self._placements.get(assignment_id)
        return found.bsn if found is not None else None

    def bsn_for_worker(self, worker_ids: Sequence[str]) -> str | None:
        return next((self._workers[w] for w in worker_ids if w in self._workers), None)

    def placement_state(self, assignment_id: str) -> Mapping[str, Any] | None:
        found = self._placements.get(assignment_id)
        return found.state if found is not None else None


def _read(path: Path, schemas: OfficialSchemas | None) -> Document:
    with path.open("rb") as handle:
        return read_document(handle, schemas=schemas)


async def run_setu(
    stager: Stager, store: Store, path: Path, schemas: OfficialSchemas | None
) -> None:
    upload = stager.upload
    try:
        doc = await asyncio.to_thread(_read, path, schemas)
    except SetuFileError as exc:
        await stager.file_error(exc.issues)
        return
    worker_ids: list[str] = []
    if isinstance(doc, TimecardDoc):
        worker_ids = [ref.value for ref in doc.person_ids]
    elif isinstance(doc, AssignmentDoc):
        worker_ids = [ref.value for ref in doc.worker_ids]
    assignments = [doc.assignment_id] if doc.assignment_id else []
    async with store.read() as conn:
        placements = await repo.lookup_placements(conn, upload.agency_kvk, assignments, upload.id)
        workers = await repo.lookup_workers(conn, upload.agency_kvk, worker_ids, upload.id)
    outcome = to_outcome(doc, StoreDirectory(placements, workers), upload.agency_kvk)
    draft = outcome.drafts[0] if outcome.drafts else None
    location = draft.origin if draft is not None else doc.where.get("assignment_id") or "/"
    prepared = stager.preparer.prepare(
        line=None,
        location=location,
        issues=list(outcome.issues),
        draft=draft,
        index=0,
        key=outcome.key,
        correction=outcome.correction,
        timecard_id=outcome.timecard_id,
        placement=outcome.placement,
    )
    if not outcome.issues and draft is None and outcome.note:
        stager.note = outcome.note
    await stager.add([prepared], bytes_read=upload.size)
