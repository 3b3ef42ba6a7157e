"""One recogniser of BSNs (schemas.identifiers): every spelling the gateway accepts is masked
in every ops view, in logs and error texts; a correlation id never carries one (issue 11)."""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import structlog
from sqlalchemy.exc import DBAPIError

from gateway.api.middleware import correlation_id_of
from gateway.log import configure_logging
from gateway.store import Store
from schemas.identifiers import find_bsns, mask_bsns, normalise_bsn
from tests import stuf_messages as m
from tests.conftest import TEST_KEYS, GatewayFactory
from tests.log_scan import bsns_in_tests, leaks, spellings
from tests.ops.helpers import ops_get
from tests.samples import candidate_enrolled
from tests.stuf_server import stuf_server

#: Test BSNs (eleven test passes), one per spelling the gateway accepts.
SPELLED = {
    "111222333": "111 222 333",
    "123456782": "123-456-782",
    "999999990": "999.999.990",
    "100000009": "\uff11\uff10\uff10\uff10\uff10\uff10\uff10\uff10\uff19",  # full-width
    "010000008": "10000008",  # a spreadsheet dropped the leading zero
    "222333406": "222\u2010333\u2010406",  # Unicode hyphen
    "999990019": "9999 90019",
}


def test_every_accepted_spelling_is_one_bsn_and_is_found_in_text() -> None:
    for bsn, spelled in SPELLED.items():
        assert normalise_bsn(spelled) == bsn
        assert [found for _s, _e, found in find_bsns(f"x {spelled};")] == [bsn]
        assert mask_bsns(f"bsn={spelled}.") == f"bsn=******{bsn[-3:]}."


def test_numbers_that_are_not_bsns_are_left_alone() -> None:
    for text in (
        "111222334",  # eleven test fails
        "2026-12-01T07:50:00.123Z",  # a date is eight digits with separators
        "1234-5678-9012",  # part of a longer number
        "kvk 12345678",  # eight plain digits that fail the eleven test
    ):
        assert normalise_bsn(text) is None
        assert mask_bsns(text) == text


def test_a_bsn_next_to_a_number_that_is_not_one_is_still_found() -> None:
    assert mask_bsns("1 111222333 5") == "1 ******333 5"
    assert mask_bsns("111222334 111222333") == "111222334 ******333"


def test_correlation_ids_never_carry_a_bsn() -> None:
    assert correlation_id_of("order-42") == "order-42"
    for given in ("111-222-333", "111.222.333", "x111222333", "a" * 65, "b\u00e9", None):
        replaced = correlation_id_of(given)
        assert replaced != given and len(replaced) == 32
        assert next(find_bsns(replaced), None) is None or replaced.isalnum()


def test_the_log_scan_finds_a_bsn_in_any_spelling() -> None:
    escaped = json.dumps(
        {"event": "x", "text": "bsn \uff11\uff11\uff11\uff12\uff12\uff12\uff13\uff13\uff13"}
    )
    lines = ["plain 111222333\n", '{"event": "masked ******333"}\n', escaped, "a 111-222-333 b"]
    assert leaks(lines, {"111222333"}) == [lines[0].rstrip(), escaped, lines[3]]
    assert "111222333" in bsns_in_tests(Path(__file__).parent.parent)
    assert "111 222 333" in spellings("111222333")


