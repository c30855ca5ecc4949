"""Talking to a person through the real Application, the fake Bot API and a real SQLite file:
the user's message reaches the staff chat, a staff member's Telegram reply reaches the user."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import bot.app
from bot.settings import Settings
from bot.storage.database import format_timestamp
from handlers.context import AssistantApplication
from handlers.handoff import deliver_pending_handoffs
from knowledge.model import KnowledgeBase
from tests.fake_bot_api import FakeBotApi, SentMessage
from tests.helpers import STAFF_CHAT_ID, STAFF_ID, RunningBot, serving
from tests.test_staff_telegram import seed

USER = 5151
EN_USER = 5252
OUTSIDER = 777
# About clusters, but not in the sources: "I don't have that", with "Talk to the team".
# In our domain, and nothing in the knowledge base answers them (the events question these
# replaced is now answered by the `events` intent).
UNKNOWN_FR = "Le cluster TWEED a-t-il un compte Instagram ?"
UNKNOWN_EN = "Does TWIST have an Instagram account?"


@pytest.fixture(autouse=True)
def applications(monkeypatch: pytest.MonkeyPatch) -> list[AssistantApplication]:
    """Every Application the composition root builds, so a test can run a job at once."""
    original = bot.app.build_application
    built: list[AssistantApplication] = []

    def keep(settings: Settings, knowledge: KnowledgeBase) -> AssistantApplication:
        application = original(settings, knowledge)
        built.append(application)
        return application

    monkeypatch.setattr(bot.app, "build_application", keep)
    return built


async def run_handoff_job(applications: list[AssistantApplication]) -> None:
    """The minutely job (retry what is pending, close idle conversations), now."""
    job_queue = applications[-1].job_queue
    assert job_queue is not None
    assert job_queue.get_jobs_by_name("handoff-delivery")
    finished = asyncio.Event()

    async def job(context: Any) -> None:
        try:
            await deliver_pending_handoffs(context)
        finally:
            finished.set()

    job_queue.run_once(job, 0)
    await asyncio.wait_for(finished.wait(), timeout=10)


def rows(running: RunningBot, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(running.settings.database_path) as database:
        return database.execute(sql).fetchall()


def handoffs(running: RunningBot) -> list[tuple[Any, ...]]:
    return rows(running, "SELECT user_id, status, closed_by, first_answered_by FROM handoffs")


def messages(running: RunningBot) -> list[tuple[Any, ...]]:
    return rows(
        running, "SELECT direction, author_id, text, delivery FROM handoff_messages ORDER BY id"
    )


async def user_says(
    running: RunningBot, text: str, *, user: int = USER, count: int = 1, **who: Any
) -> list[SentMessage]:
    running.api.user_message(user, text, **who)
    return await running.api.wait_for_messages(user, count, timeout=10)


async def staff_reply(
    running: RunningBot, to: SentMessage, text: str, *, author: int = STAFF_ID
) -> None:
    running.api.user_message(
        author, text, chat_id=STAFF_CHAT_ID, reply_to_message_id=to.message_id
    )


async def open_thread(
    running: RunningBot, text: str = "Bonjour, qui dirige TWIST ?"
) -> SentMessage:
    """The user asks for a person, writes their message; returns the post in the staff chat."""
    [ask] = await user_says(
        running,
        "Je voudrais parler à quelqu'un",
        first_name="Marie",
        last_name="Dupont",
        username="marie_d",
    )
    assert "Écrivez votre message pour l'équipe" in ask.text
    assert ask.callback_data == ["hn"]
    [opened] = await user_says(running, text)
    assert "transmis à l'équipe ✓" in opened.text
    assert opened.callback_data == ["hx"]
    [post] = await running.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    return post


# -- the round trip ----------------------------------------------------------------------------


async def test_round_trip_with_context_follow_up_and_escaped_reply(bot: RunningBot) -> None:
    [fallback] = await user_says(bot, UNKNOWN_FR)
    assert "Parler à l'équipe" in fallback.button_texts  # under "I don't have that"
    assert "i:contact_human" in fallback.callback_data
    # Asking for a person right after offers that question; the user writes another instead.
    [offer] = await user_says(bot, "Je voudrais parler à quelqu'un")
    assert UNKNOWN_FR in offer.text
    [ask] = await bot.press(USER, "hw")
    assert "Écrivez votre message pour l'équipe" in ask.text
    [opened] = await user_says(
        bot,
        "Et quand a lieu le prochain événement ?",
        first_name="Marie",
        last_name="Dupont",
        username="marie_d",
    )
    assert "Leur réponse arrivera ici" in opened.text
    [post] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert "Message pour l'équipe · n° 1" in post.text
    assert "Marie Dupont (@marie_d)" in post.text
    assert f"utilisateur {USER}" in post.text
    assert "Langue : fr" in post.text
    assert UNKNOWN_FR in post.text  # the context: what the assistant could not answer
    assert "Et quand a lieu le prochain événement ?" in post.text
    assert post.callback_data == ["hc:1"]

    await staff_reply(bot, post, "Bonjour <b>Marie</b> & co : c'est Mme <X> le 3 > 2")
    [answer] = await bot.api.wait_for_messages(USER, 1, timeout=10)
    assert answer.text.startswith("Réponse de l'équipe :")
    assert "Bonjour <b>Marie</b> & co : c'est Mme <X> le 3 > 2" in answer.text  # as typed
    assert "&lt;b&gt;Marie&lt;/b&gt; &amp; co" in answer.raw_text  # escaped for HTML
    assert answer.parse_mode == "HTML"
    assert answer.callback_data == ["hx"]

    # The user's next message joins the same thread, as a reply to its first post.
    [ack] = await user_says(bot, "Merci ! Et pour PLASTIWIN ?")
    assert ack.text.startswith("Transmis à l'équipe ✓")
    [follow_up] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert "n° 1 · Marie Dupont" in follow_up.text
    assert "Merci ! Et pour PLASTIWIN ?" in follow_up.text
    assert follow_up.request.params["reply_parameters"]["message_id"] == post.message_id
    # A staff member may answer a follow-up as well as the first post.
    await staff_reply(bot, follow_up, "Même équipe.")
    [second] = await bot.api.wait_for_messages(USER, 1, timeout=10)
    assert "Même équipe." in second.text

    [closed] = await user_says(bot, "/done")
    assert "conversation avec l'équipe est terminée" in closed.text
    [notice] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert "n° 1 : la personne a terminé la conversation." in notice.text
    [again] = await user_says(bot, "Qu'est-ce qu'un cluster ?")  # the assistant answers again
    assert "Transmis" not in again.text
    await bot.api.wait_until_idle()
    assert bot.api.pending_messages(STAFF_CHAT_ID) == []
    assert handoffs(bot) == [(USER, "closed", "user", STAFF_ID)]
    assert [(d, a, delivery) for d, a, _t, delivery in messages(bot)] == [
        ("user", USER, "delivered"),
        ("staff", STAFF_ID, "delivered"),
        ("user", USER, "delivered"),
        ("staff", STAFF_ID, "delivered"),
    ]
    [mydata] = await user_says(bot, "/mydata")
    assert "Vos conversations avec l'équipe" in mydata.text
    assert "Même équipe." in mydata.text


async def test_in_english_the_unanswered_question_is_offered_and_staff_end_it(
    bot: RunningBot,
) -> None:
    [fallback] = await user_says(bot, UNKNOWN_EN, user=EN_USER, language_code="en")
    assert "Talk to the team" in fallback.button_texts
    bot.api.press_button(EN_USER, "Talk to the team", language_code="en")
    [offer] = await bot.api.wait_for_messages(EN_USER, 1, timeout=10)
    assert offer.text.startswith("Shall I pass this question on to the team?")
    assert UNKNOWN_EN in offer.text
    [send, other, cancel] = offer.callback_data
    assert send.startswith("hy:")
    assert (other, cancel) == ("hw", "hn")
    bot.api.callback_query(EN_USER, send, language_code="en")
    [opened] = await bot.api.wait_for_messages(EN_USER, 1, timeout=10)
    assert opened.text.startswith("Passed on to the team ✓")
    [post] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert UNKNOWN_EN in post.text
    assert "Langue : en" in post.text  # staff read the staff chat in the default language

    # "End #1" under the post, pressed by someone who is not staff: the stale answer, nothing ends.
    bot.api.callback_query(OUTSIDER, "hc:1", chat_id=STAFF_CHAT_ID)
    [stale] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert "plus valable" in stale.text
    assert handoffs(bot) == [(EN_USER, "open", None, None)]
    bot.api.callback_query(STAFF_ID, "hc:1", chat_id=STAFF_CHAT_ID)
    [ended] = await bot.api.wait_for_messages(EN_USER, 1, timeout=10)
    assert ended.text.startswith("The team ended the conversation.")
    assert ended.callback_data == ["ho"]
    [notice] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert f"n° 1 : conversation terminée par l'équipe ({STAFF_ID})." in notice.text
    assert handoffs(bot) == [(EN_USER, "closed", "staff", None)]


async def test_a_long_reply_is_split_within_telegrams_limit(bot: RunningBot) -> None:
    post = await open_thread(bot)
    long_text = ("Voici les détails <complets> & précis. " * 120).strip()  # ~4,700 characters
    await staff_reply(bot, post, long_text[:4096])
    parts = await bot.api.wait_for_messages(USER, 2, timeout=10)
    assert all(len(p.text) <= 4096 for p in parts)
    assert "".join(p.text for p in parts).count("<complets>") == long_text[:4096].count(
        "<complets>"
    )


# -- who may answer ----------------------------------------------------------------------------


async def test_a_reply_by_someone_not_staff_reaches_nobody(bot: RunningBot) -> None:
    post = await open_thread(bot)
    await staff_reply(bot, post, "Je ne suis pas de l'équipe", author=OUTSIDER)
    await staff_reply(bot, post, "/done", author=OUTSIDER)
    await bot.api.wait_until_idle()
    assert bot.api.pending_messages(USER) == []
    assert bot.api.pending_messages(STAFF_CHAT_ID) == []
    assert [d for d, *_ in messages(bot)] == ["user"]
    assert handoffs(bot) == [(USER, "open", None, None)]


async def test_a_staff_reply_to_a_message_of_no_conversation_says_nothing_was_sent(
    bot: RunningBot,
) -> None:
    post = await open_thread(bot)
    await staff_reply(bot, post, "/done")  # staff end it by replying /done
    [ended] = await bot.api.wait_for_messages(USER, 1, timeout=10)
    assert "L'équipe a terminé la conversation" in ended.text
    [notice] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert "terminée par l'équipe" in notice.text
    # The notice itself is ours but belongs to no conversation.
    await staff_reply(bot, notice, "Pour info")
    [not_linked] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert "n'est lié à aucune conversation" in not_linked.text
    # A reply to the closed conversation's post still reaches the user (a late answer).
    await staff_reply(bot, post, "Réponse tardive")
    [late] = await bot.api.wait_for_messages(USER, 1, timeout=10)
    assert "Réponse tardive" in late.text
    assert late.callback_data == ["ho"]  # to write to the team again


# -- restarts, erasure, failures ---------------------------------------------------------------


async def test_a_reply_to_a_message_posted_before_a_restart_reaches_the_user(
    bot: RunningBot,
) -> None:
    post = await open_thread(bot)
    await bot.api.wait_until_idle()
    await bot.restart()
    await staff_reply(bot, post, "Réponse après redémarrage")
    [answer] = await bot.api.wait_for_messages(USER, 1, timeout=10)
    assert "Réponse après redémarrage" in answer.text
    # The thread is still open for the user too.
    [ack] = await user_says(bot, "Parfait, merci")
    assert ack.text.startswith("Transmis à l'équipe ✓")
    [follow_up] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert "Parfait, merci" in follow_up.text


async def test_forget_during_an_open_thread_erases_it_and_a_reply_reaches_nobody(
    bot: RunningBot,
) -> None:
    post = await open_thread(bot)
    [confirm] = await user_says(bot, "/forget")
    assert "fy" in confirm.callback_data
    [done] = await bot.press(USER, "fy")
    assert "a été effacé" in done.text
    assert handoffs(bot) == []
    assert messages(bot) == []
    await staff_reply(bot, post, "Réponse pour personne")
    [not_linked] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert "n'est lié à aucune conversation" in not_linked.text
    [answer] = await user_says(bot, "Qu'est-ce qu'un cluster ?")  # back to the assistant
    assert "Réponse pour personne" not in answer.text
    assert "Transmis" not in answer.text
    await bot.api.wait_until_idle()
    assert bot.api.pending_messages(USER) == []
    assert messages(bot) == []


async def test_staff_chat_unreachable_then_retried_in_order(
    bot: RunningBot, applications: list[AssistantApplication]
) -> None:
    bot.api.block_user(STAFF_CHAT_ID)  # the bot was removed from the group, say
    [ask] = await user_says(bot, "Je voudrais parler à quelqu'un")
    assert "Écrivez votre message" in ask.text
    [queued] = await user_says(bot, "Premier message")
    assert "ne peut pas être jointe pour le moment" in queued.text
    [queued_too] = await user_says(bot, "Deuxième message")
    assert "ne peut pas être jointe pour le moment" in queued_too.text
    assert [(t, d) for _d, _a, t, d in messages(bot)] == [
        ("Premier message", "pending"),
        ("Deuxième message", "pending"),
    ]
    bot.api.unblock_user(STAFF_CHAT_ID)
    await run_handoff_job(applications)
    first, second = await bot.api.wait_for_messages(STAFF_CHAT_ID, 2, timeout=10)
    assert "Premier message" in first.text
    assert "Message pour l'équipe" in first.text
    assert "Deuxième message" in second.text
    assert second.request.params["reply_parameters"]["message_id"] == first.message_id
    assert [d for *_x, d in messages(bot)] == ["delivered", "delivered"]
    await staff_reply(bot, second, "Bien reçu")
    [answer] = await bot.api.wait_for_messages(USER, 1, timeout=10)
    assert "Bien reçu" in answer.text
    await run_handoff_job(applications)  # nothing is posted twice
    await bot.api.wait_until_idle()
    assert bot.api.pending_messages(STAFF_CHAT_ID) == []


async def test_a_user_who_blocked_the_bot_staff_are_told(bot: RunningBot) -> None:
    post = await open_thread(bot)
    bot.api.block_user(USER)
    await staff_reply(bot, post, "Voici la réponse")
    [notice] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert "n° 1 : la réponse n'a pas pu être remise" in notice.text
    assert notice.request.params["reply_parameters"]["message_id"] != post.message_id
    assert handoffs(bot) == [(USER, "closed", "blocked", STAFF_ID)]
    assert messages(bot)[-1] == ("staff", STAFF_ID, "Voici la réponse", "failed")


async def test_an_idle_thread_lapses_and_both_sides_are_told(
    bot: RunningBot, applications: list[AssistantApplication]
) -> None:
    await open_thread(bot)
    await bot.api.wait_until_idle()
    long_ago = datetime.now(UTC) - timedelta(minutes=bot.settings.handoff_idle_minutes + 1)
    with sqlite3.connect(bot.settings.database_path) as database:
        database.execute("UPDATE handoffs SET last_activity_at = ?", (format_timestamp(long_ago),))
    await run_handoff_job(applications)
    [lapsed] = await bot.api.wait_for_messages(USER, 1, timeout=10)
    assert "fermée après 1440 minutes sans message" in lapsed.text
    assert lapsed.callback_data == ["ho"]
    [notice] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert "n° 1 : conversation fermée faute de messages." in notice.text
    assert handoffs(bot) == [(USER, "closed", "idle", None)]
    [answer] = await user_says(bot, "Qu'est-ce qu'un cluster ?")
    assert "Transmis" not in answer.text


async def test_stats_count_threads_and_the_median_first_answer(bot: RunningBot) -> None:
    post = await open_thread(bot)
    await staff_reply(bot, post, "Réponse")
    await bot.api.wait_for_messages(USER, 1, timeout=10)
    [text, _chart] = await bot.ask(STAFF_ID, "/stats", count=2)
    assert "Conversations avec l'équipe : 1, avec réponse : 1" in text.text
    assert "délai médian de première réponse : 0 min" in text.text


async def test_without_a_staff_chat_asking_for_a_person_describes_the_team(
    api: FakeBotApi, settings: Settings, knowledge: KnowledgeBase
) -> None:
    async with serving(api, replace(settings, staff_chat_id=None), knowledge) as running:
        # The intent's answer, as before the handoff existed: how to reach a cluster's team.
        expected = knowledge.intent("contact_human").answer["fr"].split("\n")[0].strip()
        [answer] = await user_says(running, "Je voudrais parler à quelqu'un")
        assert answer.text.startswith(expected)
        [pressed] = await running.press(USER, "ho")
        assert pressed.text.startswith(expected)
        [done] = await user_says(running, "/done")
        assert "Je ne connais pas cette commande" in done.text
    assert handoffs(running) == []


async def test_a_staff_note_written_as_a_reply_to_its_prompt_is_still_a_note(
    bot: RunningBot,
) -> None:
    """In the group the note prompt forces a reply, so the note is a reply too: the handoff's
    reply handler, which runs first, must hand it on to the note handler."""
    await seed(bot.settings, 1)
    # Announced already: the staff job, which may run at any moment, has nothing to post in
    # the middle of this exchange.
    with sqlite3.connect(bot.settings.database_path) as database:
        database.execute(
            "UPDATE leads SET notified_at = ?", (format_timestamp(datetime.now(UTC)),)
        )
    bot.api.callback_query(STAFF_ID, "sn:1", chat_id=STAFF_CHAT_ID)
    [prompt] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert prompt.reply_markup == {"force_reply": True}
    await staff_reply(bot, prompt, "Rappeler lundi")
    [noted] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert "Note ajoutée" in noted.text
    await bot.api.wait_until_idle()
    assert bot.api.pending_messages(STAFF_CHAT_ID) == []  # no "not linked" notice as well
    assert rows(bot, "SELECT note FROM lead_history WHERE note IS NOT NULL") == [
        ("Rappeler lundi",)
    ]
