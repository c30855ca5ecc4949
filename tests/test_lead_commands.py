"""`wallonia-bot leads …` through its argparse wiring and `run_lead_command`, on real SQLite files.

Leads are created with `LeadStore.submit`, as the join flow creates them; each command's output
is read back the way a script or a spreadsheet would read it.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli.lead_commands import (
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    add_lead_commands,
    run_lead_command,
)
from bot.leads.export import CSV_COLUMNS, JSON_KEYS, leads_to_csv, leads_to_json
from bot.leads.model import CompanyType, Consent, Lead, LeadStatus, Location, NewLead, StatusChange
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.lead_store import LeadStore
from knowledge.loader import KNOWLEDGE_DIR

# Created in the recent past, so a status change made now (real clock) comes after creation.
START = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=2)
HYPERLINK = '=HYPERLINK("http://evil.example","clic")'


def new_lead(**changes: Any) -> NewLead:
    lead = NewLead(
        user_id=1001,
        cluster_id="plastiwin",
        company_name="Plastiques Dupont",
        enterprise_number="0203.201.340",
        activity="Injection",
        company_type=CompanyType.SME,
        location=Location.WALLONIA,
        contact_name="Jeanne Dupont",
        email="jeanne@dupont.be",
        phone="+32471123456",
        language="fr",
        consent=Consent(version="2026-11-26", text="J'accepte.", given_at=START),
    )
    return dataclasses.replace(lead, **changes)


# In creation order: W-000001 … W-000005, one hour apart.
SEEDED = [
    new_lead(),
    new_lead(cluster_id="tweed", company_name=HYPERLINK, phone=None, enterprise_number=None),
    new_lead(
        cluster_id="tweed",
        company_name="Éoliennes\tdu\nNord\r\nSPRL",
        contact_name="Zoë\tMüller",
        email="zoe@eoliennes.be",
    ),
    new_lead(company_name="Café Liège", contact_name="Anaïs", email="anais@cafe.be"),
    # A cluster the knowledge base no longer has: its leads stay reachable.
    new_lead(cluster_id="retired-cluster", company_name="Ancienne SA"),
]


async def _seed(path: Path) -> None:
    moment = START

    def clock() -> datetime:
        return moment

    async with await Database.open(path, clock=clock) as database:
        store = LeadStore(database, clock)
        for number, lead in enumerate(SEEDED, start=1):
            moment = START + timedelta(hours=number - 1)
            result = await store.submit(lead, f"key-{number}")
            assert result.created
            assert result.lead.reference == f"W-{number:06d}"


async def _all_leads(path: Path) -> list[Lead]:
    async with await Database.open(path) as database:
        return await LeadStore(database).list(limit=100)


async def _history(path: Path, lead_id: int) -> list[StatusChange]:
    async with await Database.open(path) as database:
        return await LeadStore(database).history(lead_id)


def _parser() -> argparse.ArgumentParser:
    """The top of `wallonia-bot`'s parser, as bot/cli/main.py builds it plus the leads commands."""
    parser = argparse.ArgumentParser(prog="wallonia-bot")
    parser.add_argument("--knowledge-dir", type=Path, default=KNOWLEDGE_DIR)
    add_lead_commands(parser.add_subparsers(dest="command", required=True))
    return parser


@dataclass
class Result:
    status: int
    raw: bytes  # stdout as bytes, exactly
    stderr: str

    @property
    def stdout(self) -> str:
        return self.raw.decode("utf-8")

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


Run = Callable[..., Result]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "assistant.sqlite3"
    asyncio.run(_seed(path))
    return path


@pytest.fixture
def run(db_path: Path) -> Run:
    settings = Settings(database_path=db_path)

    def run(*argv: str) -> Result:
        arguments = _parser().parse_args(["leads", *argv])
        raw = io.BytesIO()
        stdout = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        stderr = io.StringIO()
        status = run_lead_command(arguments, settings, stdout, stderr)
        stdout.flush()
        return Result(status, raw.getvalue(), stderr.getvalue())

    return run


# -- list ---------------------------------------------------------------------------------------


