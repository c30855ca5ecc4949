"""Storing join requests (leads) and their follow-up history.

The join flow hands `LeadStore.submit` a confirmed `NewLead`; staff tools list, read and move
leads through `LeadStatus`. All lead SQL lives here, behind this narrow class, so the rules
(one lead per confirmation, no duplicate within 24 hours, a history line per change) hold
whatever calls it: Telegram handlers, the console or a maintenance script.
"""

from __future__ import annotations

import builtins
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypedDict

import aiosqlite

from bot.leads.model import Lead, LeadStatus, NewLead, StatusChange, lead_reference
from bot.leads.validation import company_key
from bot.storage.database import Database, format_timestamp, parse_timestamp, utc_now
from bot.storage.lead_rows import (
    HISTORY_SELECT,
    LEAD_SELECT,
    lead_from_row,
    status_change_from_row,
)

DUPLICATE_WINDOW = timedelta(hours=24)

SubmitReason = Literal["new", "same_submission", "duplicate_within_24h"]

_REFERENCE = re.compile(r"^(?:w\s*-?\s*)?0*(\d{1,18})$")


class LeadNotFoundError(LookupError):
    """No lead has that id (or reference)."""


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """What `submit` did: stored a new lead, or found the one this confirmation duplicates."""

    lead: Lead
    created: bool
    reason: SubmitReason


class LeadStats(TypedDict):
    """Lead counts for a period, for the staff dashboard."""

    total: int
    by_cluster: dict[str, int]
    by_status: dict[LeadStatus, int]


def parse_reference(text: str) -> int | None:
    """The lead id in what a person typed: "W-000123", "w-123", "w123" or "123"; else None."""
    match = _REFERENCE.match(text.strip().casefold())
    if match is None:
        return None
    lead_id = int(match.group(1))
    return lead_id if lead_id > 0 else None


async def _fetch_all(
    connection: aiosqlite.Connection, sql: str, parameters: Sequence[Any] = ()
) -> list[sqlite3.Row]:
    return list(await connection.execute_fetchall(sql, parameters))


async def _fetch_lead(connection: aiosqlite.Connection, lead_id: int) -> Lead:
    rows = await _fetch_all(connection, f"{LEAD_SELECT} WHERE leads.id = ?", (lead_id,))
    if not rows:
        raise LeadNotFoundError(lead_id)
    return lead_from_row(rows[0])


async def _insert(connection: aiosqlite.Connection, sql: str, parameters: Sequence[Any]) -> int:
    """Run an INSERT and return the new row's id (read inside the same transaction)."""
    rows = await _fetch_all(connection, f"{sql.rstrip()} RETURNING id", parameters)
    return int(rows[0]["id"])


