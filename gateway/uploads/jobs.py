"""Reading one stored upload into the stager: CSV row by row in chunks, a SETU document whole.

Parsing and mapping run in a worker thread, one chunk at a time, so the event loop keeps
answering status requests while a large file is processed.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

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
from gateway.uploads.staging import Item, Stager

__all__ = ["StoreDirectory", "run_csv", "run_setu"]


def _take(rows: Iterator[RowOutcome], count: int) -> list[RowOutcome]:
    return list(itertools.islice(rows, count))


def _item(outcome: RowOutcome) -> Item:
    return Item(
        line=outcome.line,
        location=f"line {outcome.line}",
        issues=outcome.issues,
        draft=outcome.draft,
        key=outcome.key,
        correction=outcome.correction,
        worker=outcome.worker,
        index=outcome.line,
    )


async def run_csv(stager: Stager, path: Path, profile: AgencyProfile, chunk_rows: int) -> None:
    with path.open("rb") as handle:
        rows = read_rows(handle, profile)
        while True:
            try:
                batch = await asyncio.to_thread(_take, rows, chunk_rows)
            except CsvFileError as exc:
                await stager.file_error([exc.issue])
                return
            if not batch:
                return
            await stager.add([_item(o) for o in batch], bytes_read=handle.tell())


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
    location = (
        outcome.drafts[0].origin if outcome.drafts else (doc.where.get("assignment_id") or "/")
    )
    item = Item(
        line=None,
        location=location,
        issues=list(outcome.issues),
        draft=outcome.drafts[0] if outcome.drafts else None,
        key=outcome.key,
        correction=outcome.correction,
        timecard_id=outcome.timecard_id,
        placement_state=outcome.placement,
    )
    if not item.issues and item.draft is None and outcome.note:
        stager.note = outcome.note
    await stager.add([item], bytes_read=upload.size)
