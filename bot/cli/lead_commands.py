"""`wallonia-bot leads …`: staff tools over the stored join requests. A stable interface.

wallonia-bot leads list [--status S] [--cluster C] [--limit N]
    one lead per line, newest first, tab-separated: reference, created time (UTC, ISO
    minutes), status, cluster, company, contact, email
wallonia-bot leads show ID_OR_REFERENCE
    every field, then the status history (time, who, old → new, note)
wallonia-bot leads set-status ID_OR_REFERENCE STATUS [--note TEXT] [--by STAFF_ID]
    move a lead through the workflow (recorded in its history); prints the new status
wallonia-bot leads export --format csv|json [--output FILE] [--status S] [--cluster C]
    every matching lead, oldest first, as bot/leads/export.py builds it; FILE is replaced
    atomically (a reader never sees half an export)

Exit status: 0 done, 1 the lead does not exist (or the knowledge base is broken), 2 a wrong
argument (unknown status or cluster) or no database at DATABASE_PATH. Errors go to stderr,
one line each, so scripts can rely on stdout.

The commands go through `LeadStore` only: the rules (history line per change, reference
format) are the store's, whatever calls it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, TextIO

from bot.leads.export import lead_row, leads_to_csv, leads_to_json
from bot.leads.model import Lead, LeadStatus, StatusChange
from bot.settings import Settings
from bot.storage.database import MEMORY, Database
from bot.storage.lead_store import LeadStore
from knowledge.loader import KNOWLEDGE_DIR, KnowledgeBaseError, load_knowledge_base

# The same numbers as bot/cli/main.py (not imported from there: cli.py imports this module).
EXIT_OK: Final = 0
EXIT_NOT_FOUND: Final = 1
EXIT_USAGE: Final = 2

DEFAULT_LIST_LIMIT: Final = 50
# SQLite's LIMIT is a signed 64-bit integer: this means "all of them" for an export.
_NO_LIMIT: Final = 2**63 - 1
STATUS_NAMES: Final = tuple(status.value for status in LeadStatus)
_ABSENT: Final = "-"

LIST_COLUMNS: Final = ("reference", "created", "status", "cluster", "company", "contact", "email")
"""Columns of `leads list`, in order (no header line is printed)."""


class CommandError(Exception):
    """A problem to report on one stderr line, with the exit status it means."""

    def __init__(self, message: str, exit_status: int) -> None:
        super().__init__(message)
        self.exit_status = exit_status


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_lead_commands(subparsers: Any) -> None:
    """Add `leads` and its subcommands to the `wallonia-bot` subparsers (`add_subparsers()`)."""
    leads = subparsers.add_parser("leads", help="list, show, follow up and export join requests")
    commands = leads.add_subparsers(dest="leads_command", required=True, metavar="LEADS_COMMAND")

    listing = commands.add_parser("list", help="one lead per line, tab-separated, newest first")
    _add_filters(listing)
    listing.add_argument(
        "--limit",
        type=_positive_int,
        default=DEFAULT_LIST_LIMIT,
        help=f"at most N leads (default: {DEFAULT_LIST_LIMIT})",
    )

    show = commands.add_parser("show", help="every field of a lead and its history")
    show.add_argument("lead", metavar="ID_OR_REFERENCE", help='"W-000123", "w123" or "123"')

    set_status = commands.add_parser("set-status", help="move a lead through the workflow")
    set_status.add_argument("lead", metavar="ID_OR_REFERENCE", help='"W-000123" or "123"')
    set_status.add_argument("status", metavar="STATUS", help=" | ".join(STATUS_NAMES))
    set_status.add_argument("--note", help="why, kept in the lead's history")
    set_status.add_argument(
        "--by",
        type=_positive_int,
        metavar="STAFF_ID",
        help="Telegram user ID of the staff member (default: recorded as the system)",
    )

    export = commands.add_parser("export", help="leads as CSV (spreadsheets) or JSON (tools)")
    export.add_argument("--format", required=True, choices=("csv", "json"))
    export.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="write FILE (replaced atomically) instead of stdout",
    )
    _add_filters(export)


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", metavar="S", help=" | ".join(STATUS_NAMES))
    parser.add_argument("--cluster", metavar="C", help="cluster id, e.g. plastiwin")


def run_lead_command(
    arguments: argparse.Namespace,
    settings: Settings,
    stdout: TextIO,
    stderr: TextIO | None = None,
) -> int:
    """Run the `leads` subcommand `arguments` names; returns the exit status."""
    errors = sys.stderr if stderr is None else stderr
    try:
        # Arguments are checked before the database is opened: a typo costs nothing.
        status = _status_or_none(getattr(arguments, "status", None))
        path = str(settings.database_path)
        if path != MEMORY and not Path(path).is_file():
            # Database.open would create an empty one, and `leads list` would say "nothing".
            raise CommandError(f"no database at {path} (set DATABASE_PATH)", EXIT_USAGE)
        return asyncio.run(_run(arguments, status, settings, stdout))
    except CommandError as error:
        errors.write(f"{error}\n")
        errors.flush()
        return error.exit_status


async def _run(
    arguments: argparse.Namespace,
    status: LeadStatus | None,
    settings: Settings,
    stdout: TextIO,
) -> int:
    command = arguments.leads_command
    async with await Database.open(settings.database_path) as database:
        store = LeadStore(database)
        if command == "list":
            cluster = await _cluster_or_none(store, arguments)
            leads = await store.list(status=status, cluster_id=cluster, limit=arguments.limit)
            stdout.writelines(format_list_line(lead) + "\n" for lead in leads)
        elif command == "show":
            lead = await _find(store, arguments.lead)
            stdout.write(format_lead(lead, await store.history(lead.id)))
        elif command == "set-status":
            if status is None:
                raise CommandError(_unknown_status(arguments.status), EXIT_USAGE)
            lead = await _find(store, arguments.lead)
            # LeadStore.set_status is annotated `changed_by: int`, but its history (and
            # StatusChange.changed_by) takes None for "the system": no --by means that.
            changed_by: int | None = arguments.by
            updated = await store.set_status(
                lead.id,
                status,
                changed_by,
                arguments.note,
            )
            stdout.write(f"{updated.reference}\t{updated.status.value}\n")
        elif command == "export":
            cluster = await _cluster_or_none(store, arguments)
            newest_first = await store.list(status=status, cluster_id=cluster, limit=_NO_LIMIT)
            _export(list(reversed(newest_first)), arguments.format, arguments.output, stdout)
        else:  # pragma: no cover - argparse only lets the commands above through
            raise CommandError(f"unknown leads command {command!r}", EXIT_USAGE)
    stdout.flush()
    return EXIT_OK


# -- arguments ----------------------------------------------------------------------------------


def _unknown_status(text: str) -> str:
    return f"unknown status {text!r}: choose one of {', '.join(STATUS_NAMES)}"


def _status_or_none(text: str | None) -> LeadStatus | None:
    """The status named on the command line (any case), None when none was given."""
    if text is None:
        return None
    try:
        return LeadStatus(text.strip().lower())
    except ValueError:
        raise CommandError(_unknown_status(text), EXIT_USAGE) from None


async def _cluster_or_none(store: LeadStore, arguments: argparse.Namespace) -> str | None:
    """The `--cluster` given, checked: a cluster of the knowledge base, or one leads cite.

    Leads of a cluster since removed from the knowledge base stay reachable; a typo is an
    error rather than an empty list that looks like "no lead".
    """
    text: str | None = arguments.cluster
    if text is None:
        return None
    cluster = text.strip().lower()
    directory: Path = getattr(arguments, "knowledge_dir", None) or KNOWLEDGE_DIR
    try:
        knowledge = load_knowledge_base(directory)
    except KnowledgeBaseError as error:
        raise CommandError(
            f"{directory}: the knowledge base has {len(error.problems)} problem(s);"
            " run `wallonia-bot kb check`",
            EXIT_NOT_FOUND,
        ) from None
    if knowledge.has_cluster(cluster) or await store.count(cluster_id=cluster) > 0:
        return cluster
    known = ", ".join(sorted(c.id for c in knowledge.clusters))
    raise CommandError(f"unknown cluster {text!r}: choose one of {known}", EXIT_USAGE)


async def _find(store: LeadStore, text: str) -> Lead:
    lead = await store.get_by_reference(text)
    if lead is None:
        raise CommandError(
            f"no lead {text!r} (give a reference like W-000123, or its number)", EXIT_NOT_FOUND
        )
    return lead


# -- output -------------------------------------------------------------------------------------


def one_line(text: str) -> str:
    """`text` with tabs, line breaks and other control characters turned into spaces.

    Users typed these cells; a tab or newline inside one would shift the columns or split
    the line of `leads list` for whatever script reads it.
    """
    return "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)


def format_list_line(lead: Lead) -> str:
    """One line of `leads list` (see `LIST_COLUMNS`), without its line end."""
    cells = (
        lead.reference,
        lead.created_at.isoformat(timespec="minutes"),
        lead.status.value,
        lead.cluster_id,
        lead.company_name,
        lead.contact_name,
        lead.email,
    )
    return "\t".join(one_line(cell) for cell in cells)


def _who(change: StatusChange) -> str:
    return "system" if change.changed_by is None else f"staff {change.changed_by}"


def format_history_line(change: StatusChange) -> str:
    """One history line: time, who, old → new (or "note"), then the note if any."""
    if change.new_status is None:
        what = "note"
    else:
        old = _ABSENT if change.old_status is None else change.old_status.value
        what = f"{old} → {change.new_status.value}"
    parts = [change.changed_at.isoformat(timespec="seconds"), _who(change), what]
    if change.note:
        parts.append(one_line(change.note))
    return "  ".join(parts)


def format_lead(lead: Lead, history: Sequence[StatusChange]) -> str:
    """`leads show`: one `name  value` line per field (export column names), then history."""
    fields: list[tuple[str, object]] = [
        *lead_row(lead).items(),
        ("updated_time", lead.updated_at.isoformat()),
        ("user_id", lead.user_id),
    ]
    width = max(len(name) for name, _ in fields)
    lines = [
        f"{name.ljust(width)}  {_ABSENT if value is None else one_line(str(value))}"
        for name, value in fields
    ]
    lines.append("history:")
    lines.extend(f"  {format_history_line(change)}" for change in history)
    return "\n".join(lines) + "\n"


def _export(leads: Sequence[Lead], format_name: str, output: Path | None, stdout: TextIO) -> None:
    if format_name == "csv":
        data = leads_to_csv(leads)
    else:
        data = (leads_to_json(leads) + "\n").encode("utf-8")
    if output is not None:
        write_atomically(output, data)
        return
    buffer = getattr(stdout, "buffer", None)
    if buffer is not None:
        # Bytes as built: the BOM and CRLF line ends must reach the file a shell redirects to.
        stdout.flush()
        buffer.write(data)
        buffer.flush()
    else:  # a text-only stream (io.StringIO): same characters, BOM included
        stdout.write(data.decode("utf-8"))


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: a temporary file beside it, flushed to disk, then renamed.

    A reader (or a crash) sees the old file or the new one, never a half-written export. The
    file is created readable by its owner only (mkstemp's 0600): it holds personal data.
    """
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror}", EXIT_NOT_FOUND) from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise CommandError(f"cannot write {path}: {error.strerror}", EXIT_NOT_FOUND) from None
        raise
