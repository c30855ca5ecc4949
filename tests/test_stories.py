"""Whole conversations: the development and held-out stories (tests/data/stories/).

The floors below sit a few points under what `python bench/stories.py` measured, so that a
change that makes conversations worse fails here; the held-out stories are never tuned on.
The same stories also run through Telegram (the real Application against the fake Bot API)
and must read exactly as they do in the engine.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from bot.conversation.dialogue import Dialogue, UserRef
from bot.conversation.state import ConversationState
from bot.matching.matcher import Matcher
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Reply
from bot.services import build_dialogue
from bot.settings import Settings
from bot.storage.conversation_store import ConversationStore
from bot.storage.database import Database
from knowledge.model import KnowledgeBase
from tests.fake_bot_api import FakeBotApi
from tests.helpers import RunningBot, serving
from tests.story_runner import (
    Story,
    TurnResult,
    choose_button,
    comparable,
    figures,
    load_stories,
    play_step,
    run_story,
)

# Measured on this knowledge base: see the README's "Conversations" section. Development
# includes the blind v2 stories (written from the brief alone, then tuned on).
FLOORS = {"development": 0.95, "heldout": 0.88}
MAX_IN_DOMAIN_OFF_TOPIC = {"development": 0, "heldout": 1}


async def _dialogue(tmp_path: Path, knowledge: KnowledgeBase) -> tuple[Dialogue, Database]:
    database = await Database.open(tmp_path / "stories.sqlite3")
    return build_dialogue(knowledge, Matcher(knowledge), Catalogue.load(), database), database


async def _run(part: str, tmp_path: Path, knowledge: KnowledgeBase) -> list[TurnResult]:
    dialogue, database = await _dialogue(tmp_path, knowledge)
    try:
        results: list[TurnResult] = []
        for user_id, story in enumerate(load_stories(part), start=1):
            results.extend(await run_story(dialogue, story, user_id))
        return results
    finally:
        await database.close()


@pytest.mark.parametrize("part", ["development", "heldout"])
async def test_stories_keep_their_floor(
    part: str, tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    results = await _run(part, tmp_path, knowledge)
    found = figures(results)
    assert found.turns >= 100
    assert found.share >= FLOORS[part], f"{found.right}/{found.turns} turns right"
    # Never a question stored as a form answer; our own domain called off-topic never in the
    # development stories, and at most once in the held-out ones: 0 in session 5, one turn
    # since session 6's retraining on about 550 more examples (not read, so not fixed by looking).
    assert found.questions_stored == 0
    assert found.in_domain_off_topic <= MAX_IN_DOMAIN_OFF_TOPIC[part]


def test_there_are_enough_stories_in_both_languages() -> None:
    stories = load_stories("development") + load_stories("heldout")
    assert len(stories) >= 60
    for lang in ("fr", "en"):
        assert sum(s.lang == lang for s in stories) >= 20


async def _telegram_transcript(
    bot: RunningBot, story: Story, user_id: int, expected: list[list[str]]
) -> list[list[str]]:
    """The story played through Telegram, waiting at each step for as many messages as the
    engine gave (and, at the end, for none more)."""
    shown: list[str] = []
    transcript = []
    for step, engine_turn in zip(story.steps, expected, strict=True):
        if step.press is not None:
            data = choose_button(step.press, shown)
            if data is None:
                transcript.append([f"no {step.press} button"])
                continue
            bot.api.callback_query(user_id, data, language_code=story.lang)
        else:
            bot.api.user_message(user_id, step.user or "", language_code=story.lang)
        sent = await bot.api.wait_for_messages(user_id, len(engine_turn), timeout=10)
        shown = [data for message in sent for data in message.callback_data]
        transcript.append([comparable(m.text) + " | " + " ".join(m.callback_data) for m in sent])
    await bot.api.wait_until_idle()
    assert bot.api.pending_messages(user_id) == [], story.id
    return transcript


async def _engine_transcript(
    dialogue: Dialogue, conversations: ConversationStore, story: Story, user_id: int
) -> list[list[str]]:
    """The story played on the engine alone, its state saved after each step as the
    Telegram handlers save it (what /mydata lists depends on it)."""
    user = UserRef(user_id, story.lang)
    state = ConversationState()
    previous: list[Reply] = []
    transcript = []
    for step in story.steps:
        played = await play_step(dialogue, user, state, step, previous)
        await conversations.save(user_id, state)
        if played is None:
            transcript.append([f"no {step.press} button"])
            continue
        replies = previous = played
        transcript.append(
            [
                comparable(r.plain_text())
                + " | "
                + " ".join(b.action for row in r.buttons for b in row)
                for r in replies
            ]
        )
    return transcript


@pytest.mark.parametrize("part", ["development", "heldout"])
async def test_stories_read_the_same_through_telegram(
    part: str, api: FakeBotApi, settings: Settings, tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    """Every turn of every story, sent through the real Application, gives the same messages
    and buttons as the engine alone (only the transcripts are compared: no expectation of a
    held-out story is read here)."""
    dialogue, database = await _dialogue(tmp_path / "engine", knowledge)
    conversations = ConversationStore(database)
    # Without a staff chat, like the engine here: with one, asking for a person starts a
    # conversation with the team instead (bot/handoff/, tests/test_handoff_telegram.py).
    no_staff_chat = replace(settings, staff_chat_id=None)
    try:
        async with serving(api, no_staff_chat, knowledge) as bot:
            for user_id, story in enumerate(load_stories(part), start=7000):
                engine = await _engine_transcript(dialogue, conversations, story, user_id)
                telegram = await _telegram_transcript(bot, story, user_id, engine)
                # The Confirm button carries a random key: compare its kind only.
                normalise = re.compile(r"jok:[0-9a-f]+")
                assert [[normalise.sub("jok", m) for m in turn] for turn in telegram] == [
                    [normalise.sub("jok", m) for m in turn] for turn in engine
                ], story.id
    finally:
        await database.close()
