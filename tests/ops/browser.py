"""Driving the console in Debian's headless Chromium (through Playwright): launching it,
logging in, and the checks every console page must pass at every width: no serious or
critical axe-core violation (axe.min.js from .cache/axe, installed by scripts/ensure-axe),
nothing wider than the window, the sidebar's entries inside the sidebar."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, async_playwright, expect

from tests.conftest import TEST_KEYS

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
#: The widths the acceptance names: a desktop and a narrow window.
WIDTHS = (1400, 800)
AXE_JS = Path(__file__).resolve().parents[2] / ".cache" / "axe" / "node_modules" / "axe-core"
AXE_JS = AXE_JS / "axe.min.js"


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def new_page(browser: Browser, width: int = 1400) -> Page:
    # The console's CSP allows only its own scripts; bypassing it lets axe-core be injected
    # (the CSP headers themselves are tested with the console's routes).
    return await browser.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)


async def logged_in(
    browser: Browser, url: str, client: str = "ops-admin", width: int = 1400
) -> Page:
    page = await new_page(browser, width)
    await page.goto(f"{url}/ops/login")
    await page.fill("input[name=api_key]", TEST_KEYS[client])
    await page.click("button[type=submit]")
    await expect(page).to_have_url(re.compile(r"/ops/messages"))
    return page


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of the page as it is now."""
    if not AXE_JS.is_file():
        raise AssertionError(f"{AXE_JS} is missing: run scripts/ensure-axe")
    await page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


async def overflow(page: Page) -> dict[str, Any]:
    """How far the page reaches past the window, and sidebar entries reaching past it."""
    found: dict[str, Any] = await page.evaluate(
        """() => {
            const doc = document.documentElement;
            const aside = document.querySelector('aside');
            const outside = [];
            if (aside) {
                const box = aside.getBoundingClientRect();
                for (const el of aside.querySelectorAll('li, li *, p, a')) {
                    const r = el.getBoundingClientRect();
                    if (r.width && (r.right > box.right + 0.5 || r.left < box.left - 0.5)) {
                        outside.push(el.textContent.trim().slice(0, 80));
                    }
                }
            }
            return {scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth,
                    outsideSidebar: outside};
        }"""
    )
    return found


async def assert_usable(page: Page, what: str) -> None:
    """The acceptance checks of one console page at the page's current width."""
    width = await page.evaluate("window.innerWidth")
    spill = await overflow(page)
    assert spill["scrollWidth"] <= spill["innerWidth"], (what, width, spill)
    assert not spill["outsideSidebar"], (what, width, spill)
    violations = await axe_violations(page)
    assert not violations, f"{what} at {width} px: {json.dumps(violations, indent=1)}"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


async def screenshot(page: Page, out: Path, name: str) -> dict[str, Any]:
    """A full-page screenshot and the layout facts it shows: the window width and the page's
    headings (ids and numbers written as #, so the facts do not change between runs)."""
    path = out / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    headings = await page.locator("main h1, main h2, main h3").all_inner_texts()
    width = await page.evaluate("window.innerWidth")
    assert png_size(path)[0] == width, (name, png_size(path), width)
    return {
        "width": width,
        "headings": [
            re.sub(r"\d+", "#", re.sub(r"[0-9a-f]{8}…", "…", " ".join(h.split()))) for h in headings
        ],
    }
