"""The mechanics every entity mapping shares: reading an object's elements, and turning a W
mutation (old and new object) into only the fields that really changed.

A canonical field (``name``, ``address``) is built from one or more StUF elements (its
*parts*). In a W/C/F mutation:

* no part present in the new object        -> unchanged, the field does not appear;
* parts present: the new value is built from the new object's parts, falling back to the old
  object's value for parts the new object leaves out, and compared with the old value built
  from the old object: equal -> no real change, the field does not appear;
* the built new value is empty (every part ``geenWaarde`` / ``xsi:nil``) -> *cleared*;
* every present part is ``waardeOnbekend`` / ``vastgesteldOnbekend`` -> *unknown*.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime
from typing import Any, TypeVar

from lxml import etree
from pydantic import BaseModel, ValidationError

from adapters.base import Draft, Issue
from adapters.issues import issues_from_validation_error
from adapters.stuf.mapping.context import MappingContext
from adapters.stuf.namespaces import STUF, qname
from adapters.stuf.values import (
    ABSENT,
    UNKNOWN,
    Marker,
    StufDate,
    StufValueError,
    parse_tijdstip,
    read,
    read_date,
    state_of,
)
from schemas.envelope import CloudEvent

__all__ = [
    "Change",
    "FieldSpec",
    "Issues",
    "ObjectView",
    "change_draft",
    "changes",
    "initial_values",
    "one_draft",
    "read_date_part",
    "read_group",
    "read_text",
]

_UNCHANGED_OLD = object()


class ObjectView:
    """One StUF object (``<object StUF:entiteittype=...>``) of a sector namespace."""

    def __init__(self, element: etree._Element, namespace: str, where: str) -> None:
        self.element = element
        self.namespace = namespace
        self.where = where

    def child(self, name: str) -> etree._Element | None:
        return self.element.find(qname(self.namespace, name))

    def present(self, name: str) -> bool:
        return state_of(self.child(name)) is not ABSENT

    def text(self, name: str) -> str | Marker:
        return read(self.child(name))

    def date(self, name: str) -> StufDate | Marker:
        try:
            return read_date(self.child(name))
        except StufValueError as exc:
            raise StufValueError(f"{name}: {exc}") from None

    def group(self, name: str) -> ObjectView | Marker:
        element = self.child(name)
        marker = state_of(element)
        if marker is not None:
            return marker
        assert element is not None
        return ObjectView(element, self.namespace, f"{self.where}/{name}")

    def geldigheid(self) -> tuple[Date | None, Date | None]:
        """StUF:tijdvakGeldigheid as dates (begin, end); None where not given."""
        tijdvak = self.element.find(qname(STUF, "tijdvakGeldigheid"))
        if tijdvak is None:
            return None, None
        return (
            _tijdstip_date(tijdvak.find(qname(STUF, "beginGeldigheid"))),
            _tijdstip_date(tijdvak.find(qname(STUF, "eindGeldigheid"))),
        )


def _tijdstip_date(element: etree._Element | None) -> Date | None:
    value = read(element)
    if isinstance(value, Marker):
        return None
    return parse_tijdstip(value).date()


T = TypeVar("T")


# --- readers: one element of an object -> its raw value or a Marker --------------------------
Reader = Callable[[ObjectView, str], Any]


def read_text(view: ObjectView, name: str) -> str | Marker:
    return view.text(name)


def read_date_part(view: ObjectView, name: str) -> StufDate | Marker:
    return view.date(name)


def read_group(*children: tuple[str, Reader]) -> Reader:
    """A group element (address, period) read as a dict of its children; the group is sent
    whole, so an absent child inside a present group is empty, not unchanged."""

    def reader(view: ObjectView, name: str) -> dict[str, Any] | Marker:
        group = view.group(name)
        if isinstance(group, Marker):
            return group
        return {child: clean(read_child(group, child)) for child, read_child in children}

    return reader


def clean(value: Any) -> Any:
    """Markers become None (empty); UNKNOWN stays so builders can tell it apart."""
    if value is UNKNOWN:
        return UNKNOWN
    return None if isinstance(value, Marker) else value


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A canonical field built from StUF elements."""

    name: str
    parts: tuple[str, ...]
    #: Resolved part values (None when empty, UNKNOWN when unknown) -> canonical value, None
    #: when empty, or UNKNOWN when it cannot be known (a partial date for a full-date field).
    build: Callable[[Mapping[str, Any]], Any]
    read: Reader = read_text


@dataclass(frozen=True, slots=True)
class Change:
    name: str
    value: Any  # canonical value; None = cleared; UNKNOWN = unknown


