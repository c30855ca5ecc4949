"""SQLitePersistence, called as the Application would call it, on a real SQLite file."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import PersistenceInput

from bot.database import Database
from bot.sqlite_persistence import SQLitePersistence


class JoinState(IntEnum):
    COMPANY = 1
    CONFIRM = 2


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "assistant.sqlite3"


@pytest.fixture
async def database(db_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(db_path) as db:
        yield db


@pytest.fixture
def persistence(database: Database) -> SQLitePersistence:
    return SQLitePersistence(database)


async def reopened(db_path: Path) -> tuple[Database, SQLitePersistence]:
    """A new Database and persistence on the same file, as after a restart."""
    db = await Database.open(db_path)
    return db, SQLitePersistence(db)


def test_defaults_and_settings_reach_base_persistence(database: Database) -> None:
    default = SQLitePersistence(database)
    assert default.update_interval == 1.0
    assert default.store_data == PersistenceInput()
    chosen = SQLitePersistence(
        database, store_data=PersistenceInput(callback_data=False), update_interval=5
    )
    assert chosen.update_interval == 5
    assert chosen.store_data.callback_data is False


async def test_empty_database_gives_empty_state(persistence: SQLitePersistence) -> None:
    assert await persistence.get_user_data() == {}
    assert await persistence.get_chat_data() == {}
    assert await persistence.get_bot_data() == {}
    assert await persistence.get_callback_data() is None
    assert await persistence.get_conversations("join") == {}


async def test_conversations_survive_a_restart(
    persistence: SQLitePersistence, db_path: Path
) -> None:
    await persistence.update_conversation("join", (10, 20), JoinState.CONFIRM)
    await persistence.update_conversation("join", (11, 11), JoinState.COMPANY)
    await persistence.update_conversation("join", ("inline-abc",), 1)
    await persistence.update_conversation("faq", (10, 20), 7)
    await persistence.update_conversation("join", (11, 11), None)  # conversation ended

    db, restarted = await reopened(db_path)
    try:
        join = await restarted.get_conversations("join")
        faq = await restarted.get_conversations("faq")
    finally:
        await db.close()
    assert join == {(10, 20): JoinState.CONFIRM, ("inline-abc",): 1}
    assert faq == {(10, 20): 7}
    assert all(isinstance(key, tuple) for key in join)


async def test_conversation_state_is_replaced_not_duplicated(
    persistence: SQLitePersistence,
) -> None:
    await persistence.update_conversation("join", (10, 20), JoinState.COMPANY)
    await persistence.update_conversation("join", (10, 20), JoinState.CONFIRM)
    assert await persistence.get_conversations("join") == {(10, 20): JoinState.CONFIRM}


async def test_handler_names_are_data_not_sql(persistence: SQLitePersistence) -> None:
    name = 'it\'s "odd"; DROP TABLE persistence; --'
    await persistence.update_conversation(name, (1,), 1)
    assert await persistence.get_conversations(name) == {(1,): 1}
    assert await persistence.get_conversations("it's") == {}


async def test_user_chat_and_bot_data_round_trip(
    persistence: SQLitePersistence, db_path: Path
) -> None:
    user_data = {
        "draft": {"company": "Société <b>Acme</b> 🚀", "step": 3, "score": 0.5},
        "seen": [1, "two", None, True],
    }
    await persistence.update_user_data(42, user_data)
    await persistence.update_user_data(43, {})
    await persistence.update_chat_data(-100123, {"topic": "عربى"})
    await persistence.update_bot_data({"started": "2026-03-02"})

    db, restarted = await reopened(db_path)
    try:
        assert await restarted.get_user_data() == {42: user_data, 43: {}}
        assert await restarted.get_chat_data() == {-100123: {"topic": "عربى"}}
        assert await restarted.get_bot_data() == {"started": "2026-03-02"}
    finally:
        await db.close()


async def test_updates_are_on_disk_at_once(persistence: SQLitePersistence, db_path: Path) -> None:
    """Each update is committed by itself, so a crash right after it loses nothing."""
    await persistence.update_user_data(42, {"a": 1})
    with sqlite3.connect(db_path) as raw:
        rows = raw.execute("SELECT kind, key, data FROM persistence").fetchall()
    raw.close()
    assert rows == [("user_data", "42", '{"a":1}')]


async def test_drop_user_and_chat_data(persistence: SQLitePersistence) -> None:
    await persistence.update_user_data(42, {"a": 1})
    await persistence.update_user_data(43, {"b": 2})
    await persistence.update_chat_data(42, {"c": 3})
    await persistence.drop_user_data(42)
    await persistence.drop_user_data(999)  # unknown: nothing to do
    assert await persistence.get_user_data() == {43: {"b": 2}}
    assert await persistence.get_chat_data() == {42: {"c": 3}}
    await persistence.drop_chat_data(42)
    assert await persistence.get_chat_data() == {}


async def test_callback_data_round_trip(persistence: SQLitePersistence, db_path: Path) -> None:
    data: tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]] = (
        [("uuid-1", 1700000000.5, {"button-1": {"lead": 3}, "button-2": "x"})],
        {"query-1": "uuid-1"},
    )
    await persistence.update_callback_data(data)
    db, restarted = await reopened(db_path)
    try:
        assert await restarted.get_callback_data() == data
    finally:
        await db.close()


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"draft": {"when": datetime(2026, 1, 1, tzinfo=UTC)}}, "user_data['draft']['when']"),
        ({"draft": ("a", "b")}, "user_data['draft'] is a tuple"),
        ({"seen": [1, {2}]}, "user_data['seen'][1] is a set"),
        ({"draft": {1: "a"}}, "user_data['draft'] has a key of type int"),
        ({"score": math.nan}, "user_data['score'] is nan"),
    ],
)
async def test_values_json_cannot_store_raise_type_error_naming_the_key(
    persistence: SQLitePersistence, value: dict[Any, Any], where: str
) -> None:
    await persistence.update_user_data(42, {"kept": True})
    with pytest.raises(TypeError) as raised:
        await persistence.update_user_data(42, value)
    assert where in str(raised.value)
    assert await persistence.get_user_data() == {42: {"kept": True}}  # nothing half-written


async def test_unstorable_conversation_state_raises(persistence: SQLitePersistence) -> None:
    with pytest.raises(TypeError, match="conversation 'join'"):
        await persistence.update_conversation("join", (1, 1), object())


async def test_refresh_and_flush_leave_data_alone(persistence: SQLitePersistence) -> None:
    user_data: dict[Any, Any] = {"a": 1}
    await persistence.update_user_data(42, user_data)
    await persistence.refresh_user_data(42, user_data)
    await persistence.refresh_chat_data(42, {})
    await persistence.refresh_bot_data({})
    await persistence.flush()
    assert user_data == {"a": 1}
    assert await persistence.get_user_data() == {42: {"a": 1}}
