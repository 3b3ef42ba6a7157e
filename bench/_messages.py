"""StUF messages for the benchmarks: unique kandidaatLk01 (test BSNs, eleven test) quickly."""

from __future__ import annotations

from collections.abc import Iterator

from bench.harness import valid_test_bsns

STUF = "http://www.egem.nl/StUF/StUF0301"
FX = "http://www.flextensie.nl/StUF/sector/fx/0100"


def test_bsn(n: int) -> str:
    """A valid test BSN for index ``n`` (0 <= n < 80,000,000): the first from 10,000,000 + n
    on, so neighbouring indexes may share one."""
    return next(valid_test_bsns(10_000_000 + n))


def kandidaat_lk01(ref: str, bsn: str) -> str:
    return (
        f'<FX:kandidaatLk01 xmlns:FX="{FX}" xmlns:StUF="{STUF}">'
        "<FX:stuurgegevens><StUF:berichtcode>Lk01</StUF:berichtcode>"
        "<StUF:zender><StUF:organisatie>0363</StUF:organisatie><StUF:applicatie>SOCIAAL-DOMEIN</StUF:applicatie></StUF:zender>"
        "<StUF:ontvanger><StUF:organisatie>Flextensie</StUF:organisatie><StUF:applicatie>FLEXGW</StUF:applicatie></StUF:ontvanger>"
        f"<StUF:referentienummer>{ref}</StUF:referentienummer>"
        "<StUF:tijdstipBericht>20261201120000</StUF:tijdstipBericht>"
        "<StUF:entiteittype>KDT</StUF:entiteittype></FX:stuurgegevens>"
        "<FX:parameters><StUF:mutatiesoort>T</StUF:mutatiesoort><StUF:indicatorOvername>V</StUF:indicatorOvername></FX:parameters>"
        '<FX:object StUF:entiteittype="KDT" StUF:verwerkingssoort="T">'
        f"<FX:inp.bsn>{bsn}</FX:inp.bsn><FX:gemeentecode>0363</FX:gemeentecode>"
        "<FX:geslachtsnaam>Vries</FX:geslachtsnaam><FX:voorvoegselGeslachtsnaam>de</FX:voorvoegselGeslachtsnaam>"
        "<FX:voorletters>J.</FX:voorletters><FX:voornamen>Jan</FX:voornamen>"
        "<FX:geboortedatum>19900417</FX:geboortedatum>"
        "<FX:verblijfsadres><FX:straatnaam>Dorpsstraat</FX:straatnaam><FX:huisnummer>12</FX:huisnummer>"
        "<FX:postcode>1011AB</FX:postcode><FX:woonplaatsnaam>Amsterdam</FX:woonplaatsnaam></FX:verblijfsadres>"
        "<FX:emailadres>jan@example.org</FX:emailadres><FX:iban>NL91ABNA0417164300</FX:iban>"
        "<FX:datumAanmelding>20261201</FX:datumAanmelding><FX:dossiernummer>WIZ-2026-001</FX:dossiernummer>"
        "</FX:object></FX:kandidaatLk01>"
    )


def stuf_request_body(worker: int, n: int) -> bytes:
    ref = f"B{worker:03d}-{n:08d}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        + kandidaat_lk01(ref, test_bsn(worker * 100_000 + n))
        + "</soap:Body></soap:Envelope>"
    ).encode()


def batch_lines(count: int) -> Iterator[bytes]:
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<StUF:StUF-berichtenSet xmlns:StUF="{STUF}">\n'
    yield head.encode()
    for i in range(count):
        yield (kandidaat_lk01(f"NB-{i:09d}", test_bsn(i)) + "\n").encode()
    yield b"</StUF:StUF-berichtenSet>\n"
