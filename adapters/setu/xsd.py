"""Validation against the official SETU schemas, when a copy of them is configured.

The gateway does not ship the official XSDs (they are not ours to copy); an installation that
has them points ``FLEXGW_SETU_SCHEMA_DIR`` at the directory laid out as the SETU
xml-specifications repository (``hr-xml/``, ``setu/schemas/``). Without it only the gateway's
own checks run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from adapters.base import Issue
from adapters.setu.v1 import HRXML_NS, xpath_of
from adapters.setu.v2 import SETU_V2_NS
from adapters.xmlsafe import parser

__all__ = ["OfficialSchemas"]

MAX_SCHEMA_ISSUES = 200
_NL_2020 = "http://ns.setu.nl/2020-01"


class OfficialSchemas:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._compiled: dict[Path, etree.XMLSchema] = {}

    def schema_for(self, root: etree._Element) -> Path | None:
        name = etree.QName(root)
        if name.namespace == HRXML_NS and name.localname == "TimeCard":
            return self.directory / "hr-xml" / "SIDES" / "TimeCardAdditionalData.xsd"
        if name.namespace == HRXML_NS and name.localname == "Assignment":
            # Only the 2020-01 extension (v1.4) compiles on its own with the HR-XML Assignment;
            # the older editions' NL extensions cannot be validated from this layout.
            for extension in root.iterfind(f"{{{HRXML_NS}}}UserArea/*"):
                if etree.QName(extension).namespace == _NL_2020:
                    return (
                        self.directory
                        / "setu"
                        / "schemas"
                        / "2020-01"
                        / ("AssignmentAdditionalNL.xsd")
                    )
            return None
        if name.namespace == SETU_V2_NS and name.localname in ("Timecard", "Assignment"):
            return (
                self.directory
                / "setu"
                / "schemas"
                / "purchase-to-pay-v2"
                / (f"{name.localname}.xsd")
            )
        return None

    def validate(self, root: etree._Element) -> list[Issue]:
        path = self.schema_for(root)
        if path is None or not path.is_file():
            return []
        schema = self._compiled.get(path)
        if schema is None:
            schema = etree.XMLSchema(etree.parse(str(path), parser()))
            self._compiled[path] = schema
        if schema.validate(root.getroottree()):
            return []
        issues = []
        # The stubs do not know that an error log iterates over its entries.
        log: Any = schema.error_log
        errors: list[Any] = list(log)
        tree = root.getroottree()
        for error in errors[:MAX_SCHEMA_ISSUES]:
            where = _readable(tree, error.path) or f"line {error.line}"
            issues.append(
                Issue(f"{where} (line {error.line})", "schema_invalid", error.message[:500])
            )
        return issues


def _readable(tree: etree._ElementTree, path: str | None) -> str | None:
    """libxml2 reports ``/*/*[3]/*[4]``; agencies read ``/TimeCard/ReportedTime/...``."""
    if not path:
        return None
    try:
        found = tree.xpath(path)
    except etree.XPathError:
        return path
    if isinstance(found, list) and len(found) == 1 and isinstance(found[0], etree._Element):
        return xpath_of(found[0])
    return path