@dataclass
class Issues:
    """Collects every problem of one message; never stops at the first."""

    found: list[Issue] = field(default_factory=list)

    def add(self, where: str, code: str, message: str, field_name: str | None = None) -> None:
        self.found.append(Issue(where=where, code=code, message=message, field=field_name))

    def add_validation(self, where: str, error: ValidationError) -> None:
        for issue in issues_from_validation_error(error, where=where):
            label = f"{issue.field}: " if issue.field else ""
            self.found.append(
                Issue(issue.where, issue.code, f"{label}{issue.message}", field=issue.field)
            )

    def attempt(
        self, where: str, field_name: str | None, make: Callable[..., T], *args: Any
    ) -> T | None:
        """``make(*args)``, or None with the issues it raised: a :class:`StufValueError` is
        one about ``field_name``, a ``ValidationError`` one per error."""
        try:
            return make(*args)
        except StufValueError as exc:
            self.add(where, "invalid-value", str(exc), field_name)
        except ValidationError as exc:
            self.add_validation(where, exc)
        return None

    def __bool__(self) -> bool:
        return bool(self.found)


def _raw(spec: FieldSpec, view: ObjectView, part: str) -> Any:
    return spec.read(view, part)


def initial_values(specs: Sequence[FieldSpec], view: ObjectView, issues: Issues) -> dict[str, Any]:
    """For T: every field the object fills (empty and unknown fields are left out)."""
    values: dict[str, Any] = {}
    for spec in specs:
        value = issues.attempt(view.where, spec.name, _initial, spec, view)
        if value is not None and value is not UNKNOWN:
            values[spec.name] = value
    return values


def _initial(spec: FieldSpec, view: ObjectView) -> Any:
    resolved = {part: clean(_raw(spec, view, part)) for part in spec.parts}
    if all(v is None or v is UNKNOWN for v in resolved.values()):
        return None
    return spec.build(resolved)


def changes(
    specs: Sequence[FieldSpec], old: ObjectView, new: ObjectView, issues: Issues
) -> list[Change]:
    """For W, C and F: only the fields that really changed (see the module docstring)."""
    found = []
    for spec in specs:
        change = issues.attempt(new.where, spec.name, _change, spec, old, new)
        if change is not None:
            found.append(change)
    return found


def _change(spec: FieldSpec, old: ObjectView, new: ObjectView) -> Change | None:
    given = [part for part in spec.parts if new.present(part)]
    if not given:
        return None
    new_raw = {
        part: _raw(spec, new, part) if part in given else _raw(spec, old, part)
        for part in spec.parts
    }
    old_raw = {part: _raw(spec, old, part) for part in spec.parts}
    if all(new_raw[part] is UNKNOWN for part in given):
        if all(old_raw[part] is UNKNOWN for part in given):
            return None
        return Change(spec.name, UNKNOWN)
    new_value = spec.build({part: clean(value) for part, value in new_raw.items()})
    try:
        old_value = spec.build({part: clean(value) for part, value in old_raw.items()})
    except (StufValueError, ValidationError):
        old_value = _UNCHANGED_OLD  # an unreadable old state: the new value is a change
    if new_value == old_value:
        return None
    return Change(spec.name, new_value)


def change_draft(
    event: type[CloudEvent],
    model: type[BaseModel],
    found: Sequence[Change],
    identity: Mapping[str, Any],
    new: ObjectView,
    sent_at: datetime | None,
    issues: Issues,
) -> list[Draft]:
    """The ``*.changed`` draft of a W mutation: the real changes as values, ``geenWaarde`` as
    ``cleared``, ``waardeOnbekend`` as ``unknown`` (schemas.changes.ChangeSet)."""
    changed = {c.name: c.value for c in found if c.value is not None and c.value is not UNKNOWN}
    data = issues.attempt(
        new.where,
        None,
        lambda: model(
            **identity,
            effective_date=new.geldigheid()[0],
            cleared=[c.name for c in found if c.value is None],
            unknown=[c.name for c in found if c.value is UNKNOWN],
            **changed,
        ),
    )
    return [] if data is None else [Draft(event, data, sent_at, new.where)]


def one_draft(
    event: type[CloudEvent],
    build: Callable[[], BaseModel],
    view: ObjectView,
    ctx: MappingContext,
    issues: Issues,
    field_name: str | None = None,
) -> list[Draft]:
    """The draft of a T or V mutation, with the data ``build()`` makes: a
    :class:`StufValueError` it raises is an issue about ``field_name``, a ``ValidationError``
    an issue per error."""
    data = issues.attempt(view.where, field_name, build)
    return [] if data is None else [Draft(event, data, ctx.sent_at, view.where)]


Single = Callable[[ObjectView, MappingContext, Issues], list[Draft]]
Pair = Callable[[ObjectView, ObjectView, MappingContext, Issues], list[Draft]]


def by_mutation(
    objects: list[ObjectView],
    ctx: MappingContext,
    issues: Issues,
    *,
    added: Single,
    removed: Single,
    changed: Pair,
) -> list[Draft]:
    """T maps the new object, V the removed one; W, C and F map old and new together."""
    if ctx.mutatiesoort == "T":
        return added(objects[0], ctx, issues)
    if ctx.mutatiesoort == "V":
        return removed(objects[0], ctx, issues)
    return changed(objects[0], objects[1], ctx, issues)
