"""One vocabulary of states: every state the code writes is in gateway/states.py, the store
refuses any other (CHECK constraints, SQLite and PostgreSQL), and the migration's frozen lists
are the enums."""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import String, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from gateway.states import (
    INBOUND_TRANSITIONS,
    MESSAGE_TRANSITIONS,
    STATE_COLUMNS,
    EventState,
    IllegalTransition,
    InboundState,
    MessageState,
    can_move_inbound,
    sources_of_inbound,
)
from gateway.store import Store, upgrade
from gateway.store.history import Event, record_event
from gateway.store.tables import message_events, metadata

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = ROOT / "gateway"
MIGRATION = GATEWAY / "store" / "migrations" / "versions" / "0005_states.py"
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0005_states", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the table ---------------------------------------------------------------------------------
def test_every_state_has_its_row_in_the_transition_tables() -> None:
    assert set(MESSAGE_TRANSITIONS) == set(MessageState)
    assert set(INBOUND_TRANSITIONS) == set(InboundState)


def test_a_files_staged_messages_only_go_to_the_outbox() -> None:
    assert MESSAGE_TRANSITIONS[MessageState.STAGED] == {MessageState.QUEUED}
    assert all(MessageState.STAGED not in targets for targets in MESSAGE_TRANSITIONS.values())


def test_uploads_move_along_the_inbound_table() -> None:
    received, validating = InboundState.RECEIVED, InboundState.VALIDATING
    assert can_move_inbound(received, validating)
    assert can_move_inbound(validating, received)  # the restart
    for verdict in (
        InboundState.ACCEPTED,
        InboundState.PARTIALLY_ACCEPTED,
        InboundState.REJECTED,
    ):
        assert can_move_inbound(validating, verdict)
    assert not can_move_inbound(received, InboundState.PARTIALLY_ACCEPTED)
    assert not can_move_inbound(InboundState.PARTIALLY_ACCEPTED, received)
    assert not can_move_inbound("bogus", received)
    assert sources_of_inbound(InboundState.ACCEPTED) == ["received", "rejected", "validating"]


def test_history_states_are_the_message_and_inbound_states_and_purged() -> None:
    expected = {*MessageState, *InboundState, "purged"}
    assert {s.value for s in EventState} == {str(s) for s in expected}


def test_history_columns_hold_the_longest_state() -> None:
    for (table, column), states in STATE_COLUMNS.items():
        column_type = metadata.tables[table].c[column].type
        assert isinstance(column_type, String) and column_type.length, (table, column)
        length = column_type.length
        assert max(len(s.value) for s in states) <= length, (table, column)


# --- the migration's frozen lists --------------------------------------------------------------
def test_the_migrations_check_lists_are_the_enums() -> None:
    checks: dict[tuple[str, str], tuple[str, ...]] = _migration().CHECKS
    assert set(checks) == set(STATE_COLUMNS)
    for key, states in STATE_COLUMNS.items():
        assert sorted(checks[key]) == sorted(s.value for s in states), key
        assert len(set(checks[key])) == len(checks[key]), key


# --- the source writes only known states -------------------------------------------------------
_COLUMNS = frozenset({"state", "outcome"})
_SQL = re.compile(r"\b(?:state|outcome)\s*(?:=|!=|<>)\s*'([^']*)'", re.IGNORECASE)
_SQL_IN = re.compile(r"\b(?:state|outcome)\s+IN\s*\(([^)]*)\)", re.IGNORECASE)
KNOWN = frozenset(s.value for states in STATE_COLUMNS.values() for s in states)


def _strings(node: ast.AST) -> Iterator[tuple[int, str]]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.lineno, node.value
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for element in node.elts:
            yield from _strings(element)
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)


def _is_column(node: ast.AST) -> bool:
    """``table.c.state`` (or ``.outcome``): a state column in a query."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr in _COLUMNS
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "c"
    )


def unknown_states(source: str, name: str = "<source>") -> list[str]:
    """String literals written to or compared with a state column that are not states:
    ``state=`` keywords, ``"state":`` keys, ``table.c.state == / != / .in_()`` and SQL text."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        candidates: list[ast.AST] = []
        if isinstance(node, ast.keyword) and node.arg in _COLUMNS:
            candidates.append(node.value)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in _COLUMNS:
                    candidates.append(value)
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_column(side) for side in sides):
                candidates.extend(sides)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("in_", "not_in")
            and _is_column(node.func.value)
        ):
            candidates.extend(node.args)
        for candidate in candidates:
            found.extend((line, s) for line, s in _strings(candidate) if s not in KNOWN)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            values = _SQL.findall(node.value)
            for listed in _SQL_IN.findall(node.value):
                values.extend(v.strip().strip("'") for v in listed.split(","))
            found.extend((node.lineno, v) for v in values if v not in KNOWN)
    return [f"{name}:{line}: {value!r}" for line, value in found]


