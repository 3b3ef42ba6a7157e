"""Issue 5 acceptance 5: the web console, driven by headless Chromium (Debian's, through
Playwright), shows the failed list, opens a message and runs a replay. Screenshots of these
pages are taken; with FLEXGW_TEST_SCREENSHOTS=docs/img (scripts/console-screenshots) they are
the ones in docs/operations.md."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from gateway.app import build_context, create_app
from gateway.localkafka import LocalKafka
from gateway.settings import Settings
from tests.conftest import PERSON_KEY_SECRET, TEST_KEYS, make_test_clients
from tests.kafka_reader import headers_of, read_topic
from tests.live import serve_in_thread
from tests.ops.helpers import report_on_dlq
from tests.samples import hours_reported, placement_started

pytestmark = pytest.mark.kafka

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _settings(
    store_url: str, data_dir: Path, kafka: LocalKafka, topic: str, **extra: Any
) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        database_url=store_url,
        person_key_secret=PERSON_KEY_SECRET,
        kafka_bootstrap_servers=kafka.bootstrap,
        default_topic=topic,
        dlq_topic=f"{topic}.dlq",
        dlq_poll_seconds=0.2,
        relay_poll_seconds=0.1,
        kafka_request_timeout_ms=5000,
        **extra,
    )


def _serve(settings: Settings) -> Any:
    return serve_in_thread(
        create_app(settings, context=build_context(settings, clients=make_test_clients()))
    )


async def _failures(url: str, kafka: LocalKafka, topic: str) -> list[str]:
    """Four large timecards the relay cannot publish, one placement the back office rejects."""
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {TEST_KEYS['flexwerk-uitzend']}"}
    ) as client:
        sent = await client.post(
            "/v1/messages",
            json=[
                hours_reported(bsn="111222333", lines=150, assignment="A-1"),
                hours_reported(bsn="123456782", lines=150, assignment="A-2"),
                hours_reported(bsn="111222333", lines=151, assignment="A-1"),
                hours_reported(bsn="123456782", lines=152, assignment="A-2"),
                placement_started(bsn="111222333", assignment="A-9"),
            ],
        )
        assert sent.status_code == 202, sent.text
        ids: list[str] = sent.json()["message_ids"]
        ops = {"Authorization": f"Bearer {TEST_KEYS['ops-viewer']}"}
        for _ in range(100):
            published = (
                await client.get(
                    "/v1/ops/messages/counts", params={"state": "published"}, headers=ops
                )
            ).json()
            if published["total"] == 1:
                break
            await asyncio.sleep(0.1)
        await report_on_dlq(
            kafka.bootstrap,
            f"{topic}.dlq",
            {
                "ce_id": ids[4],
                "__connect.errors.exception.class.name": "nl.backoffice.UnknownClient",
                "__connect.errors.exception.message": "client KvK 23456789 has no contract",
                "__connect.errors.connector.name": "backoffice-sink",
                "__connect.errors.stage": "TASK_PUT",
            },
        )
        for _ in range(100):
            failed = (
                await client.get("/v1/ops/messages/counts", params={"state": "failed"}, headers=ops)
            ).json()
            if failed["total"] == 5:
                break
            await asyncio.sleep(0.1)
        assert failed["total"] == 5
    return ids


async def _shot(page: Page, out: Path, name: str) -> None:
    path = out / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


async def test_console_shows_failed_list_opens_message_and_runs_replay(
    store_url: str, tmp_path: Path, kafka: LocalKafka
) -> None:
    out = Path(os.environ.get("FLEXGW_TEST_SCREENSHOTS") or tmp_path / "shots")
    out.mkdir(parents=True, exist_ok=True)
    topic = f"test.{uuid.uuid4().hex[:12]}"
    with _serve(
        _settings(store_url, tmp_path / "d", kafka, topic, kafka_max_request_size=4096)
    ) as url:
        ids = await _failures(url, kafka, topic)

    # The cause is fixed (the broker limit); the operator replays from the console.
    with _serve(_settings(store_url, tmp_path / "d", kafka, topic)) as url:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1360, "height": 900})
            # Not logged in: the console sends the browser to its login form.
            await page.goto(f"{url}/ops/messages?state=failed")
            await expect(page).to_have_url(re.compile(r"/ops/login\?next="))
            await page.fill("input[name=api_key]", TEST_KEYS["ops-admin"])
            await page.click("button[type=submit]")
            await expect(page).to_have_url(re.compile(r"/ops/messages\?state=failed$"))
            cookie = next(c for c in await page.context.cookies() if c["name"] == "flexgw_ops")
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

            # The failed list, with counts per error.
            await expect(page.locator("#total")).to_have_text("5")
            rows = page.locator("#messages tbody tr")
            await expect(rows).to_have_count(5)
            await expect(page.locator("aside")).to_contain_text("record-too-large")
            await expect(page.locator("aside")).to_contain_text("back-office:UnknownClient")
            await _shot(page, out, "console-failed-list")

            # A message page: error, history, masked payload and canonical output.
            await page.click(f"a[href='/ops/messages/{ids[4]}']")
            await expect(page.locator("#error")).to_contain_text("back-office:UnknownClient")
            await expect(page.locator("#error")).to_contain_text(
                "client KvK 23456789 has no contract"
            )
            await expect(page.locator("#history")).to_contain_text("published")
            await expect(page.locator("#canonical")).to_contain_text('"bsn": "******333"')
            body = await page.content()
            assert "111222333" not in body
            await _shot(page, out, "console-message")

            # Replay all failed messages: the plan, a reason, the job's progress.
            await page.goto(f"{url}/ops/messages?state=failed")
            await page.click("#plan-republish")
            await expect(page.locator("#plan-total")).to_contain_text("5 message(s)")
            await expect(page.locator("#sample tbody tr")).to_have_count(5)
            await page.fill("textarea[name=reason]", "Broker max message size raised (CHG-311)")
            await _shot(page, out, "console-replay-plan")
            await page.click("#execute button[type=submit]")
            await expect(page).to_have_url(re.compile(r"/ops/replays/[0-9a-f-]{36}$"))
            await expect(page.locator("#job-state")).to_have_text("done", timeout=60_000)
            await expect(page.locator("#job-counts")).to_contain_text("published")
            await _shot(page, out, "console-replay-job")

            # The reveal is deliberate and audited.
            await page.goto(f"{url}/ops/messages/{ids[4]}")
            await page.fill("form[action$='/reveal'] input[name=reason]", "municipality call 42")
            await page.click("form[action$='/reveal'] button")
            await expect(page.locator("#canonical")).to_contain_text('"bsn": "111222333"')
            await page.goto(f"{url}/ops/audit")
            await expect(page.locator("#audit")).to_contain_text("reveal")
            await expect(page.locator("#audit")).to_contain_text("Broker max message size raised")
            await browser.close()

        # A form posted without the session's CSRF token is refused.
        forged = httpx.post(
            f"{url}/ops/messages/{ids[0]}/hold",
            data={"reason": "forged", "csrf_token": "x"},
            cookies={"flexgw_ops": cookie["value"]},
            follow_redirects=False,
        )
    assert forged.status_code == 403
    records = await read_topic(kafka.bootstrap, topic)
    published = [headers_of(r)["ce_id"] for r in records]
    assert sorted(published) == sorted([*ids, ids[4]])  # each failed one once more
