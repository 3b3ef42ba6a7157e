"""The layering of docs/architecture.md: channels get their adapters from the registry, the
registry configures them from the settings, and the docs name what import-linter checks."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from adapters.base import AdapterConfig, Draft, TranslationError
from adapters.canonical_json import CanonicalJsonAdapter
from adapters.payroll_csv import SHIPPED_PROFILES, PayrollCsvAdapter
from adapters.registry import load_adapters
from adapters.setu import SetuAdapter
from adapters.stuf import StufAdapter
from gateway.app import build_context
from gateway.channels import ChannelSetupError
from gateway.settings import Settings
from gateway.stuf.service import StufChannel
from gateway.uploads.errors import UploadSetupError
from gateway.uploads.wiring import UploadChannel
from tests.uploads.conftest import upload_clients

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = SHIPPED_PROFILES.parent / "samples" / "detapower.csv"


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        person_key_secret="x" * 40,
        relay_enabled=False,
        **overrides,
    )


def only_profile(tmp_path: Path, profile_id: str) -> Path:
    """A profile directory holding the shipped detapower profile under another id."""
    text = (SHIPPED_PROFILES / "detapower.toml").read_text("utf-8")
    assert 'id = "detapower"' in text
    directory = tmp_path / "profiles"
    directory.mkdir()
    (directory / f"{profile_id}.toml").write_text(
        text.replace('id = "detapower"', f'id = "{profile_id}"'), encoding="utf-8"
    )
    return directory


def test_the_registry_payroll_csv_adapter_reads_the_configured_profiles_dir(
    tmp_path: Path,
) -> None:
    profiles = only_profile(tmp_path, "configured-agency")
    ctx = build_context(
        settings_for(tmp_path, upload_profiles_dir=profiles), clients=upload_clients()
    )
    adapter = ctx.adapter("payroll-csv")
    drafts = adapter.translate(SAMPLE.read_bytes(), sender="configured-agency")
    assert drafts and all(isinstance(d, Draft) for d in drafts)
    with pytest.raises(TranslationError) as info:
        adapter.translate(SAMPLE.read_bytes(), sender="detapower")  # shipped, not configured
    assert info.value.code == "no-profile"


def test_the_upload_channel_uses_the_registry_profiles(tmp_path: Path) -> None:
    profiles = only_profile(tmp_path, "configured-agency")
    ctx = build_context(
        settings_for(tmp_path, upload_profiles_dir=profiles), clients=upload_clients()
    )
    registered = ctx.adapter("payroll-csv")
    channel = ctx.channels["uploads"]
    assert isinstance(registered, PayrollCsvAdapter) and isinstance(channel, UploadChannel)
    assert channel.service.profiles is registered.profiles
    assert {p.id for p in channel.service.profiles.values()} == {"configured-agency"}


def test_without_a_profiles_dir_the_registry_uses_the_shipped_profiles(tmp_path: Path) -> None:
    ctx = build_context(settings_for(tmp_path), clients=upload_clients())
    assert ctx.adapter("payroll-csv").translate(SAMPLE.read_bytes(), sender="detapower")


def test_the_stuf_channel_uses_the_registry_adapter_with_the_configured_limits(
    tmp_path: Path,
) -> None:
    ctx = build_context(
        settings_for(tmp_path, stuf_max_depth=12, max_body_bytes=4096), clients=upload_clients()
    )
    registered = ctx.adapter("stuf")
    channel = ctx.channels["stuf"]
    assert isinstance(registered, StufAdapter) and isinstance(channel, StufChannel)
    assert channel.service.adapter is registered
    assert (registered.limits.max_depth, registered.limits.max_bytes) == (12, 4096)


def test_the_setu_adapter_gets_the_configured_schema_dir(tmp_path: Path) -> None:
    schema_dir = tmp_path / "setu-schemas"
    schema_dir.mkdir()
    ctx = build_context(
        settings_for(tmp_path, setu_schema_dir=schema_dir), clients=upload_clients()
    )
    registered = ctx.adapter("setu")
    assert isinstance(registered, SetuAdapter)
    assert registered.schemas is not None and registered.schemas.directory == schema_dir


class NotStuf(CanonicalJsonAdapter):
    name = "stuf"


class NotCsv(CanonicalJsonAdapter):
    name = "payroll-csv"


def test_the_stuf_channel_refuses_an_adapter_of_another_kind(tmp_path: Path) -> None:
    adapters = {**load_adapters(), "stuf": NotStuf()}
    with pytest.raises(ChannelSetupError, match="registered as 'stuf' is a NotStuf"):
        build_context(settings_for(tmp_path), clients=upload_clients(), adapters=adapters)


def test_the_upload_channel_refuses_an_adapter_of_another_kind(tmp_path: Path) -> None:
    adapters = {**load_adapters(), "payroll-csv": NotCsv()}
    with pytest.raises(UploadSetupError, match="registered as 'payroll-csv' is a NotCsv"):
        build_context(settings_for(tmp_path), clients=upload_clients(), adapters=adapters)


def test_the_architecture_doc_names_every_import_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    doc = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    assert len(contracts) >= 6
    missing = [c["id"] for c in contracts if f"`{c['id']}`" not in doc]
    assert missing == []


def _top_level(package: str) -> set[str]:
    """Modules (``app.py``) and packages (``store/``) directly under a package."""
    found: set[str] = set()
    for path in (ROOT / package).iterdir():
        if path.suffix == ".py" and path.name != "__init__.py":
            found.add(path.name)
        elif path.is_dir() and (path / "__init__.py").exists():
            found.add(f"{path.name}/")
    return found


@pytest.mark.parametrize("package", ["gateway", "adapters"])
def test_the_readme_layout_lists_every_top_level_module(package: str) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    layout = readme.split("## Layout", 1)[1].split("```", 2)[1]
    # The package's entry: its first line and the indented lines that continue it.
    entry = re.search(rf"^{package}/.*?(?=^\S|\Z)", layout, re.MULTILINE | re.DOTALL)
    assert entry is not None, f"README.md, Layout: no entry for {package}/"
    named = set(re.findall(r"[a-z_]+\.py|[a-z_]+/", entry.group(0)[len(package) + 1 :]))
    missing = sorted(_top_level(package) - named)
    assert missing == [], f"README.md, Layout: {package}/ also has {missing}"


def test_two_registries_in_one_process_do_not_share_a_configuration(tmp_path: Path) -> None:
    profiles = only_profile(tmp_path, "configured-agency")
    configured = load_adapters(config=AdapterConfig(payroll_profiles_dir=profiles))
    default = load_adapters()
    first, second = configured["payroll-csv"], default["payroll-csv"]
    assert isinstance(first, PayrollCsvAdapter) and isinstance(second, PayrollCsvAdapter)
    assert {p.id for p in first.profiles.values()} == {"configured-agency"}
    assert "detapower" in {p.id for p in second.profiles.values()}