class LeadStore:
    """Leads and their history in the `Database`; the only code that writes SQL about leads."""

    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = database
        self._clock = clock

    async def submit(self, new: NewLead, submission_key: str) -> SubmitResult:
        """Store a confirmed join request once, in one transaction, committed on return.

        `submission_key` identifies the confirmation (e.g. the Confirm button's callback), so a
        double tap returns the lead already stored. The same company (see `company_key`) asking
        to join the same cluster within 24 hours is treated as a re-submission too: staff get
        one lead, the user gets the reference they were already given.
        """
        now = self._clock()
        key = company_key(new.company_name)
        async with self._db.transaction() as connection:
            rows = await _fetch_all(
                connection,
                f"{LEAD_SELECT} WHERE leads.submission_key = ?",
                (submission_key,),
            )
            if rows:
                return SubmitResult(
                    lead_from_row(rows[0]), created=False, reason="same_submission"
                )
            rows = await _fetch_all(
                connection,
                # Only the same person re-submitting counts as a duplicate: a colleague who asks
                # for the same company must not lose their request (nor see someone else's).
                f"{LEAD_SELECT} WHERE leads.company_key = ? AND leads.cluster_id = ?"
                " AND leads.user_id = ? AND leads.created_at > ?"
                " ORDER BY leads.created_at DESC, leads.id DESC LIMIT 1",
                (key, new.cluster_id, new.user_id, format_timestamp(now - DUPLICATE_WINDOW)),
            )
            if rows:
                return SubmitResult(
                    lead_from_row(rows[0]), created=False, reason="duplicate_within_24h"
                )
            consent_id = await _insert(
                connection,
                "INSERT INTO consents (user_id, version, text, given_at) VALUES (?, ?, ?, ?)",
                (
                    new.user_id,
                    new.consent.version,
                    new.consent.text,
                    format_timestamp(new.consent.given_at),
                ),
            )
            stamp = format_timestamp(now)
            lead_id = await _insert(
                connection,
                """
                INSERT INTO leads (
                    submission_key, user_id, cluster_id, company_name, company_key,
                    enterprise_number, activity, company_type, location, contact_name, email,
                    phone, language, status, consent_id, created_at, updated_at
                ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    submission_key,
                    new.user_id,
                    new.cluster_id,
                    new.company_name,
                    key,
                    new.enterprise_number,
                    new.activity,
                    new.company_type.value,
                    new.location.value,
                    new.contact_name,
                    new.email,
                    new.phone,
                    new.language,
                    LeadStatus.NEW.value,
                    consent_id,
                    stamp,
                    stamp,
                ),
            )
            await connection.execute(
                "UPDATE leads SET reference = ? WHERE id = ?", (lead_reference(lead_id), lead_id)
            )
            await connection.execute(
                "INSERT INTO lead_history (lead_id, old_status, new_status, changed_by, note,"
                " changed_at) VALUES (?, NULL, ?, NULL, NULL, ?)",
                (lead_id, LeadStatus.NEW.value, stamp),
            )
            lead = await _fetch_lead(connection, lead_id)
        return SubmitResult(lead, created=True, reason="new")

    async def get(self, lead_id: int) -> Lead | None:
        """The lead with this id, or None."""
        row = await self._db.fetch_one(f"{LEAD_SELECT} WHERE leads.id = ?", (lead_id,))
        return None if row is None else lead_from_row(row)

    async def get_by_reference(self, reference: str) -> Lead | None:
        """The lead a person quoted: "W-000123", "w-123", "w123" or "123"; None if unknown."""
        lead_id = parse_reference(reference)
        if lead_id is None:
            return None
        row = await self._db.fetch_one(
            f"{LEAD_SELECT} WHERE leads.reference = ?", (lead_reference(lead_id),)
        )
        return None if row is None else lead_from_row(row)

    async def get_by_submission_key(self, submission_key: str) -> Lead | None:
        """The lead stored by the confirmation `submission_key`, if any (a repeated Confirm)."""
        row = await self._db.fetch_one(
            f"{LEAD_SELECT} WHERE leads.submission_key = ?", (submission_key,)
        )
        return None if row is None else lead_from_row(row)

    async def list(
        self,
        status: LeadStatus | None = None,
        cluster_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> builtins.list[Lead]:
        """Leads matching every given filter, newest first, one page of `limit` from `offset`.

        `since` is inclusive and `until` exclusive, so consecutive periods never overlap.
        """
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        where, parameters = _filters(status, cluster_id, since, until)
        rows = await self._db.fetch_all(
            f"{LEAD_SELECT}{where} ORDER BY leads.created_at DESC, leads.id DESC LIMIT ? OFFSET ?",
            (*parameters, limit, offset),
        )
        return [lead_from_row(row) for row in rows]

    async def count(
        self,
        status: LeadStatus | None = None,
        cluster_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """How many leads `list` would page through with the same filters."""
        where, parameters = _filters(status, cluster_id, since, until)
        # `where` is built by `_filters` from fixed fragments; the values are bound parameters.
        rows = await self._db.fetch_all(
            f"SELECT COUNT(*) AS n FROM leads{where}",  # noqa: S608
            parameters,
        )
        return int(rows[0]["n"])

    async def set_status(
        self, lead_id: int, status: LeadStatus, changed_by: int | None, note: str | None = None
    ) -> Lead:
        """Move a lead to `status`, recording who did it (and why) in its history.

        Setting the status it already has is recorded too: the history is an audit trail of
        what staff did, not only of what changed. Raises `LeadNotFoundError`.
        """
        stamp = format_timestamp(self._clock())
        async with self._db.transaction() as connection:
            rows = await _fetch_all(
                connection, "SELECT status FROM leads WHERE id = ?", (lead_id,)
            )
            if not rows:
                raise LeadNotFoundError(lead_id)
            old_status = str(rows[0]["status"])
            await connection.execute(
                "UPDATE leads SET status = ?, updated_at = ? WHERE id = ?",
                (status.value, stamp, lead_id),
            )
            await connection.execute(
                "INSERT INTO lead_history (lead_id, old_status, new_status, changed_by, note,"
                " changed_at) VALUES (?, ?, ?, ?, ?, ?)",
                (lead_id, old_status, status.value, changed_by, note, stamp),
            )
            return await _fetch_lead(connection, lead_id)

    async def add_note(self, lead_id: int, note: str, changed_by: int) -> StatusChange:
        """Add a staff note to a lead's history without changing its status.

        Raises `LeadNotFoundError`.
        """
        now = self._clock()
        stamp = format_timestamp(now)
        async with self._db.transaction() as connection:
            async with connection.execute(
                "UPDATE leads SET updated_at = ? WHERE id = ?", (stamp, lead_id)
            ) as cursor:
                if cursor.rowcount == 0:
                    raise LeadNotFoundError(lead_id)
            await connection.execute(
                "INSERT INTO lead_history (lead_id, old_status, new_status, changed_by, note,"
                " changed_at) VALUES (?, NULL, NULL, ?, ?, ?)",
                (lead_id, changed_by, note, stamp),
            )
        return StatusChange(
            lead_id=lead_id,
            old_status=None,
            new_status=None,
            changed_by=changed_by,
            note=note,
            changed_at=parse_timestamp(stamp),
        )

    async def history(self, lead_id: int) -> builtins.list[StatusChange]:
        """A lead's status changes and notes, oldest first (empty for an unknown lead)."""
        rows = await self._db.fetch_all(
            f"{HISTORY_SELECT} WHERE lead_id = ? ORDER BY changed_at, id", (lead_id,)
        )
        return [status_change_from_row(row) for row in rows]

    async def unnotified(self, limit: int = 50) -> builtins.list[Lead]:
        """Leads staff have not been told about yet, oldest first, for the notification retry."""
        rows = await self._db.fetch_all(
            f"{LEAD_SELECT} WHERE leads.notified_at IS NULL"
            " ORDER BY leads.created_at, leads.id LIMIT ?",
            (limit,),
        )
        return [lead_from_row(row) for row in rows]

    async def mark_notified(self, lead_id: int) -> None:
        """Record that staff were told about this lead, so the retry loop stops. Idempotent."""
        changed = await self._db.execute(
            "UPDATE leads SET notified_at = COALESCE(notified_at, ?) WHERE id = ?",
            (format_timestamp(self._clock()), lead_id),
        )
        if changed == 0:
            raise LeadNotFoundError(lead_id)

    async def purge_older_than(self, days: int) -> int:
        """Delete leads created more than `days` ago, with their history and consents.

        Data retention: personal data is not kept longer than needed. Returns the number of
        leads deleted.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        cutoff = format_timestamp(self._clock() - timedelta(days=days))
        async with self._db.transaction() as connection:
            rows = await _fetch_all(
                connection, "SELECT id, consent_id FROM leads WHERE created_at < ?", (cutoff,)
            )
            lead_ids = [int(row["id"]) for row in rows]
            consent_ids = sorted({int(row["consent_id"]) for row in rows})
            # lead_history goes with its lead (ON DELETE CASCADE).
            await connection.executemany(
                "DELETE FROM leads WHERE id = ?", [(lead_id,) for lead_id in lead_ids]
            )
            # A consent is deleted once no remaining lead cites it.
            await connection.executemany(
                "DELETE FROM consents WHERE id = ?"
                " AND NOT EXISTS (SELECT 1 FROM leads WHERE consent_id = consents.id)",
                [(consent_id,) for consent_id in consent_ids],
            )
        return len(lead_ids)

    async def for_user(self, user_id: int) -> builtins.list[Lead]:
        """Every lead a user submitted, newest first (what `/mydata` shows them)."""
        rows = await self._db.fetch_all(
            f"{LEAD_SELECT} WHERE leads.user_id = ? ORDER BY leads.created_at DESC, leads.id DESC",
            (user_id,),
        )
        return [lead_from_row(row) for row in rows]

    async def stats(self, since: datetime) -> LeadStats:
        """Leads created since `since`, counted per cluster and per status."""
        stamp = format_timestamp(since)
        by_cluster_rows = await self._db.fetch_all(
            "SELECT cluster_id, COUNT(*) AS n FROM leads WHERE created_at >= ?"
            " GROUP BY cluster_id ORDER BY cluster_id",
            (stamp,),
        )
        by_status_rows = await self._db.fetch_all(
            "SELECT status, COUNT(*) AS n FROM leads WHERE created_at >= ?"
            " GROUP BY status ORDER BY status",
            (stamp,),
        )
        by_cluster = {str(row["cluster_id"]): int(row["n"]) for row in by_cluster_rows}
        by_status = {LeadStatus(row["status"]): int(row["n"]) for row in by_status_rows}
        return LeadStats(
            total=sum(by_cluster.values()), by_cluster=by_cluster, by_status=by_status
        )

    async def weekly_counts(self, since: datetime) -> builtins.list[tuple[date, str, int]]:
        """(Monday of the week in UTC, cluster, leads created) since `since`, oldest week first."""
        rows = await self._db.fetch_all(
            # 'weekday 0' moves to the Sunday ending the week (or stays on it); -6 days is Monday.
            "SELECT date(created_at, 'weekday 0', '-6 days') AS week, cluster_id, COUNT(*) AS n"
            " FROM leads WHERE created_at >= ?"
            " GROUP BY week, cluster_id ORDER BY week, cluster_id",
            (format_timestamp(since),),
        )
        return [
            (date.fromisoformat(row["week"]), str(row["cluster_id"]), int(row["n"]))
            for row in rows
        ]


def _filters(
    status: LeadStatus | None,
    cluster_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause shared by `list` and `count`."""
    clauses: list[str] = []
    parameters: list[Any] = []
    if status is not None:
        clauses.append("leads.status = ?")
        parameters.append(status.value)
    if cluster_id is not None:
        clauses.append("leads.cluster_id = ?")
        parameters.append(cluster_id)
    if since is not None:
        clauses.append("leads.created_at >= ?")
        parameters.append(format_timestamp(since))
    if until is not None:
        clauses.append("leads.created_at < ?")
        parameters.append(format_timestamp(until))
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return where, tuple(parameters)
