"""Compiled official StUF schemas, and the gateway's sector schemas compiled on top of the
official StUF 03.01 envelope instead of the gateway's own subset."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import cast

from lxml import etree

from adapters.stuf.schema import XSD_DIR
from tests.standards import stuf_dir


@cache
def official_stuf0301() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(stuf_dir() / "0301" / "stuf0301.xsd")))


@cache
def official_bg0310() -> etree.XMLSchema:
    entry = stuf_dir() / "bg0310" / "mutatie" / "validate-bg0310-mutatie.xsd"
    return etree.XMLSchema(etree.parse(str(entry)))


@cache
def gateway_schemas_on_official(workdir: str) -> etree.XMLSchema:
    """The gateway's sector schemas with ``stuf0301.xsd`` replaced by the official one."""
    target = Path(workdir)
    target.mkdir(parents=True, exist_ok=True)
    for path in XSD_DIR.glob("*.xsd"):
        shutil.copy(path, target / path.name)
    shutil.copy(stuf_dir() / "0301" / "stuf0301.xsd", target / "stuf0301.xsd")
    return etree.XMLSchema(etree.parse(str(target / "validate-gateway.xsd")))


def assert_valid(schema: etree.XMLSchema, element: etree._Element) -> None:
    # lxml-stubs declare the error log without its iteration.
    assert schema.validate(element), [str(e) for e in cast(Iterable[object], schema.error_log)]