def test_list_prints_one_tab_separated_line_per_lead_newest_first(run: Run) -> None:
    result = run("list")
    assert result.status == EXIT_OK
    assert result.stderr == ""
    rows = [line.split("\t") for line in result.lines]
    assert [row[0] for row in rows] == ["W-000005", "W-000004", "W-000003", "W-000002", "W-000001"]
    assert all(len(row) == 7 for row in rows)
    created = (START + timedelta(hours=3)).isoformat(timespec="minutes")
    assert rows[1] == [
        "W-000004",
        created,
        "new",
        "plastiwin",
        "Café Liège",
        "Anaïs",
        "anais@cafe.be",
    ]
    assert created.endswith("+00:00")
    assert len(created) == len("2026-03-02T09:00+00:00")


def test_list_replaces_tabs_and_newlines_inside_cells(run: Run) -> None:
    result = run("list", "--cluster", "tweed")
    assert result.lines[0].split("\t")[4:6] == ["Éoliennes du Nord  SPRL", "Zoë Müller"]
    assert result.stdout.count("\n") == 2  # two leads, two lines
    assert result.lines[1].split("\t")[4] == HYPERLINK  # a terminal line, not a spreadsheet


def test_list_filters_and_limit(run: Run, db_path: Path) -> None:
    assert run("set-status", "W-000001", "contacted").status == EXIT_OK

    def references(*argv: str) -> list[str]:
        result = run("list", *argv)
        assert result.status == EXIT_OK, result.stderr
        return [line.split("\t")[0] for line in result.lines]

    assert references("--status", "contacted") == ["W-000001"]
    assert references("--status", "NEW", "--cluster", "plastiwin") == ["W-000004"]
    assert references("--cluster", "PlastiWin") == ["W-000004", "W-000001"]
    assert references("--cluster", "retired-cluster") == ["W-000005"]
    assert references("--cluster", "cap2020") == []  # known cluster, no lead yet
    assert references("--status", "member") == []
    assert references("--limit", "2") == ["W-000005", "W-000004"]
    assert references("--limit", "1", "--cluster", "tweed") == ["W-000003"]
    assert references("--limit", "1000") == [f"W-{n:06d}" for n in range(5, 0, -1)]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--status", "won"], "unknown status 'won': choose one of new, contacted, qualified"),
        (["--cluster", "plastiwn"], "unknown cluster 'plastiwn': choose one of cap2020"),
    ],
)
def test_list_unknown_status_or_cluster_exits_2(run: Run, argv: list[str], message: str) -> None:
    result = run("list", *argv)
    assert result.status == EXIT_USAGE
    assert result.raw == b""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("limit", ["0", "-3", "ten"])
def test_list_rejects_a_limit_that_is_not_a_positive_number(
    limit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["leads", "list", "--limit", limit])
    assert exit_info.value.code == EXIT_USAGE
    assert "--limit" in capsys.readouterr().err


def test_a_missing_database_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "assistant.sqlite3"
    stderr = io.StringIO()
    arguments = _parser().parse_args(["leads", "list"])
    status = run_lead_command(arguments, Settings(database_path=path), io.StringIO(), stderr)
    assert status == EXIT_USAGE
    assert stderr.getvalue() == f"no database at {path} (set DATABASE_PATH)\n"
    assert not path.parent.exists()


# -- show and set-status --------------------------------------------------------------------------


def test_show_prints_every_field_and_the_history(run: Run) -> None:
    result = run("show", "W-000002")
    assert result.status == EXIT_OK
    fields = dict(line.split(None, 1) for line in result.lines[: result.lines.index("history:")])
    assert set(fields) == {*CSV_COLUMNS, "updated_time", "user_id"}
    assert fields["reference"] == "W-000002"
    assert fields["company"] == HYPERLINK
    assert fields["cluster"] == "tweed"
    assert fields["phone"] == "-"  # skipped
    assert fields["enterprise_number"] == "-"
    assert fields["email"] == "jeanne@dupont.be"
    assert fields["consent_version"] == "2026-11-26"
    assert fields["user_id"] == "1001"
    [created] = result.lines[result.lines.index("history:") + 1 :]
    assert created.split() == [
        (START + timedelta(hours=1)).isoformat(timespec="seconds"),
        "system",
        "-",
        "→",
        "new",
    ]


