"""What the assistant remembers about people, apart from leads, and their privacy rights.

* `UserSettingsStore`: the language a user chose, so replies stay in it across restarts.
* `UnansweredQuestionStore`: questions the matcher could not answer well, for staff to review
  and turn into new examples.
* `LearnedExampleStore`: those examples, which the matcher loads next to the knowledge base.
* `PrivacyStore`: `/mydata` (export everything we hold about a user) and `/forget` (erase it).

No Telegram here: the handlers call these with plain ids and strings.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.handoff.store import (
    HANDOFF_SELECT,
    MESSAGE_SELECT,
    Handoff,
    HandoffMessage,
    handoff_from_row,
    message_from_row,
)
from bot.leads.model import Consent, Lead, StatusChange
from bot.storage.database import (
    PERSISTENCE_ROWS_OF_USER,
    Database,
    format_timestamp,
    parse_timestamp,
    utc_now,
)
from bot.storage.lead_store import (
    HISTORY_SELECT,
    LEAD_SELECT,
    lead_from_row,
    status_change_from_row,
)


class QuestionStatus(StrEnum):
    """Staff triage of an unanswered question."""

    OPEN = "open"  # waiting for staff
    ASSIGNED = "assigned"  # staff linked it to an intent (it became a learned example)
    DISMISSED = "dismissed"  # noise, spam or out of scope


class QuestionNotFoundError(LookupError):
    """No unanswered question has that id."""


@dataclass(frozen=True, slots=True)
class UnansweredQuestion:
    """A question the matcher answered poorly, with its best guess, for staff review."""

    id: int
    user_id: int
    text: str
    language: str
    best_score: float | None
    best_intent: str | None
    created_at: datetime
    status: QuestionStatus
    assigned_intent: str | None


@dataclass(frozen=True, slots=True)
class LearnedExample:
    """A phrasing staff taught the matcher for an intent."""

    id: int
    intent_id: str
    text: str
    language: str
    created_by: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PersistedState:
    """One row of bot state kept for a user (see the key format in bot/storage/database.py)."""

    kind: str
    key: str
    data: Any


@dataclass(frozen=True, slots=True)
class UserData:
    """Everything stored about one user, for `/mydata` (GDPR right of access)."""

    user_id: int
    language: str | None
    leads: list[Lead] = field(default_factory=list)
    lead_history: list[StatusChange] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    unanswered_questions: list[UnansweredQuestion] = field(default_factory=list)
    bot_state: list[PersistedState] = field(default_factory=list)
    # Conversations with the team, each with its messages (bot/handoff/).
    handoffs: list[tuple[Handoff, list[HandoffMessage]]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when we hold nothing about this user."""
        return self.language is None and not (
            self.leads
            or self.lead_history
            or self.consents
            or self.unanswered_questions
            or self.bot_state
            or self.handoffs
        )


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """How many rows `/forget` deleted, per table, so the reply can say what was erased."""

    user_settings: int = 0
    leads: int = 0
    lead_history: int = 0
    consents: int = 0
    unanswered_questions: int = 0
    persistence: int = 0
    pending_notes: int = 0
    handoffs: int = 0
    handoff_messages: int = 0

    @property
    def total(self) -> int:
        """Rows deleted in all tables."""
        return (
            self.user_settings
            + self.leads
            + self.lead_history
            + self.consents
            + self.unanswered_questions
            + self.persistence
            + self.pending_notes
            + self.handoffs
            + self.handoff_messages
        )


def _question_from_row(row: sqlite3.Row) -> UnansweredQuestion:
    return UnansweredQuestion(
        id=int(row["id"]),
        user_id=int(row["user_id"]),
        text=str(row["text"]),
        language=str(row["language"]),
        best_score=None if row["best_score"] is None else float(row["best_score"]),
        best_intent=row["best_intent"],
        created_at=parse_timestamp(row["created_at"]),
        status=QuestionStatus(row["status"]),
        assigned_intent=row["assigned_intent"],
    )