async def test_every_spelling_is_masked_in_every_ops_view_and_log(
    make_gateway: GatewayFactory, tmp_path: Path, whole_run_log: Callable[[], None]
) -> None:
    log_file = tmp_path / "log.jsonl"
    handle = log_file.open("w", encoding="utf-8")
    configure_logging("debug", "json", stream=handle)
    try:
        async with make_gateway(relay=False) as gw:
            batch = [candidate_enrolled(bsn=spelled) for spelled in SPELLED.values()]
            accepted = await gw.post(batch, **{"X-Correlation-ID": "111-222-333"})
            # One valid spelling beside an invalid field: refused, kept raw for ops.
            invalid = candidate_enrolled(bsn="123 456 782")
            invalid["data"]["iban"] = "NL00"
            refused = await gw.post(invalid)
            structlog.get_logger("test").warning("leak_attempt", text="bsn 999.999.990")
            logging.getLogger("driver").error("raw %s", "\uff11\uff11\uff11222333")
            assert accepted.status_code == 202, accepted.text
            assert refused.status_code == 422
            assert next(find_bsns(accepted.headers["x-correlation-id"]), None) is None
            rejected = await ops_get(gw, "/inbound", state="rejected")
            inbound_ids = [accepted.json()["inbound_id"], rejected["items"][0]["id"]]
            views = [_text(rejected), refused.text]
            for inbound_id in inbound_ids:
                views.append(_text(await ops_get(gw, f"/inbound/{inbound_id}")))
            for message_id in accepted.json()["message_ids"]:
                views.append(_text(await ops_get(gw, f"/messages/{message_id}")))
            await gw.client.post("/ops/login", data={"api_key": TEST_KEYS["ops-viewer"]})
            for inbound_id in inbound_ids:
                page = await gw.client.get(f"/ops/inbound/{inbound_id}")
                assert page.status_code == 200
                views.append(html.unescape(page.text))
            page = await gw.client.get(f"/ops/messages/{accepted.json()['message_ids'][0]}")
            views.append(html.unescape(page.text))
    finally:
        handle.close()
        whole_run_log()
    assert all("raw_payload" in view and "******" in view for view in views[2:4])
    everything = "\n".join(views)
    for bsn, spelled in SPELLED.items():
        assert spelled not in everything, spelled
        assert bsn not in everything, bsn
    log_lines = log_file.read_text(encoding="utf-8").splitlines()
    assert any("leak_attempt" in line for line in log_lines)
    assert leaks(log_lines, SPELLED) == []


def _text(document: object) -> str:
    return json.dumps(document, ensure_ascii=False)


async def test_driver_errors_carry_no_statement_parameters(tmp_path: Path) -> None:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with store.write() as conn:
            await conn.exec_driver_sql("CREATE TABLE t (bsn TEXT NOT NULL UNIQUE)")
            await conn.exec_driver_sql("INSERT INTO t VALUES (?)", ("111222333",))
        with pytest.raises(DBAPIError) as raised:
            async with store.write() as conn:
                await conn.exec_driver_sql("INSERT INTO t VALUES (?)", ("111222333",))
    finally:
        await store.dispose()
    assert "111222333" not in str(raised.value)
    assert "hidden" in str(raised.value)


async def test_a_sender_reference_spelling_a_bsn_is_masked_in_ops_views(
    store_url: str, tmp_path: Path
) -> None:
    async with stuf_server(store_url, tmp_path / "data") as server:
        sent = server.post(m.soap(m.kandidaat_lk01("111.222.333", m.kandidaat(bsn="123456782"))))
        assert sent.status_code == 200, sent.text
        headers = {"Authorization": f"Bearer {TEST_KEYS['ops-viewer']}"}
        listed = requests.get(f"{server.url}/v1/ops/inbound", headers=headers, timeout=10).json()
        inbound_id = listed["items"][0]["id"]
        detail = requests.get(
            f"{server.url}/v1/ops/inbound/{inbound_id}", headers=headers, timeout=10
        ).json()
        message_id = detail["messages"][0]["id"]
        message = requests.get(
            f"{server.url}/v1/ops/messages/{message_id}", headers=headers, timeout=10
        ).json()
    assert detail["inbound"]["external_ref"] == "******333"
    assert message["inbound"]["external_ref"] == "******333"
    assert "111.222.333" not in _text(listed) + _text(detail) + _text(message)


async def test_a_request_method_spelling_a_bsn_never_becomes_a_metric_label(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway(relay=False) as gw:
        odd = await gw.client.request("111222333", "/v1/messages")
        metrics = (await gw.client.get("/metrics")).text
    assert odd.status_code == 405
    assert "111222333" not in metrics
    assert 'method="OTHER"' in metrics
