"""Conversation state in SQLite: written when it changes, read back after a restart, bounded."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.conversation.state import ConversationState, JoinRequest, Step, Subject
from bot.storage.conversation_store import ConversationStore
from bot.storage.database import Database


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    opened = await Database.open(tmp_path / "state.sqlite3")
    try:
        yield opened
    finally:
        await opened.close()


def rows(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as raw:
        found = raw.execute(
            "SELECT CAST(user_id AS TEXT), updated_at FROM conversation_states ORDER BY user_id"
        ).fetchall()
    raw.close()
    return found


async def test_state_survives_a_new_store_on_the_same_database(
    database: Database, tmp_path: Path
) -> None:
    store = ConversationStore(database)
    request = JoinRequest(updated=datetime(2026, 11, 26, 9, 0, tzinfo=UTC), step=Step.ACTIVITY)
    request.answers.company_name = "é <b>"
    state = ConversationState(subject=Subject(cluster="tweed"), join=request)
    await store.save(5, state)
    again = await ConversationStore(database).load(5)
    assert again.last_cluster == "tweed"
    assert again.join == request
    assert [key for key, _ in rows(tmp_path / "state.sqlite3")] == ["5"]


async def test_unchanged_state_is_not_written_again(database: Database, tmp_path: Path) -> None:
    store = ConversationStore(database)
    await store.save(5, ConversationState(subject=Subject(cluster="twist")))
    before = rows(tmp_path / "state.sqlite3")
    await store.save(5, await store.load(5))
    assert rows(tmp_path / "state.sqlite3") == before
    await store.save(5, ConversationState(subject=Subject(cluster="tweed")))
    assert rows(tmp_path / "state.sqlite3") != before


async def test_blank_state_leaves_no_row(database: Database, tmp_path: Path) -> None:
    store = ConversationStore(database)
    await store.save(5, ConversationState(subject=Subject(cluster="twist")))
    await store.save(5, ConversationState(language_loaded=True))
    assert rows(tmp_path / "state.sqlite3") == []
    await store.save(6, ConversationState())
    assert rows(tmp_path / "state.sqlite3") == []


async def test_cache_is_bounded_and_evicted_users_are_read_back(database: Database) -> None:
    store = ConversationStore(database, max_cached=10)
    for user in range(100):
        await store.save(
            user, ConversationState(subject=Subject(cluster="plastiwin" if user % 2 else "tweed"))
        )
    assert len(store) == 10
    assert (await store.load(1)).last_cluster == "plastiwin"
    assert (await store.load(2)).last_cluster == "tweed"
    assert len(store) == 10


async def test_users_in_a_join_flow_are_listed(database: Database) -> None:
    store = ConversationStore(database)
    await store.save(
        1, ConversationState(join=JoinRequest(updated=datetime(2026, 11, 26, tzinfo=UTC)))
    )
    await store.save(2, ConversationState(subject=Subject(cluster="tweed")))
    assert [user for user, _state in await store.with_join_flow()] == [1]


async def test_a_corrupt_row_reads_as_a_fresh_state(database: Database) -> None:
    await database.execute(
        "INSERT INTO conversation_states (user_id, data, updated_at) VALUES (9, ?, '')",
        ('{"join": 12, "language": "de", "last_cluster": ["x"]}',),
    )
    state = await ConversationStore(database).load(9)
    assert state.join is None
    assert state.language is None
    assert state.last_cluster is None