_QUESTION_SELECT = (
    "SELECT id, user_id, text, language, best_score, best_intent, created_at, status,"
    " assigned_intent FROM unanswered_questions"
)


class UserSettingsStore:
    """Per-user preferences; today only the interface language."""

    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = database
        self._clock = clock

    async def get_language(self, user_id: int) -> str | None:
        """The language the user chose, or None if they never chose one."""
        row = await self._db.fetch_one(
            "SELECT language FROM user_settings WHERE user_id = ?", (user_id,)
        )
        return None if row is None else str(row["language"])

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember the user's language (insert or replace)."""
        await self._db.execute(
            "INSERT INTO user_settings (user_id, language, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE"
            " SET language = excluded.language, updated_at = excluded.updated_at",
            (user_id, language, format_timestamp(self._clock())),
        )


class QuestionOutcome(StrEnum):
    ANSWERED = "answered"
    UNSURE = "unsure"  # "did you mean…?"
    NOT_UNDERSTOOD = "not_understood"


@dataclass(frozen=True, slots=True)
class QuestionCounts:
    """Questions asked in a period: in all, per intent (None: not understood), per outcome."""

    total: int
    by_intent: dict[str | None, int]
    by_outcome: dict[QuestionOutcome, int]

    @property
    def not_understood_share(self) -> float:
        return (
            self.by_outcome.get(QuestionOutcome.NOT_UNDERSTOOD, 0) / self.total
            if self.total
            else 0.0
        )


class QuestionLogStore:
    """An anonymous tally of every question: intent, language, outcome and time, nothing else."""

    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = database
        self._clock = clock

    async def record(self, intent: str | None, language: str, outcome: QuestionOutcome) -> None:
        await self._db.execute(
            "INSERT INTO question_log (intent, language, outcome, created_at) VALUES (?, ?, ?, ?)",
            (intent, language, outcome.value, format_timestamp(self._clock())),
        )

    async def counts(self, since: datetime) -> QuestionCounts:
        rows = await self._db.fetch_all(
            "SELECT intent, outcome, COUNT(*) AS n FROM question_log WHERE created_at >= ?"
            " GROUP BY intent, outcome",
            (format_timestamp(since),),
        )
        by_intent: dict[str | None, int] = {}
        by_outcome: dict[QuestionOutcome, int] = {}
        for row in rows:
            intent = None if row["outcome"] == QuestionOutcome.NOT_UNDERSTOOD else row["intent"]
            by_intent[intent] = by_intent.get(intent, 0) + int(row["n"])
            outcome = QuestionOutcome(row["outcome"])
            by_outcome[outcome] = by_outcome.get(outcome, 0) + int(row["n"])
        ordered = dict(sorted(by_intent.items(), key=lambda item: (-item[1], item[0] or "")))
        return QuestionCounts(sum(by_outcome.values()), ordered, by_outcome)


class UnansweredQuestionStore:
    """Questions the matcher could not answer confidently, queued for staff review."""

    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = database
        self._clock = clock

    async def record(
        self,
        user_id: int,
        text: str,
        language: str,
        best_score: float | None,
        best_intent: str | None,
    ) -> int:
        """Queue a question with the matcher's best (insufficient) guess; return its id."""
        rows = await self._db.fetch_all(
            "INSERT INTO unanswered_questions"
            " (user_id, text, language, best_score, best_intent, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (user_id, text, language, best_score, best_intent, format_timestamp(self._clock())),
        )
        return int(rows[0]["id"])

    async def recent(
        self, limit: int = 20, status: QuestionStatus | None = QuestionStatus.OPEN
    ) -> list[UnansweredQuestion]:
        """The newest questions with `status` (every status when None), newest first."""
        if status is None:
            rows = await self._db.fetch_all(
                f"{_QUESTION_SELECT} ORDER BY created_at DESC, id DESC LIMIT ?", (limit,)
            )
        else:
            rows = await self._db.fetch_all(
                f"{_QUESTION_SELECT} WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                (status.value, limit),
            )
        return [_question_from_row(row) for row in rows]

    async def purge_older_than(self, days: int) -> int:
        """Erase questions older than `days` (they hold what people typed); return how many."""
        cutoff = format_timestamp(self._clock() - timedelta(days=days))
        return await self._db.execute(
            "DELETE FROM unanswered_questions WHERE created_at < ?", (cutoff,)
        )

    async def set_status(
        self, question_id: int, status: QuestionStatus, assigned_intent: str | None = None
    ) -> None:
        """Triage a question. ASSIGNED needs the intent it was assigned to.

        Raises `QuestionNotFoundError`.
        """
        if status is QuestionStatus.ASSIGNED and assigned_intent is None:
            raise ValueError("an assigned question needs assigned_intent")
        changed = await self._db.execute(
            "UPDATE unanswered_questions SET status = ?, assigned_intent = ? WHERE id = ?",
            (status.value, assigned_intent, question_id),
        )
        if changed == 0:
            raise QuestionNotFoundError(question_id)


