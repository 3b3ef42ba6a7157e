"""Payloads as received: a rejected payload is visible to ops with the problems the sender got,
its history (received, rejected) and its raw bytes with BSNs masked."""

from __future__ import annotations

from tests.conftest import TEST_KEYS
from tests.ops.helpers import ops_get
from tests.samples import candidate_enrolled


async def test_rejected_payload_with_issues_history_and_masked_raw_bytes(make_gateway) -> None:
    async with make_gateway(relay=False) as gw:
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

    assert rejected.status_code == 422
    assert item["sender"] == "gemeente-amsterdam" and item["state"] == "rejected"
    assert item["error_code"] == "invalid-message"
    assert [h["state"] for h in detail["history"]] == ["received", "rejected"]
    assert detail["answer"]["code"] == "invalid-message"
    assert [i["where"] for i in detail["answer"]["issues"]] == ["#/1/data/iban"]
    assert detail["messages"] == []
    assert "******333" in detail["raw_payload"] and "******782" in detail["raw_payload"]
    assert "111222333" not in str(detail) and "123456782" not in str(detail)
    assert [m["state"] for m in accepted_detail["messages"]] == ["queued"]
    assert page.status_code == 200 and "#/1/data/iban" in page.text
    assert "Still does not translate" in page.text  # the same adapter, the same problem
    assert "111222333" not in page.text
    assert listing.status_code == 200 and item["id"][:8] in listing.text
