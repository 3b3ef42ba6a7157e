"""Logs are JSON, carry the correlation id, and never a BSN."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import structlog

from gateway.log import configure_logging, scrub_text
from tests.conftest import GatewayFactory
from tests.samples import candidate_enrolled


def test_scrub_masks_only_numbers_that_are_bsns() -> None:
    assert scrub_text("bsn 111222333 and order 111222334") == "bsn ******333 and order 111222334"


async def test_request_logs_are_json_with_correlation_id_and_no_bsn(
    make_gateway: GatewayFactory,
    capsys: pytest.CaptureFixture[str],
    whole_run_log: Callable[[], None],
) -> None:
    configure_logging("info", "json")
    try:
        async with make_gateway() as gw:
            ok = await gw.post(
                candidate_enrolled(bsn="123456782"), **{"X-Correlation-ID": "corr-1"}
            )
            bad = await gw.post(candidate_enrolled(bsn="111222334"))
            structlog.get_logger("test").info("leak_attempt", text="payload 123456782")
        lines = [
            json.loads(line)
            for line in capsys.readouterr().err.splitlines()
            if line.startswith("{")
        ]
    finally:
        whole_run_log()
    assert ok.headers["x-correlation-id"] == "corr-1"
    assert bad.status_code == 422
    everything = json.dumps(lines)
    assert "123456782" not in everything
    assert "111222334" not in everything
    accepted = [e for e in lines if e["event"] == "submission_accepted"]
    assert accepted and accepted[0]["correlation_id"] == "corr-1"
    assert any(e["event"] == "leak_attempt" and e["text"] == "payload ******782" for e in lines)
