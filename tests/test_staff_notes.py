"""The notes staff were asked for (bot/staff/notes.py), against real SQLite files."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.staff.notes import NOTE_TIMEOUT, PendingNotes
from bot.storage.database import Database
from tests.helpers import START, FakeClock

STAFF = 900_001
OTHER_STAFF = 900_002
USER = 4242
CHAT = -100_500
PRIVATE = STAFF
LEAD = 7
STAFF_IDS = frozenset({STAFF, OTHER_STAFF})


@dataclass
class Storage:
    """A real SQLite file, its clock, and the staff notes over it."""

    path: Path
    clock: FakeClock
    database: Database

    async def load(self, staff: frozenset[int] = STAFF_IDS) -> PendingNotes:
        """The notes as a (re)start reads them."""
        return await PendingNotes.load(self.database, staff, self.clock)

    def rows(self) -> list[tuple[Any, ...]]:
        """The table as another connection sees it: what a restart would read."""
        with contextlib.closing(sqlite3.connect(self.path)) as raw:
            return raw.execute(
                "SELECT user_id, chat_id, lead_id FROM pending_notes ORDER BY user_id"
            ).fetchall()


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    clock = FakeClock(START)
    path = tmp_path / "assistant.sqlite3"
    async with await Database.open(path, clock=clock) as database:
        yield Storage(path, clock, database)


async def test_a_note_is_awaited_in_its_chat_only_until_cleared(storage: Storage) -> None:
    notes = await storage.load()
    assert notes.awaited_lead(STAFF, CHAT) is None
    await notes.set(STAFF, CHAT, LEAD)
    assert notes.awaited_lead(STAFF, CHAT) == LEAD
    assert notes.awaited_lead(STAFF, PRIVATE) is None  # asked in the group, not here
    assert notes.awaited_lead(OTHER_STAFF, CHAT) is None  # asked of someone else
    assert storage.rows() == [(STAFF, CHAT, LEAD)]
    await notes.set(STAFF, PRIVATE, LEAD + 1)  # a second "Add a note" replaces the first
    assert notes.awaited_lead(STAFF, CHAT) is None
    assert notes.awaited_lead(STAFF, PRIVATE) == LEAD + 1
    assert storage.rows() == [(STAFF, PRIVATE, LEAD + 1)]
    await notes.clear(STAFF)
    assert notes.awaited_lead(STAFF, PRIVATE) is None
    assert storage.rows() == []
    await notes.clear(STAFF)  # nothing left to clear: no error


async def test_a_note_expires_after_the_timeout(storage: Storage) -> None:
    notes = await storage.load()
    await notes.set(STAFF, CHAT, LEAD)
    storage.clock.advance(NOTE_TIMEOUT)
    assert notes.awaited_lead(STAFF, CHAT) == LEAD  # 30 minutes exactly: still in time
    storage.clock.advance(timedelta(microseconds=1))
    assert notes.awaited_lead(STAFF, CHAT) is None


async def test_a_note_survives_reopening_the_database(storage: Storage) -> None:
    await (await storage.load()).set(STAFF, CHAT, LEAD)
    await storage.database.close()
    storage.clock.advance(NOTE_TIMEOUT - timedelta(minutes=1))
    async with await Database.open(storage.path, clock=storage.clock) as reopened:
        again = await PendingNotes.load(reopened, STAFF_IDS, storage.clock)
        assert again.awaited_lead(STAFF, CHAT) == LEAD
        assert again.awaited_lead(STAFF, PRIVATE) is None
        assert len(again) == 1
        storage.clock.advance(timedelta(minutes=2))  # the timeout still counts from the button
        assert again.awaited_lead(STAFF, CHAT) is None


async def test_expired_notes_are_deleted(storage: Storage) -> None:
    notes = await storage.load()
    await notes.set(STAFF, CHAT, LEAD)
    storage.clock.advance(NOTE_TIMEOUT + timedelta(seconds=1))
    # Any change deletes the expired notes of every staff member...
    await notes.set(OTHER_STAFF, CHAT, LEAD)
    assert storage.rows() == [(OTHER_STAFF, CHAT, LEAD)]
    assert len(notes) == 1
    storage.clock.advance(NOTE_TIMEOUT + timedelta(seconds=1))
    # ...and so does the start-up.
    assert len(await storage.load()) == 0
    assert storage.rows() == []


async def test_only_staff_can_have_a_pending_note(storage: Storage) -> None:
    notes = await storage.load()
    with pytest.raises(ValueError, match="staff"):
        await notes.set(USER, USER, LEAD)
    assert storage.rows() == []
    assert len(notes) == 0
    await notes.set(OTHER_STAFF, CHAT, LEAD)
    # OTHER_STAFF left STAFF_USER_IDS before the restart: their note goes.
    reloaded = await storage.load(frozenset({STAFF}))
    assert reloaded.awaited_lead(OTHER_STAFF, CHAT) is None
    assert len(reloaded) == 0
    assert storage.rows() == []


async def test_a_failed_write_changes_nothing_in_memory(storage: Storage) -> None:
    notes = await storage.load()
    await notes.set(STAFF, CHAT, LEAD)
    for event in ("DELETE", "INSERT"):
        await storage.database.execute(
            f"CREATE TEMP TRIGGER refuse_{event} BEFORE {event} ON pending_notes"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    with pytest.raises(sqlite3.IntegrityError, match="refused"):
        await notes.clear(STAFF)
    assert notes.awaited_lead(STAFF, CHAT) == LEAD  # still stored, so still awaited
    with pytest.raises(sqlite3.IntegrityError, match="refused"):
        await notes.set(OTHER_STAFF, CHAT, LEAD)
    assert notes.awaited_lead(OTHER_STAFF, CHAT) is None
    assert storage.rows() == [(STAFF, CHAT, LEAD)]


async def test_erased_drops_the_copy_in_memory(storage: Storage) -> None:
    notes = await storage.load()
    await notes.set(STAFF, CHAT, LEAD)
    notes.erased(STAFF)
    assert notes.awaited_lead(STAFF, CHAT) is None
    assert len(notes) == 0
