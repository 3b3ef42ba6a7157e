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
    #: A row that could not be split into fields (an oversized field): why, where.
    issue: Issue | None = None


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
        #: The physical lines of the record being read, to locate an oversized field.
        self._record: list[str] = []
        self._reader = csv.reader(
            self._lines(),
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

    def _lines(self) -> Iterator[str]:
        record = self._record
        for line in self._text:
            record.append(line)
            yield line

    def _rows(self, reader: Any, need_header: bool) -> Iterator[RawRow]:
        last_line = 0
        row_number = 0
        skipped = 0
        try:
            while True:
                try:
                    fields = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    if not str(exc).startswith("field larger than field limit"):
                        raise
                    start = last_line + 1
                    last_line = reader.line_num
                    issue = self._oversized(start)
                    self._record.clear()
                    if need_header or last_line > start:
                        # The header, or a quote left open over several lines: what follows
                        # cannot be told apart from the swallowed rows, so the file stops here.
                        raise CsvFileError(issue) from None
                    row_number += 1
                    yield RawRow(start, row_number, [], issue)
                    continue
                self._record.clear()
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

    def _oversized(self, line: int) -> Issue:
        """Where the field too large for the CSV reader starts, and the likely cause."""
        column, quoted = _oversized_field(
            "".join(self._record), self.dialect.delimiter, self.dialect.quotechar
        )
        header = self.header
        name = (
            header[column - 1]
            if header is not None and column <= len(header)
            else f"column {column}"
        )
        limit = csv.field_size_limit()
        lines = len(self._record)
        if quoted and lines > 1:
            cause = (
                f"a quote ({self.dialect.quotechar}) opened in this field is not closed, so "
                f"the field runs on over {lines} lines; close the quote"
            )
        else:
            cause = "shorten the value"
        return Issue(
            where=f"line {line}",
            code="field_too_large",
            message=f"the field in column {name!r} of line {line} is longer than {limit} "
            f"characters: {cause}",
            field=name,
        )


def _oversized_field(text: str, delimiter: str, quotechar: str) -> tuple[int, bool]:
    """(1-based column, opened by a quote) of the first field of ``text`` longer than the
    CSV reader's limit, by the reader's own rules for quotes and separators."""
    limit = csv.field_size_limit()
    column, length, quoted, in_quotes, i = 1, 0, False, False, 0
    while i < len(text):
        char = text[i]
        if in_quotes:
            if char == quotechar:
                if text[i + 1 : i + 2] == quotechar:
                    i += 1
                else:
                    in_quotes = False
                    i += 1
                    continue
        elif char == quotechar and length == 0:
            in_quotes = quoted = True
            i += 1
            continue
        elif char == delimiter:
            column, length, quoted = column + 1, 0, False
            i += 1
            continue
        elif char in "\r\n":
            i += 1
            continue
        length += 1
        if length > limit:
            return column, quoted
        i += 1
    return column, quoted


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
