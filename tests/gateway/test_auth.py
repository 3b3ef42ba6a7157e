from __future__ import annotations

from pathlib import Path

import pytest

from gateway.auth import ClientRegistry, ClientsFileError, hash_key
from gateway.clients_file import add_client, ensure_demo_clients
from gateway.errors import Forbidden, Unauthenticated
from schemas import CandidateWithdrawnData, PlacementEndedData
from tests.conftest import TEST_KEYS, make_test_clients


def test_authenticate_by_bearer_key() -> None:
    clients = make_test_clients()
    client = clients.authenticate(f"Bearer {TEST_KEYS['gemeente-amsterdam']}")
    assert client.id == "gemeente-amsterdam"
    for header in (None, "", "Basic abc", "Bearer ", "Bearer wrong-key"):
        with pytest.raises(Unauthenticated):
            clients.authenticate(header)


def test_senders_only_submit_their_own_data() -> None:
    clients = make_test_clients()
    amsterdam = clients.get("gemeente-amsterdam")
    agency = clients.get("flexwerk-uitzend")
    ops = clients.get("ops-admin")
    assert amsterdam and agency and ops
    ours = CandidateWithdrawnData(bsn="111222333", municipality="0363", withdrawn_on="2026-01-01")
    theirs = CandidateWithdrawnData(bsn="111222333", municipality="0599", withdrawn_on="2026-01-01")
    placement = PlacementEndedData(
        bsn="111222333", agency_kvk="12345678", assignment_id="A", end_date="2026-01-01"
    )
    amsterdam.check_owns(ours, "#")
    with pytest.raises(Forbidden):
        amsterdam.check_owns(theirs, "#")
    with pytest.raises(Forbidden):
        amsterdam.check_owns(placement, "#")  # no municipality field: not its data
    agency.check_owns(placement, "#")
    with pytest.raises(Forbidden):
        ops.check_owns(ours, "#")


def test_clients_file_round_trip_and_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "clients.toml"
    key = add_client(path, client_id="gemeente-utrecht", role="municipality", gemeentecode="0344")
    registry = ClientRegistry.from_file(path)
    assert registry.authenticate(f"Bearer {key}").id == "gemeente-utrecht"
    assert key not in path.read_text()
    assert hash_key(key) in path.read_text()
    with pytest.raises(ClientsFileError, match="already exists"):
        add_client(path, client_id="gemeente-utrecht", role="municipality", gemeentecode="0344")

    bad = tmp_path / "bad.toml"
    bad.write_text('[[client]]\nid = "x-agency"\nrole = "agency"\nkey_sha256 = ["abc"]\n')
    with pytest.raises(ClientsFileError) as info:
        ClientRegistry.from_file(bad)
    assert "client[0]" in str(info.value)
    with pytest.raises(ClientsFileError, match="does not exist"):
        ClientRegistry.from_file(tmp_path / "missing.toml")


def test_demo_clients_are_created_once(tmp_path: Path) -> None:
    first = ensure_demo_clients(tmp_path / "c.toml", tmp_path / "keys.txt")
    second = ensure_demo_clients(tmp_path / "c.toml", tmp_path / "keys.txt")
    assert first == second
    assert len(ClientRegistry.from_file(tmp_path / "c.toml")) == len(first)
    assert (tmp_path / "keys.txt").stat().st_mode & 0o077 == 0
