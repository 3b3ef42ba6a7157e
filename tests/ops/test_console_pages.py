"""Issue 13, console and ops: what operators tripped over, driven in headless Chromium at
1400 and 800 px; every console page passes axe-core (no serious or critical violation) and
fits an 800 px window. The screenshots in docs/img are taken here too
(scripts/console-screenshots writes them there; every run compares their layout facts)."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from playwright.async_api import Browser, expect

from gateway.app import build_context, create_app
from gateway.localkafka import LocalKafka
from gateway.settings import Settings
from tests import stuf_messages as m
from tests.conftest import PERSON_KEY_SECRET, TEST_KEYS
from tests.live import serve_in_thread
from tests.ops.browser import (
    WIDTHS,
    assert_usable,
    chromium,
    logged_in,
    new_page,
    png_size,
    screenshot,
)
from tests.ops.helpers import report_on_dlq
from tests.samples import hours_reported, placement_started
from tests.uploads.conftest import SAMPLES, UPLOAD_KEYS, upload_clients
from tests.uploads.test_rejections import HEADER, U, row
from tests.waiting import eventually

pytestmark = pytest.mark.kafka

#: An exception class name as long as a back office's can be: its code must stay inside the
#: sidebar.
LONG_CLASS = "nl.backoffice.ClientHasNoActiveFlextensieContractForThePeriodOfThePlacementException"
#: The error code column holds 64 characters.
LONG_CODE = ("back-office:" + LONG_CLASS.rsplit(".", 1)[-1])[:64]


@dataclass(frozen=True)
class Scene:
    url: str
    rest: list[str]  # two that failed (too large), one the back office rejected
    upload_id: str
    upload_messages: list[str]
    conflict_upload_id: str
    soap: dict[str, tuple[int, str, str]]  # version -> (status, inbound id, fault text)


def _envelope(version: str) -> bytes:
    """A kandidaatLk01 with an ISO date (a schema error) in a pretty-printed envelope, so the
    message element starts on line 4 of what the sender sent."""
    bad = m.kandidaat_lk01(f"P-{version}", m.kandidaat(geboortedatum="1990-04-17"))
    tree = etree.fromstring(m.soap(bad, version=version))
    return bytes(etree.tostring(tree, pretty_print=True, xml_declaration=True, encoding="UTF-8"))


async def _build(url: str, kafka: LocalKafka, topic: str) -> Scene:
    def as_(client: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {UPLOAD_KEYS[client]}"}

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        sent = await client.post(
            "/v1/messages",
            json=[
                hours_reported(bsn="111222333", lines=150, assignment="A-1"),
                hours_reported(bsn="123456782", lines=151, assignment="A-2"),
                placement_started(bsn="111222333", assignment="A-9"),
            ],
            headers=as_("flexwerk-uitzend"),
        )
        assert sent.status_code == 202, sent.text
        rest: list[str] = sent.json()["message_ids"]

        async def upload(content: bytes) -> str:
            answer = await client.post(
                "/v1/uploads",
                content=content,
                headers={**as_("flexwerk-uitzend"), "Content-Type": "text/csv"},
            )
            assert answer.status_code == 202, answer.text
            upload_id: str = answer.json()["upload_id"]

            async def settled() -> bool:
                status = (
                    await client.get(f"/v1/uploads/{upload_id}", headers=as_("flexwerk-uitzend"))
                ).json()
                return status["status"] in ("accepted", "partially_accepted", "rejected")

            await eventually(settled)
            return upload_id

        upload_id = await upload((SAMPLES / "flexwerk-uitzend.csv").read_bytes())
        conflict = row(
            **{**U, "Uren": "6,00"},
            BSN="111222333",
            Plaatsingsnummer="PL-2026-001",
            Datum="09-11-2026",
        )
        conflict_upload_id = await upload(
            ("\r\n".join([HEADER, conflict]) + "\r\n").encode("cp1252")
        )

        soap: dict[str, tuple[int, str, str]] = {}
        for version, content_type in (
            ("1.1", "text/xml; charset=utf-8"),
            ("1.2", "application/soap+xml; charset=utf-8"),
        ):
            answer = await client.post(
                "/stuf/v1/flextensie",
                content=_envelope(version),
                headers={**as_("gemeente-amsterdam"), "Content-Type": content_type},
            )
            fault = etree.fromstring(answer.content)
            details = fault.findtext(".//{http://www.egem.nl/StUF/StUF0301}details") or ""
            code = fault.findtext(".//{http://www.egem.nl/StUF/StUF0301}code") or ""
            soap[version] = (answer.status_code, code, details)

        ops = {"Authorization": f"Bearer {TEST_KEYS['ops-viewer']}"}

        async def published_all() -> bool:
            counts = (
                await client.get("/v1/ops/messages/counts", params={"by": "state"}, headers=ops)
            ).json()
            return bool(counts.get("published", 0) >= 9 and counts.get("failed", 0) == 2)

        await eventually(published_all, timeout=60)
        await report_on_dlq(
            kafka.bootstrap,
            f"{topic}.dlq",
            {
                "ce_id": rest[2],
                "__connect.errors.exception.class.name": LONG_CLASS,
                "__connect.errors.exception.message": "no contract for client KvK 23456789",
            },
        )

        async def three_failed() -> bool:
            counts = (
                await client.get("/v1/ops/messages/counts", params={"state": "failed"}, headers=ops)
            ).json()
            return bool(counts["total"] == 3)

        await eventually(three_failed, timeout=60)
        made = (await client.get(f"/v1/ops/inbound/{upload_id}", headers=ops)).json()
        rejected = (
            await client.get("/v1/ops/inbound", params={"state": "rejected"}, headers=ops)
        ).json()
    # Newest first: the SOAP 1.2 one came last.
    ordered = [i["id"] for i in rejected["items"] if i["channel"] == "stuf-soap"]
    assert len(ordered) == 2, rejected
    return Scene(
        url=url,
        rest=rest,
        upload_id=upload_id,
        upload_messages=[x["id"] for x in made["messages"]],
        conflict_upload_id=conflict_upload_id,
        soap={
            "1.2": (soap["1.2"][0], ordered[0], f"{soap['1.2'][1]} {soap['1.2'][2]}"),
            "1.1": (soap["1.1"][0], ordered[1], f"{soap['1.1'][1]} {soap['1.1'][2]}"),
        },
    )


@pytest.fixture(scope="module")
async def scene(
    tmp_path_factory: pytest.TempPathFactory, kafka: LocalKafka
) -> AsyncIterator[Scene]:
    """One gateway (SQLite: the console renders the same on either store) with failed REST
    messages, an upload and a conflicting one, two rejected SOAP messages."""
    tmp = tmp_path_factory.mktemp("console-pages")
    topic = f"test.{uuid.uuid4().hex[:12]}"
    settings = Settings(
        _env_file=None,
        data_dir=tmp / "data",
        database_url=f"sqlite+aiosqlite:///{tmp / 'gateway.db'}",
        person_key_secret=PERSON_KEY_SECRET,
        kafka_bootstrap_servers=kafka.bootstrap,
        default_topic=topic,
        dlq_topic=f"{topic}.dlq",
        dlq_poll_seconds=0.2,
        relay_poll_seconds=0.1,
        kafka_request_timeout_ms=5000,
        kafka_max_request_size=4096,
        inbox_poll_seconds=0.1,
    )
    app = create_app(settings, context=build_context(settings, clients=upload_clients()))
    with serve_in_thread(app) as url:
        yield await _build(url, kafka, topic)


@pytest.fixture(scope="module")
async def browser(scene: Scene) -> AsyncIterator[Browser]:
    async with chromium() as found:
        yield found


async def test_an_upload_message_says_its_payload_is_the_file_not_purged(
    scene: Scene, browser: Browser
) -> None:
    page = await logged_in(browser, scene.url)
    await page.goto(f"{scene.url}/ops/messages/{scene.upload_messages[0]}")
    await expect(page.locator("#raw-file")).to_contain_text("uploaded file on disk")
    assert "Purged" not in await page.locator("main").inner_text()


async def test_an_uploads_history_says_received_once(scene: Scene, browser: Browser) -> None:
    page = await logged_in(browser, scene.url)
    await page.goto(f"{scene.url}/ops/inbound/{scene.upload_id}")
    states = await page.locator("#history tbody tr td:nth-child(2)").all_inner_texts()
    assert states.count("received") == 1, states
    await page.goto(f"{scene.url}/ops/messages/{scene.upload_messages[0]}")
    states = await page.locator("#history tbody tr td:nth-child(2)").all_inner_texts()
    assert [s.split()[0] for s in states].count("received") == 1, states


async def test_retranslate_plan_says_what_happens_to_each_and_offers_only_that(
    scene: Scene, browser: Browser
) -> None:
    page = await logged_in(browser, scene.url)
    ids = "&".join(f"id={i}" for i in [*scene.upload_messages[:4], scene.rest[2]])
    await page.goto(f"{scene.url}/ops/replays/new?kind=retranslate&{ids}")
    outcomes = page.locator("#plan-outcomes")
    await expect(outcomes).to_contain_text("0 will be re-translated")
    await expect(outcomes).to_contain_text("1 translate to the same message and are skipped")
    await expect(outcomes).to_contain_text("4 will be refused")
    await expect(page.locator("#plan-refusals")).to_contain_text(
        "4 message(s): this message comes from an uploaded file"
    )
    await expect(page.locator("#execute")).to_have_count(0)
    await expect(page.locator("#nothing")).to_be_visible()
    # With a message that does change? None here; a re-publish offers exactly its total.
    await page.goto(f"{scene.url}/ops/replays/new?kind=republish&id={scene.rest[0]}")
    await expect(page.locator("#execute button[type=submit]")).to_have_text(
        "Re-publish 1 message(s)"
    )


async def test_a_rejected_soap_message_shows_the_answer_the_sender_got(
    scene: Scene, browser: Browser
) -> None:
    page = await logged_in(browser, scene.url)
    for version, expected in (("1.1", 500), ("1.2", 400)):
        status, inbound_id, fault = scene.soap[version]
        assert status == expected
        await page.goto(f"{scene.url}/ops/inbound/{inbound_id}")
        answer = page.locator("#answer")
        await expect(answer).to_contain_text(f"HTTP {expected}")
        await expect(answer).to_contain_text("StUF055")
        # Every line the fault names is that line of the raw payload as numbered here.
        lines = [int(n) for n in re.findall(r"line (\d+)", fault)]
        assert lines and min(lines) > 1, fault
        first = int(await page.locator("#raw").get_attribute("start") or "1")
        assert first > 1
        raw = await page.locator("#raw li").all_inner_texts()
        for n in lines:
            text = raw[n - first]
            assert "geboortedatum" in text or "object" in text, (n, text, fault)
        issues = await page.locator("#issues").inner_text()
        assert all(f"line {n}" in issues for n in lines), issues


async def test_all_messages_offers_re_publish_for_the_failed_ones(
    scene: Scene, browser: Browser
) -> None:
    page = await logged_in(browser, scene.url)
    await page.goto(f"{scene.url}/ops/messages")
    primary = page.locator("#plan-republish")
    await expect(primary).to_have_text("Plan re-publish of 3 failed")
    await expect(page.locator("aside a.button:not(.secondary)")).to_have_count(1)
    await expect(page.locator("#plan-republish-all")).to_have_class(re.compile("secondary"))
    await page.goto(f"{scene.url}/ops/messages?state=published")
    await expect(page.locator("#plan-republish")).to_have_count(0)


async def test_long_error_codes_stay_in_the_sidebar_and_nothing_spills_at_800_px(
    scene: Scene, browser: Browser
) -> None:
    for width in WIDTHS:
        page = await logged_in(browser, scene.url, width=width)
        await page.goto(f"{scene.url}/ops/messages?state=failed")
        await expect(page.locator("aside")).to_contain_text(LONG_CODE)
        await assert_usable(page, "failed messages")


async def test_quarantined_rows_are_released_or_discarded_from_the_console(
    scene: Scene, browser: Browser
) -> None:
    page = await logged_in(browser, scene.url)
    await page.goto(f"{scene.url}/ops/quarantine")
    rows = page.locator("#quarantine tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("hours.reported")
    assert "111222333" not in await page.content()
    await rows.first.locator("input[name=reason]").fill("agency confirmed, ticket 77")
    await rows.first.locator("button.release").click()
    await expect(page.locator("#quarantine tbody tr.empty, #quarantine td.empty")).to_have_count(1)
    await page.goto(f"{scene.url}/ops/quarantine?state=released")
    await expect(page.locator("#quarantine tbody tr")).to_contain_text("released")
    await page.goto(f"{scene.url}/ops/audit?action=quarantine-release")
    await expect(page.locator("#audit")).to_contain_text("agency confirmed, ticket 77")


def _pages(scene: Scene) -> list[tuple[str, str]]:
    return [
        ("failed messages", "/ops/messages?state=failed"),
        ("all messages", "/ops/messages"),
        ("a failed message", f"/ops/messages/{scene.rest[2]}"),
        ("an upload's message", f"/ops/messages/{scene.upload_messages[0]}"),
        ("rejected payloads", "/ops/inbound?state=rejected"),
        ("a rejected SOAP payload", f"/ops/inbound/{scene.soap['1.1'][1]}"),
        ("an upload", f"/ops/inbound/{scene.upload_id}"),
        ("quarantine", "/ops/quarantine?state=held"),
        ("re-publish plan", "/ops/replays/new?kind=republish&state=failed"),
        ("re-translate plan", f"/ops/replays/new?kind=retranslate&id={scene.rest[2]}"),
        ("replays", "/ops/replays"),
        ("audit log", "/ops/audit"),
        ("an error page", "/ops/messages/no-such-message"),
    ]


@pytest.mark.parametrize("width", WIDTHS)
async def test_every_console_page_passes_axe_and_fits_the_window(
    scene: Scene, browser: Browser, width: int
) -> None:
    anonymous = await new_page(browser, width)
    await anonymous.goto(f"{scene.url}/ops/login")
    await assert_usable(anonymous, "login")
    page = await logged_in(browser, scene.url, width=width)
    for what, path in _pages(scene):
        await page.goto(scene.url + path)
        await assert_usable(page, what)


DOCS = Path(__file__).resolve().parents[2] / "docs"
IMG = DOCS / "img"
MANIFEST = "screenshots.json"


def _shots(scene: Scene) -> list[tuple[str, str, int]]:
    """(file name, console page, window width) of every screenshot in docs/img."""
    return [
        ("console-failed-list", "/ops/messages?state=failed", 1400),
        ("console-failed-list-800", "/ops/messages?state=failed", 800),
        ("console-message", f"/ops/messages/{scene.rest[2]}", 1400),
        ("console-rejected-soap", f"/ops/inbound/{scene.soap['1.1'][1]}", 1400),
        ("console-replay-plan", "/ops/replays/new?kind=republish&state=failed", 1400),
    ]


async def test_docs_screenshots_are_taken_by_this_test_and_show_the_current_pages(
    scene: Scene, browser: Browser, tmp_path: Path
) -> None:
    """Runs last (it replays the failed messages). With FLEXGW_TEST_DOCS_SCREENSHOTS set (by
    scripts/console-screenshots) it writes docs/img; otherwise it takes them into a temporary
    directory and fails when docs/img is not what it would write: other files, other sizes,
    other headings (the layout), or a docs/ image it does not take."""
    target = os.environ.get("FLEXGW_TEST_DOCS_SCREENSHOTS")
    out = Path(target) if target else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    facts: dict[str, dict[str, Any]] = {}
    pages = {width: await logged_in(browser, scene.url, width=width) for width in WIDTHS}
    for name, path, width in _shots(scene):
        page = pages[width]
        await page.goto(scene.url + path)
        if name == "console-replay-plan":
            await page.fill("textarea[name=reason]", "Broker max message size raised (CHG-311)")
        facts[name] = await screenshot(page, out, name)
    page = pages[1400]
    await page.click("#execute button[type=submit]")
    await expect(page).to_have_url(re.compile(r"/ops/replays/[0-9a-f-]{36}$"))
    await expect(page.locator("#job-state")).to_have_text("done", timeout=60_000)
    facts["console-replay-job"] = await screenshot(page, out, "console-replay-job")
    await page.goto(scene.url + "/ops/quarantine?state=held")
    facts["console-quarantine"] = await screenshot(page, out, "console-quarantine")
    (out / MANIFEST).write_text(json.dumps(facts, indent=2, sort_keys=True) + "\n")
    if target:
        return

    referenced = {
        name
        for doc in [*DOCS.glob("*.md"), DOCS.parent / "README.md"]
        for name in re.findall(r"img/([\w.-]+)\.png", doc.read_text(encoding="utf-8"))
    }
    committed = {p.stem for p in IMG.glob("*.png")}
    assert referenced <= set(facts), f"docs show images no script takes: {referenced - set(facts)}"
    assert committed == set(facts), "docs/img differs from scripts/console-screenshots' output"
    assert json.loads((IMG / MANIFEST).read_text()) == facts, (
        "the console's pages changed since docs/img was taken: run scripts/console-screenshots"
    )
    for name, seen in facts.items():
        assert png_size(IMG / f"{name}.png")[0] == seen["width"], name
