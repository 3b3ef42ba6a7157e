"""The flexgw command line, run as a user would."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.app import build_context, create_app
from gateway.auth import ClientRegistry
from gateway.cli import app
from gateway.settings import Settings
from tests.live import serve_in_thread

runner = CliRunner()


def test_db_upgrade_creates_the_sqlite_store(tmp_path: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d" / "gateway.db").exists()


def test_clients_add_prints_key_once_and_stores_hash(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "clients",
            "add",
            "gemeente-utrecht",
            "--role",
            "municipality",
            "--gemeentecode",
            "0344",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    registry = ClientRegistry.from_file(tmp_path / "clients.toml")
    assert registry.authenticate(f"Bearer {key}").id == "gemeente-utrecht"
    bad = runner.invoke(
        app, ["clients", "add", "x-agency", "--role", "agency", "--data-dir", str(tmp_path)]
    )
    assert bad.exit_code == 2
    assert "kvk" in bad.output


def test_configuration_errors_are_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEXGW_PRODUCTION", "true")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "PERSON_KEY_SECRET" in result.output


def test_kafka_status_of_a_stopped_broker(tmp_path: Path) -> None:
    result = runner.invoke(app, ["kafka", "status", "--home", str(tmp_path), "--port", "1"])
    assert result.exit_code == 1
    assert "stopped" in result.stdout


def test_send_posts_a_file(tmp_path: Path) -> None:
    clients_file = tmp_path / "clients.toml"
    added = runner.invoke(
        app,
        [
            "clients",
            "add",
            "gemeente-amsterdam",
            "--role",
            "municipality",
            "--gemeentecode",
            "0363",
            "--data-dir",
            str(tmp_path),
        ],
    )
    key = added.stdout.strip().splitlines()[-1]
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        clients_file=clients_file,
        relay_enabled=False,
        person_key_secret="s" * 32,
    )
    example = Path(__file__).resolve().parents[1] / "docs" / "examples" / "candidate.enrolled.json"
    with serve_in_thread(create_app(settings, context=build_context(settings))) as url:
        sent = runner.invoke(app, ["send", str(example), "--key", key, "--url", url])
        refused = runner.invoke(app, ["send", str(example), "--key", "wrong", "--url", url])
    assert sent.exit_code == 0, sent.output
    assert '"status":"accepted"' in sent.stdout
    assert refused.exit_code == 1
    assert "401" in refused.output
