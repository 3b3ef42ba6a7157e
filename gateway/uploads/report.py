"""An upload's error report as JSON or CSV, streamed from the store page by page, and the
report files the inbox writes next to a picked-up file."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson

from gateway.store import Store
from gateway.uploads import repo
from gateway.uploads.model import Upload

__all__ = [
    "CSV_COLUMNS",
    "errors_csv",
    "errors_json",
    "iter_errors",
    "neutralise",
    "status_file",
    "write_inbox_report",
]

CSV_COLUMNS = ("line", "location", "column", "value", "code", "message_nl", "message_en")
_PAGE = 5000


async def iter_errors(store: Store, upload_id: str) -> AsyncIterator[dict[str, Any]]:
    after = 0
    while True:
        async with store.read() as conn:
            page = await repo.read_errors(conn, upload_id, after=after, limit=_PAGE)
        for seq, row in page:
            after = seq
            yield row
        if len(page) < _PAGE:
            return


async def errors_json(store: Store, upload: Upload) -> AsyncIterator[bytes]:
    head = {"upload_id": upload.id, "status": upload.state, "error_count": upload.counts.errors}
    yield orjson.dumps(head)[:-1] + b',"errors":['
    first = True
    async for row in iter_errors(store, upload.id):
        yield (b"" if first else b",") + orjson.dumps(row)
        first = False
    yield b"]}"


#: OWASP's CSV-injection rule: a cell starting with one of these is a formula in spreadsheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, prefixed with a single quote so it
    shows as text (the JSON report keeps the value as received)."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def _csv_line(values: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(values)
    return buffer.getvalue().encode("utf-8")


async def errors_csv(store: Store, upload_id: str) -> AsyncIterator[bytes]:
    """Semicolon-separated with a UTF-8 byte order mark: what Dutch Excel opens correctly."""
    yield b"\xef\xbb\xbf" + _csv_line(list(CSV_COLUMNS))
    async for row in iter_errors(store, upload_id):
        yield _csv_line(["" if row[c] is None else neutralise(row[c]) for c in CSV_COLUMNS])


def status_file(directory: Path, file_name: str) -> Path:
    return directory / f"{file_name}.status.json"


async def write_inbox_report(store: Store, upload: Upload, status: dict[str, Any]) -> None:
    """``<name>.status.json`` (always) and ``<name>.errors.csv`` (when there are errors),
    next to where the file was dropped; written under a temporary name, then renamed."""
    if not upload.report_dir or not upload.file_name:
        return
    directory = Path(upload.report_dir)
    if upload.counts.errors:
        target = directory / f"{upload.file_name}.errors.csv"
        temporary = target.with_name(f".{target.name}.tmp")
        with temporary.open("wb") as handle:
            async for chunk in errors_csv(store, upload.id):
                handle.write(chunk)
        temporary.replace(target)
    write_status(directory, upload.file_name, status)


def write_status(directory: Path, file_name: str, status: dict[str, Any]) -> None:
    target = status_file(directory, file_name)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(orjson.dumps(status, option=orjson.OPT_INDENT_2))
    temporary.replace(target)