class LearnedExampleStore:
    """Example phrasings staff added to intents, loaded by the matcher at start-up."""

    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = database
        self._clock = clock

    async def add(self, intent_id: str, text: str, language: str, created_by: int | None) -> bool:
        """Teach an example; True if new, False if that text was already known in `language`.

        Idempotent so a staff member pressing the button twice does not fail; the first intent
        given for a text wins.
        """
        changed = await self._db.execute(
            "INSERT INTO learned_examples (intent_id, text, language, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (text, language) DO NOTHING",
            (intent_id, text, language, created_by, format_timestamp(self._clock())),
        )
        return changed > 0

    async def all(self) -> builtins.list[LearnedExample]:
        """Every learned example, in the order they were taught."""
        rows = await self._db.fetch_all(
            "SELECT id, intent_id, text, language, created_by, created_at"
            " FROM learned_examples ORDER BY id"
        )
        return [
            LearnedExample(
                id=int(row["id"]),
                intent_id=str(row["intent_id"]),
                text=str(row["text"]),
                language=str(row["language"]),
                created_by=None if row["created_by"] is None else int(row["created_by"]),
                created_at=parse_timestamp(row["created_at"]),
            )
            for row in rows
        ]


# How a pending staff note (table `pending_notes`, bot/staff/notes.py) shows in /mydata.
PENDING_NOTE_KIND = "pending_note"


