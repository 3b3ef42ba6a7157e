"""Issue 5 acceptance 5: the web console, driven by headless Chromium (Debian's, through
Playwright), shows the failed list, opens a message and runs a replay. Screenshots of these
pages are taken; with FLEXGW_TEST_SCREENSHOTS=docs/img (scripts/console-screenshots) they are
the ones in docs/operations.md."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from gateway.app import build_context, create_app
from gateway.localkafka import LocalKafka
from gateway.settings import Settings
from tests.conftest import PERSON_KEY_SECRET, TEST_KEYS, make_test_clients
from tests.kafka_reader import read_topic
from tests.live import serve_in_thread
from tests.ops.browser import CHROMIUM, CHROMIUM_ARGS
from tests.ops.helpers import report_on_dlq
from tests.samples import hours_reported, placement_started
from tests.waiting import eventually

pytestmark = pytest.mark.kafka


def _settings(
    store_url: str, data_dir: Path, kafka: LocalKafka, topic: str, **extra: Any
) -> Settings:
    return Settings(
        _env_file=None,
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

        async def counted(state: str, total: int) -> bool:
            response = await client.get(
                "/v1/ops/messages/counts", params={"state": state}, headers=ops
            )
            return bool(response.json()["total"] == total)

        await eventually(lambda: counted("published", 1), what="the placement is published")
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
        await eventually(lambda: counted("failed", 5), what="five messages failed")
    return ids


async def _shot(page: Page, out: Path, name: str) -> None:
    path = out / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


@dataclass(frozen=True)
class Console:
    url: str
    topic: str
    ids: list[str]
    page: Page
    out: Path
    login_url: str
    landed_url: str
    cookie: dict[str, Any]


@pytest.fixture(scope="module")
async def console(
    module_store_url: str, tmp_path_factory: pytest.TempPathFactory, kafka: LocalKafka
) -> AsyncIterator[Console]:
    """The console of a gateway with five failed messages, an admin logged in through the
    login form (after being sent there from the failed list)."""
    tmp = tmp_path_factory.mktemp("console")
    out = Path(os.environ.get("FLEXGW_TEST_SCREENSHOTS") or tmp / "shots")
    out.mkdir(parents=True, exist_ok=True)
    topic = f"test.{uuid.uuid4().hex[:12]}"
    data = tmp / "d"
    with _serve(
        _settings(module_store_url, data, kafka, topic, kafka_max_request_size=4096)
    ) as url:
        ids = await _failures(url, kafka, topic)

    # The cause is fixed (the broker limit); the operator replays from the console.
    with _serve(_settings(module_store_url, data, kafka, topic)) as url:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1360, "height": 900})
            await page.goto(f"{url}/ops/messages?state=failed")
            await expect(page).to_have_url(re.compile(r"/ops/login"))
            login_url = page.url
            await page.fill("input[name=api_key]", TEST_KEYS["ops-admin"])
            await page.click("button[type=submit]")
            await expect(page).to_have_url(re.compile(r"/ops/messages"))
            landed_url = page.url
            cookie = next(c for c in await page.context.cookies() if c["name"] == "flexgw_ops")
            yield Console(url, topic, ids, page, out, login_url, landed_url, dict(cookie))
            await browser.close()


@pytest.fixture(scope="module")
async def replayed(console: Console) -> Console:
    """All failed messages replayed from the console: the plan, a reason, the job's end."""
    page = console.page
    await page.goto(f"{console.url}/ops/messages?state=failed")
    await page.click("#plan-republish")
    await expect(page.locator("#plan-total")).to_contain_text("5 message(s)")
    await expect(page.locator("#sample tbody tr")).to_have_count(5)
    await page.fill("textarea[name=reason]", "Broker max message size raised (CHG-311)")
    await _shot(page, console.out, "console-replay-plan")
    await page.click("#execute button[type=submit]")
    await expect(page).to_have_url(re.compile(r"/ops/replays/[0-9a-f-]{36}$"))
    await expect(page.locator("#job-state")).to_have_text("done", timeout=60_000)
    return console


async def test_login_form_takes_an_anonymous_visitor_back_to_the_page(
    console: Console,
) -> None:
    assert re.search(r"/ops/login\?next=", console.login_url), console.login_url
    assert re.search(r"/ops/messages\?state=failed$", console.landed_url), console.landed_url


async def test_session_cookie_is_http_only_and_strict(console: Console) -> None:
    assert console.cookie["httpOnly"] and console.cookie["sameSite"] == "Strict"


async def test_failed_list_shows_every_failure_with_counts_per_error(console: Console) -> None:
    page = console.page
    await page.goto(f"{console.url}/ops/messages?state=failed")
    await expect(page.locator("#total")).to_have_text("5")
    await expect(page.locator("#messages tbody tr")).to_have_count(5)
    await expect(page.locator("aside")).to_contain_text("record-too-large")
    await expect(page.locator("aside")).to_contain_text("back-office:UnknownClient")
    await _shot(page, console.out, "console-failed-list")


async def test_message_page_shows_error_history_and_masked_output(console: Console) -> None:
    page = console.page
    await page.goto(f"{console.url}/ops/messages?state=failed")
    await page.click(f"a[href='/ops/messages/{console.ids[4]}']")
    await expect(page.locator("#error")).to_contain_text("back-office:UnknownClient")
    await expect(page.locator("#error")).to_contain_text("client KvK 23456789 has no contract")
    await expect(page.locator("#history")).to_contain_text("published")
    await expect(page.locator("#canonical")).to_contain_text('"bsn": "******333"')
    assert "111222333" not in await page.content()
    await _shot(page, console.out, "console-message")


async def test_replay_from_the_console_runs_to_done(replayed: Console) -> None:
    await expect(replayed.page.locator("#job-counts")).to_contain_text("published")
    await _shot(replayed.page, replayed.out, "console-replay-job")


async def test_reveal_is_deliberate_and_audited(replayed: Console) -> None:
    page = replayed.page
    await page.goto(f"{replayed.url}/ops/messages/{replayed.ids[4]}")
    await page.fill("form[action$='/reveal'] input[name=reason]", "municipality call 42")
    await page.click("form[action$='/reveal'] button")
    await expect(page.locator("#canonical")).to_contain_text('"bsn": "111222333"')
    await page.goto(f"{replayed.url}/ops/audit")
    await expect(page.locator("#audit")).to_contain_text("reveal")
    await expect(page.locator("#audit")).to_contain_text("Broker max message size raised")


async def test_a_form_without_the_sessions_csrf_token_is_refused(console: Console) -> None:
    async with httpx.AsyncClient(cookies={"flexgw_ops": console.cookie["value"]}) as client:
        forged = await client.post(
            f"{console.url}/ops/messages/{console.ids[0]}/hold",
            data={"reason": "forged", "csrf_token": "x"},
            follow_redirects=False,
        )
    assert forged.status_code == 403


async def test_each_failed_message_is_published_once_more(
    replayed: Console, kafka: LocalKafka
) -> None:
    records = await read_topic(kafka.bootstrap, replayed.topic)
    ids = replayed.ids
    assert sorted(records.ce_ids()) == sorted([*ids, ids[4]])
