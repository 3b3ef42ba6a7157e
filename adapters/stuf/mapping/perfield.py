"""Per-field change sets (``*.changed`` v2): every canonical field is one StUF element (or one
group, such as an address), and each gets an explicit state (schemas.fields).

In a W, C or F mutation (old object, then new):

* element absent from the new object                 -> unchanged, the field is left out;
* a value, and the old object has the same value     -> unchanged;
* a value, the old object has another one            -> ``modified`` (old and new);
* a value, the old object has none (absent, empty)   -> ``set``;
* ``geenWaarde`` / ``xsi:nil`` / empty               -> ``cleared`` (with the old value if any);
* ``waardeOnbekend`` / ``vastgesteldOnbekend``       -> ``unknown`` (with the old value if any);
  a partial date where a date is needed counts as unknown;
* cleared or unknown in both objects                 -> unchanged.

A T mutation is a snapshot: every element given is ``set``, ``cleared`` or ``unknown``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from adapters.stuf.mapping.fields import Issues, ObjectView, clean
from adapters.stuf.values import CLEARED, UNKNOWN, Marker, StufDate, StufValueError

__all__ = [
    "Attr",
    "date_attr",
    "field_changes",
    "group_attr",
    "snapshot",
    "text_attr",
    "unread_elements",
]

Reader = Callable[[ObjectView, str], Any]


@dataclass(frozen=True, slots=True)
class Attr:
    """One canonical field made of one StUF element of an object."""

    name: str
    element: str
    #: Object and element name -> the raw value, or a Marker (absent, cleared, unknown).
    read: Reader
    #: Raw value -> canonical value (or UNKNOWN when it cannot be one, e.g. a partial date);
    #: raises StufValueError for a value StUF does not allow.
    convert: Callable[[Any], Any] = lambda value: value


def text_attr(name: str, element: str) -> Attr:
    return Attr(name, element, lambda view, part: view.text(part))


def _date(value: Any) -> Any:
    assert isinstance(value, StufDate)
    return value.as_date() if value.complete else UNKNOWN


def date_attr(name: str, element: str) -> Attr:
    return Attr(name, element, lambda view, part: view.date(part), _date)


def group_attr(
    name: str,
    element: str,
    children: Sequence[tuple[str, Reader]],
    build: Callable[[dict[str, Any]], Any],
) -> Attr:
    """A group sent whole: an empty group (every child absent or empty) is cleared; a group
    whose every given child is unknown is unknown; otherwise ``build`` gets the children (None
    for absent, empty or unknown ones)."""

    def read(view: ObjectView, part: str) -> Any:
        group = view.group(part)
        if isinstance(group, Marker):
            return group
        values = {child: clean(reader(group, child)) for child, reader in children}
        given = [v for v in values.values() if v is not None]
        if not given:
            return CLEARED
        if all(v is UNKNOWN for v in given):
            return UNKNOWN
        return {k: None if v is UNKNOWN else v for k, v in values.items()}

    return Attr(name, element, read, build)


def _state(attr: Attr, view: ObjectView) -> tuple[Marker | None, Any]:
    """(marker, None) for an element without a value; (None, value) otherwise."""
    raw = attr.read(view, attr.element)
    if isinstance(raw, Marker):
        return raw, None
    value = attr.convert(raw)
    if value is UNKNOWN:
        return UNKNOWN, None
    return None, value


def _old_state(attr: Attr, view: ObjectView) -> tuple[Marker | None, Any]:
    try:
        return _state(attr, view)
    except (StufValueError, ValueError):
        # An old value that is no valid value is no old value to report.
        return Marker.ABSENT, None


def field_changes(
    attrs: Sequence[Attr], old: ObjectView, new: ObjectView, issues: Issues
) -> dict[str, dict[str, Any]]:
    """Field name -> ``{"state", "old", "new"}`` for every field that really changed."""
    found: dict[str, dict[str, Any]] = {}
    for attr in attrs:
        if not new.present(attr.element):
            continue
        try:
            new_marker, new_value = _state(attr, new)
        except (StufValueError, ValueError) as exc:
            issues.add(new.where, "invalid-value", f"{attr.element}: {exc}", attr.name)
            continue
        old_marker, old_value = _old_state(attr, old)
        if new_marker is None:
            if old_marker is None:
                if old_value != new_value:
                    found[attr.name] = {"state": "modified", "old": old_value, "new": new_value}
            else:
                found[attr.name] = {"state": "set", "new": new_value}
            continue
        if new_marker is old_marker:
            continue
        state = "unknown" if new_marker is UNKNOWN else "cleared"
        found[attr.name] = {"state": state, "old": old_value}
    return found


def snapshot(attrs: Sequence[Attr], view: ObjectView, issues: Issues) -> dict[str, dict[str, Any]]:
    """Field name -> ``{"state", "new"}`` for every field the object gives (a T mutation)."""
    found: dict[str, dict[str, Any]] = {}
    for attr in attrs:
        if not view.present(attr.element):
            continue
        try:
            marker, value = _state(attr, view)
        except (StufValueError, ValueError) as exc:
            issues.add(view.where, "invalid-value", f"{attr.element}: {exc}", attr.name)
            continue
        if marker is None:
            found[attr.name] = {"state": "set", "new": value}
        else:
            found[attr.name] = {"state": "unknown" if marker is UNKNOWN else "cleared"}
    return found


def unread_elements(view: ObjectView, read: Sequence[str]) -> list[str]:
    """Elements of the object that no field reads (for the "nothing to publish" reason)."""
    known = set(read)
    names = []
    for child in view.element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name not in known and name not in names:
            names.append(name)
    return names
