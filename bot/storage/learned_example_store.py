"""Example phrasings staff taught the matcher (table `learned_examples`), loaded next to
the knowledge base at start-up."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Database, format_timestamp, parse_timestamp, utc_now


@dataclass(frozen=True, slots=True)
class LearnedExample:
    """A phrasing staff taught the matcher for an intent."""

    id: int
    intent_id: str
    text: str
    language: str
    created_by: int | None
    created_at: datetime


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