def _gateway_sources() -> Iterator[Path]:
    for path in sorted(GATEWAY.rglob("*.py")):
        # Migrations are frozen history; their lists are compared with the enums above.
        if "migrations" not in path.parts:
            yield path


def test_the_scan_finds_a_state_that_is_not_in_the_table() -> None:
    wrong = """
update(messages).values(state="queud")
conn.execute(insert(message_events), [{"state": "purgd", "at": at}])
select(messages).where(messages.c.state == "publishd")
select(replay_items).where(replay_items.c.outcome.in_(("pending", "skiped")))
Settlement(state="accepted" if ok else "rejectd")
exec_driver_sql("UPDATE messages SET state = 'publishd' WHERE seq = ?")
text("state IN ('queued', 'helt')")
"""
    assert sorted(f.split(": ", 1)[1] for f in unknown_states(wrong)) == sorted(
        ["'queud'", "'purgd'", "'publishd'", "'skiped'", "'rejectd'", "'publishd'", "'helt'"]
    )
    right = """
update(messages).values(state="queued")
exec_driver_sql("UPDATE messages SET state = 'published' WHERE seq = ?")
breaker_state = "half-open"
"""
    assert unknown_states(right) == []


def test_every_state_the_gateway_writes_is_in_the_table() -> None:
    sources = list(_gateway_sources())
    assert len(sources) > 50  # the scan read the package, not an empty directory
    found = [
        finding
        for path in sources
        for finding in unknown_states(path.read_text("utf-8"), str(path.relative_to(ROOT)))
    ]
    assert found == []


# --- the history writer checks moves ------------------------------------------------------------
async def test_the_history_writer_refuses_a_move_the_table_does_not_allow(tmp_path: Path) -> None:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}")
    try:
        await upgrade(store)
        with pytest.raises(IllegalTransition):
            async with store.write() as conn:
                await record_event(
                    conn,
                    Event(
                        MessageState.PUBLISHED,
                        NOW,
                        "relay",
                        message_id="m-1",
                        moved_from=MessageState.HELD,
                    ),
                )
        with pytest.raises(IllegalTransition):
            async with store.write() as conn:
                await record_event(
                    conn,
                    Event(
                        InboundState.VALIDATING,
                        NOW,
                        "gateway",
                        inbound_id="i-1",
                        moved_from=InboundState.ACCEPTED,
                    ),
                )
        async with store.write() as conn:
            await record_event(
                conn,
                Event(
                    InboundState.PARTIALLY_ACCEPTED,
                    NOW,
                    "gateway",
                    inbound_id="i-1",
                    moved_from=InboundState.VALIDATING,
                ),
            )
        async with store.read() as conn:
            written = (
                await conn.execute(select(message_events.c.state, message_events.c.code))
            ).all()
        assert [tuple(r) for r in written] == [("partially_accepted", None)]
    finally:
        await store.dispose()


# --- the store refuses any other state ----------------------------------------------------------
def _rows() -> dict[str, dict[str, Any]]:
    """One valid row per table with a state column (parents before children)."""
    return {
        "inbound": {
            "id": "in-1",
            "sender": "s",
            "channel": "rest",
            "content_type": "application/json",
            "content_hash": "h",
            "received_at": NOW,
            "state": "accepted",
            "payload_size": 0,
        },
        "messages": {
            "id": "m-1",
            "inbound_id": "in-1",
            "sender": "s",
            "type": "t",
            "topic": "t",
            "key": "k",
            "source": "s",
            "event_time": "2026-12-01T08:00:00Z",
            "value": b"{}",
            "state": "queued",
            "attempts": 0,
            "created_at": NOW,
        },
        "uploads": {
            "id": "in-1",
            "sender": "s",
            "agency_kvk": "12345678",
            "channel": "api",
            "format": "csv",
            "content_hash": "h",
            "state": "received",
            "policy": "all-or-nothing",
            "size": 0,
            "received_at": NOW,
        },
        "message_events": {"inbound_id": "in-1", "at": NOW, "state": "received", "actor": "s"},
        "stuf_batches": {
            "id": "b-1",
            "sender": "s",
            "source": "upload",
            "file_name": "f.xml",
            "payload_path": "f.xml",
            "content_hash": "h",
            "size": 0,
            "state": "received",
            "received_at": NOW,
        },
        "replay_jobs": {
            "id": "j-1",
            "kind": "republish",
            "state": "running",
            "selection": {},
            "reason": "r",
            "created_by": "ops",
            "created_at": NOW,
            "total": 1,
        },
        "replay_items": {
            "job_id": "j-1",
            "message_seq": 1,
            "message_id": "m-1",
            "outcome": "pending",
        },
        "upload_quarantine": {
            "upload_id": "in-1",
            "agency_kvk": "12345678",
            "location": "line 2",
            "key_hash": "k",
            "type": "t",
            "value": b"{}",
            "state": "held",
            "created_at": NOW,
        },
    }