class PrivacyStore:
    """The GDPR rights of access (`export_user`) and erasure (`forget_user`), over all tables.

    Any new table holding user data must be added to both methods (and to the test that checks
    another user's data survives). `after_forget` is told the id of each user erased, once the
    erasure is committed, so a copy kept in memory (the pending staff notes) drops it too.
    """

    def __init__(
        self, database: Database, after_forget: Callable[[int], None] | None = None
    ) -> None:
        self._db = database
        self._after_forget = after_forget

    async def export_user(self, user_id: int) -> UserData:
        """Everything we hold about `user_id`, read in one transaction for a consistent view."""
        async with self._db.transaction() as connection:
            settings = list(
                await connection.execute_fetchall(
                    "SELECT language FROM user_settings WHERE user_id = ?", (user_id,)
                )
            )
            leads = await connection.execute_fetchall(
                f"{LEAD_SELECT} WHERE leads.user_id = ? ORDER BY leads.created_at, leads.id",
                (user_id,),
            )
            history = await connection.execute_fetchall(
                f"{HISTORY_SELECT} JOIN leads ON leads.id = lead_history.lead_id"
                " WHERE leads.user_id = ? ORDER BY lead_id, changed_at, lead_history.id",
                (user_id,),
            )
            consents = await connection.execute_fetchall(
                "SELECT version, text, given_at FROM consents WHERE user_id = ? ORDER BY id",
                (user_id,),
            )
            questions = await connection.execute_fetchall(
                f"{_QUESTION_SELECT} WHERE user_id = ? ORDER BY created_at, id", (user_id,)
            )
            state = await connection.execute_fetchall(
                # A constant fragment from storage/database.py; the user id is a bound parameter.
                f"SELECT kind, key, data FROM persistence WHERE {PERSISTENCE_ROWS_OF_USER}"  # noqa: S608
                " ORDER BY kind, key",
                {"user_id": user_id},
            )
            notes = await connection.execute_fetchall(
                "SELECT lead_id, chat_id, since FROM pending_notes WHERE user_id = ?", (user_id,)
            )
            handoffs = [
                handoff_from_row(row)
                for row in await connection.execute_fetchall(
                    f"{HANDOFF_SELECT} WHERE user_id = ? ORDER BY id", (user_id,)
                )
            ]
            handoff_messages = [
                message_from_row(row)
                for row in await connection.execute_fetchall(
                    f"{MESSAGE_SELECT} JOIN handoffs ON handoffs.id = handoff_messages.handoff_id"
                    " WHERE handoffs.user_id = ? ORDER BY handoff_messages.id",
                    (user_id,),
                )
            ]
        return UserData(
            user_id=user_id,
            language=str(settings[0]["language"]) if settings else None,
            leads=[lead_from_row(row) for row in leads],
            lead_history=[status_change_from_row(row) for row in history],
            consents=[
                Consent(
                    version=str(row["version"]),
                    text=str(row["text"]),
                    given_at=parse_timestamp(row["given_at"]),
                )
                for row in consents
            ],
            unanswered_questions=[_question_from_row(row) for row in questions],
            bot_state=[
                PersistedState(str(row["kind"]), str(row["key"]), json.loads(row["data"]))
                for row in state
            ]
            + [
                PersistedState(
                    PENDING_NOTE_KIND,
                    str(user_id),
                    {"lead_id": row["lead_id"], "chat_id": row["chat_id"], "since": row["since"]},
                )
                for row in notes
            ],
            handoffs=[
                (handoff, [m for m in handoff_messages if m.handoff_id == handoff.id])
                for handoff in handoffs
            ],
        )

    async def forget_user(self, user_id: int) -> ForgetReport:
        """Erase everything about `user_id` in one transaction: all of it, or nothing.

        Leads go before consents (a lead's consent is ON DELETE RESTRICT); their history is
        deleted explicitly rather than by cascade so it can be counted.
        """
        async with self._db.transaction() as connection:

            async def delete(sql: str, parameters: Any) -> int:
                async with connection.execute(sql, parameters) as cursor:
                    return cursor.rowcount

            lead_history = await delete(
                "DELETE FROM lead_history"
                " WHERE lead_id IN (SELECT id FROM leads WHERE user_id = ?)",
                (user_id,),
            )
            leads = await delete("DELETE FROM leads WHERE user_id = ?", (user_id,))
            consents = await delete("DELETE FROM consents WHERE user_id = ?", (user_id,))
            questions = await delete(
                "DELETE FROM unanswered_questions WHERE user_id = ?", (user_id,)
            )
            settings = await delete("DELETE FROM user_settings WHERE user_id = ?", (user_id,))
            persistence = await delete(
                # A constant fragment from storage/database.py; the user id is a bound parameter.
                f"DELETE FROM persistence WHERE {PERSISTENCE_ROWS_OF_USER}",  # noqa: S608
                {"user_id": user_id},
            )
            pending_notes = await delete("DELETE FROM pending_notes WHERE user_id = ?", (user_id,))
            handoff_messages = await delete(
                "DELETE FROM handoff_messages"
                " WHERE handoff_id IN (SELECT id FROM handoffs WHERE user_id = ?)",
                (user_id,),
            )
            handoffs = await delete("DELETE FROM handoffs WHERE user_id = ?", (user_id,))
        if self._after_forget is not None:
            self._after_forget(user_id)
        return ForgetReport(
            user_settings=settings,
            leads=leads,
            lead_history=lead_history,
            consents=consents,
            unanswered_questions=questions,
            persistence=persistence,
            pending_notes=pending_notes,
            handoffs=handoffs,
            handoff_messages=handoff_messages,
        )
