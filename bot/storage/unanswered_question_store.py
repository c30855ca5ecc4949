"""Questions the matcher could not answer well (table `unanswered_questions`), queued for
staff to review and turn into new examples."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.storage.database import Database, format_timestamp, parse_timestamp, utc_now


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


def question_from_row(row: sqlite3.Row) -> UnansweredQuestion:
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


QUESTION_SELECT = (
    "SELECT id, user_id, text, language, best_score, best_intent, created_at, status,"
    " assigned_intent FROM unanswered_questions"
)


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
                f"{QUESTION_SELECT} ORDER BY created_at DESC, id DESC LIMIT ?", (limit,)
            )
        else:
            rows = await self._db.fetch_all(
                f"{QUESTION_SELECT} WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                (status.value, limit),
            )
        return [question_from_row(row) for row in rows]

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
