"""The GDPR rights over every table: `/mydata` (export everything held about a user) and
`/forget` (erase it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.leads.model import Consent, Lead, StatusChange
from bot.storage.database import Database, parse_timestamp
from bot.storage.lead_rows import (
    HISTORY_SELECT,
    LEAD_SELECT,
    lead_from_row,
    status_change_from_row,
)
from bot.storage.unanswered_question_store import (
    QUESTION_SELECT,
    UnansweredQuestion,
    question_from_row,
)


@dataclass(frozen=True, slots=True)
class PersistedState:
    """One piece of bot state kept for a user: its kind, the user's id, and the data."""

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

    @property
    def is_empty(self) -> bool:
        """True when we hold nothing about this user."""
        return self.language is None and not (
            self.leads
            or self.lead_history
            or self.consents
            or self.unanswered_questions
            or self.bot_state
        )


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """How many rows `/forget` deleted, per table, so the reply can say what was erased."""

    user_settings: int = 0
    leads: int = 0
    lead_history: int = 0
    consents: int = 0
    unanswered_questions: int = 0
    conversation_states: int = 0
    pending_notes: int = 0

    @property
    def total(self) -> int:
        """Rows deleted in all tables."""
        return (
            self.user_settings
            + self.leads
            + self.lead_history
            + self.consents
            + self.unanswered_questions
            + self.conversation_states
            + self.pending_notes
        )


# How each kind of bot state shows in /mydata: the user's conversation state (table
# `conversation_states`, bot/storage/conversation_store.py; "user_data" as it was named when it
# lived in a generic table) and a pending staff note (table `pending_notes`, bot/staff/notes.py).
CONVERSATION_STATE_KIND = "user_data"
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
                f"{QUESTION_SELECT} WHERE user_id = ? ORDER BY created_at, id", (user_id,)
            )
            state = await connection.execute_fetchall(
                "SELECT data FROM conversation_states WHERE user_id = ?", (user_id,)
            )
            notes = await connection.execute_fetchall(
                "SELECT lead_id, chat_id, since FROM pending_notes WHERE user_id = ?", (user_id,)
            )
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
            unanswered_questions=[question_from_row(row) for row in questions],
            bot_state=[
                PersistedState(CONVERSATION_STATE_KIND, str(user_id), json.loads(row["data"]))
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
            conversation_states = await delete(
                "DELETE FROM conversation_states WHERE user_id = ?", (user_id,)
            )
            pending_notes = await delete("DELETE FROM pending_notes WHERE user_id = ?", (user_id,))
        if self._after_forget is not None:
            self._after_forget(user_id)
        return ForgetReport(
            user_settings=settings,
            leads=leads,
            lead_history=lead_history,
            consents=consents,
            unanswered_questions=questions,
            conversation_states=conversation_states,
            pending_notes=pending_notes,
        )
