"""Per-user preferences (table `user_settings`): the language a user chose, so replies
stay in it across restarts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.storage.database import Database, format_timestamp, utc_now


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
