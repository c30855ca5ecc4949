"""Telegram misbehaving, users misbehaving, many users at once: the real bot keeps answering.

Everything runs through the real Application (`bot.app.serve`) against the fake Bot API on
127.0.0.1, which injects the faults (`fail_next`), the latency and Telegram's rate limit.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from telegram.ext import ApplicationBuilder, Updater

from tests.fake_bot_api import FakeBotApi, RecordedRequest
from tests.helpers import RunningBot

USER = 3101
OTHER = 3202
QUESTION = "What is a cluster?"


def sends_to(api: FakeBotApi, chat_id: int) -> list[RecordedRequest]:
    """Every sendMessage call to `chat_id`, failed ones included (their params stay raw)."""
    return [r for r in api.calls("sendMessage") if str(r.params.get("chat_id")) == str(chat_id)]


async def assert_answered(bot: RunningBot, user: int) -> None:
    [answer] = await bot.ask(user, QUESTION, language_code="en")
    assert "Source:" in answer.text


# -- sendMessage failures ------------------------------------------------------------------


async def test_429_on_send_is_waited_out_and_the_user_gets_the_answer(bot: RunningBot) -> None:
    bot.api.fail_next("sendMessage", status=429, retry_after=1)
    [answer] = await bot.ask(USER, QUESTION, language_code="en")
    assert "Source:" in answer.text
    first, second = sends_to(bot.api, USER)
    assert first.status == 429
    assert second.ok
    assert second.params["text"] == first.params["text"]  # the same message, sent again
    assert second.time - first.time >= 0.9  # retry_after was honoured


@pytest.mark.parametrize(
    ("fault", "times"),
    [
        pytest.param({"status": 502}, 1, id="502-once"),
        pytest.param({"status": 500}, 2, id="500-twice"),
    ],
)
async def test_transient_send_failures_are_retried(
    bot: RunningBot, fault: dict[str, Any], times: int
) -> None:
    bot.api.fail_next("sendMessage", times=times, **fault)
    [answer] = await bot.ask(USER, QUESTION, language_code="en")
    assert "Source:" in answer.text
    attempts = sends_to(bot.api, USER)
    assert len(attempts) == times + 1
    assert [a.ok for a in attempts] == [False] * times + [True]
    assert len({a.params["text"] for a in attempts}) == 1
    assert len(bot.api.sent_messages(USER)) == 1  # answered once, not once per attempt


class ShortReadTimeoutBuilder(ApplicationBuilder):  # type: ignore[type-arg]
    """The production builder with a 0.5 s read timeout, so a stall of 1.5 s is past it."""

    def __init__(self) -> None:
        super().__init__()
        self.read_timeout(0.5)


async def test_a_timed_out_send_is_not_sent_again(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Telegram delivers the message but its acknowledgement comes after the read timeout: the
    # bot cannot know the message arrived, so it must not send it a second time.
    monkeypatch.setattr("bot.app.ApplicationBuilder", ShortReadTimeoutBuilder)
    await bot.restart()
    bot.api.fail_next("sendMessage", stall_seconds=1.5)
    bot.api.user_message(USER, QUESTION, language_code="en")
    [answer] = await bot.api.wait_for_messages(USER, 1, timeout=10)
    assert "Source:" in answer.text
    await asyncio.sleep(2.0)  # what a retry (0.5 s later) or an apology would have needed
    await bot.api.wait_until_idle(quiet=0.3, timeout=10)
    [attempt] = sends_to(bot.api, USER)  # one request: never sent again
    assert attempt.fault is not None
    assert attempt.fault.stall_seconds == 1.5
    assert [m.text for m in bot.api.sent_messages(USER)] == [answer.text]
    await assert_answered(bot, OTHER)  # the bot keeps going


async def test_a_send_whose_connection_dropped_after_the_request_is_not_sent_again(
    bot: RunningBot,
) -> None:
    # The connection closed after the request was written and before any answer: Telegram may
    # have acted on it, so the message is not sent again (and no apology follows it either).
    bot.api.fail_next("sendMessage", close_connection=True)
    bot.api.user_message(USER, QUESTION, language_code="en")
    await bot.api.wait_for(lambda: len(sends_to(bot.api, USER)) >= 1, timeout=10)
    await asyncio.sleep(1.0)  # a retry would come 0.5 s later
    await bot.api.wait_until_idle(quiet=0.3, timeout=10)
    assert len(sends_to(bot.api, USER)) == 1
    await assert_answered(bot, USER)


# -- getUpdates failures -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"status": 502}, id="502"),
        pytest.param({"close_connection": True}, id="connection-closed"),
    ],
)
async def test_polling_recovers_from_get_updates_failures(
    bot: RunningBot, fault: dict[str, Any]
) -> None:
    polls = len(bot.api.calls("getUpdates"))
    bot.api.fail_next("getUpdates", times=2, **fault)
    # The current long poll ends when it sees an update; the next two polls then fail.
    bot.api.user_message(OTHER, "/start", language_code="en")
    await bot.api.wait_for_messages(OTHER, 1, timeout=10)
    await bot.api.wait_for(
        lambda: sum(r.fault is not None for r in bot.api.calls("getUpdates")[polls:]) == 2,
        timeout=10,
    )
    await assert_answered(bot, USER)


@pytest.mark.slow
async def test_polling_recovers_from_a_stall_past_the_read_timeout(
    api: FakeBotApi, bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB waits `timeout` (10 s by default in start_polling) + get_updates_read_timeout (5 s)
    # for a long poll; shrink both for this bot so a stall of 3 s is past the deadline.
    original_start_polling = Updater.start_polling

    async def short_start_polling(self: Updater, *args: Any, **kwargs: Any) -> Any:
        kwargs["timeout"] = 1
        return await original_start_polling(self, *args, **kwargs)

    class ShortReadTimeoutBuilder(ApplicationBuilder):  # type: ignore[type-arg]
        def __init__(self) -> None:
            super().__init__()
            self.get_updates_read_timeout(0.5)

    monkeypatch.setattr(Updater, "start_polling", short_start_polling)
    monkeypatch.setattr("bot.app.ApplicationBuilder", ShortReadTimeoutBuilder)
    await bot.restart()
    assert bot.api.calls("getUpdates")[-1].params.get("timeout") == 1

    polls = len(api.calls("getUpdates"))
    api.fail_next("getUpdates", stall_seconds=3, times=2)
    await api.wait_for(lambda: len(api.calls("getUpdates")) >= polls + 3, timeout=10)
    stalled = api.calls("getUpdates")[polls]
    retried = api.calls("getUpdates")[polls + 1]
    assert stalled.fault is not None
    assert retried.time - stalled.time < 3  # the bot gave up on the stalled poll by itself
    await assert_answered(bot, USER)


# -- failures inside our own code ------------------------------------------------------------


def drop_table(bot: RunningBot, table: str) -> None:
    """Break the database under the running bot, from another connection."""
    with sqlite3.connect(bot.settings.database_path) as database:
        database.execute(f"DROP TABLE {table}")


async def test_unanswered_questions_table_gone_still_answers(bot: RunningBot) -> None:
    drop_table(bot, "unanswered_questions")
    [answer] = await bot.ask(USER, "What's the weather in Namur tomorrow?", language_code="en")
    assert "Sorry" in answer.text  # the usual fallback: losing the review item is silent
    assert "i:contact_human" in answer.callback_data
    await assert_answered(bot, USER)


async def test_handler_exception_gets_an_apology_and_the_bot_keeps_going(bot: RunningBot) -> None:
    await assert_answered(bot, USER)  # the user's stored language is now loaded
    drop_table(bot, "user_settings")
    [apology] = await bot.press(USER, "l:fr", language_code="en")  # writes user_settings
    assert apology.text.startswith("Sorry, something went wrong")
    await assert_answered(bot, USER)
    [card] = await bot.ask(USER, "/start cluster-tweed", language_code="en")
    assert "TWEED" in card.text


async def test_handler_exception_for_a_new_user_still_gets_an_apology(bot: RunningBot) -> None:
    drop_table(bot, "user_settings")
    bot.api.user_message(OTHER, QUESTION, language_code="en")
    [apology] = await bot.api.wait_for_messages(OTHER, 1, timeout=3)
    assert apology.text.startswith("Sorry, something went wrong")


# -- flood control -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "notice"),
    [("en", "sending messages very quickly"), ("fr", "envoyez des messages très vite")],
)
async def test_flood_gets_one_notice_and_other_users_are_unaffected(
    bot: RunningBot, language: str, notice: str
) -> None:
    question = QUESTION if language == "en" else "c'est quoi un cluster ?"
    for _ in range(25):
        bot.api.user_message(USER, question, language_code=language)
    await bot.api.wait_for_messages(USER, 21, timeout=10)
    await bot.api.wait_until_idle(quiet=0.3, timeout=10)
    texts = [m.text for m in bot.api.sent_messages(USER)]
    notices = [t for t in texts if notice in t]
    assert len(notices) == 1
    assert len(texts) - 1 <= 20
    assert all("Source" in t for t in texts if notice not in t)
    await assert_answered(bot, OTHER)


# -- concurrency -----------------------------------------------------------------------------


async def test_each_users_replies_arrive_in_the_order_of_their_questions(
    bot: RunningBot,
) -> None:
    clusters = {c.id: c.name for c in bot.knowledge.clusters}
    ids = sorted(clusters)
    users = list(range(5001, 5011))
    # Every user asks for five different cards, in an order of their own.
    wanted = {user: [ids[(user + step * 5) % len(ids)] for step in range(5)] for user in users}
    for user in users:
        assert len(set(wanted[user])) == 5
    for step in range(5):  # interleaved, as they would arrive from ten phones at once
        for user in users:
            bot.api.user_message(user, f"/start cluster-{wanted[user][step]}", language_code="en")
    replies = await asyncio.gather(
        *(bot.api.wait_for_messages(user, 5, timeout=10) for user in users)
    )
    for user, messages in zip(users, replies, strict=True):
        shown = [
            next(cid for cid in ids if m.text.startswith(f"{clusters[cid]} —")) for m in messages
        ]
        assert shown == wanted[user], user


class TooManyRequestsError(AssertionError):
    """The bot exceeded Telegram's 30 messages a second (only this failure is expected)."""


@pytest.mark.slow
async def test_hundred_users_at_once_are_answered_within_telegrams_rate_limit(
    bot: RunningBot,
) -> None:
    bot.api.latency = 0.02
    bot.api.rate_limit_per_second = 30
    users = range(7001, 7101)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for user in users:
        bot.api.user_message(user, QUESTION, language_code="en")
    answers = await asyncio.gather(
        *(bot.api.wait_for_messages(user, 1, timeout=15) for user in users)
    )
    elapsed = loop.time() - started
    assert all("Source:" in a.text for [a] in answers)
    assert elapsed < 10
    if bot.api.rate_limited_calls:
        raise TooManyRequestsError(f"{bot.api.rate_limited_calls} calls answered 429")
