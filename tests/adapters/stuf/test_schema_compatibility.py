"""The gateway ships its own StUF schemas; these tests prove they agree with the official ones:
the sector model compiles on the official StUF 03.01 envelope, the same messages are valid
under both, and every reply the gateway writes is valid against the official stuf0301.xsd."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from adapters.stuf import adapter
from adapters.stuf.faults import FAULTS
from adapters.stuf.replies import FaultReply, bv03, fo02, fo03
from adapters.stuf.stuurgegevens import Systeem
from tests import stuf_messages as m
from tests.adapters.stuf.official import (
    assert_valid,
    gateway_schemas_on_official,
    official_bg0310,
    official_stuf0301,
)

FX_SAMPLES = {
    "kandidaat T": m.kandidaat_lk01("R-1"),
    "kandidaat W": m.kandidaat_lk01(
        "R-2",
        m.kandidaat(),
        m.kandidaat(geslachtsnaam="Jansen", iban=m.V(no_value="geenWaarde")),
        mutatiesoort="W",
    ),
    "kandidaat V": m.kandidaat_lk01(
        "R-3", m.kandidaat(datumAfmelding="20270101"), mutatiesoort="V"
    ),
    "uitkering T": m.uitkering_lk01("R-4"),
    "uitkering W": m.uitkering_lk01(
        "R-5",
        m.uitkering(),
        m.uitkering(
            status="opgeschort",
            datumStatus="20270201",
            opschorting=[("datumBegin", "20270201"), ("datumEinde", "20270301")],
        ),
        mutatiesoort="W",
    ),
    "plaatsing T": m.plaatsing_lk01("R-6"),
    "plaatsing V": m.plaatsing_lk01(
        "R-7", m.plaatsing(datumEinde="20270301", redenEinde="regulierWerk"), mutatiesoort="V"
    ),
}


@pytest.fixture(scope="module")
def on_official(tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    return gateway_schemas_on_official(str(tmp_path_factory.mktemp("xsd")))


@pytest.mark.parametrize("name", sorted(FX_SAMPLES))
def test_sector_messages_valid_under_both_envelopes(
    name: str, on_official: etree.XMLSchema
) -> None:
    element = etree.fromstring(FX_SAMPLES[name].encode())
    assert adapter.schemas.issues(element) == []
    assert_valid(on_official, element)


def test_sector_schema_rejects_the_same_errors_on_both(on_official: etree.XMLSchema) -> None:
    broken = etree.fromstring(
        m.kandidaat_lk01("R-9", m.kandidaat(geboortedatum="1990-04-17")).encode()
    )
    assert adapter.schemas.issues(broken)
    assert not on_official.validate(broken)


def test_nps_messages_valid_under_official_bg_and_ours() -> None:
    for sample in (
        m.nps_lk01("N-1", m.persoon(), m.persoon(geslachtsnaam="Jansen")),
        m.nps_lk01("N-2", m.persoon(), m.persoon(overlijdensdatum="20261120")),
        m.nps_lk01(
            "N-3",
            m.persoon(),
            m.persoon(
                verblijfsadres=[
                    ("wpl.woonplaatsNaam", "Rotterdam"),
                    ("gor.straatnaam", "Coolsingel"),
                    ("aoa.postcode", "3011AD"),
                    ("aoa.huisnummer", "40"),
                    ("begindatumVerblijf", "20261115"),
                ]
            ),
        ),
    ):
        element = etree.fromstring(sample.encode())
        assert adapter.schemas.issues(element) == []
        assert_valid(official_bg0310(), element)


def test_every_own_xsd_type_name_exists_in_the_official_envelope() -> None:
    ours = etree.parse(str(Path(adapter.schemas._entry).parent / "stuf0301.xsd"))
    official = official_stuf0301()  # compiled: the file exists and is the standard
    assert official is not None
    from tests.standards import stuf_dir

    theirs = etree.parse(str(stuf_dir() / "0301" / "stuf0301.xsd"))
    xs = "{http://www.w3.org/2001/XMLSchema}"

    def names(tree: etree._ElementTree) -> set[tuple[str, str | None]]:
        return {(el.tag, el.get("name")) for el in tree.getroot() if el.get("name")}

    missing = names(ours) - names(theirs)
    assert not missing, (
        f"declared in the gateway's stuf0301.xsd but not in the official one: {missing}"
    )
    assert (f"{xs}element", "Bv03Bericht") in names(ours)


GATEWAY = Systeem(applicatie="FLEXGW", organisatie="Flextensie")
MUNICIPALITY = Systeem(applicatie="SOCIAAL-DOMEIN", organisatie="0363")


def test_bv03_valid_against_official() -> None:
    element = bv03(
        zender=GATEWAY,
        ontvanger=MUNICIPALITY,
        referentienummer="x" * 36,
        tijdstip="20261201120000123",
        cross_ref="R-1",
    )
    assert_valid(official_stuf0301(), element)


@pytest.mark.parametrize("code", sorted(FAULTS))
def test_fo03_and_fo02_valid_against_official(code: str) -> None:
    reply = FaultReply(FAULTS[code], "o" * 300, "d" * 1500)  # longer than allowed: cut to fit
    assert_valid(
        official_stuf0301(),
        fo03(
            reply,
            zender=GATEWAY,
            ontvanger=MUNICIPALITY,
            referentienummer="r",
            tijdstip="20261201120000",
            cross_ref="",
        ),
    )
    assert_valid(official_stuf0301(), fo02(reply))


def test_missing_standards_fail_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.standards import standards_dir

    monkeypatch.setenv("FLEXGW_TEST_STANDARDS_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(pytest.fail.Exception, match="FLEXGW_TEST_STANDARDS_DIR"):
        standards_dir()
