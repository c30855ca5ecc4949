"""The note a staff member was asked for: after "Add a note" on a lead card, their next text
message in that chat, within `NOTE_TIMEOUT`, is the note.

Kept in SQLite (table `pending_notes`, migration 3), so a restart between the button and the
note does not turn the note into a question for the dialogue; and mirrored in memory, so
Telegram's synchronous message filter can ask "is a note awaited here?" without I/O. The mirror
cannot grow with the users: only ids in STAFF_USER_IDS may have an entry, one each. A change is
written to SQLite first, then to the mirror, so the two never disagree after a failed write;
expired notes are deleted at start-up and with every change.

No Telegram here: `handlers/staff.py` passes plain ids, through `StaffWorkspace`.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage.database import Database, format_timestamp, parse_timestamp, utc_now

NOTE_TIMEOUT = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class PendingNote:
    """A note awaited for `lead_id` in `chat_id`, asked for at `since` (UTC)."""

    lead_id: int
    chat_id: int
    since: datetime


class PendingNotes:
    """The notes staff members were asked for, one per staff member at most.

    Build it with `load`, which reads the table into memory.
    """

    def __init__(
        self,
        database: Database,
        staff_user_ids: Set[int],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = database
        self._staff = frozenset(staff_user_ids)
        self._clock = clock
        self._pending: dict[int, PendingNote] = {}

    @classmethod
    async def load(
        cls,
        database: Database,
        staff_user_ids: Set[int],
        clock: Callable[[], datetime] = utc_now,
    ) -> PendingNotes:
        """The notes still awaited, read into memory; expired ones, and those of people no
        longer in STAFF_USER_IDS, are deleted."""
        notes = cls(database, staff_user_ids, clock)
        async with database.transaction() as connection:
            await connection.execute(_DELETE_EXPIRED, (notes._cutoff(),))
            rows = await connection.execute_fetchall(
                "SELECT user_id, chat_id, lead_id, since FROM pending_notes"
            )
            kept: dict[int, PendingNote] = {}
            for row in rows:
                user_id = int(row["user_id"])
                if user_id in notes._staff:
                    kept[user_id] = PendingNote(
                        int(row["lead_id"]), int(row["chat_id"]), parse_timestamp(row["since"])
                    )
                else:
                    await connection.execute(
                        "DELETE FROM pending_notes WHERE user_id = ?", (user_id,)
                    )
        notes._pending = kept
        return notes

    def __len__(self) -> int:
        return len(self._pending)

    def awaited_lead(self, user_id: int, chat_id: int) -> int | None:
        """The lead whose note `user_id` is expected to send in `chat_id`, or None (none asked,
        asked in another chat, or more than `NOTE_TIMEOUT` ago). Reads memory only."""
        note = self._pending.get(user_id)
        if note is None or note.chat_id != chat_id or self._expired(note):
            return None
        return note.lead_id

    async def set(self, user_id: int, chat_id: int, lead_id: int) -> None:
        """Await a note for `lead_id` from staff member `user_id` in `chat_id`, replacing any
        other they were asked for. Raises ValueError for anyone not in STAFF_USER_IDS."""
        if user_id not in self._staff:
            raise ValueError("only a staff member can be asked for a note")
        note = PendingNote(lead_id, chat_id, self._clock())
        async with self._db.transaction() as connection:
            await connection.execute(
                "INSERT INTO pending_notes (user_id, chat_id, lead_id, since) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET"
                " chat_id = excluded.chat_id, lead_id = excluded.lead_id, since = excluded.since",
                (user_id, chat_id, lead_id, format_timestamp(note.since)),
            )
            await connection.execute(_DELETE_EXPIRED, (self._cutoff(),))
        self._pending[user_id] = note
        self._drop_expired()

    async def clear(self, user_id: int) -> None:
        """No note is awaited from `user_id` any more (it arrived, or /cancel)."""
        async with self._db.transaction() as connection:
            await connection.execute("DELETE FROM pending_notes WHERE user_id = ?", (user_id,))
            await connection.execute(_DELETE_EXPIRED, (self._cutoff(),))
        self._pending.pop(user_id, None)
        self._drop_expired()

    def erased(self, user_id: int) -> None:
        """`/forget` erased the user's row (storage/privacy_store.py): drop the copy in memory."""
        self._pending.pop(user_id, None)

    def _expired(self, note: PendingNote) -> bool:
        return self._clock() - note.since > NOTE_TIMEOUT

    def _cutoff(self) -> str:
        # Asked for before this moment: more than NOTE_TIMEOUT ago, as `_expired` has it.
        return format_timestamp(self._clock() - NOTE_TIMEOUT)

    def _drop_expired(self) -> None:
        for user_id in [u for u, note in self._pending.items() if self._expired(note)]:
            del self._pending[user_id]


_DELETE_EXPIRED = "DELETE FROM pending_notes WHERE since < ?"
