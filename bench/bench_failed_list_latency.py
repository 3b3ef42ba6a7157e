"""Listing and filtering failed messages with N rows in the store: latency of the API call
(``GET /v1/ops/messages``, in process through the ASGI app, auth included), p50/p99.

Baseline, measured in the same run: the same list query run directly on the store (no HTTP,
no JSON), so the ratio shows what the API adds. Target (issue 5): p99 < 200 ms at 1,000,000
rows.

    .venv/bin/python bench/failed_list_latency.py            # 1,000,000 rows
    .venv/bin/python bench/failed_list_latency.py --quick    # 50,000 rows, to check it works
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    ERROR_CODES,
    OPS_KEY,
    PERSON_KEY_SECRET,
    SENDERS,
    TYPES,
    clients,
    machine,
    measure_cpu,
    seed,
)
from gateway.app import build_context, create_app
from gateway.log import configure_logging
from gateway.ops.filters import MessageFilter
from gateway.ops.queries import list_messages
from gateway.settings import Settings
from gateway.store import Store, upgrade

VALUE = (
    b'{"bsn":"111222333","agency_kvk":"12345678","assignment_id":"A-1","start_date":"2026-12-07"}'
)


def state_of(i: int) -> tuple[str, str | None, str, str]:
    """20% failed (5 error codes), 75% published, 5% queued; 5 types; 20 senders."""
    r = i % 20
    state = "failed" if r < 4 else ("queued" if r == 4 else "published")
    code = ERROR_CODES[(i // 20) % len(ERROR_CODES)] if state == "failed" else None
    return state, code, TYPES[(i // 7) % len(TYPES)], SENDERS[(i // 13) % len(SENDERS)]


def queries(now: datetime) -> list[dict[str, Any]]:
    week = (now - timedelta(days=14)).isoformat(), (now - timedelta(days=7)).isoformat()
    return [
        {"state": "failed"},
        {"state": "failed", "error_code": "record-too-large"},
        {"state": "failed", "error_code": "back-office:UnknownClient"},
        {"state": "failed", "type": "hours.reported"},
        {"state": "failed", "sender": "agency-07"},
        {"state": "failed", "channel": "soap"},
        {"state": "failed", "since": week[0], "until": week[1]},
        {
            "state": "failed",
            "error_code": "kafka-rejected",
            "type": "placement.started",
            "sender": "agency-03",
        },
    ]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 rows (a smoke run)")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--calls", type=int, default=400, help="API calls measured")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    args = parser.parse_args()
    configure_logging("error", "console")
    rows = args.rows or (50_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="flexgw-bench-") as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'gateway.db'}"
        store = Store(url)
        await upgrade(store)
        started = time.perf_counter()
        await seed(store, rows, topic="bench", value=VALUE, state_of=state_of)
        seeded = time.perf_counter() - started
        if store.dialect == "postgresql":
            async with store.write() as conn:
                await conn.exec_driver_sql("ANALYZE")
        else:
            async with store.write() as conn:
                await conn.exec_driver_sql("ANALYZE")
        await store.dispose()

        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp) / "data",
            database_url=url,
            person_key_secret=PERSON_KEY_SECRET,
            relay_enabled=False,
            dlq_enabled=False,
            retention_purge_interval_seconds=0,
        )
        ctx = build_context(settings, clients=clients())
        app = create_app(settings, context=ctx)
        now = datetime.now(UTC)
        mix = queries(now)
        api: list[float] = []
        per_shape: dict[str, list[float]] = {}
        direct: list[float] = []
        counts: list[float] = []
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://gw",
                headers={"Authorization": f"Bearer {OPS_KEY}"},
            ) as client:
                for params in mix:  # warm caches once per query shape
                    await client.get("/v1/ops/messages", params=params)
                with measure_cpu() as cpu:
                    before: int | None = None
                    for n in range(args.calls):
                        params = dict(mix[n % len(mix)])
                        if n % 4 == 3 and before is not None:
                            params["before"] = str(before)  # a next page now and then
                        t = time.perf_counter()
                        response = await client.get("/v1/ops/messages", params=params)
                        api.append(time.perf_counter() - t)
                        shape = ",".join(k for k in mix[n % len(mix)] if k != "state")
                        per_shape.setdefault(shape or "state only", []).append(api[-1])
                        assert response.status_code == 200, response.text
                        before = response.json()["next_before"]
                for n in range(args.calls):
                    f = MessageFilter.model_validate(mix[n % len(mix)])
                    t = time.perf_counter()
                    async with ctx.store.read() as conn:
                        await list_messages(conn, f, limit=50)
                    direct.append(time.perf_counter() - t)
                for n in range(min(args.calls, 40)):
                    t = time.perf_counter()
                    await client.get(
                        "/v1/ops/messages/counts", params={**mix[n % len(mix)], "by": "error_code"}
                    )
                    counts.append(time.perf_counter() - t)

    ms = 1000
    print(
        f"failed-message listing ({'quick, ' if args.quick else ''}{rows:,} rows, "
        f"{url.split(':', 1)[0]}; seeded in {seeded:.0f} s; machine: {machine()})"
    )
    print(
        "  baseline, the list query on the store directly: "
        f"p50 {statistics.median(direct) * ms:.1f} ms, "
        f"p99 {pct(direct, 0.99) * ms:.1f} ms"
    )
    print(
        f"  GET /v1/ops/messages ({args.calls} calls, {len(mix)} filter shapes, 50 per page): "
        f"p50 {statistics.median(api) * ms:.1f} ms, p99 {pct(api, 0.99) * ms:.1f} ms, "
        f"max {max(api) * ms:.1f} ms; {cpu.line()}"
    )
    for shape, values in per_shape.items():
        print(f"    filter {shape}: p99 {pct(values, 0.99) * ms:.1f} ms")
    print(
        f"  ratio API/baseline at p99: {pct(api, 0.99) / pct(direct, 0.99):.1f}x"
        "   (target: p99 < 200 ms)"
    )
    print(
        f"  (not a target) GET /v1/ops/messages/counts?by=error_code: p50 "
        f"{statistics.median(counts) * ms:.1f} ms, p99 {pct(counts, 0.99) * ms:.1f} ms"
    )
    print(f"  result: {'meets' if pct(api, 0.99) < 0.2 else 'MISSES'} the target")


if __name__ == "__main__":
    asyncio.run(main())
