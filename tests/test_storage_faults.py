"""The database refusing writes, through the real Application and the fake Bot API.

The issue's resilience items: the database locked by another process for two seconds (the
write waits and succeeds); the file read-only or the disk full (the user is told to try again
later, the error is logged, nothing is half-written, and the same Confirm works once storage
is back).

How the faults are made, since the tests run as root (file modes are ignored, no mounts):
* locked: a second process holds ``BEGIN EXCLUSIVE`` on the file;
* read-only: ``PRAGMA query_only = ON`` on the bot's own connection, which fails writes with
  the same SQLITE_READONLY error as a read-only file;
* disk full: ``PRAGMA max_page_count`` pinned to the file's current size, then rows written
  until SQLite answers "database or disk is full" (a cap alone does not stop a write that fits
  in the pages already there).

The bot's `Services` is captured as `bot.app.serve` opens it (a wrapper around
`Services.open`, which still runs unchanged), so the test can reach its connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.conversation.dialogue import ConversationState
from bot.conversation.join_flow import CONSENT_VERSION
from bot.leads.model import Consent, NewLead
from bot.services import Services
from bot.settings import Settings
from bot.storage.question_log_store import QuestionOutcome
from knowledge.model import KnowledgeBase
from tests.fake_bot_api import FakeBotApi, SentMessage
from tests.helpers import RunningBot, confirm_data, fill_until_summary, new_lead, serving

USER = 6101
OTHER = 6102
TRY_LATER = "je ne peux pas enregistrer cela pour l'instant"
APOLOGY = "un problème est survenu de mon côté"
OUT_OF_SCOPE = "Quelle est la recette de la tarte au sucre de ma grand-mère ?"
# Filler rows are given this user id (one byte in SQLite, like none of the real users').
FILLER_USER = 1

# A second process: take the write lock, say so, hold it, release it.
LOCKER = """
import sqlite3, sys, time
database = sqlite3.connect(sys.argv[1], isolation_level=None)
database.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
database.execute("COMMIT")
"""


@pytest.fixture
async def running(
    api: FakeBotApi,
    settings: Settings,
    knowledge: KnowledgeBase,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[RunningBot, Services]]:
    """The real bot (as the `bot` fixture) plus the `Services` it opened."""
    opened: list[Services] = []
    original_open = Services.open

    async def open_and_capture(
        settings: Settings, knowledge: KnowledgeBase, **options: Any
    ) -> Services:
        services = await original_open(settings, knowledge, **options)
        opened.append(services)
        return services

    monkeypatch.setattr(Services, "open", open_and_capture)
    async with serving(api, settings, knowledge) as bot:
        [services] = opened
        yield bot, services


def count(bot: RunningBot, sql: str, *parameters: object) -> int:
    """One number read from the file by a separate connection, as staff tools would."""
    with contextlib.closing(sqlite3.connect(bot.settings.database_path)) as database:
        return int(database.execute(sql, parameters).fetchone()[0])


def stored_for(bot: RunningBot, user: int) -> tuple[int, int, int]:
    """The user's leads, consents, and history rows of their leads."""
    return (
        count(bot, "SELECT count(*) FROM leads WHERE user_id = ?", user),
        count(bot, "SELECT count(*) FROM consents WHERE user_id = ?", user),
        count(
            bot,
            "SELECT count(*) FROM lead_history JOIN leads ON leads.id = lead_history.lead_id"
            " WHERE leads.user_id = ?",
            user,
        ),
    )


async def pragma(services: Services, statement: str) -> int:
    rows = list(await services.database.connection.execute_fetchall(f"PRAGMA {statement}"))
    return int(rows[0][0]) if rows else 0


async def cap_size(services: Services) -> int:
    """Stop the file from growing past its current size; return the cap to restore."""
    previous = await pragma(services, "max_page_count")
    pages = await pragma(services, "page_count")
    assert await pragma(services, f"max_page_count = {pages}") == pages
    return previous


async def fill_until_full(write: Callable[[int], Awaitable[object]]) -> int:
    """Write filler rows until SQLite reports the disk full; return how many fitted.

    The fillers are no bigger than what the test writes next, so that write cannot fit either.
    """
    for number in range(1000):
        try:
            await write(number)
        except sqlite3.OperationalError as error:
            if "full" not in str(error):
                raise
            return number
    raise AssertionError("the capped database never filled up")


def filler_lead(number: int) -> NewLead:
    """A lead smaller in every column than the one `fill_until_summary` enters."""
    return new_lead(
        user_id=FILLER_USER,
        cluster_id="plastiwin",
        company_name=f"F{number}",
        enterprise_number=None,
        activity="A",
        contact_name="C",
        email="c@f.be",
        phone=None,
        consent=Consent(version=CONSENT_VERSION, text="ok", given_at=datetime.now(UTC)),
    )


def error_records(caplog: pytest.LogCaptureFixture, logger: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger and r.levelno >= logging.WARNING]


# -- locked by another process --------------------------------------------------------------------


@pytest.mark.slow
async def test_a_two_second_lock_by_another_process_makes_the_confirm_wait(
    bot: RunningBot,
) -> None:
    summary = await fill_until_summary(bot, USER)
    locker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        LOCKER,
        str(bot.settings.database_path),
        "2",
        stdout=asyncio.subprocess.PIPE,
    )
    assert locker.stdout is not None
    assert await asyncio.wait_for(locker.stdout.readline(), timeout=10) == b"locked\n"
    started = asyncio.get_running_loop().time()
    [done] = await bot.press(USER, confirm_data(summary))
    waited = asyncio.get_running_loop().time() - started
    assert await asyncio.wait_for(locker.wait(), timeout=10) == 0

    assert "W-000001" in done.text
    assert TRY_LATER not in done.text
    # The reply came after the other process let go: the write waited for the lock.
    assert waited >= 1.5, waited
    assert stored_for(bot, USER) == (1, 1, 1)
    assert count(bot, "SELECT count(*) FROM leads") == 1


