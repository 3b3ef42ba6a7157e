"""SETU v1.x (HR-XML 2.5, namespace ``http://ns.hr-xml.org/2007-04-15``): TimeCard and
Assignment, read into the version-neutral documents of :mod:`adapters.setu.model`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from lxml import etree

from adapters.base import Issue
from adapters.setu.model import AllowanceEntry, AssignmentDoc, Ref, TimecardDoc, TimeEntry
from adapters.setu.reading import IssueCollector, iso_date, iso_datetime

__all__ = ["HRXML_NS", "read_assignment", "read_timecard", "xpath_of"]

HRXML_NS = "http://ns.hr-xml.org/2007-04-15"
_H = "{" + HRXML_NS + "}"

T = TypeVar("T")


def xpath_of(element: etree._Element) -> str:
    """``/TimeCard/ReportedTime/TimeInterval[2]/Duration``: local names, 1-based positions
    among same-named siblings where there are several."""
    parts: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        name = etree.QName(node).localname
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if isinstance(c.tag, str) and c.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


class _Reader(IssueCollector):
    """Typed access to child elements that records an issue for each bad value."""

    def text(self, parent: etree._Element | None, path: str) -> str | None:
        if parent is None:
            return None
        found = parent.find(path.replace("h:", _H))
        if found is None or found.text is None or not found.text.strip():
            return None
        return found.text.strip()

    def element(self, parent: etree._Element | None, path: str) -> etree._Element | None:
        return None if parent is None else parent.find(path.replace("h:", _H))

    def typed(
        self,
        parent: etree._Element | None,
        path: str,
        parse: Callable[[str], T],
        code: str,
        what: str,
    ) -> T | None:
        raw = self.text(parent, path)
        if raw is None:
            return None
        try:
            return parse(raw)
        except (ValueError, InvalidOperation):
            element = self.element(parent, path)
            where = xpath_of(element) if element is not None else path
            self.issues.append(Issue(where, code, f"{what}: {raw!r} is not valid", value=raw))
            return None

    def attribute_decimal(self, element: etree._Element | None, name: str) -> Decimal | None:
        if element is None or element.get(name) in (None, ""):
            return None
        raw = str(element.get(name))
        try:
            return Decimal(raw)
        except InvalidOperation:
            self.issues.append(
                Issue(f"{xpath_of(element)}/@{name}", "invalid_number", f"{raw!r} is not a number")
            )
            return None


def read_timecard(root: etree._Element) -> TimecardDoc:
    doc = TimecardDoc(version="1.x", syntax="xml")
    r = _Reader(doc.issues)
    doc.timecard_id = r.text(root, "h:Id/h:IdValue")
    person = r.element(root, "h:ReportedResource/h:Person")
    for id_element in person.findall(_H + "Id") if person is not None else []:
        value = r.text(id_element, "h:IdValue")
        if value:
            doc.person_ids.append(Ref(value, id_element.get("idOwner", "")))
    reference = r.element(root, "h:AdditionalData/h:StaffingAdditionalData/h:ReferenceInformation")
    doc.assignment_id = r.text(reference, "h:AssignmentId/h:IdValue")
    r.require(
        doc.where,
        "assignment_id",
        doc.assignment_id,
        "/TimeCard/AdditionalData/StaffingAdditionalData/ReferenceInformation/AssignmentId",
    )
    reported = r.element(root, "h:ReportedTime")
    if reported is None:
        doc.issues.append(Issue("/TimeCard/ReportedTime", "missing_element", "no ReportedTime"))
        return doc
    doc.status = (reported.get("status") or "").strip()
    doc.period_start = r.typed(reported, "h:PeriodStartDate", iso_date, "invalid_date", "date")
    doc.period_end = r.typed(reported, "h:PeriodEndDate", iso_date, "invalid_date", "date")
    r.require(doc.where, "period_start", doc.period_start, "/TimeCard/ReportedTime/PeriodStartDate")
    r.require(doc.where, "period_end", doc.period_end, "/TimeCard/ReportedTime/PeriodEndDate")
    for interval in reported.findall(_H + "TimeInterval"):
        doc.entries.append(_time_entry(r, interval))
    for allowance in reported.findall(_H + "Allowance"):
        where = xpath_of(allowance)
        doc.allowances.append(
            AllowanceEntry(
                where=where,
                code=(allowance.get("type") or "").strip(),
                amount=r.typed(allowance, "h:Amount", Decimal, "invalid_number", "amount"),
                quantity=r.typed(allowance, "h:Quantity", Decimal, "invalid_number", "quantity"),
                action=allowance.get("actionCode"),
            )
        )
    return doc


def _time_entry(r: _Reader, interval: etree._Element) -> TimeEntry:
    where = xpath_of(interval)
    start = r.typed(interval, "h:StartDateTime", iso_datetime, "invalid_date", "date and time")
    end = r.typed(interval, "h:EndDateTime", iso_datetime, "invalid_date", "date and time")
    hours = r.typed(interval, "h:Duration", Decimal, "invalid_number", "duration")
    if hours is None and start is not None and end is not None:
        hours = Decimal(int((end - start).total_seconds()) / 3600).quantize(Decimal("0.01"))
    if hours is None:
        r.issues.append(Issue(f"{where}/Duration", "missing_element", "no Duration and no times"))
    day: date | None = None
    assigned = interval.get("dayAssignment")
    if assigned:
        try:
            day = iso_date(assigned)
        except ValueError:
            r.issues.append(
                Issue(f"{where}/@dayAssignment", "invalid_date", f"{assigned!r} is not a date")
            )
    elif start is not None:
        day = start.date()
    amount = r.element(interval, "h:RateOrAmount")
    rate = r.typed(interval, "h:RateOrAmount", Decimal, "invalid_number", "rate")
    return TimeEntry(
        where=where,
        source_type=(interval.get("type") or "").strip(),
        day=day,
        hours=hours,
        multiplier=r.attribute_decimal(amount, "multiplier"),
        rate=rate if rate else None,  # 0.00: "the rate is in the Assignment"
        action=interval.get("actionCode"),
    )


# HR-XML ReferenceInformation: which element names which party of the assignment.
_PARTY_ELEMENTS = (
    ("customer", "StaffingCustomerId"),
    ("customer_unit", "StaffingCustomerOrgUnitId"),
    ("supplier", "StaffingSupplierId"),
    ("supplier_unit", "StaffingSupplierOrgUnitId"),
    ("worker", "HumanResourceId"),
)


def read_assignment(root: etree._Element) -> AssignmentDoc:
    doc = AssignmentDoc(version="1.x", syntax="xml")
    r = _Reader(doc.issues)
    doc.status = (root.get("assignmentStatus") or "").strip()
    doc.assignment_id = r.text(root, "h:AssignmentId/h:IdValue")
    r.require(doc.where, "assignment_id", doc.assignment_id, "/Assignment/AssignmentId")
    reference = r.element(root, "h:ReferenceInformation")
    for hr in reference.findall(_H + "HumanResourceId") if reference is not None else []:
        value = r.text(hr, "h:IdValue")
        if value:
            doc.worker_ids.append(Ref(value, hr.get("idOwner", "")))
    customer = r.element(reference, "h:StaffingCustomerId")
    doc.customer_id = r.text(customer, "h:IdValue")
    if customer is not None and (customer.get("idOwner") or "").strip().casefold() == "kvk":
        # The customer identified by its Chamber of Commerce number: it is the KvK number.
        doc.customer_kvk = doc.customer_id
    doc.where["worker"] = "/Assignment/ReferenceInformation/HumanResourceId"
    doc.where["customer"] = "/Assignment/ReferenceInformation/StaffingCustomerId"
    assignment_id = r.element(root, "h:AssignmentId")
    if assignment_id is not None:
        doc.assignment_id_owner = (assignment_id.get("idOwner") or "").strip()
    for role, name in _PARTY_ELEMENTS:
        ids = []
        for element in reference.findall(_H + name) if reference is not None else []:
            value = r.text(element, "h:IdValue")
            if value:
                ids.append(Ref(value, (element.get("idOwner") or "").strip()))
        if ids:
            doc.parties.append((role, ids))
    dates = r.element(root, "h:AssignmentDateRange")
    doc.start_date = r.typed(dates, "h:StartDate", iso_date, "invalid_date", "date")
    doc.expected_end = r.typed(dates, "h:ExpectedEndDate", iso_date, "invalid_date", "date")
    doc.actual_end = r.typed(dates, "h:ActualEndDate", iso_date, "invalid_date", "date")
    doc.where["start_date"] = "/Assignment/AssignmentDateRange/StartDate"
    doc.where["end_date"] = "/Assignment/AssignmentDateRange/ActualEndDate"
    for rates in root.findall(_H + "Rates"):
        if rates.get("rateType") != "pay" or r.text(rates, "h:Class") != "TimeInterval":
            continue
        multiplier = r.text(rates, "h:Multiplier")
        if multiplier not in (None, "100"):
            continue
        doc.hourly_rate = r.typed(rates, "h:Amount", Decimal, "invalid_number", "rate")
        doc.where["hourly_rate"] = xpath_of(rates) + "/Amount"
        break
    for shift in root.findall(_H + "StaffingShift"):
        if shift.get("shiftPeriod") == "weekly":
            doc.hours_per_week = r.typed(shift, "h:Hours", Decimal, "invalid_number", "hours")
            doc.where["hours_per_week"] = xpath_of(shift) + "/Hours"
            break
    extension = _nl_extension(root)
    if extension is not None:
        namespace = etree.QName(extension).namespace or ""
        prefix = "{" + namespace + "}"
        doc.job_title = _child_text(extension, prefix + "JobTitle")
        doc.reason_of_change = _child_text(extension, prefix + "ReasonOfChange")
        doc.where["job_title"] = xpath_of(extension) + "/JobTitle"
    return doc


def _nl_extension(root: etree._Element) -> etree._Element | None:
    area = root.find(_H + "UserArea")
    if area is None:
        return None
    for child in area:
        if isinstance(child.tag, str) and etree.QName(child).localname == "AssignmentAdditionalNL":
            return child
    return None


def _child_text(parent: etree._Element, tag: str) -> str | None:
    found = parent.find(tag)
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()
