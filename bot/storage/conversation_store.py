"""Each user's conversation state in SQLite, with a bounded cache in front of it.

Why not python-telegram-bot's persistence (`user_data`): PTB keeps every user's data in memory
for as long as the process runs and writes all of it back on a timer, so memory grows with
every user ever seen, and an unchanged state is written again after every update. Here the
state is written the moment it changes (a `kill -9` loses nothing already answered), an
unchanged state is not written at all, and only the most recently active users stay cached.
The rows are in table `conversation_states`, which `/mydata` and `/forget` cover.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from bot.conversation.state import ConversationState
from bot.storage.database import Database, format_timestamp, utc_now

DEFAULT_CACHE_SIZE = 2048
# A state holding nothing (whether or not the stored language was looked up) needs no row.
_BLANK_STATES = (
    ConversationState().to_dict(),
    ConversationState(language_loaded=True).to_dict(),
)


class ConversationStore:
    def __init__(self, database: Database, max_cached: int = DEFAULT_CACHE_SIZE) -> None:
        self._db = database
        self._max_cached = max_cached
        # user id -> the state as last read or written (a JSON text, so it cannot be mutated)
        self._cache: OrderedDict[int, str | None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._cache)

    def _remember(self, user_id: int, stored: str | None) -> None:
        self._cache[user_id] = stored
        self._cache.move_to_end(user_id)
        while len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)

    async def _stored(self, user_id: int) -> str | None:
        if user_id in self._cache:
            self._cache.move_to_end(user_id)
            return self._cache[user_id]
        row = await self._db.fetch_one(
            "SELECT data FROM conversation_states WHERE user_id = ?", (user_id,)
        )
        stored = None if row is None else str(row["data"])
        self._remember(user_id, stored)
        return stored

    async def load(self, user_id: int) -> ConversationState:
        """The user's state (a fresh one for a new user or an unreadable row)."""
        stored = await self._stored(user_id)
        try:
            data: Any = json.loads(stored) if stored else None
        except ValueError:
            data = None
        return ConversationState.from_dict(data)

    async def save(self, user_id: int, state: ConversationState) -> None:
        """Write the state if it changed; a blank state deletes the row instead."""
        data = state.to_dict()
        encoded = (
            None if data in _BLANK_STATES else json.dumps(data, ensure_ascii=False, sort_keys=True)
        )
        if encoded == await self._stored(user_id):
            return
        if encoded is None:
            await self._db.execute("DELETE FROM conversation_states WHERE user_id = ?", (user_id,))
        else:
            await self._db.execute(
                "INSERT INTO conversation_states (user_id, data, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET"
                " data = excluded.data, updated_at = excluded.updated_at",
                (user_id, encoded, format_timestamp(utc_now())),
            )
        self._remember(user_id, encoded)

    async def with_join_flow(self) -> list[tuple[int, ConversationState]]:
        """Every user with a join flow in progress (for the idle-flow job)."""
        rows = await self._db.fetch_all(
            "SELECT user_id FROM conversation_states"
            " WHERE json_extract(data, '$.join') IS NOT NULL"
        )
        return [(int(row["user_id"]), await self.load(int(row["user_id"]))) for row in rows]
