"""python-telegram-bot persistence in our SQLite database, as JSON.

The adapter between PTB's `BasePersistence` and the `persistence` table created by
bot/database.py (the key format is documented there, next to the SQL that `/forget` uses to
find a user's rows). Keeping conversation state and user_data in the same database as leads
means one file to back up, and `/forget` erases it in the same transaction as everything else.

Why JSON and not pickle: the database outlives code versions, and a pickle of a renamed class
breaks start-up; JSON also stays readable for a `/mydata` export. Anything JSON cannot store
exactly (a datetime, a tuple, a dict with int keys, NaN) raises a TypeError naming where it is,
at the write, instead of coming back altered after a restart.

Each `update_*` call writes straight to SQLite (autocommit), and the Application calls them every
`update_interval` seconds (default 1 s), so a `kill -9` loses at most the last second.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.database import (
    PERSISTENCE_BOT_DATA,
    PERSISTENCE_CALLBACK_DATA,
    PERSISTENCE_CHAT_DATA,
    PERSISTENCE_CONVERSATIONS,
    PERSISTENCE_USER_DATA,
    Database,
    conversation_storage_key,
    format_timestamp,
    parse_conversation_storage_key,
    utc_now,
)

# The same shapes as telegram.ext._utils.types (a private module, so not imported).
ConversationKey = tuple[int | str, ...]
CallbackData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]

_SINGLE_ROW = ""  # key of the one bot_data row and the one callback_data row

_UPSERT = (
    "INSERT INTO persistence (kind, key, data, updated_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at"
)


def to_json(value: object, where: str) -> str:
    """`value` as JSON text, or a TypeError naming `where` in it the unstorable part is."""
    _check_json(value, where)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _check_json(value: object, where: str) -> None:
    """Refuse what `json.dumps` would drop or alter silently, so a round trip is exact.

    The message names the path of data keys (chosen by our code), never the values or the
    user/chat id, so it can be logged.
    """
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"{where} is {value}, which JSON cannot store")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{where} has a key of type {type(key).__name__}; JSON object keys must be"
                    " str (an int key would come back as a str after a restart)"
                )
            _check_json(item, f"{where}[{key!r}]")
        return
    raise TypeError(
        f"{where} is a {type(value).__name__}, which JSON cannot store; keep bot state to"
        " str, int, float, bool, None, list and dict with str keys"
    )


class SQLitePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB persistence over the assistant's `Database`; it does not own (or close) it.

    The composition root opens the database, hands it here, and closes it in post_shutdown
    after the Application has called `flush`.
    """

    __slots__ = ("_clock", "_db")

    def __init__(
        self,
        database: Database,
        *,
        store_data: PersistenceInput | None = None,
        update_interval: float = 1.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(
            store_data=store_data or PersistenceInput(), update_interval=update_interval
        )
        self._db = database
        self._clock = clock

    # -- reading, at start-up ------------------------------------------------------------------

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        """All stored user_data, by user id."""
        return await self._load_by_id(PERSISTENCE_USER_DATA)

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        """All stored chat_data, by chat id."""
        return await self._load_by_id(PERSISTENCE_CHAT_DATA)

    async def get_bot_data(self) -> dict[Any, Any]:
        """The stored bot_data, or an empty dict."""
        data = await self._load_one(PERSISTENCE_BOT_DATA)
        return {} if data is None else dict(data)

    async def get_callback_data(self) -> CallbackData | None:
        """The stored CallbackDataCache contents, or None (tuples rebuilt from JSON arrays)."""
        data = await self._load_one(PERSISTENCE_CALLBACK_DATA)
        if data is None:
            return None
        keyboards = [
            (str(uuid), float(access_time), dict(buttons))
            for uuid, access_time, buttons in data["keyboards"]
        ]
        return keyboards, dict(data["callback_queries"])

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        """The states of handler `name`, by conversation key (tuples rebuilt from JSON)."""
        rows = await self._db.fetch_all(
            "SELECT key, data FROM persistence WHERE kind = ? AND json_extract(key, '$[0]') = ?",
            (PERSISTENCE_CONVERSATIONS, name),
        )
        conversations: dict[ConversationKey, object] = {}
        for row in rows:
            _, key = parse_conversation_storage_key(row["key"])
            conversations[key] = json.loads(row["data"])
        return conversations

    # -- writing, as the Application goes -----------------------------------------------------

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Store a conversation's new state; None (conversation ended) deletes it."""
        storage_key = conversation_storage_key(name, key)
        if new_state is None:
            await self._db.execute(
                "DELETE FROM persistence WHERE kind = ? AND key = ?",
                (PERSISTENCE_CONVERSATIONS, storage_key),
            )
            return
        await self._store(
            PERSISTENCE_CONVERSATIONS,
            storage_key,
            to_json(new_state, f"state of conversation {name!r}"),
        )

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        """Store one user's user_data."""
        await self._store(PERSISTENCE_USER_DATA, str(user_id), to_json(data, "user_data"))

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        """Store one chat's chat_data."""
        await self._store(PERSISTENCE_CHAT_DATA, str(chat_id), to_json(data, "chat_data"))

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        """Store bot_data."""
        await self._store(PERSISTENCE_BOT_DATA, _SINGLE_ROW, to_json(data, "bot_data"))

    async def update_callback_data(self, data: CallbackData) -> None:
        """Store the CallbackDataCache contents (button data must be JSON too)."""
        keyboards, callback_queries = data
        document = {
            "keyboards": [
                [uuid, access_time, buttons] for uuid, access_time, buttons in keyboards
            ],
            "callback_queries": callback_queries,
        }
        await self._store(
            PERSISTENCE_CALLBACK_DATA, _SINGLE_ROW, to_json(document, "callback_data")
        )

    async def drop_chat_data(self, chat_id: int) -> None:
        """Forget one chat's chat_data (Application.drop_chat_data)."""
        await self._db.execute(
            "DELETE FROM persistence WHERE kind = ? AND key = ?",
            (PERSISTENCE_CHAT_DATA, str(chat_id)),
        )

    async def drop_user_data(self, user_id: int) -> None:
        """Forget one user's user_data (Application.drop_user_data)."""
        await self._db.execute(
            "DELETE FROM persistence WHERE kind = ? AND key = ?",
            (PERSISTENCE_USER_DATA, str(user_id)),
        )

    # -- refreshing: nothing to do, this process is the only writer -----------------------------

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        """No-op: the in-memory copy is always the newest, since only this bot writes it."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        """No-op, as `refresh_user_data`."""

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        """No-op, as `refresh_user_data`."""

    async def flush(self) -> None:
        """No-op: every update was already committed; the composition root closes the DB."""

    # -- helpers -------------------------------------------------------------------------------

    async def _store(self, kind: str, key: str, document: str) -> None:
        await self._db.execute(_UPSERT, (kind, key, document, format_timestamp(self._clock())))

    async def _load_by_id(self, kind: str) -> dict[int, dict[Any, Any]]:
        rows = await self._db.fetch_all(
            "SELECT key, data FROM persistence WHERE kind = ?", (kind,)
        )
        return {int(row["key"]): dict(json.loads(row["data"])) for row in rows}

    async def _load_one(self, kind: str) -> Any:
        row = await self._db.fetch_one(
            "SELECT data FROM persistence WHERE kind = ? AND key = ?", (kind, _SINGLE_ROW)
        )
        return None if row is None else json.loads(row["data"])
