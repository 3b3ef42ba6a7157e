"""Generates a realistic payroll CSV in the shape of the shipped ``flexwerk-uitzend`` profile
(Windows-1252, semicolons, decimal comma, dd-mm-jjjj): per worker one placement row, then
hours rows per working day and one weekly payroll row. Every row is valid; BSNs are test
numbers (eleven test), never real ones.

    python bench/gen_payroll_csv.py OUT.csv --rows 1000000
    python bench/gen_payroll_csv.py OUT.csv --bytes 1000000000
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import valid_test_bsns

HEADER = (
    "Soort;Personeelsnummer;BSN;Plaatsingsnummer;Inlener;KvK inlener;Functie;Begindatum;"
    "Einddatum;Uurloon;Uren per week;Gemeente;Datum;Urensoort;Uren;Jaar;Periode;Bruto loon;"
    "Loonheffing;Netto loon;Loonheffingennummer;IBAN;Correctie"
)
CLIENTS = ("Café De Gouden Leeuw", "Bakkerij Brood & Zo", "Groenvoorziening Één", "Logistiek BV")
IBANS = ("NL91ABNA0417164300", "NL20INGB0001234567", "NL44RABO0123456789")
#: Weeks of hours per worker before the next worker starts (rows per worker = 1 + 6 * WEEKS).
WEEKS = 8


def money(cents: int) -> str:
    euros, rest = divmod(cents, 100)
    text = f"{euros:,}".replace(",", ".")
    return f"{text},{rest:02d}"


def rows(limit_rows: int | None, limit_bytes: int | None) -> Iterator[bytes]:
    written_rows = 0
    written_bytes = 0
    first_monday = date(2026, 1, 5)
    for worker, bsn in enumerate(valid_test_bsns()):
        employee = f"E{worker:07d}"
        assignment = f"PL-{worker:07d}"
        start = first_monday
        end = start + timedelta(weeks=WEEKS) - timedelta(days=1)
        client = CLIENTS[worker % len(CLIENTS)]
        lines = [
            f"P;{employee};{bsn};{assignment};{client};23456789;Medewerker;"
            f"{start:%d-%m-%Y};{end:%d-%m-%Y};14,40;24;0363;;;;;;;;;;;"
        ]
        for week in range(WEEKS):
            monday = start + timedelta(weeks=week)
            for day in range(5):
                worked = monday + timedelta(days=day)
                lines.append(
                    f"U;{employee};{bsn};{assignment};;;;;;;;;{worked:%d-%m-%Y};100;"
                    f"{'7,50' if day % 2 else '8,00'};;;;;;;;"
                )
            iso = monday.isocalendar()
            gross = 3900 * 1440 // 100 + worker % 100
            lines.append(
                f"L;{employee};{bsn};{assignment};;;;;;;;;;;39,00;{iso.year};{iso.week};"
                f"{money(gross)};{money(gross // 10)};{money(gross - gross // 10)};"
                f"{bsn}L01;{IBANS[worker % len(IBANS)]};"
            )
        for line in lines:
            encoded = (line + "\r\n").encode("cp1252")
            if limit_rows is not None and written_rows >= limit_rows:
                return
            if limit_bytes is not None and written_bytes + len(encoded) > limit_bytes:
                return
            written_rows += 1
            written_bytes += len(encoded)
            yield encoded


def generate(path: Path, *, rows_wanted: int | None, bytes_wanted: int | None) -> int:
    count = 0
    with path.open("wb", buffering=1 << 20) as handle:
        handle.write((HEADER + "\r\n").encode("cp1252"))
        for encoded in rows(rows_wanted, bytes_wanted):
            handle.write(encoded)
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--rows", type=int)
    size.add_argument("--bytes", type=int)
    args = parser.parse_args()
    count = generate(args.out, rows_wanted=args.rows, bytes_wanted=args.bytes)
    sys.stdout.write(f"{args.out}: {count} rows, {args.out.stat().st_size} bytes\n")


if __name__ == "__main__":
    main()
