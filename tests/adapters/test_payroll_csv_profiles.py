"""Profiles are validated at start-up with errors that name the file and the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.payroll_csv import SHIPPED_PROFILES, ProfileError, load_profile, load_profiles
from gateway.app import build_context
from gateway.settings import Settings
from gateway.uploads.errors import UploadSetupError
from tests.uploads.conftest import upload_clients

GOOD = (SHIPPED_PROFILES / "detapower.toml").read_text("utf-8")


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_profiles_load() -> None:
    profiles = load_profiles([SHIPPED_PROFILES])
    assert {p.id for p in profiles.values()} == {"flexwerk-uitzend", "uurwerk-flex", "detapower"}
    assert set(profiles) == {"12345678", "87654321", "34567890"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('agency_kvk = "34567890"', 'agency_kvk = "3456"'), "agency_kvk"),
        (("bsn = 2\n", ""), "row kind 'payroll' needs columns for: bsn"),
        (('delimiter = "|"', 'delimiter = "||"'), "csv.delimiter"),
        (("header = false", "header = true\nskip_lines = -1"), "csv.skip_lines"),
        (('fixed = "payroll"', 'fixed = "loon"'), "kinds.fixed"),
        (("[columns]", "[columns]\nsalary = 12"), "columns.salary"),
        (('loontijdvak = "4-weken"\n', ""), "payroll rows need a loontijdvak"),
        (("gross = 7", 'gross = "Bruto"'), "without a header row, columns are positions"),
    ],
)
def test_a_broken_profile_is_refused_with_the_file_and_the_reason(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    assert change[0] in GOOD
    path = write(tmp_path, "detapower.toml", GOOD.replace(*change))
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_two_profiles_for_one_agency_and_not_toml_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", GOOD)
    write(tmp_path, "b.toml", GOOD.replace('id = "detapower"', 'id = "other"'))
    write(tmp_path, "c.toml", "this is = = not toml")
    with pytest.raises(ProfileError) as info:
        load_profiles([tmp_path, tmp_path / "missing"])
    text = str(info.value)
    assert "already has profile 'detapower'" in text
    assert "c.toml is not valid TOML" in text
    assert "missing does not exist" in text


def test_the_gateway_does_not_start_with_a_broken_profile(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    write(profiles, "x.toml", GOOD.replace("gross = 7\n", ""))
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        upload_profiles_dir=profiles,
        person_key_secret="x" * 40,
    )
    with pytest.raises(UploadSetupError) as info:
        build_context(settings, clients=upload_clients())
    assert "x.toml" in str(info.value) and "gross" in str(info.value)
    missing = settings.model_copy(
        update={"upload_profiles_dir": None, "setu_schema_dir": tmp_path / "nope"}
    )
    with pytest.raises(UploadSetupError, match="SETU_SCHEMA_DIR"):
        build_context(missing, clients=upload_clients())


def test_serve_stops_with_a_clear_message_on_a_broken_profile(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gateway.cli import app

    profiles = tmp_path / "profiles"
    write(profiles, "x.toml", GOOD.replace("bsn = 2\n", ""))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "clients.toml").write_text("", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["serve", "--data-dir", str(tmp_path / "data")],
        env={"FLEXGW_UPLOAD_PROFILES_DIR": str(profiles)},
    )
    assert result.exit_code == 2
    assert "x.toml" in result.output and "bsn" in result.output
