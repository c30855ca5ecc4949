from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.leads.export import (
    CSV_COLUMNS,
    FORMULA_PREFIXES,
    JSON_KEYS,
    lead_row,
    leads_to_csv,
    leads_to_json,
    neutralise_cell,
)
from bot.leads.model import CompanyType, Lead, LeadStatus, Location, lead_reference

BOM = b"\xef\xbb\xbf"
CONSENT_TIME = datetime(2025, 3, 1, 9, 30, 0, tzinfo=UTC)
CREATED_TIME = datetime(2025, 3, 1, 9, 31, 5, tzinfo=timezone(timedelta(hours=1)))


def make_lead(**changes: Any) -> Lead:
    lead = Lead(
        id=123,
        reference=lead_reference(123),
        status=LeadStatus.NEW,
        user_id=987654321,
        cluster_id="greenwin",
        company_name="Plastiques Dupont",
        enterprise_number="0203.201.340",
        activity="Recyclage de plastiques\net moulage",
        company_type=CompanyType.SME,
        location=Location.WALLONIA,
        contact_name="Hélène Dupont",
        email="helene@dupont.be",
        phone="+32471123456",
        language="fr",
        consent_version="2025-01",
        consent_given_at=CONSENT_TIME,
        created_at=CREATED_TIME,
        updated_at=CREATED_TIME,
    )
    return replace(lead, **changes)


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_header_and_row() -> None:
    data = leads_to_csv([make_lead()])
    assert data.startswith(BOM)
    rows = read_csv(data)
    assert rows[0] == [
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
    ]
    assert rows[0] == list(CSV_COLUMNS)
    assert rows[1] == [
        "123",
        "W-000123",
        "new",
        "greenwin",
        "Plastiques Dupont",
        "0203.201.340",
        "Recyclage de plastiques\net moulage",
        "sme",
        "wallonia",
        "Hélène Dupont",
        "helene@dupont.be",
        "'+32471123456",  # E.164 starts with "+": neutralised on purpose
        "fr",
        "2025-01",
        "2025-03-01T09:30:00+00:00",
        "2025-03-01T09:31:05+01:00",
    ]
    assert len(rows) == 2


def test_csv_no_leads_is_just_the_header() -> None:
    data = leads_to_csv([])
    assert data == BOM + (",".join(CSV_COLUMNS) + "\r\n").encode()


def test_csv_accepts_any_iterable() -> None:
    leads = (make_lead(id=i, reference=lead_reference(i)) for i in range(1, 4))
    rows = read_csv(leads_to_csv(leads))
    assert [row[1] for row in rows[1:]] == ["W-000001", "W-000002", "W-000003"]


def test_csv_missing_optional_values_are_empty_cells() -> None:
    rows = read_csv(leads_to_csv([make_lead(enterprise_number=None, phone=None)]))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["enterprise_number"] == ""
    assert row["phone"] == ""


@pytest.mark.parametrize(
    ("value", "exported"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+32 cmd", "'+32 cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Dupont = best", "Dupont = best"),
        ("'already quoted", "'already quoted"),
        ("", ""),
    ],
)
def test_csv_neutralises_formula_cells(value: str, exported: str) -> None:
    assert neutralise_cell(value) == exported
    rows = read_csv(leads_to_csv([make_lead(company_name=value, activity=value)]))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["company"] == exported
    assert row["activity"] == exported


def test_csv_keeps_newlines_and_quotes_inside_cells() -> None:
    activity = 'Ligne 1\nLigne 2, "citée"\r\nLigne 3'
    data = leads_to_csv([make_lead(activity=activity)])
    rows = read_csv(data)
    assert rows[1][CSV_COLUMNS.index("activity")] == activity
    assert len(rows) == 2


# --- JSON ----------------------------------------------------------------------------------------


def test_json_objects() -> None:
    text = leads_to_json([make_lead(company_name="=Dupont", enterprise_number=None)])
    assert "Hélène" in text  # ensure_ascii=False
    assert text.startswith("[\n  {\n")  # indent=2
    data = json.loads(text)
    assert data == [
        {
            "id": 123,
            "reference": "W-000123",
            "status": "new",
            "cluster": "greenwin",
            "company": "=Dupont",  # JSON is not neutralised
            "enterprise_number": None,
            "activity": "Recyclage de plastiques\net moulage",
            "type": "sme",
            "location": "wallonia",
            "contact": "Hélène Dupont",
            "email": "helene@dupont.be",
            "phone": "+32471123456",
            "language": "fr",
            "consent_time": "2025-03-01T09:30:00+00:00",
            "created_time": "2025-03-01T09:31:05+01:00",
        }
    ]
    assert list(data[0]) == list(JSON_KEYS)


def test_json_empty() -> None:
    assert json.loads(leads_to_json([])) == []


def test_csv_and_json_come_from_the_same_row() -> None:
    lead = make_lead()
    row = lead_row(lead)
    assert list(row) == list(CSV_COLUMNS)
    obj = json.loads(leads_to_json([lead]))[0]
    for column, value in row.items():
        key = "type" if column == "company_type" else column
        if key in obj:
            assert obj[key] == value
    assert set(JSON_KEYS) == (set(CSV_COLUMNS) - {"company_type", "consent_version"}) | {"type"}


# --- properties ----------------------------------------------------------------------------------

# Any text a Lead may hold (no lone surrogates: they are not encodable and validators refuse them).
texts = st.text(st.characters(codec="utf-8"), max_size=50)
dangerous = st.builds(lambda p, t: p + t, st.sampled_from(FORMULA_PREFIXES), texts)
cell_texts = st.one_of(texts, dangerous, st.sampled_from(["Élodie Œuvré", "ça ß 🏭", "a\r\nb"]))


@st.composite
def leads(draw: st.DrawFn) -> Lead:
    return make_lead(
        id=draw(st.integers(min_value=1, max_value=10**9)),
        company_name=draw(cell_texts),
        enterprise_number=draw(st.none() | cell_texts),
        activity=draw(cell_texts),
        contact_name=draw(cell_texts),
        email=draw(cell_texts),
        phone=draw(st.none() | cell_texts),
        language=draw(cell_texts),
        cluster_id=draw(cell_texts),
        consent_version=draw(cell_texts),
        status=draw(st.sampled_from(LeadStatus)),
        company_type=draw(st.sampled_from(CompanyType)),
        location=draw(st.sampled_from(Location)),
    )


def _expected_cell(value: str | int | None) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@given(st.lists(leads(), max_size=5))
def test_csv_round_trip(lead_list: list[Lead]) -> None:
    data = leads_to_csv(lead_list)
    assert data.startswith(BOM)
    assert not data[len(BOM) :].startswith(BOM)
    rows = read_csv(data)
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == len(lead_list) + 1
    for lead, row in zip(lead_list, rows[1:], strict=True):
        for column, cell in zip(CSV_COLUMNS, row, strict=True):
            original = lead_row(lead)[column]
            assert cell == _expected_cell(original)
            if cell.startswith("'") and not str(original).startswith("'"):
                assert cell[1:] == str(original)


@given(st.lists(leads(), max_size=5))
def test_json_round_trip(lead_list: list[Lead]) -> None:
    data = json.loads(leads_to_json(lead_list))
    assert len(data) == len(lead_list)
    for lead, obj in zip(lead_list, data, strict=True):
        assert list(obj) == list(JSON_KEYS)
        assert obj["company"] == lead.company_name
        assert obj["activity"] == lead.activity
        assert obj["phone"] == lead.phone
        assert obj["type"] == lead.company_type.value
