"""Exporting leads for staff: CSV for spreadsheets, JSON for tools.

Both formats are built from one row builder, `lead_row`, so a field added there reaches both.

CSV safety (OWASP "CSV injection"): a cell that starts with =, +, -, @, a tab or a carriage return
could be run as a formula by Excel or LibreOffice, so it is prefixed with a single quote '.
This deliberately includes phone numbers in E.164 ("+32471123456" is exported as
"'+32471123456"): spreadsheets would otherwise read them as formulas or numbers anyway.
JSON is not opened by spreadsheets and carries the values untouched.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Final

from bot.leads.model import Lead

Cell = str | int | None

CSV_COLUMNS: Final = (
    "id",
    "reference",
    "status",
    "cluster",
    "company",
    "enterprise_number",
    "activity",
    "company_type",
    "location",
    "contact",
    "email",
    "phone",
    "language",
    "consent_version",
    "consent_time",
    "created_time",
)
"""CSV header, in order. Stable: spreadsheets and scripts refer to these names."""

_JSON_RENAMES: Final = {"company_type": "type"}
_JSON_OMITTED: Final = frozenset({"consent_version"})

JSON_KEYS: Final = tuple(
    _JSON_RENAMES.get(column, column) for column in CSV_COLUMNS if column not in _JSON_OMITTED
)
"""Keys of each JSON object, in order: the CSV columns, with company_type named "type" and
without consent_version."""

FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
"""Cell starts a spreadsheet may interpret as a formula (OWASP CSV injection guidance)."""


def lead_row(lead: Lead) -> dict[str, Cell]:
    """One lead as an export row, keyed by `CSV_COLUMNS`; times in ISO 8601, absent values None."""
    return {
        "id": lead.id,
        "reference": lead.reference,
        "status": lead.status.value,
        "cluster": lead.cluster_id,
        "company": lead.company_name,
        "enterprise_number": lead.enterprise_number,
        "activity": lead.activity,
        "company_type": lead.company_type.value,
        "location": lead.location.value,
        "contact": lead.contact_name,
        "email": lead.email,
        "phone": lead.phone,
        "language": lead.language,
        "consent_version": lead.consent_version,
        "consent_time": lead.consent_given_at.isoformat(),
        "created_time": lead.created_at.isoformat(),
    }


def neutralise_cell(value: str) -> str:
    """Prefix a quote to a cell a spreadsheet could run as a formula; others are unchanged."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _csv_cell(value: Cell) -> str:
    return neutralise_cell("" if value is None else str(value))


def leads_to_csv(leads: Iterable[Lead]) -> bytes:
    """The leads as CSV: UTF-8 with a BOM (so Excel reads accents right), a header row, CRLF
    line ends, newlines inside cells kept (the cell is quoted), dangerous cells neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for lead in leads:
        row = lead_row(lead)
        writer.writerow([_csv_cell(row[column]) for column in CSV_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def _json_object(lead: Lead) -> dict[str, Cell]:
    row = lead_row(lead)
    return {
        _JSON_RENAMES.get(column, column): row[column]
        for column in CSV_COLUMNS
        if column not in _JSON_OMITTED
    }


def leads_to_json(leads: Iterable[Lead]) -> str:
    """The leads as a JSON list of objects keyed by `JSON_KEYS`; id is a number, absent
    enterprise number or phone is null, text is not escaped to ASCII."""
    return json.dumps([_json_object(lead) for lead in leads], ensure_ascii=False, indent=2)
