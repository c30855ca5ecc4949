"""The SQL of the human handoff: conversations (`handoffs`) and their messages
(`handoff_messages`), migration 4 in bot/storage/database.py.

Also the two reads that give staff the context of a conversation (the user's lead references
and the questions the assistant could not answer them), so the handoff's SQL is in one place.
"""

from __future__ import annotations

import sqlite3
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.storage.database import Database, format_timestamp, parse_timestamp, utc_now


class HandoffStatus(StrEnum):
    ASKING = "asking"  # the bot asked for the message and waits for it
    OPEN = "open"  # the user's messages go to the team, the team's replies to the user
    CLOSED = "closed"


class ClosedBy(StrEnum):
    USER = "user"
    STAFF = "staff"
    IDLE = "idle"
    BLOCKED = "blocked"  # a reply could not be delivered: the user blocked the bot


class Direction(StrEnum):
    USER = "user"  # from the user to the team
    STAFF = "staff"  # from a staff member to the user


class Delivery(StrEnum):
    PENDING = "pending"  # not yet through (the outbox)
    DELIVERED = "delivered"
    FAILED = "failed"  # will never be: the user blocked the bot


@dataclass(frozen=True, slots=True)
class Handoff:
    """One conversation between a user and the team."""

    id: int
    user_id: int
    language: str
    user_name: str
    username: str | None
    status: HandoffStatus
    opened_at: datetime
    last_activity_at: datetime
    closed_at: datetime | None
    closed_by: ClosedBy | None
    first_answer_at: datetime | None
    first_answered_by: int | None


@dataclass(frozen=True, slots=True)
class HandoffMessage:
    """A message of a conversation, and where it sits in the staff chat once posted there."""

    id: int
    handoff_id: int
    direction: Direction
    author_id: int
    text: str
    created_at: datetime
    delivery: Delivery
    staff_chat_id: int | None
    staff_message_id: int | None


@dataclass(frozen=True, slots=True)
class HandoffStats:
    """Conversations opened in a period, how many got a staff answer, and how fast."""

    opened: int
    answered: int
    median_first_answer: timedelta | None


def _time(value: str | None) -> datetime | None:
    return None if value is None else parse_timestamp(value)


def handoff_from_row(row: sqlite3.Row) -> Handoff:
    return Handoff(
        id=int(row["id"]),
        user_id=int(row["user_id"]),
        language=str(row["language"]),
        user_name=str(row["user_name"]),
        username=row["username"],
        status=HandoffStatus(row["status"]),
        opened_at=parse_timestamp(row["opened_at"]),
        last_activity_at=parse_timestamp(row["last_activity_at"]),
        closed_at=_time(row["closed_at"]),
        closed_by=None if row["closed_by"] is None else ClosedBy(row["closed_by"]),
        first_answer_at=_time(row["first_answer_at"]),
        first_answered_by=row["first_answered_by"],
    )


def message_from_row(row: sqlite3.Row) -> HandoffMessage:
    return HandoffMessage(
        id=int(row["id"]),
        handoff_id=int(row["handoff_id"]),
        direction=Direction(row["direction"]),
        author_id=int(row["author_id"]),
        text=str(row["text"]),
        created_at=parse_timestamp(row["created_at"]),
        delivery=Delivery(row["delivery"]),
        staff_chat_id=row["staff_chat_id"],
        staff_message_id=row["staff_message_id"],
    )


HANDOFF_SELECT = (
    "SELECT id, user_id, language, user_name, username, status, opened_at, last_activity_at,"
    " closed_at, closed_by, first_answer_at, first_answered_by FROM handoffs"
)
MESSAGE_SELECT = (
    "SELECT handoff_messages.id, handoff_id, direction, author_id, text, created_at, delivery,"
    " staff_chat_id, staff_message_id FROM handoff_messages"
)


