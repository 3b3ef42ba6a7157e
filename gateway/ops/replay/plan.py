"""The plan shown before any replay runs: how many messages match, what they are, a sample,
and for re-translate a diff between the stored and the new canonical output (masked)."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.base import Draft
from gateway.ops.masking import pretty_json
from gateway.ops.queries import SUMMARY_COLUMNS, MessageSummary
from gateway.ops.replay.model import ReplayKind, Selection, eligible_conditions, selected_conditions
from gateway.ops.replay.retranslate import RetranslateError, Retranslator, SourcePayload
from gateway.store.tables import messages

__all__ = ["Plan", "id_chunks", "make_plan"]

_ID_CHUNK = 10_000
#: A re-translation plan translates at most this many messages to say what will happen.
_PREVIEW_LIMIT = 10_000


def id_chunks(selection: Selection) -> Iterator[list[ColumnElement[bool]]]:
    """Extra conditions per query: the ids in chunks (SQLite caps bound parameters), or none."""
    if selection.message_ids is None:
        yield []
        return
    ids = sorted(set(selection.message_ids))
    for start in range(0, len(ids), _ID_CHUNK):
        yield [messages.c.id.in_(ids[start : start + _ID_CHUNK])]


@dataclass
class Plan:
    kind: ReplayKind
    selection: Selection
    #: Messages the replay would touch.
    total: int
    #: Messages that match but are in a state this kind of replay leaves alone.
    not_eligible: int
    #: The highest outbox seq in the set: pass it as ``up_to_seq`` to replay exactly this set.
    max_seq: int | None
    by_state: dict[str, int]
    by_type: dict[str, int]
    by_error_code: dict[str, int]
    sample: list[dict[str, Any]]
    diffs: list[dict[str, Any]] = field(default_factory=list)
    #: What the replay will do with the messages it touches: ``republished``; or for a
    #: re-translation ``retranslated`` (a superseding message), ``unchanged`` (skipped: the
    #: same message again) and ``refused`` (an error item, reasons in ``refusals``).
    outcomes: dict[str, int] = field(default_factory=dict)
    refusals: dict[str, int] = field(default_factory=dict)
    #: Messages beyond the preview limit, whose outcome the plan did not work out.
    not_previewed: int = 0

    @property
    def will_replay(self) -> int:
        """The messages that really get a new publication."""
        return self.outcomes.get("republished", 0) + self.outcomes.get("retranslated", 0)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "selection": self.selection.model_dump(mode="json", exclude_none=True),
            "total": self.total,
            "not_eligible": self.not_eligible,
            "max_seq": self.max_seq,
            "by_state": self.by_state,
            "by_type": self.by_type,
            "by_error_code": self.by_error_code,
            "sample": self.sample,
            "diffs": self.diffs,
            "outcomes": self.outcomes,
            "refusals": self.refusals,
            "not_previewed": self.not_previewed,
            "will_replay": self.will_replay,
        }


async def make_plan(
    conn: AsyncConnection,
    kind: ReplayKind,
    selection: Selection,
    *,
    sample_size: int,
    retranslator: Retranslator,
) -> Plan:
    by_state: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    by_error: Counter[str] = Counter()
    matching = 0
    max_seq: int | None = None
    sample_rows: list[MessageSummary] = []
    eligible = eligible_conditions(kind, selection)
    for extra in id_chunks(selection):
        matching += int(
            await conn.scalar(
                select(func.count())
                .select_from(messages)
                .where(*selected_conditions(selection), *extra)
            )
            or 0
        )
        rows = await conn.execute(
            select(
                messages.c.state,
                messages.c.type,
                messages.c.error_code,
                func.count(),
                func.max(messages.c.seq),
            )
            .where(*eligible, *extra)
            .group_by(messages.c.state, messages.c.type, messages.c.error_code)
        )
        for state, type_, code, n, top in rows:
            by_state[state] += n
            by_type[type_] += n
            by_error[code or ""] += n
            max_seq = top if max_seq is None else max(max_seq, top)
        found = await conn.execute(
            select(*SUMMARY_COLUMNS)
            .where(*eligible, *extra)
            .order_by(messages.c.seq)
            .limit(sample_size)
        )
        sample_rows.extend(MessageSummary(*r) for r in found)
    sample_rows = sorted(sample_rows, key=lambda r: r.seq)[:sample_size]
    total = sum(by_state.values())
    plan = Plan(
        kind=kind,
        selection=selection,
        total=total,
        not_eligible=(
            len(set(selection.message_ids)) if selection.message_ids is not None else matching
        )
        - total,
        max_seq=max_seq,
        by_state=dict(sorted(by_state.items())),
        by_type=dict(sorted(by_type.items())),
        by_error_code=dict(sorted(by_error.items())),
        sample=[r.as_json() for r in sample_rows],
    )
    if kind is ReplayKind.RETRANSLATE:
        plan.diffs = [await _diff(conn, retranslator, r.id) for r in sample_rows]
        await _preview(conn, retranslator, plan, eligible)
    else:
        plan.outcomes = {"republished": total}
    return plan


async def _preview(
    conn: AsyncConnection,
    retranslator: Retranslator,
    plan: Plan,
    eligible: list[ColumnElement[bool]],
) -> None:
    """Works out, message by message as the runner will, what a re-translation does: a new
    message, the same message (skipped) or a refusal (from an uploaded file, purged, does not
    translate)."""
    outcomes: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    previewed = 0
    sources: dict[str, SourcePayload | RetranslateError] = {}
    drafts: dict[str, list[Draft]] = {}
    for extra in id_chunks(plan.selection):
        rows = await conn.execute(
            select(messages)
            .where(*eligible, *extra)
            .order_by(messages.c.seq)
            .limit(_PREVIEW_LIMIT - previewed)
        )
        for message in rows:
            previewed += 1
            try:
                if message.inbound_id not in sources:
                    try:
                        source = await retranslator.load_source(conn, message.inbound_id)
                        sources[message.inbound_id] = source
                        drafts[message.inbound_id] = retranslator.translate(source)
                    except RetranslateError as exc:
                        sources[message.inbound_id] = exc
                loaded = sources[message.inbound_id]
                if isinstance(loaded, RetranslateError):
                    raise loaded
                index = await retranslator.index_of(conn, message, loaded)
                record = retranslator.record(
                    loaded,
                    drafts[message.inbound_id],
                    index,
                    replaces=message.id,
                    generation="plan",
                )
            except RetranslateError as exc:
                outcomes["refused"] += 1
                refusals[str(exc)] += 1
                continue
            same = record.value == message.value and record.type == message.type
            outcomes["unchanged" if same else "retranslated"] += 1
        if previewed >= _PREVIEW_LIMIT:
            break
    plan.outcomes = {k: outcomes[k] for k in ("retranslated", "unchanged", "refused")}
    plan.refusals = dict(refusals.most_common())
    plan.not_previewed = plan.total - previewed


async def _diff(
    conn: AsyncConnection, retranslator: Retranslator, message_id: str
) -> dict[str, Any]:
    message = (await conn.execute(select(messages).where(messages.c.id == message_id))).one()
    before = pretty_json(message.value)
    result: dict[str, Any] = {"message_id": message_id, "type": message.type}
    try:
        source = await retranslator.load_source(conn, message.inbound_id)
        index = await retranslator.index_of(conn, message, source)
        drafts = retranslator.translate(source)
        record = retranslator.record(source, drafts, index, replaces=message.id, generation="plan")
    except RetranslateError as exc:
        result.update(changed=False, error=str(exc), diff="")
        return result
    after = pretty_json(record.value)
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), "stored", "re-translated", lineterm="", n=2
    )
    diff = "\n".join(lines)
    result.update(
        changed=bool(diff) or record.type != message.type,
        new_type=record.type,
        error=None,
        diff=diff,
    )
    return result