#: What makes a second row of each table unique (its state aside).
SECOND: dict[str, dict[str, Any]] = {
    "inbound": {"id": "in-3"},
    "messages": {"id": "m-2"},
    "uploads": {"id": "in-2"},
    "message_events": {},
    "stuf_batches": {"id": "b-2", "content_hash": "h2"},
    "replay_jobs": {"id": "j-2"},
    "replay_items": {"message_seq": 2},
    "upload_quarantine": {},
}


async def _seeded(url: str) -> Store:
    store = Store(url)
    await upgrade(store)
    rows = _rows()
    async with store.write() as conn:
        for table, row in rows.items():
            await conn.execute(insert(metadata.tables[table]).values(**row))
        # The parent of a second upload row.
        await conn.execute(
            insert(metadata.tables["inbound"]).values(**{**rows["inbound"], "id": "in-2"})
        )
    return store


COLUMNS = sorted(STATE_COLUMNS)


@pytest.mark.parametrize(("table", "column"), COLUMNS, ids=[f"{t}.{c}" for t, c in COLUMNS])
async def test_the_store_refuses_a_state_not_in_the_table(
    store_url: str, table: str, column: str
) -> None:
    store = await _seeded(store_url)
    target = metadata.tables[table]
    states = list(STATE_COLUMNS[(table, column)])
    try:
        with pytest.raises(IntegrityError):
            async with store.write() as conn:
                await conn.execute(update(target).values({column: "bogus"}))
        second = {**_rows()[table], **SECOND[table]}
        with pytest.raises(IntegrityError):
            async with store.write() as conn:
                await conn.execute(insert(target).values(**{**second, column: "bogus"}))
        # The same row with a real state is taken: it was the state that was refused.
        async with store.write() as conn:
            await conn.execute(insert(target).values(**second))
        # ... and so is every state of the vocabulary.
        for state in states:
            async with store.write() as conn:
                await conn.execute(update(target).values({column: state}))
        async with store.read() as conn:
            kept = set((await conn.execute(select(target.c[column]))).scalars())
        assert kept == {states[-1].value}
    finally:
        await store.dispose()


async def test_every_state_column_has_its_check_constraint(store_url: str) -> None:
    store = Store(store_url)
    try:
        await upgrade(store)

        def constraints(connection: Any) -> dict[str, str]:
            found = inspect(connection)
            return {
                c["name"]: c["sqltext"]
                for table, _column in STATE_COLUMNS
                for c in found.get_check_constraints(table)
            }

        async with store.read() as conn:
            found = await conn.run_sync(constraints)
    finally:
        await store.dispose()
    for (table, column), states in STATE_COLUMNS.items():
        sql = found[f"ck_{table}_{column}"]
        assert set(re.findall(r"'([^']*)'", sql)) == {s.value for s in states}, (table, sql)


async def test_upgrading_a_store_with_data_keeps_foreign_keys_and_rewrites_the_workaround(
    tmp_path: Path,
) -> None:
    """A real upgrade: SQLite recreates tables that others reference (inbound, replay_jobs)."""
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}")
    try:
        for head in ("0002_stuf", "0003_uploads", "0004_ops"):
            await upgrade(store, head)
        rows = _rows()
        async with store.write() as conn:
            for table in ("inbound", "messages", "uploads", "replay_jobs", "replay_items"):
                await conn.execute(insert(metadata.tables[table]).values(**rows[table]))
            await conn.execute(
                text(
                    "INSERT INTO message_events (inbound_id, at, state, actor, code) "
                    "VALUES ('in-1', :at, 'accepted', 'gateway', 'partially_accepted')"
                ),
                {"at": NOW},
            )
        await upgrade(store)
        async with store.read() as conn:
            event = (
                await conn.execute(select(message_events.c.state, message_events.c.code))
            ).one()
            assert tuple(event) == ("partially_accepted", None)
        with pytest.raises(IntegrityError):  # foreign keys are on again
            async with store.write() as conn:
                await conn.execute(
                    insert(metadata.tables["messages"]).values(
                        **{**rows["messages"], "id": "m-2", "inbound_id": "nowhere"}
                    )
                )
    finally:
        await store.dispose()
