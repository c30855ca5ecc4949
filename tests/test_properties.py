"""Property-based tests: any text, at any step, gives replies Telegram would accept.

Hypothesis throws arbitrary Unicode (control characters, right-to-left text, emoji, HTML and
Markdown fragments, very long strings) at the dialogue in every state of the join flow, renders
the replies exactly as the Telegram handlers do, and checks them the way Telegram would: the
HTML parses, every message is 1-4096 characters after parsing, every button fits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.conversation.dialogue import ConversationState, UserRef
from bot.matching.matcher import Matcher
from bot.messages.catalogue import Catalogue
from bot.messages.rendering import to_html_messages
from bot.messages.reply import MAX_CALLBACK_BYTES, Reply
from bot.services import build_dialogue
from bot.storage.database import Database
from knowledge.loader import load_knowledge_base
from tests.fake_bot_api import parse_html, utf16_len

KNOWLEDGE = load_knowledge_base()
MATCHER = Matcher(KNOWLEDGE)
CATALOGUE = Catalogue.load()
USER = UserRef(11, "fr")

# Steps to reach before sending the arbitrary text: the question mode and each flow step.
FLOW = [
    "/join plastiwin",
    "Acme",
    "btn:js",
    "Moules",
    "btn:jt:sme",
    "btn:jl:abroad",
    "Ann",
    "ann@acme.be",
    "btn:js",
    "btn:jy",
]
PATHS: list[list[str]] = [
    [],
    ["/join"],
    ["/join", "btn:jc:?"],
    *(FLOW[:steps] for steps in range(1, len(FLOW) + 1)),
    [*FLOW, "btn:jed", "btn:je:company_name"],
]

hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=5000),
    st.sampled_from(
        [
            "<b>x</b><script>",
            "&amp;&lt;",
            "*bold* _it_ `code` [a](http://x)",
            "\u202e\u200f",
            "مرحبا",
            "🙂" * 2000,
            "\x00\x01\x1b[31m",
            '=HYPERLINK("http://x")',
            " ",
            "?",
        ]
    ),
)


def check_telegram_accepts(replies: list[Reply]) -> None:
    assert replies, "every input gets an answer"
    for reply in replies:
        for message in to_html_messages(reply):
            parsed = parse_html(message.text)  # raises like "can't parse entities"
            assert 1 <= utf16_len(parsed.text) <= 4096
            assert parsed.text.strip()
            for row in message.buttons:
                for button in row:
                    assert button.label.strip()
                    assert 1 <= len(button.action.encode()) <= MAX_CALLBACK_BYTES


@contextmanager
def running_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.close()


async def _drive(database_path: Path, path: list[str], text: str | None) -> list[Reply]:
    database = await Database.open(database_path)
    try:
        dialogue = build_dialogue(KNOWLEDGE, MATCHER, CATALOGUE, database)
        state = ConversationState()
        for step in path:
            if step.startswith("btn:"):
                check_telegram_accepts(await dialogue.on_action(USER, state, step[4:]))
            elif step.startswith("/"):
                command, _, argument = step[1:].partition(" ")
                check_telegram_accepts(await dialogue.on_command(USER, state, command, argument))
            else:
                check_telegram_accepts(await dialogue.on_text(USER, state, step))
        return await dialogue.on_text(USER, state, text)
    finally:
        await database.close()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(path=st.sampled_from(PATHS), text=st.one_of(st.none(), hostile_text))
# The edit path shows the text back in the summary: the case where escaping matters most.
@example(path=PATHS[-1], text="<b>x</b><script> & *y*")
@example(path=PATHS[-1], text="é" * 200)
def test_any_text_at_any_step_gets_a_reply_telegram_accepts(
    path: list[str], text: str | None
) -> None:
    with TemporaryDirectory() as folder, running_loop() as loop:
        replies = loop.run_until_complete(_drive(Path(folder) / "p.sqlite3", path, text))
    check_telegram_accepts(replies)


@settings(max_examples=200, deadline=None)
@given(action=st.text(max_size=80))
def test_any_button_data_gets_a_reply_telegram_accepts(action: str) -> None:
    async def press() -> list[Reply]:
        database = await Database.open(":memory:")
        try:
            dialogue = build_dialogue(KNOWLEDGE, MATCHER, CATALOGUE, database)
            state = ConversationState()
            await dialogue.on_command(USER, state, "join", "")
            return await dialogue.on_action(USER, state, action)
        finally:
            await database.close()

    with running_loop() as loop:
        check_telegram_accepts(loop.run_until_complete(press()))
