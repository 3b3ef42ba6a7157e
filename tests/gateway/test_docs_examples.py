"""The README's first steps as a newcomer takes them: every file in docs/examples sent to the
REST endpoint gets the documented answer, and the gateway's address leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import GatewayFactory

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.json"))
INVALID_BSN = ROOT / "docs" / "examples" / "candidate.enrolled.invalid-bsn.json"


def test_the_readme_names_only_example_files_that_exist() -> None:
    named = set(re.findall(r"docs/examples/[\w.-]+\.json", (ROOT / "README.md").read_text()))
    assert f"docs/examples/{INVALID_BSN.name}" in named
    for path in named:
        assert (ROOT / path).is_file(), path


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
async def test_every_example_gets_the_documented_answer(
    make_gateway: GatewayFactory, example: Path
) -> None:
    body = example.read_bytes()
    # An agency's messages name its KvK number (the demo key of flexwerk-uitzend, 12345678).
    sender = "flexwerk-uitzend" if b'"agency_kvk"' in body else "gemeente-amsterdam"
    async with make_gateway() as gw:
        response = await gw.post(body, as_client=sender)
    if example == INVALID_BSN:
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        pointers = [error["pointer"] for error in response.json()["errors"]]
        assert pointers == ["#/data/bsn"], pointers
        assert "111222334" not in response.text  # a BSN is never echoed in an error text
    else:
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "accepted"


async def test_the_root_links_to_docs_console_and_health(make_gateway: GatewayFactory) -> None:
    async with make_gateway() as gw:
        index = await gw.client.get("/")
        assert index.status_code == 200
        links = index.json()["links"]
        for path in {"/docs", "/ops", "/healthz", "/readyz", "/metrics"}:
            assert path in links.values()
        for path in links.values():
            followed = await gw.client.get(path)
            assert followed.status_code != 404, path
