"""What a report says about each stable error code, in Dutch and English.

Adapters put a precise English ``message`` on every :class:`~adapters.base.Issue`; reports
for agency staff add the Dutch text from here (and the English one where the issue has none).
Codes are stable: senders may act on them, so a code is never renamed, only added.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["TEXTS", "dutch", "english"]

#: code -> (Dutch, English)
TEXTS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        # values
        "missing": (
            "Verplicht veld is leeg of ontbreekt.",
            "A required field is empty or missing.",
        ),
        "invalid_number": (
            "Geen geldig getal in de notatie van het profiel (bijv. 1.234,56).",
            "Not a number in the profile's notation.",
        ),
        "too_many_decimals": (
            "Bedragen en uren hebben hoogstens 2 decimalen.",
            "Amounts and hours have at most 2 decimals.",
        ),
        "invalid_date": ("Geen geldige datum in het formaat van het profiel.", "Not a valid date."),
        "invalid_bsn": (
            "Geen geldig BSN: 9 cijfers die de elfproef doorstaan.",
            "Not a valid BSN: 9 digits that pass the eleven test.",
        ),
        "invalid_iban": (
            "Geen geldig IBAN (controlecijfers of lengte kloppen niet).",
            "Not a valid IBAN (check digits or length are wrong).",
        ),
        "invalid_loonheffingennummer": (
            "Geen geldig loonheffingennummer (RSIN/BSN + 'L' + 2 cijfers, bijv. 123456782L01).",
            "Not a valid loonheffingennummer (RSIN/BSN + 'L' + 2 digits).",
        ),
        "invalid_kvk": (
            "Geen geldig KvK-nummer (8 cijfers).",
            "Not a valid KvK number (8 digits).",
        ),
        "invalid_gemeentecode": (
            "Geen geldige gemeentecode (4 cijfers).",
            "Not a valid municipality code (4 digits).",
        ),
        "invalid_loontijdvak": (
            "Loontijdvak moet week, 4-weken, maand of kwartaal zijn.",
            "Loontijdvak must be week, 4-weken, maand or kwartaal.",
        ),
        "invalid_period": ("Dit tijdvaknummer bestaat niet.", "This period number does not exist."),
        "period_mismatch": (
            "Het tijdvaknummer hoort niet bij de datums van de regel (zie de kalender van het "
            "loontijdvak).",
            "The period number does not match the row's dates (see the loontijdvak's calendar).",
        ),
        "period_crosses_boundary": (
            "De datums van de regel liggen niet binnen één tijdvak van het loontijdvak.",
            "The row's dates do not lie inside one period of its loontijdvak.",
        ),
        "negative_value": (
            "Een negatieve waarde mag alleen in een correctieregel (profiel: correctie als "
            "verschil) en mag het totaal van de periode niet onder nul brengen.",
            "A negative value is allowed only in a correction row (profile: corrections as "
            "differences) and may not bring the period's total below zero.",
        ),
        "period_end_before_start": (
            "Einde van de periode ligt voor het begin.",
            "The period ends before it starts.",
        ),
        "period_too_long": (
            "De periode is langer dan een jaar.",
            "The period is longer than a year.",
        ),
        "end_before_start": (
            "Einddatum ligt voor de begindatum.",
            "The end date lies before the start date.",
        ),
        "hours_out_of_range": (
            "Aantal uren is niet aannemelijk (0 tot 24 per dag van de periode; negatief alleen "
            "in een correctieregel).",
            "Hours are not plausible (0 to 24 per day of the period; negative only in a "
            "correction row).",
        ),
        "day_outside_period": (
            "De werkdag ligt buiten de periode.",
            "The working day lies outside the period.",
        ),
        "outside_placement": (
            "De periode valt (deels) buiten de plaatsing.",
            "The period lies (partly) outside the placement.",
        ),
        "party_not_linked": (
            "Deze gemeente werkt volgens de gateway niet met dit uitzendbureau; laat de "
            "gemeente weg of vraag Flextensie de twee te koppelen.",
            "This municipality does not work with this agency in the gateway's configuration; "
            "leave the municipality out or ask Flextensie to link the two.",
        ),
        "unknown_placement": (
            "Plaatsing onbekend: lever eerst de plaatsing aan.",
            "Unknown placement: send the placement first.",
        ),
        "unknown_row_kind": ("Onbekend regelsoort.", "Unknown row kind."),
        "unknown_hour_kind": ("Onbekende urensoort.", "Unknown hour type."),
        "row_too_short": ("De regel heeft te weinig kolommen.", "The row has too few columns."),
        "string_too_long": ("De waarde is te lang.", "The value is too long."),
        "out_of_range": ("De waarde ligt buiten het toegestane bereik.", "Value out of range."),
        "invalid_value": ("Ongeldige waarde.", "Invalid value."),
        # duplicates and corrections
        "conflict": (
            "Zelfde regel (persoon, plaatsing, periode, soort) eerder aangeleverd met andere "
            "waarden; in quarantaine gezet. Stuur een correctie als de nieuwe waarden gelden.",
            "Same row (person, placement, period, kind) was delivered before with other values; "
            "quarantined. Send a correction if the new values apply.",
        ),
        "placement_person_mismatch": (
            "Deze plaatsing hoort bij een andere persoon (ander BSN).",
            "This placement belongs to another person (another BSN).",
        ),
        # files
        "invalid_encoding": (
            "Het bestand is geen geldige UTF-8 of Windows-1252 tekst.",
            "The file is not valid UTF-8 or Windows-1252 text.",
        ),
        "malformed_csv": (
            "De CSV-structuur klopt niet (aanhalingstekens, scheidingsteken).",
            "The CSV structure is broken (quotes, separator).",
        ),
        "field_too_large": (
            "Een veld is langer dan de gateway toestaat: maak de waarde korter, of sluit het "
            "aanhalingsteken dat in dit veld geopend is.",
            "A field is longer than the gateway allows: shorten the value, or close the quote "
            "opened in this field.",
        ),
        "no_header": ("Het bestand heeft geen kopregel.", "The file has no header row."),
        "missing_column": (
            "Een kolom uit het profiel ontbreekt in de kopregel.",
            "A column of the profile is missing from the header row.",
        ),
        "empty_file": ("Het bestand bevat geen regels.", "The file holds no rows."),
        "no_profile": (
            "Voor dit uitzendbureau is geen CSV-profiel ingesteld.",
            "No CSV profile is configured for this agency.",
        ),
        "unknown_format": (
            "Bestandsformaat niet herkend (CSV, SETU XML of SETU JSON).",
            "File format not recognised (CSV, SETU XML or SETU JSON).",
        ),
        "too_many_errors": (
            "Te veel fouten; de rest van het bestand is niet meer gecontroleerd.",
            "Too many errors; the rest of the file was not checked.",
        ),
        # SETU
        "invalid_xml": ("Geen geldige of veilige XML.", "Not well-formed or unsafe XML."),
        "invalid_json": ("Geen geldige JSON.", "Not valid JSON."),
        "schema_invalid": (
            "Het bericht voldoet niet aan het officiële SETU-schema.",
            "The message does not match the official SETU schema.",
        ),
        "unknown_document": (
            "Geen SETU Timecard of Assignment (v1.x of v2.0).",
            "Not a SETU Timecard or Assignment (v1.x or v2.0).",
        ),
        "missing_element": ("Verplicht element ontbreekt.", "A required element is missing."),
        "unknown_assignment": (
            "Opdracht (assignment) onbekend: lever eerst de Assignment of plaatsing aan.",
            "Unknown assignment: send the Assignment or placement first.",
        ),
        "unknown_worker": (
            "Medewerker onbekend: lever eerst een looncsv met personeelsnummer en BSN aan.",
            "Unknown worker: send a payroll CSV with employee number and BSN first.",
        ),
        "forbidden": ("Niet toegestaan voor deze afzender.", "Not allowed for this sender."),
        "crashed": (
            "De gateway kon het bestand niet verwerken; het is bewaard voor beheer.",
            "The gateway could not process the file; it was kept for operations.",
        ),
    }
)


def dutch(code: str) -> str:
    return TEXTS.get(code, TEXTS["invalid_value"])[0]


def english(code: str) -> str:
    return TEXTS.get(code, TEXTS["invalid_value"])[1]
