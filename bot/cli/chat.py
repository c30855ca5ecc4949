"""`wallonia-bot chat`: the assistant in a terminal, on the same engine and database as Telegram.

Buttons become numbered choices: type the number to pick one. Commands work as on Telegram
(`/help`, `/clusters`, `/language`, `/cancel`…). With piped input it reads one message per
line and exits at the end, so it can be scripted.
"""

from __future__ import annotations

import asyncio
from typing import TextIO

from bot.conversation.dialogue import UserRef
from bot.messages.rendering import to_terminal
from bot.messages.reply import Button, Reply
from bot.services import Services
from bot.settings import Settings
from knowledge.model import KnowledgeBase

# The terminal user is not a Telegram user; 0 is never a Telegram user ID.
CONSOLE_USER_ID = 0
QUIT_WORDS = frozenset({"/quit", "/exit"})


class ConsoleChat:
    """Reads a line, hands it to the dialogue, prints the replies."""

    def __init__(self, services: Services, output: TextIO) -> None:
        self._services = services
        self._output = output
        self._choices: list[Button] = []
        self._user = UserRef(CONSOLE_USER_ID)

    def _print(self, replies: list[Reply]) -> None:
        self._choices = []
        for reply in replies:
            text, choices = to_terminal(reply, first_choice=len(self._choices) + 1)
            self._choices.extend(choices)
            self._output.write(text + "\n\n")
        self._output.flush()

    async def handle(self, line: str) -> None:
        """Answer one line typed by the user."""
        text = line.strip()
        user = self._user
        dialogue = self._services.dialogue
        conversations = self._services.conversations
        state = await conversations.load(user.id)
        if text.isdigit() and 1 <= int(text) <= len(self._choices):
            action = self._choices[int(text) - 1].action
            replies = await dialogue.on_action(user, state, action)
        elif text.startswith("/") and text[1:2].isalpha():
            command, _, argument = text[1:].partition(" ")
            replies = await dialogue.on_command(user, state, command.lower(), argument)
        else:
            replies = await dialogue.on_text(user, state, text)
        # Saved like a Telegram user's: an unfinished join request survives a restart here too.
        await conversations.save(user.id, state)
        self._print(replies)

    async def greet(self) -> None:
        state = await self._services.conversations.load(self._user.id)
        self._print(await self._services.dialogue.on_start(self._user, state, None))
        await self._services.conversations.save(self._user.id, state)


async def _read_line(source: TextIO) -> str:
    # input() and readline() block; run them off the event loop so background jobs keep going.
    return await asyncio.to_thread(source.readline)


async def run_console_chat(
    settings: Settings, knowledge: KnowledgeBase, source: TextIO, output: TextIO
) -> int:
    """Chat until end of input or /quit."""
    services = await Services.open(settings, knowledge)
    try:
        chat = ConsoleChat(services, output)
        interactive = source.isatty()
        if interactive:
            await chat.greet()
        while True:
            if interactive:
                output.write("> ")
                output.flush()
            line = await _read_line(source)
            if not line or line.strip() in QUIT_WORDS:
                break
            await chat.handle(line)
    finally:
        await services.close()
    return 0
