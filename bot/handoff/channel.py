"""How the handoff's messages leave, as the core sees it: a protocol the Telegram side
implements (handlers/handoff.py), its two failures, and a staff-chat reply as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.messages.reply import Reply


class ChannelUnavailableError(Exception):
    """The staff chat or the user cannot be reached right now: try again later."""


class RecipientBlockedError(Exception):
    """The user blocked the bot: nothing sent to them will ever arrive."""


class HandoffChannel(Protocol):
    """Where the staff chat and the users are."""

    async def post_to_staff(self, reply: Reply, reply_to: int | None) -> tuple[int, int]:
        """Post in the staff chat, as a reply to message `reply_to` when given; return the
        (chat id, message id) of the post. Raises ChannelUnavailableError."""
        ...

    async def send_to_user(self, user_id: int, reply: Reply) -> None:
        """Raises RecipientBlockedError or ChannelUnavailableError."""
        ...


@dataclass(frozen=True, slots=True)
class StaffMessage:
    """A message in the staff chat that replies to another (`text` None: not a text)."""

    chat_id: int
    message_id: int
    reply_to_message_id: int
    author_id: int
    text: str | None
