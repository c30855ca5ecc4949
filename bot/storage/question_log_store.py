"""An anonymous tally of every question (table `question_log`): intent, language, outcome
and time, nothing else; for staff statistics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.storage.database import Database, format_timestamp, utc_now


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
