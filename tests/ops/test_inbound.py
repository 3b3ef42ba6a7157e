"""Payloads as received: a rejected payload is visible to ops with the problems the sender got,
its history (received, rejected) and its raw bytes with BSNs masked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_KEYS, GatewayFactory
from tests.ops.helpers import ops_get
from tests.samples import candidate_enrolled


@dataclass(frozen=True)
class Inbound:
    rejected: httpx.Response
    item: dict[str, Any]
    detail: dict[str, Any]
    accepted_detail: dict[str, Any]
    page: httpx.Response
    listing: httpx.Response


@pytest.fixture(scope="module")
async def seen(module_gateway: GatewayFactory) -> Inbound:
    async with module_gateway(relay=False) as gw:
        bad = candidate_enrolled("111222333")
        bad["data"]["iban"] = "NL00ABNA0417164300"
        rejected = await gw.post([candidate_enrolled("123456782"), bad])
        accepted = await gw.post(candidate_enrolled("123456782"))
        listed = await ops_get(gw, "/inbound", state="rejected")
        [item] = listed["items"]
        detail = await ops_get(gw, f"/inbound/{item['id']}")
        accepted_detail = await ops_get(gw, f"/inbound/{accepted.json()['inbound_id']}")
        await gw.client.post("/ops/login", data={"api_key": TEST_KEYS["ops-viewer"]})
        page = await gw.client.get(f"/ops/inbound/{item['id']}")
        listing = await gw.client.get("/ops/inbound?state=rejected")
    return Inbound(rejected, item, detail, accepted_detail, page, listing)


def test_a_rejected_payload_is_listed_with_sender_and_code(seen: Inbound) -> None:
    assert seen.rejected.status_code == 422
    assert seen.item["sender"] == "gemeente-amsterdam" and seen.item["state"] == "rejected"
    assert seen.item["error_code"] == "invalid-message"


def test_its_history_is_received_then_rejected(seen: Inbound) -> None:
    assert [h["state"] for h in seen.detail["history"]] == ["received", "rejected"]


def test_it_shows_the_answer_the_sender_got(seen: Inbound) -> None:
    assert seen.detail["answer"]["code"] == "invalid-message"
    assert [i["where"] for i in seen.detail["answer"]["issues"]] == ["#/1/data/iban"]
    assert seen.detail["messages"] == []


def test_its_raw_bytes_are_shown_with_bsns_masked(seen: Inbound) -> None:
    raw = seen.detail["raw_payload"]
    assert "******333" in raw and "******782" in raw
    assert "111222333" not in str(seen.detail) and "123456782" not in str(seen.detail)


def test_an_accepted_payload_lists_its_messages(seen: Inbound) -> None:
    assert [m["state"] for m in seen.accepted_detail["messages"]] == ["queued"]


def test_the_console_page_shows_the_problems_masked(seen: Inbound) -> None:
    assert seen.page.status_code == 200 and "#/1/data/iban" in seen.page.text
    assert "Still does not translate" in seen.page.text  # the same adapter, the same problem
    assert "111222333" not in seen.page.text


def test_the_console_lists_rejected_payloads(seen: Inbound) -> None:
    assert seen.listing.status_code == 200 and seen.item["id"][:8] in seen.listing.text