@pytest.mark.parametrize("quoted", ["W-000003", "w-3", "w3", "3", " 0003 "])
def test_show_finds_a_lead_by_reference_or_id(run: Run, quoted: str) -> None:
    result = run("show", quoted)
    assert result.status == EXIT_OK
    assert result.lines[0].split() == ["id", "3"]
    # The company's tab and newlines do not break the one-field-per-line layout.
    assert "company            Éoliennes du Nord  SPRL" in result.lines


@pytest.mark.parametrize("quoted", ["W-000099", "0", "abc", ""])
def test_show_unknown_lead_exits_1(run: Run, quoted: str) -> None:
    result = run("show", quoted)
    assert result.status == EXIT_NOT_FOUND
    assert result.raw == b""
    assert result.stderr == f"no lead {quoted!r} (give a reference like W-000123, or its number)\n"


def test_set_status_records_who_and_why_and_prints_the_new_status(run: Run, db_path: Path) -> None:
    result = run("set-status", "W-000004", "contacted", "--note", "Appelée\tle 3", "--by", "77")
    assert result.status == EXIT_OK
    assert result.stdout == "W-000004\tcontacted\n"
    result = run("set-status", "4", "Qualified")
    assert result.stdout == "W-000004\tqualified\n"

    history = asyncio.run(_history(db_path, 4))
    assert [(h.old_status, h.new_status, h.changed_by, h.note) for h in history] == [
        (None, LeadStatus.NEW, None, None),
        (LeadStatus.NEW, LeadStatus.CONTACTED, 77, "Appelée\tle 3"),
        (LeadStatus.CONTACTED, LeadStatus.QUALIFIED, None, None),
    ]
    shown = run("show", "W-000004").lines
    assert "status             qualified" in shown
    lines = shown[shown.index("history:") + 1 :]
    assert lines[1].strip().split("  ")[1:] == ["staff 77", "new → contacted", "Appelée le 3"]
    assert lines[2].strip().split("  ")[1:] == ["system", "contacted → qualified"]
    assert lines[1] < lines[2]  # ISO times: text order is time order


@pytest.mark.parametrize("status", [s.value for s in LeadStatus])
def test_set_status_accepts_every_status(run: Run, status: str) -> None:
    assert run("set-status", "W-000001", status).stdout == f"W-000001\t{status}\n"


def test_set_status_errors_change_nothing(run: Run, db_path: Path) -> None:
    before = asyncio.run(_all_leads(db_path))
    unknown_status = run("set-status", "W-000001", "won")
    assert unknown_status.status == EXIT_USAGE
    assert unknown_status.stderr.startswith("unknown status 'won'")
    unknown_lead = run("set-status", "W-000042", "member")
    assert unknown_lead.status == EXIT_NOT_FOUND
    assert "no lead 'W-000042'" in unknown_lead.stderr
    assert asyncio.run(_all_leads(db_path)) == before
    assert len(asyncio.run(_history(db_path, 1))) == 1


def test_set_status_by_must_be_a_staff_id(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["leads", "set-status", "1", "member", "--by", "alice"])
    assert exit_info.value.code == EXIT_USAGE
    assert "--by" in capsys.readouterr().err


# -- export -------------------------------------------------------------------------------------


def _oldest_first(db_path: Path) -> list[Lead]:
    return list(reversed(asyncio.run(_all_leads(db_path))))


