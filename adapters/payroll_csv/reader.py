"""Streams the rows of a CSV export: encoding detected or declared, the profile's dialect,
physical line numbers for the report. Memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from adapters.base import Issue
from adapters.payroll_csv.profile import CsvDialect

__all__ = ["CsvFileError", "CsvRows", "RawRow", "detect_encoding"]

_CHUNK = 1 << 20
_BOM = codecs.BOM_UTF8


@dataclass(frozen=True, slots=True)
class RawRow:
    #: Physical line (1-based, counting every line of the file) where the record starts.
    line: int
    #: Data row number (1-based, not counting skipped lines and the header).
    row: int
    fields: list[str]


class CsvFileError(Exception):
    """The file as a whole cannot be read (encoding, quoting, missing header columns)."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def detect_encoding(stream: BinaryIO, declared: str) -> str:
    """The Python codec to read ``stream`` with; leaves the stream at its start.

    ``auto``: UTF-8 (BOM dropped) when the file starts with a byte order mark or decodes as
    UTF-8 from start to end, otherwise Windows-1252. One binary pass, constant memory.
    """
    head = stream.read(len(_BOM))
    stream.seek(0)
    if declared in ("utf-8", "utf-8-sig"):
        return "utf-8-sig"
    if declared == "windows-1252":
        return "cp1252"
    if head == _BOM:
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(_CHUNK):
            if not chunk.isascii():
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
        found = "utf-8"
    except UnicodeDecodeError:
        found = "cp1252"
    stream.seek(0)
    return found


class CsvRows:
    """``for row in CsvRows(stream, dialect)``; ``header`` is filled after the first row."""

    def __init__(self, stream: BinaryIO, dialect: CsvDialect) -> None:
        self.dialect = dialect
        self._stream = stream
        self.encoding = detect_encoding(stream, dialect.encoding)
        self._text = io.TextIOWrapper(stream, encoding=self.encoding, newline="")
        self._reader = csv.reader(
            self._text,
            delimiter=dialect.delimiter,
            quotechar=dialect.quotechar,
            skipinitialspace=False,
            strict=True,
        )
        self.header: list[str] | None = None
        self.header_line = 0

    def __iter__(self) -> Iterator[RawRow]:
        reader = self._reader
        need_header = self.dialect.header
        try:
            yield from self._rows(reader, need_header)
        finally:
            # The stream belongs to the caller: the text layer must not close it.
            with contextlib.suppress(ValueError):
                self._text.detach()

    def _rows(self, reader: Any, need_header: bool) -> Iterator[RawRow]:
        last_line = 0
        row_number = 0
        skipped = 0
        try:
            for fields in reader:
                start = last_line + 1
                last_line = reader.line_num
                if skipped < self.dialect.skip_lines:
                    skipped += 1
                    continue
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue  # blank line
                if need_header:
                    self.header = [name.strip() for name in fields]
                    self.header_line = start
                    need_header = False
                    continue
                row_number += 1
                yield RawRow(start, row_number, fields)
        except UnicodeDecodeError as exc:
            line = _line_of_bad_byte(self._stream, self.encoding) or last_line + 1
            raise CsvFileError(
                Issue(
                    where=f"line {line}",
                    code="invalid_encoding",
                    message=(
                        f"the file is not valid {_codec_name(self.encoding)} at line {line} "
                        f"({exc.reason}); save it as UTF-8 or Windows-1252"
                    ),
                )
            ) from None
        except csv.Error as exc:
            raise CsvFileError(
                Issue(
                    where=f"line {reader.line_num}",
                    code="malformed_csv",
                    message=f"the CSV structure is broken at line {reader.line_num}: {exc}",
                )
            ) from None
        if self.dialect.header and self.header is None:
            raise CsvFileError(Issue("line 1", "no_header", "the file has no header row"))


def _line_of_bad_byte(stream: BinaryIO, codec: str) -> int | None:
    """The line of the first byte that does not decode (the text layer reads ahead in blocks,
    so its position does not tell). One more binary pass; the file is being rejected anyway."""
    try:
        stream.seek(0)
    except (OSError, ValueError):
        return None
    decoder = codecs.getincrementaldecoder(codec)()
    lines = 1
    while chunk := stream.read(_CHUNK):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            return lines + chunk.count(b"\n", 0, max(exc.start, 0))
        lines += chunk.count(b"\n")
    return None  # pragma: no cover - the text layer found a bad byte, so there is one


def _codec_name(codec: str) -> str:
    return {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp1252": "Windows-1252"}.get(codec, codec)