class HandoffStore:
    """Conversations with the team and their messages."""

    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = database
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    # -- conversations --------------------------------------------------------------------------

    async def in_progress(self) -> list[Handoff]:
        """Every conversation asking for its message or open, oldest first."""
        rows = await self._db.fetch_all(
            f"{HANDOFF_SELECT} WHERE status IN ('asking', 'open') ORDER BY id"
        )
        return [handoff_from_row(row) for row in rows]

    async def get(self, handoff_id: int) -> Handoff | None:
        row = await self._db.fetch_one(f"{HANDOFF_SELECT} WHERE id = ?", (handoff_id,))
        return None if row is None else handoff_from_row(row)

    async def begin(
        self,
        user_id: int,
        language: str,
        user_name: str,
        username: str | None,
        status: HandoffStatus,
    ) -> Handoff:
        """A new conversation ('asking' or 'open'). Raises sqlite3.IntegrityError if the user
        already has one in progress."""
        now = format_timestamp(self._clock())
        rows = await self._db.fetch_all(
            "INSERT INTO handoffs (user_id, language, user_name, username, status, opened_at,"
            " last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (user_id, language, user_name, username, status.value, now, now),
        )
        handoff = await self.get(int(rows[0]["id"]))
        assert handoff is not None  # just inserted, and only /forget deletes
        return handoff

    async def set_open(self, handoff_id: int, user_name: str, username: str | None) -> None:
        """The user's message arrived: the conversation opens now (the time staff answer to),
        under the name the user has now."""
        now = format_timestamp(self._clock())
        await self._db.execute(
            "UPDATE handoffs SET status = 'open', opened_at = ?, last_activity_at = ?,"
            " user_name = ?, username = ? WHERE id = ?",
            (now, now, user_name, username, handoff_id),
        )

    async def close(self, handoff_id: int, closed_by: ClosedBy) -> bool:
        """Close a conversation in progress; False when it was already closed (or erased)."""
        changed = await self._db.execute(
            "UPDATE handoffs SET status = 'closed', closed_at = ?, closed_by = ?"
            " WHERE id = ? AND status != 'closed'",
            (format_timestamp(self._clock()), closed_by.value, handoff_id),
        )
        return changed > 0

    async def delete(self, handoff_id: int) -> None:
        """Drop a conversation that never opened (the user cancelled before writing)."""
        await self._db.execute(
            "DELETE FROM handoffs WHERE id = ? AND status = 'asking'", (handoff_id,)
        )

    async def idle_since(self, cutoff: datetime) -> list[Handoff]:
        """Conversations in progress with no message since `cutoff`."""
        rows = await self._db.fetch_all(
            f"{HANDOFF_SELECT} WHERE status IN ('asking', 'open') AND last_activity_at < ?"
            " ORDER BY id",
            (format_timestamp(cutoff),),
        )
        return [handoff_from_row(row) for row in rows]

    async def purge_older_than(self, days: int) -> int:
        """Erase closed conversations (and their messages) with no activity for `days`."""
        cutoff = format_timestamp(self._clock() - timedelta(days=days))
        old = "SELECT id FROM handoffs WHERE status = 'closed' AND last_activity_at < ?"
        async with self._db.transaction() as connection:
            # Messages first and explicitly: a cascade would count them with the conversations.
            await connection.execute(
                f"DELETE FROM handoff_messages WHERE handoff_id IN ({old})",  # noqa: S608
                (cutoff,),
            )
            async with connection.execute(
                f"DELETE FROM handoffs WHERE id IN ({old})",  # noqa: S608
                (cutoff,),
            ) as cursor:
                return cursor.rowcount

    # -- messages -------------------------------------------------------------------------------

    async def add_user_message(self, handoff_id: int, user_id: int, text: str) -> int:
        """Store a user's message in the outbox (delivery 'pending'); return its id."""
        now = format_timestamp(self._clock())
        async with self._db.transaction() as connection:
            rows = await connection.execute_fetchall(
                "INSERT INTO handoff_messages (handoff_id, direction, author_id, text, created_at)"
                " VALUES (?, 'user', ?, ?, ?) RETURNING id",
                (handoff_id, user_id, text, now),
            )
            await connection.execute(
                "UPDATE handoffs SET last_activity_at = ? WHERE id = ?", (now, handoff_id)
            )
        return int(next(iter(rows))["id"])

    async def add_staff_reply(
        self, handoff_id: int, staff_id: int, text: str, staff_chat_id: int, staff_message_id: int
    ) -> int | None:
        """Store a staff member's reply (delivery 'pending'), note the first answer of the
        conversation; return its id, or None if that staff message was already stored (the same
        update handled twice)."""
        now = format_timestamp(self._clock())
        async with self._db.transaction() as connection:
            rows = list(
                await connection.execute_fetchall(
                    "INSERT INTO handoff_messages (handoff_id, direction, author_id, text,"
                    " created_at, staff_chat_id, staff_message_id)"
                    " VALUES (?, 'staff', ?, ?, ?, ?, ?)"
                    " ON CONFLICT (staff_chat_id, staff_message_id) DO NOTHING RETURNING id",
                    (handoff_id, staff_id, text, now, staff_chat_id, staff_message_id),
                )
            )
            if not rows:
                return None
            await connection.execute(
                "UPDATE handoffs SET last_activity_at = ?,"
                " first_answer_at = COALESCE(first_answer_at, ?),"
                " first_answered_by = COALESCE(first_answered_by, ?) WHERE id = ?",
                (now, now, staff_id, handoff_id),
            )
        return int(rows[0]["id"])

    async def messages(self, handoff_id: int) -> list[HandoffMessage]:
        rows = await self._db.fetch_all(
            f"{MESSAGE_SELECT} WHERE handoff_id = ? ORDER BY id", (handoff_id,)
        )
        return [message_from_row(row) for row in rows]

    async def pending(
        self, direction: Direction, handoff_id: int | None = None
    ) -> list[HandoffMessage]:
        """Messages not yet delivered, oldest first (of one conversation, or of all)."""
        if handoff_id is None:
            rows = await self._db.fetch_all(
                f"{MESSAGE_SELECT} WHERE delivery = 'pending' AND direction = ? ORDER BY id",
                (direction.value,),
            )
        else:
            rows = await self._db.fetch_all(
                f"{MESSAGE_SELECT} WHERE delivery = 'pending' AND direction = ?"
                " AND handoff_id = ? ORDER BY id",
                (direction.value, handoff_id),
            )
        return [message_from_row(row) for row in rows]

    async def mark_posted(
        self, message_id: int, staff_chat_id: int, staff_message_id: int
    ) -> None:
        """A user's message reached the staff chat as `staff_message_id`."""
        await self._db.execute(
            "UPDATE handoff_messages SET delivery = 'delivered', staff_chat_id = ?,"
            " staff_message_id = ? WHERE id = ?",
            (staff_chat_id, staff_message_id, message_id),
        )

    async def set_delivery(self, message_id: int, delivery: Delivery) -> None:
        await self._db.execute(
            "UPDATE handoff_messages SET delivery = ? WHERE id = ?", (delivery.value, message_id)
        )

    async def first_post(self, handoff_id: int) -> int | None:
        """The staff-chat message id of the conversation's first post, if any reached it."""
        row = await self._db.fetch_one(
            "SELECT staff_message_id FROM handoff_messages WHERE handoff_id = ?"
            " AND direction = 'user' AND staff_message_id IS NOT NULL ORDER BY id LIMIT 1",
            (handoff_id,),
        )
        return None if row is None else int(row["staff_message_id"])

    async def thread_of(self, staff_chat_id: int, staff_message_id: int) -> Handoff | None:
        """The conversation a message of the staff chat belongs to (a user's message posted
        there, or a staff member's reply), or None."""
        row = await self._db.fetch_one(
            f"{HANDOFF_SELECT} WHERE id = (SELECT handoff_id FROM handoff_messages"  # noqa: S608
            " WHERE staff_chat_id = ? AND staff_message_id = ?)",
            (staff_chat_id, staff_message_id),
        )
        return None if row is None else handoff_from_row(row)

    # -- context for staff ----------------------------------------------------------------------

    async def lead_references(self, user_id: int) -> list[str]:
        rows = await self._db.fetch_all(
            "SELECT reference FROM leads WHERE user_id = ? AND reference IS NOT NULL ORDER BY id",
            (user_id,),
        )
        return [str(row["reference"]) for row in rows]

    async def unanswered_questions(
        self, user_id: int, since: datetime, limit: int
    ) -> list[tuple[int, str]]:
        """(id, text) of the user's questions the assistant could not answer since `since`,
        newest first."""
        rows = await self._db.fetch_all(
            "SELECT id, text FROM unanswered_questions WHERE user_id = ? AND created_at >= ?"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (user_id, format_timestamp(since), limit),
        )
        return [(int(row["id"]), str(row["text"])) for row in rows]

    async def unanswered_question(self, question_id: int, user_id: int) -> str | None:
        """The text of one of the user's unanswered questions (None if not theirs, or gone)."""
        row = await self._db.fetch_one(
            "SELECT text FROM unanswered_questions WHERE id = ? AND user_id = ?",
            (question_id, user_id),
        )
        return None if row is None else str(row["text"])

    # -- statistics -----------------------------------------------------------------------------

    async def stats(self, since: datetime) -> HandoffStats:
        rows = await self._db.fetch_all(
            "SELECT opened_at, first_answer_at FROM handoffs"
            " WHERE status != 'asking' AND opened_at >= ?",
            (format_timestamp(since),),
        )
        waits = [
            parse_timestamp(row["first_answer_at"]) - parse_timestamp(row["opened_at"])
            for row in rows
            if row["first_answer_at"] is not None
        ]
        median = (
            timedelta(seconds=statistics.median(w.total_seconds() for w in waits))
            if waits
            else None
        )
        return HandoffStats(opened=len(rows), answered=len(waits), median_first_answer=median)
