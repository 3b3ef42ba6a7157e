"""StUF kennisgevingen -> canonical drafts. Acceptance 4: a W mutation carries the old and the
new object; only real changes appear, geenWaarde clears, an absent element keeps its value,
waardeOnbekend is unknown."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from lxml import etree

from adapters.base import Draft, TranslationError
from adapters.stuf import adapter
from schemas.candidate import CandidateWithdrawnData
from tests import stuf_messages as m
from tests.drafts import data_as

V = m.V


def drafts(xml: str, municipality: str | None = "0363") -> list[Draft]:
    return adapter.drafts(adapter.read(etree.fromstring(xml.encode())), municipality=municipality)


def data(xml: str) -> dict[str, Any]:
    found = drafts(xml)
    assert len(found) == 1
    return found[0].data.model_dump(mode="json", exclude_none=True)


# --- acceptance 4: W mutations --------------------------------------------------------------
def test_w_only_real_changes_appear() -> None:
    old = m.kandidaat()
    # The new object repeats the surname unchanged, changes the given names, leaves the rest out.
    new = m.kandidaat(
        voornamen="Johannes",
        geboortedatum=None,
        verblijfsadres=None,
        emailadres=None,
        iban=None,
        datumAanmelding=None,
        dossiernummer=None,
    )
    out = data(m.kandidaat_lk01("W-1", old, new, mutatiesoort="W"))
    assert out["given_names"] == {"state": "modified", "old": "Jan", "new": "Johannes"}
    assert set(out) == {"bsn", "municipality", "kind", "given_names"}


def test_w_geen_waarde_clears_and_absent_keeps() -> None:
    old = m.kandidaat()
    new = m.kandidaat(
        geslachtsnaam=None,
        voorvoegselGeslachtsnaam=None,
        voorletters=None,
        voornamen=None,
        geboortedatum=None,
        verblijfsadres=None,
        telefoonnummer=None,
        emailadres=V(no_value="geenWaarde"),
        iban=V(no_value="geenWaarde"),
        datumAanmelding=None,
        dossiernummer=None,
    )
    out = data(m.kandidaat_lk01("W-2", old, new, mutatiesoort="W"))
    assert out["email"] == {"state": "cleared", "old": "jan@example.org"}
    assert out["iban"] == {"state": "cleared", "old": "NL91ABNA0417164300"}
    for kept in ("surname", "birth_date", "address", "phone"):
        assert kept not in out  # absent in the new object: unchanged


def test_w_nil_without_novalue_also_clears() -> None:
    new = m.kandidaat(
        geslachtsnaam=None,
        voorvoegselGeslachtsnaam=None,
        voorletters=None,
        voornamen=None,
        geboortedatum=None,
        verblijfsadres=None,
        emailadres=None,
        iban=V(nil=True),
        datumAanmelding=None,
        dossiernummer=None,
    )
    out = data(m.kandidaat_lk01("W-3", m.kandidaat(), new, mutatiesoort="W"))
    assert out["iban"]["state"] == "cleared"


def test_w_waarde_onbekend_is_unknown() -> None:
    new = m.kandidaat(
        geslachtsnaam=None,
        voorvoegselGeslachtsnaam=None,
        voorletters=None,
        voornamen=None,
        geboortedatum=V(no_value="waardeOnbekend"),
        verblijfsadres=None,
        emailadres=None,
        iban=None,
        datumAanmelding=None,
        dossiernummer=None,
    )
    out = data(m.kandidaat_lk01("W-4", m.kandidaat(), new, mutatiesoort="W"))
    assert out["birth_date"] == {"state": "unknown", "old": "1990-04-17"}


def test_w_same_values_in_old_and_new_is_no_change_at_all() -> None:
    assert drafts(m.kandidaat_lk01("W-5", m.kandidaat(), m.kandidaat(), mutatiesoort="W")) == []


def test_w_address_group_is_replaced_whole() -> None:
    new = m.kandidaat(
        geslachtsnaam=None,
        voorvoegselGeslachtsnaam=None,
        voorletters=None,
        voornamen=None,
        geboortedatum=None,
        emailadres=None,
        iban=None,
        datumAanmelding=None,
        dossiernummer=None,
        verblijfsadres=[
            ("straatnaam", "Kerkstraat"),
            ("huisnummer", "3"),
            ("postcode", "1017GB"),
            ("woonplaatsnaam", "Amsterdam"),
        ],
        **m.Geldigheid(
            {
                "StUF:tijdvakGeldigheid": [
                    ("StUF:beginGeldigheid", "20270101"),
                    ("StUF:eindGeldigheid", V(nil=True)),
                ]
            }
        ),
    )
    out = data(m.kandidaat_lk01("W-6", m.kandidaat(), new, mutatiesoort="W"))
    assert out["address"]["new"] == {
        "street": "Kerkstraat",
        "house_number": 3,
        "postcode": "1017GB",
        "city": "Amsterdam",
    }
    assert out["address"]["state"] == "modified"
    assert out["effective_date"] == "2027-01-01"


def test_w_uitkering_status_and_cleared_end() -> None:
    old = m.uitkering(datumEinde="20270601")
    new = m.uitkering(
        soortUitkering=None,
        status="opgeschort",
        datumStatus="20270201",
        datumIngang=None,
        datumEinde=V(no_value="geenWaarde"),
        opschorting=[("datumBegin", "20270201"), ("datumEinde", "20270301")],
    )
    out = data(m.uitkering_lk01("W-7", old, new, mutatiesoort="W"))
    assert out["status"] == "suspended"
    assert out["effective_date"] == "2027-02-01"
    assert out["suspension"] == {"start": "2027-02-01", "end": "2027-03-01"}
    assert out["cleared"] == ["benefit_end"]
    assert "benefit_start" not in out  # unchanged


def test_w_plaatsing_changes_only_rate() -> None:
    new = m.plaatsing(
        inlener=None, datumBegin=None, urenPerWeek=None, functienaam=None, uurtarief="15.10"
    )
    out = data(m.plaatsing_lk01("W-8", m.plaatsing(), new, mutatiesoort="W"))
    assert out["hourly_rate"] == "15.10"
    assert {"client", "hours_per_week", "job_title", "end_date"}.isdisjoint(out)


def test_w_correction_maps_like_a_change() -> None:
    new = m.kandidaat(geslachtsnaam="Vries-Jansen")
    out = data(m.kandidaat_lk01("C-1", m.kandidaat(), new, mutatiesoort="C"))
    assert out["surname"] == {"state": "modified", "old": "Vries", "new": "Vries-Jansen"}
    assert out["kind"] == "correction"


def test_w_old_and_new_must_be_the_same_person() -> None:
    with pytest.raises(TranslationError) as caught:
        drafts(
            m.kandidaat_lk01("W-9", m.kandidaat(), m.kandidaat(bsn="123456782"), mutatiesoort="W")
        )
    assert caught.value.issues[0].code == "key-differs"


# --- T and V --------------------------------------------------------------------------------
def test_t_kandidaat_enrols() -> None:
    found = drafts(m.kandidaat_lk01("T-1"))
    assert found[0].event.short_type == "candidate.enrolled"
    out = found[0].data.model_dump(mode="json", exclude_none=True)
    assert out["enrolled_on"] == "2026-12-01" and out["birth_date"] == "1990-04-17"
    assert found[0].occurred_at is not None and found[0].occurred_at.year == 2026


def test_t_partial_birth_date_is_left_out() -> None:
    out = data(m.kandidaat_lk01("T-2", m.kandidaat(geboortedatum=V("19900400", incomplete="D"))))
    assert "birth_date" not in out


def test_t_partial_date_where_a_full_one_is_needed_is_refused() -> None:
    with pytest.raises(TranslationError) as caught:
        drafts(m.kandidaat_lk01("T-3", m.kandidaat(datumAanmelding="20261200")))
    assert "datumAanmelding" in caught.value.issues[0].message


def test_t_invalid_bsn_is_refused_without_echoing_it() -> None:
    with pytest.raises(TranslationError) as caught:
        drafts(m.kandidaat_lk01("T-4", m.kandidaat(bsn="123456789")))
    assert all("123456789" not in i.message for i in caught.value.issues)


def test_v_kandidaat_withdraws_and_plaatsing_ends() -> None:
    [withdrawn] = drafts(
        m.kandidaat_lk01(
            "V-1",
            m.kandidaat(datumAfmelding="20270101", redenAfmelding="werk gevonden"),
            mutatiesoort="V",
        )
    )
    assert withdrawn.event.short_type == "candidate.withdrawn"
    assert data_as(withdrawn, CandidateWithdrawnData).withdrawn_on == date(2027, 1, 1)
    [ended] = drafts(
        m.plaatsing_lk01(
            "V-2", m.plaatsing(datumEinde="20270301", redenEinde="regulierWerk"), mutatiesoort="V"
        )
    )
    assert ended.data.model_dump()["reason"] == "regular_employment"


def test_wrong_number_of_objects() -> None:
    with pytest.raises(TranslationError) as caught:
        drafts(m.kandidaat_lk01("X-1", m.kandidaat(), mutatiesoort="W"))
    assert caught.value.issues[0].code == "object-count"


# --- npsLk01 ----------------------------------------------------------------------------------
def test_nps_name_death_and_address_changes() -> None:
    new = m.persoon(
        geslachtsnaam="Jansen",
        overlijdensdatum="20261120",
        verblijfsadres=[
            ("aoa.identificatie", "0599200000654321"),
            ("wpl.woonplaatsNaam", "Rotterdam"),
            ("gor.straatnaam", "Coolsingel"),
            ("aoa.postcode", "3011AD"),
            ("aoa.huisnummer", "40"),
            ("begindatumVerblijf", "20261115"),
        ],
    )
    [draft] = drafts(m.nps_lk01("N-1", m.persoon(), new))
    out = draft.data.model_dump(mode="json", exclude_none=True)
    assert out["surname"] == {"state": "modified", "old": "Vries", "new": "Jansen"}
    assert out["date_of_death"] == {"state": "set", "new": "2026-11-20"}
    assert out["address"]["state"] == "modified"
    assert out["address"]["new"] == {
        "street": "Coolsingel",
        "house_number": 40,
        "postcode": "3011AD",
        "city": "Rotterdam",
        "bag_id": "0599200000654321",
        "since": "2026-11-15",
    }
    assert out["municipality"] == "0363" and out["kind"] == "change"


def test_nps_t_mutation_is_a_snapshot() -> None:
    xml = m.message(
        "npsLk01", "NPS", [m.persoon()], ref="N-2", mutatiesoort="T", prefix="BG", namespace=m.BG
    )
    [draft] = drafts(xml)
    out = draft.data.model_dump(mode="json", exclude_none=True)
    assert out["kind"] == "snapshot"
    assert out["surname"] == {"state": "set", "new": "Vries"}


# --- issue 9: what cannot be carried is refused by name, never dropped ------------------------
def test_uitkering_value_becoming_unknown_is_refused_naming_the_element() -> None:
    new = m.uitkering(
        soortUitkering=None,
        datumIngang=None,
        datumEinde=V(no_value="waardeOnbekend"),
    )
    with pytest.raises(TranslationError) as caught:
        drafts(m.uitkering_lk01("U-1", m.uitkering(datumEinde="20270601"), new, mutatiesoort="W"))
    [issue] = caught.value.issues
    assert issue.code == "not-carried" and issue.field == "benefit_end"
    assert issue.message.startswith("datumEinde:")


def test_uitkering_kind_cleared_is_refused_naming_the_element() -> None:
    new = m.uitkering(soortUitkering=V(no_value="geenWaarde"), datumIngang=None)
    with pytest.raises(TranslationError) as caught:
        drafts(m.uitkering_lk01("U-2", m.uitkering(), new, mutatiesoort="W"))
    assert [(i.code, i.field) for i in caught.value.issues] == [("not-carried", "benefit_kind")]


def test_kandidaat_withdrawal_date_in_a_w_is_refused_naming_the_element() -> None:
    new = m.kandidaat(datumAfmelding="20270101")
    with pytest.raises(TranslationError) as caught:
        drafts(m.kandidaat_lk01("K-1", m.kandidaat(), new, mutatiesoort="W"))
    [issue] = caught.value.issues
    assert issue.where.endswith("/datumAfmelding") and "mutatiesoort V" in issue.message


def test_kandidaat_case_reference_and_enrolment_date_changes_are_carried() -> None:
    new = m.kandidaat(dossiernummer="WIZ-2026-002", datumAanmelding="20261202")
    out = data(m.kandidaat_lk01("K-2", m.kandidaat(), new, mutatiesoort="W"))
    assert out["case_reference"] == {
        "state": "modified",
        "old": "WIZ-2026-001",
        "new": "WIZ-2026-002",
    }
    assert out["enrolled_on"] == {"state": "modified", "old": "2026-12-01", "new": "2026-12-02"}


def test_an_empty_mapping_says_why() -> None:
    new = m.persoon()
    at = [name for name, _ in new].index("geboortedatum")
    new.insert(at, ("geslachtsaanduiding", "M"))
    message = adapter.read(etree.fromstring(m.nps_lk01("N-9", m.persoon(), new).encode()))
    mapped = adapter.map(message, municipality="0363")
    assert mapped.drafts == []
    assert mapped.nothing is not None and "not carried: geslachtsaanduiding" in mapped.nothing
