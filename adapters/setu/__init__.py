"""SETU standards of the Dutch staffing industry: Timecard and Assignment, v1.x (HR-XML 2.5)
and v2.0 (XML and JSON)."""

from adapters.setu.adapter import (
    Document,
    SetuAdapter,
    SetuFileError,
    detect_syntax,
    read_document,
    to_outcome,
)
from adapters.setu.mapping import Directory, NoDirectory, SetuOutcome, canonical_hour_kind
from adapters.setu.model import AssignmentDoc, TimecardDoc
from adapters.setu.xsd import OfficialSchemas

adapter = SetuAdapter()

__all__ = [
    "AssignmentDoc",
    "Directory",
    "Document",
    "NoDirectory",
    "OfficialSchemas",
    "SetuAdapter",
    "SetuFileError",
    "SetuOutcome",
    "TimecardDoc",
    "adapter",
    "canonical_hour_kind",
    "detect_syntax",
    "read_document",
    "to_outcome",
]
