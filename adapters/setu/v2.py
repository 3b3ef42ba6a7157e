"""SETU v2.0 (namespace ``https://ontology.setu.nl/messages``) Timecard and Assignment, in
XML or JSON. Both syntaxes have the same structure, so both are first turned into one neutral
tree (:class:`Node`) that remembers each value's XPath or JSON pointer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar

from lxml import etree

from adapters.base import Issue
from adapters.setu.model import AllowanceEntry, AssignmentDoc, Ref, TimecardDoc, TimeEntry
from adapters.setu.reading import IssueCollector, iso_date, iso_datetime

__all__ = ["SETU_V2_NS", "Node", "from_json", "from_xml", "read_assignment", "read_timecard"]

SETU_V2_NS = "https://ontology.setu.nl/messages"
T = TypeVar("T")


@dataclass(slots=True)
class Node:
    where: str
    text: str | None = None
    children: dict[str, list[Node]] = field(default_factory=dict)

    def all(self, name: str) -> list[Node]:
        return self.children.get(name, [])

    def one(self, *path: str) -> Node | None:
        node: Node | None = self
        for name in path:
            if node is None:
                return None
            found = node.all(name)
            node = found[0] if found else None
        return node

    def value(self, *path: str) -> str | None:
        node = self.one(*path)
        if node is None or node.text is None or not node.text.strip():
            return None
        return node.text.strip()


def from_xml(element: etree._Element, path: str | None = None) -> Node:
    here = path if path is not None else "/" + etree.QName(element).localname
    node = Node(where=here)
    children = [c for c in element if isinstance(c.tag, str)]
    if not children:
        node.text = element.text
        return node
    totals = Counter(etree.QName(c).localname for c in children)
    seen: Counter[str] = Counter()
    for child in children:
        local = etree.QName(child).localname
        seen[local] += 1
        child_path = f"{here}/{local}[{seen[local]}]" if totals[local] > 1 else f"{here}/{local}"
        node.children.setdefault(local, []).append(from_xml(child, child_path))
    return node


def from_json(value: Any, where: str = "#") -> Node:
    if isinstance(value, dict):
        node = Node(where=where)
        for key, item in value.items():
            items = item if isinstance(item, list) else [item]
            node.children[key] = [
                from_json(
                    entry, f"{where}/{key}/{i}" if isinstance(item, list) else f"{where}/{key}"
                )
                for i, entry in enumerate(items)
            ]
        return node
    if isinstance(value, bool):
        return Node(where=where, text="true" if value else "false")
    return Node(where=where, text=None if value is None else str(value))


class _Reader(IssueCollector):
    def typed(
        self, node: Node | None, path: tuple[str, ...], parse: Callable[[str], T], what: str
    ) -> T | None:
        if node is None:
            return None
        target = node.one(*path)
        raw = node.value(*path)
        if raw is None or target is None:
            return None
        try:
            return parse(raw)
        except (ValueError, InvalidOperation):
            code = "invalid_date" if what == "date" else "invalid_number"
            self.issues.append(
                Issue(target.where, code, f"{raw!r} is not a valid {what}", value=raw)
            )
            return None


def _refs(nodes: list[Node]) -> list[Ref]:
    found = []
    for node in nodes:
        value = node.value("value")
        if value:
            found.append(Ref(value, node.value("schemeAgencyId") or ""))
    return found


def _party_refs(party: Node) -> list[Ref]:
    """A v2 organisation's identifiers: its ids (owned by whoever issued them), its legal id
    (``KvK``) and tax id (``BTW``)."""
    refs = _refs(party.all("id"))
    for name in ("legalId", "taxId"):
        value = party.value(name, "value")
        if value:
            refs.append(Ref(value, party.value(name, "schemeAgencyId") or ""))
    return refs


def _path(root: Node, syntax: str, *names: str) -> str:
    if syntax == "json":
        return "#/" + "/".join(names)
    return root.where + "/" + "/".join(names)


def read_timecard(root: Node, syntax: Literal["xml", "json"]) -> TimecardDoc:
    doc = TimecardDoc(version="2.0", syntax=syntax)
    r = _Reader(doc.issues)
    doc.timecard_id = root.value("documentId", "value")
    r.require(doc.where, "timecard_id", doc.timecard_id, _path(root, syntax, "documentId"))
    person = root.one("person")
    doc.person_ids = _refs(person.all("id")) if person is not None else []
    doc.assignment_id = root.value("staffingIds", "assignmentId", "value")
    r.require(
        doc.where,
        "assignment_id",
        doc.assignment_id,
        _path(root, syntax, "staffingIds", "assignmentId"),
    )
    period = root.one("period", "datePeriod")
    doc.period_start = r.typed(period, ("start",), iso_date, "date")
    doc.period_end = r.typed(period, ("end",), iso_date, "date")
    where_period = _path(root, syntax, "period", "datePeriod")
    r.require(doc.where, "period_start", doc.period_start, where_period + "/start")
    r.require(doc.where, "period_end", doc.period_end, where_period + "/end")
    for interval in root.all("timeInterval"):
        start = r.typed(interval, ("period", "dateTimePeriod", "start"), iso_datetime, "date")
        end = r.typed(interval, ("period", "dateTimePeriod", "end"), iso_datetime, "date")
        hours = r.typed(interval, ("timeTotal",), Decimal, "number")
        if hours is None and start is not None and end is not None:
            hours = Decimal(int((end - start).total_seconds()) / 3600).quantize(Decimal("0.01"))
        if hours is None:
            doc.issues.append(
                Issue(interval.where + "/timeTotal", "missing_element", "no timeTotal and no times")
            )
        pay = interval.one("payRates")
        rate = r.typed(pay, ("amount", "value"), Decimal, "number")
        doc.entries.append(
            TimeEntry(
                where=interval.where,
                source_type=interval.value("typeCode", "value") or "",
                day=start.date() if start is not None else None,
                hours=hours,
                multiplier=r.typed(pay, ("multiplier",), Decimal, "number"),
                rate=rate if rate else None,
            )
        )
    for allowance in root.all("allowance"):
        doc.allowances.append(
            AllowanceEntry(
                where=allowance.where,
                code=allowance.value("typeCode", "value") or "",
                amount=r.typed(allowance, ("amount", "value"), Decimal, "number"),
                quantity=r.typed(allowance, ("quantity",), Decimal, "number"),
            )
        )
    return doc


def read_assignment(root: Node, syntax: Literal["xml", "json"]) -> AssignmentDoc:
    doc = AssignmentDoc(version="2.0", syntax=syntax)
    r = _Reader(doc.issues)
    doc.assignment_id = root.value("documentId", "value")
    r.require(doc.where, "assignment_id", doc.assignment_id, _path(root, syntax, "documentId"))
    worker = root.one("assignedWorker")
    doc.worker_ids = _refs(worker.all("workerId")) if worker is not None else []
    doc.where["worker"] = _path(root, syntax, "assignedWorker", "workerId")
    customer = root.one("customer")
    if customer is not None:
        ids = _refs(customer.all("id"))
        doc.customer_id = ids[0].value if ids else None
        if customer.value("legalId", "schemeAgencyId") == "KvK":
            doc.customer_kvk = customer.value("legalId", "value")
    doc.where["customer"] = _path(root, syntax, "customer")
    doc.assignment_id_owner = root.value("documentId", "schemeAgencyId") or ""
    for role, unit_role, name in (
        ("customer", "customer_unit", "customer"),
        ("supplier", "supplier_unit", "supplier"),
    ):
        party = root.one(name)
        if party is None:
            continue
        doc.parties.append((role, _party_refs(party)))
        for establishment in party.all("establishment"):
            doc.parties.append((unit_role, _party_refs(establishment)))
    if doc.worker_ids:
        doc.parties.append(("worker", list(doc.worker_ids)))
    doc.parties = [(role, ids) for role, ids in doc.parties if ids]
    position = root.one("positionProfile")
    period = position.one("positionPeriod") if position is not None else None
    doc.start_date = r.typed(period, ("start",), iso_date, "date")
    doc.expected_end = r.typed(period, ("expectedEnd",), iso_date, "date")
    doc.actual_end = r.typed(period, ("actualEnd",), iso_date, "date")
    doc.where["start_date"] = _path(root, syntax, "positionProfile", "positionPeriod", "start")
    doc.where["end_date"] = _path(root, syntax, "positionProfile", "positionPeriod", "actualEnd")
    doc.job_title = position.value("positionTitle") if position is not None else None
    doc.where["job_title"] = _path(root, syntax, "positionProfile", "positionTitle")
    for working in position.all("workingPeriods") if position is not None else []:
        if working.value("baseDuration", "unitCode", "value") != "Weekly":
            continue
        if working.value("workDuration", "unitCode", "value") != "Hours":
            continue
        hours = r.typed(working, ("workDuration", "value"), Decimal, "number")
        weeks = r.typed(working, ("baseDuration", "value"), Decimal, "number") or Decimal(1)
        if hours is not None:
            doc.hours_per_week = (hours / weeks).quantize(Decimal("0.01"))
            doc.where["hours_per_week"] = working.where + "/workDuration"
        break
    for rate in root.all("payRates"):
        if rate.value("rateType") != "TimeInterval":
            continue
        if rate.value("multiplier") not in (None, "100"):
            continue
        if rate.value("intervalCode", "value") not in ("HourlyConsolidated", "HourlySplit"):
            continue
        doc.hourly_rate = r.typed(rate, ("amount", "value"), Decimal, "number")
        doc.where["hourly_rate"] = rate.where + "/amount"
        break
    doc.reason_of_change = root.value("reasonOfChange")
    return doc
