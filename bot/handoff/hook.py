"""What the dialogue asks of the human handoff, and the stand-in used when there is none.

The dialogue (bot/conversation/dialogue.py) holds one `HandoffHook` and calls it at four
places: first thing in `on_text` (a conversation with the team takes the message), for the
`contact_human` intent (`start`), for button actions starting with `h`, and for `/done` and
`/cancel`. Each call returns the replies, or None when the handoff has nothing to do with it and
the dialogue goes on as without it. `NoHandoff` always returns None: the terminal chat, a bot
without STAFF_CHAT_ID and the tests that build a bare Dialogue behave exactly as before.
"""

from __future__ import annotations

from typing import Protocol

from bot.messages.reply import Reply
from knowledge.model import Language


class Person(Protocol):
    """Who is writing, as the front end knows them (the dialogue's `UserRef`)."""

    @property
    def id(self) -> int: ...

    @property
    def display_name(self) -> str | None: ...

    @property
    def username(self) -> str | None: ...


class HandoffHook(Protocol):
    async def on_text(
        self, person: Person, language: Language, text: str | None
    ) -> list[Reply] | None: ...

    async def start(self, person: Person, language: Language) -> list[Reply] | None: ...

    async def on_action(
        self, person: Person, language: Language, action: str
    ) -> list[Reply] | None: ...

    async def on_command(
        self, person: Person, language: Language, command: str
    ) -> list[Reply] | None: ...


class NoHandoff:
    """No way to reach a person from here: the dialogue answers as it always did."""

    async def on_text(self, person: Person, language: Language, text: str | None) -> None:
        return None

    async def start(self, person: Person, language: Language) -> None:
        return None

    async def on_action(self, person: Person, language: Language, action: str) -> None:
        return None

    async def on_command(self, person: Person, language: Language, command: str) -> None:
        return None


NO_HANDOFF = NoHandoff()