def test_export_csv_to_stdout_is_exactly_leads_to_csv(run: Run, db_path: Path) -> None:
    result = run("export", "--format", "csv")
    assert result.status == EXIT_OK
    assert result.raw == leads_to_csv(_oldest_first(db_path))
    assert result.raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(result.raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(CSV_COLUMNS)
    by_reference = {row[1]: dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert list(by_reference) == [f"W-{n:06d}" for n in range(1, 6)]
    assert by_reference["W-000002"]["company"] == "'" + HYPERLINK  # neutralised
    assert by_reference["W-000004"]["company"] == "Café Liège"  # accents intact
    assert by_reference["W-000004"]["contact"] == "Anaïs"
    assert by_reference["W-000003"]["company"] == "Éoliennes\tdu\nNord\r\nSPRL"  # kept, quoted
    assert by_reference["W-000001"]["phone"] == "'+32471123456"
    assert by_reference["W-000002"]["phone"] == ""


def test_export_csv_to_a_text_only_stream(db_path: Path) -> None:
    stdout = io.StringIO()
    arguments = _parser().parse_args(["leads", "export", "--format", "csv"])
    status = run_lead_command(arguments, Settings(database_path=db_path), stdout, io.StringIO())
    assert status == EXIT_OK
    assert stdout.getvalue().encode("utf-8") == leads_to_csv(_oldest_first(db_path))


def test_export_json_to_stdout(run: Run, db_path: Path) -> None:
    result = run("export", "--format", "json")
    assert result.status == EXIT_OK
    assert result.stdout == leads_to_json(_oldest_first(db_path)) + "\n"
    document = json.loads(result.stdout)
    assert [list(item) for item in document] == [list(JSON_KEYS)] * 5
    second = document[1]
    assert second["id"] == 2
    assert second["company"] == HYPERLINK  # JSON carries values untouched
    assert second["phone"] is None
    assert second["type"] == "sme"
    assert document[3]["company"] == "Café Liège"
    assert "Caf\\u00e9" not in result.stdout


@pytest.mark.parametrize("format_name", ["csv", "json"])
def test_export_to_a_file_replaces_it_atomically(
    run: Run, db_path: Path, tmp_path: Path, format_name: str
) -> None:
    output = tmp_path / "exports" / f"leads.{format_name}"
    output.parent.mkdir()
    output.write_text("an older export that is longer than nothing", encoding="utf-8")
    result = run("export", "--format", format_name, "--output", str(output))
    assert result.status == EXIT_OK
    assert result.raw == b""  # stdout stays empty: the export is in the file
    leads = _oldest_first(db_path)
    expected = (
        leads_to_csv(leads)
        if format_name == "csv"
        else (leads_to_json(leads) + "\n").encode("utf-8")
    )
    assert output.read_bytes() == expected
    assert os.listdir(output.parent) == [output.name]  # no temporary file left
    assert output.stat().st_mode & 0o077 == 0  # personal data: owner only


def test_export_filters(run: Run) -> None:
    run("set-status", "W-000003", "member")
    csv_rows = list(
        csv.DictReader(
            io.StringIO(
                run("export", "--format", "csv", "--cluster", "tweed").raw.decode("utf-8-sig"),
                newline="",
            )
        )
    )
    assert [row["reference"] for row in csv_rows] == ["W-000002", "W-000003"]
    members = json.loads(run("export", "--format", "json", "--status", "member").stdout)
    assert [item["reference"] for item in members] == ["W-000003"]
    assert [item["status"] for item in members] == ["member"]
    both = json.loads(
        run("export", "--format", "json", "--status", "new", "--cluster", "tweed").stdout
    )
    assert [item["reference"] for item in both] == ["W-000002"]
    empty = run("export", "--format", "csv", "--status", "rejected")
    assert empty.raw == leads_to_csv([])
    unknown = run("export", "--format", "json", "--cluster", "nope")
    assert unknown.status == EXIT_USAGE
    assert unknown.raw == b""


def test_export_write_failure_keeps_the_old_file(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "leads.csv"
    output.write_bytes(b"old")

    def failing_replace(source: str, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    result = run("export", "--format", "csv", "--output", str(output))
    assert result.status == EXIT_NOT_FOUND
    assert result.stderr == f"cannot write {output}: No space left on device\n"
    assert output.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".leads.csv.")] == []


def test_export_into_a_missing_folder_is_a_clear_error(run: Run, tmp_path: Path) -> None:
    output = tmp_path / "missing" / "leads.json"
    result = run("export", "--format", "json", "--output", str(output))
    assert result.status == EXIT_NOT_FOUND
    assert result.stderr.startswith(f"cannot write {output}: ")
    assert not output.exists()


def test_export_format_is_required_and_checked(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["leads", "export"], ["leads", "export", "--format", "xlsx"]):
        with pytest.raises(SystemExit) as exit_info:
            _parser().parse_args(argv)
        assert exit_info.value.code == EXIT_USAGE
    assert "--format" in capsys.readouterr().err