# -- read-only ------------------------------------------------------------------------------------


def assert_asked_to_try_later(
    refused: SentMessage, summary: SentMessage, caplog: pytest.LogCaptureFixture, cause: str
) -> None:
    """The user is asked to retry, still at the summary with the same Confirm (nothing typed
    is lost), and the failure is logged with its cause."""
    assert TRY_LATER in refused.text
    assert confirm_data(refused) == confirm_data(summary)
    [logged] = error_records(caplog, "bot.conversation.join_submission")
    assert logged.getMessage() == "could not store a lead"
    assert logged.exc_info is not None
    assert cause in str(logged.exc_info[1])


async def test_a_read_only_database_asks_to_try_later_and_stores_nothing(
    running: tuple[RunningBot, Services], caplog: pytest.LogCaptureFixture
) -> None:
    bot, services = running
    summary = await fill_until_summary(bot, USER)
    await services.database.connection.execute("PRAGMA query_only = ON")
    [refused] = await bot.press(USER, confirm_data(summary))

    assert_asked_to_try_later(refused, summary, caplog, "readonly")
    assert stored_for(bot, USER) == (0, 0, 0)
    assert count(bot, "SELECT count(*) FROM consents") == 0

    await services.database.connection.execute("PRAGMA query_only = OFF")
    [done] = await bot.press(USER, confirm_data(refused))
    assert "W-000001" in done.text
    assert stored_for(bot, USER) == (1, 1, 1)
    [again] = await bot.press(USER, confirm_data(refused))
    assert "W-000001" in again.text
    assert stored_for(bot, USER) == (1, 1, 1)


# -- disk full ------------------------------------------------------------------------------------


async def test_a_full_disk_asks_to_try_later_and_the_same_confirm_works_afterwards(
    running: tuple[RunningBot, Services], caplog: pytest.LogCaptureFixture
) -> None:
    bot, services = running
    summary = await fill_until_summary(bot, USER)
    previous_cap = await cap_size(services)
    fillers = await fill_until_full(lambda n: services.leads.submit(filler_lead(n), f"{n:016x}"))
    assert fillers > 0
    caplog.clear()

    [refused] = await bot.press(USER, confirm_data(summary))
    assert_asked_to_try_later(refused, summary, caplog, "full")
    assert stored_for(bot, USER) == (0, 0, 0)
    assert count(bot, "SELECT count(*) FROM consents") == fillers
    assert count(bot, "SELECT count(*) FROM lead_history") == fillers

    await pragma(services, f"max_page_count = {previous_cap}")
    # The fillers are not news for staff: only the user's lead is to be announced.
    await services.database.execute(
        "UPDATE leads SET notified_at = created_at WHERE user_id = ?", (FILLER_USER,)
    )
    [done] = await bot.press(USER, confirm_data(refused))
    assert f"W-{fillers + 1:06d}" in done.text
    [again] = await bot.press(USER, confirm_data(refused))
    assert f"W-{fillers + 1:06d}" in again.text
    assert stored_for(bot, USER) == (1, 1, 1)


async def test_a_full_disk_does_not_cost_an_unanswered_question_its_answer(
    running: tuple[RunningBot, Services], caplog: pytest.LogCaptureFixture
) -> None:
    bot, services = running
    # The same question with room on disk: the answer to expect, and the user's state saved.
    [expected] = await bot.ask(USER, OUT_OF_SCOPE)
    assert count(bot, "SELECT count(*) FROM unanswered_questions WHERE user_id = ?", USER) == 1
    await cap_size(services)
    assert await fill_until_full(
        lambda _: services.question_log.record(None, "fr", QuestionOutcome.NOT_UNDERSTOOD)
    )
    assert await fill_until_full(
        lambda _: services.unanswered.record(FILLER_USER, "x", "fr", 0.0, None)
    )
    caplog.clear()

    [answer] = await bot.ask(USER, OUT_OF_SCOPE)
    assert (answer.text, answer.callback_data) == (expected.text, expected.callback_data)
    warnings = sorted(r.getMessage() for r in error_records(caplog, "bot.conversation.ports"))
    assert warnings == ["could not count a question", "could not store an unanswered question"]
    assert count(bot, "SELECT count(*) FROM unanswered_questions WHERE user_id = ?", USER) == 1


async def test_a_conversation_state_that_cannot_be_saved_gets_an_apology_and_the_bot_goes_on(
    running: tuple[RunningBot, Services], caplog: pytest.LogCaptureFixture
) -> None:
    bot, services = running
    previous_cap = await cap_size(services)
    filler_state = ConversationState(language="fr")
    assert await fill_until_full(
        lambda n: services.conversations.save(1_000_000 + n, filler_state)
    )
    caplog.clear()

    # Starting a flow changes the state; saving it needs room the disk no longer has.
    [apology] = await bot.ask(OTHER, "/join plastiwin")
    assert APOLOGY in apology.text
    [logged] = error_records(caplog, "handlers.errors")
    assert "failed with OperationalError" in logged.getMessage()
    assert count(bot, "SELECT count(*) FROM conversation_states WHERE user_id = ?", OTHER) == 0

    await pragma(services, f"max_page_count = {previous_cap}")
    [prompt] = await bot.ask(OTHER, "/join plastiwin")
    assert "callback_data" not in prompt.text
    assert APOLOGY not in prompt.text
    assert count(bot, "SELECT count(*) FROM conversation_states WHERE user_id = ?", OTHER) == 1
