"""The gateway's StUF schemas (``xsd/``), compiled on first use in each thread."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from lxml import etree

from adapters.base import Issue
from adapters.xmlsafe import parser
from schemas.identifiers import mask_bsns

__all__ = ["XSD_DIR", "XSD_FILES", "SchemaSet", "mask_bsns"]

XSD_DIR = Path(__file__).parent / "xsd"
#: The schema files a client may fetch (the WSDL imports them).
XSD_FILES = (
    "stuf0301.xsd",
    "fx0100_msg_stuf.xsd",
    "fx0100_msg.xsd",
    "bg0310_nps.xsd",
)
_ENTRY = "validate-gateway.xsd"


class SchemaSet:
    """Validates StUF messages against the gateway's sector schemas."""

    def __init__(self, entry: Path = XSD_DIR / _ENTRY) -> None:
        self._entry = entry
        # One validator per thread (the gateway validates large messages in worker threads):
        # a validator keeps the errors of its last run on itself, so two threads sharing one
        # would read each other's errors. Compiling the set takes about 10 ms.
        self._local = threading.local()

    @property
    def schema(self) -> etree.XMLSchema:
        schema: etree.XMLSchema | None = getattr(self._local, "schema", None)
        if schema is None:
            schema = etree.XMLSchema(etree.parse(str(self._entry), parser()))
            self._local.schema = schema
        return schema

    def issues(self, message: etree._Element, *, limit: int = 20) -> list[Issue]:
        """Every schema error of ``message`` (up to ``limit``), with line and element path."""
        schema = self.schema
        if schema.validate(message):
            return []
        found = []
        for error in list(cast(Iterable[Any], schema.error_log))[:limit]:
            path = _short_path(error.path or "")
            found.append(
                Issue(
                    where=f"line {error.line}: {path}" if path else f"line {error.line}",
                    code="schema",
                    message=mask_bsns(_plain(error.message)),
                )
            )
        return found


def _short_path(path: str) -> str:
    # lxml paths carry the prefixes of the document; the message element is what matters.
    return path


def _plain(message: str) -> str:
    # '{http://www.flextensie.nl/...}inp.bsn' -> 'inp.bsn': senders know their element names.
    return re.sub(r"\{[^}]*\}", "", message)
