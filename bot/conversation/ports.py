"""What the dialogue needs from the outside world, as protocols, and who is talking.

The stores in bot/storage/ satisfy these; tests may pass their own.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Protocol

from bot.matching.matcher import Match
from bot.storage.question_log_store import QuestionOutcome


class UnansweredQuestions(Protocol):
    """Where questions the assistant could not answer are kept for staff review."""

    async def record(
        self, user_id: int, text: str, language: str, best_score: float, best_intent: str | None
    ) -> int: ...


class QuestionLog(Protocol):
    """An anonymous tally of questions and how they were understood, for staff statistics."""

    async def record(
        self, intent: str | None, language: str, outcome: QuestionOutcome
    ) -> None: ...


class LanguagePreferences(Protocol):
    """Where a user's explicit language choice is remembered across restarts."""

    async def get_language(self, user_id: int) -> str | None: ...

    async def set_language(self, user_id: int, language: str) -> None: ...


@dataclass(frozen=True, slots=True)
class UserRef:
    """Who is talking: an ID and the language their app is set to, if known."""

    id: int
    client_language: str | None = None


_LOGGER = logging.getLogger(__name__)


class QuestionRecords:
    """Keeps questions for staff: a storage fault never costs the user their answer."""

    def __init__(self, unanswered: UnansweredQuestions, question_log: QuestionLog) -> None:
        self._unanswered = unanswered
        self._question_log = question_log

    async def keep_unanswered(self, user: UserRef, match: Match) -> None:
        """Keep a question we could not answer for staff review."""
        try:
            await self._unanswered.record(
                user.id, match.text, match.language, match.score, match.intent
            )
        except sqlite3.Error:
            # Losing a review item must not cost the user their answer.
            _LOGGER.warning("could not store an unanswered question", exc_info=True)

    async def count(self, match: Match) -> None:
        """Count the question in the anonymous tally (intent, language, outcome)."""
        if match.intent is None:
            outcome = QuestionOutcome.NOT_UNDERSTOOD
        elif match.confident:
            outcome = QuestionOutcome.ANSWERED
        else:
            outcome = QuestionOutcome.UNSURE
        try:
            await self._question_log.record(match.intent, match.language, outcome)
        except sqlite3.Error:
            _LOGGER.warning("could not count a question", exc_info=True)
