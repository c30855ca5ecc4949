"""Migrations are numbered `.sql` files (bot/storage/migrations/), packaged with the code and
applied in order at start-up; a database left at any earlier version is brought up to date
with its data kept."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.conversation.dialogue import ConversationState
from bot.storage.conversation_store import ConversationStore
from bot.storage.database import MIGRATIONS, Database, load_migrations, split_statements
from bot.storage.privacy_store import PrivacyStore

USER = 4242
STATE = {"last_cluster": "tweed", "language": "en"}


def database_at(path: Path, version: int) -> None:
    """A database as the bot left it when `version` was its newest migration."""
    with sqlite3.connect(path) as raw:
        raw.execute(
            "CREATE TABLE schema_migrations"
            " (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        for number, script in MIGRATIONS:
            if number > version:
                break
            for statement in split_statements(script):
                raw.execute(statement)
            raw.execute(
                "INSERT INTO schema_migrations VALUES (?, '2026-01-01T00:00:00.000000+00:00')",
                (number,),
            )
        if 1 <= version < 4:
            # The conversation state as it was kept before 4: rows of `persistence`, and rows of
            # kinds nothing wrote but the schema allowed.
            raw.executemany(
                "INSERT INTO persistence (kind, key, data, updated_at) VALUES (?, ?, ?, '')",
                [
                    ("user_data", str(USER), json.dumps(STATE)),
                    ("chat_data", str(USER), "{}"),
                    ("conversations", f'["join",[{USER}]]', "1"),
                ],
            )
    raw.close()


def test_the_packaged_migrations_are_numbered_files_in_order() -> None:
    versions = [version for version, _ in MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1))
    assert versions[-1] >= 4
    folder = Path(__file__).resolve().parents[1] / "bot" / "storage" / "migrations"
    assert sorted(p.name[:4] for p in folder.glob("*.sql")) == [f"{v:04d}" for v in versions]


def test_a_misnamed_or_doubled_migration_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "0001_again.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match="two migrations"):
        load_migrations(tmp_path)
    (tmp_path / "0001_again.sql").unlink()
    (tmp_path / "2-second.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match=r"NNNN_name\.sql"):
        load_migrations(tmp_path)


@pytest.mark.parametrize("version", range(len(MIGRATIONS) + 1))
async def test_a_database_at_each_version_migrates_and_keeps_its_data(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "old.sqlite3"
    database_at(path, version)
    async with await Database.open(path) as database:
        applied = [number for number, _ in await database.applied_migrations()]
        assert applied == [number for number, _ in MIGRATIONS]
        rows = await database.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = {row["name"] for row in rows}
        assert "persistence" not in tables
        assert "conversation_states" in tables
        state = await ConversationStore(database).load(USER)
        exported = await PrivacyStore(database).export_user(USER)
        (integrity,) = await database.fetch_one("PRAGMA integrity_check") or ("missing",)
    assert integrity == "ok"
    if 1 <= version < 4:
        assert state.last_cluster == "tweed"
        assert state.language == "en"
        assert [s.data for s in exported.bot_state] == [STATE]
    else:
        assert state == ConversationState()
        assert exported.is_empty
