"""What several test modules use: sample data, a hand-moved clock, and the real bot on the fake
Bot API with the steps of a join flow. Fixtures stay in conftest.py; test modules import these
from here, never from one another.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.app import serve
from bot.leads.model import CompanyType, Consent, Location, NewLead
from bot.settings import Settings
from knowledge.model import KnowledgeBase
from tests.fake_bot_api import FakeBotApi, SentMessage

STAFF_ID = 900_001
STAFF_CHAT_ID = -100_500

# -- sample data and a clock --------------------------------------------------------------------

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
WEDNESDAY = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # the staff workspace tests' first day


class FakeClock:
    """A clock the tests move by hand, for the stores and flows that take a `clock`."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def new_lead(**changes: Any) -> NewLead:
    """A valid join request; keyword arguments replace fields."""
    lead = NewLead(
        user_id=1001,
        cluster_id="greenwin",
        company_name="Acme Solar",
        enterprise_number="0123.456.789",
        activity="Solar panels",
        company_type=CompanyType.SME,
        location=Location.WALLONIA,
        contact_name="Jeanne Dupont",
        email="jeanne@example.com",
        phone="+32471123456",
        language="fr",
        consent=Consent(version="2026-01", text="I agree.", given_at=START),
    )
    return dataclasses.replace(lead, **changes)


def numbered_lead(number: int, **changes: Any) -> NewLead:
    """The `number`-th of a series of distinct plastiwin requests (user, company and e-mail
    carry the number), consent given on `WEDNESDAY`; keyword arguments replace fields."""
    lead = NewLead(
        user_id=5000 + number,
        cluster_id="plastiwin",
        company_name=f"Company {number}",
        enterprise_number=None,
        activity="Plastic parts",
        company_type=CompanyType.SME,
        location=Location.WALLONIA,
        contact_name="Jeanne Dupont",
        email=f"c{number}@example.com",
        phone=None,
        language="fr",
        consent=Consent(version="2026-01", text="J'accepte.", given_at=WEDNESDAY),
    )
    return dataclasses.replace(lead, **changes)


# -- the real bot on the fake Bot API -----------------------------------------------------------


@dataclass
class RunningBot:
    """The real bot, served in a task of the test's event loop."""

    api: FakeBotApi
    settings: Settings
    knowledge: KnowledgeBase
    stop_event: asyncio.Event | None = None
    task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        polls_before = len(self.api.calls("getUpdates"))
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(serve(self.settings, self.knowledge, self.stop_event))
        await self.api.wait_for(
            lambda: len(self.api.calls("getUpdates")) > polls_before or self.task.done(),  # type: ignore[union-attr]
            timeout=10,
        )
        if self.task.done():
            self.task.result()  # surface the start-up failure

    async def stop(self) -> None:
        if self.task is not None and self.stop_event is not None:
            self.stop_event.set()
            await asyncio.wait_for(self.task, timeout=15)
            self.task = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def ask(
        self, user_id: int, text: str, *, count: int = 1, language_code: str = "fr"
    ) -> list[SentMessage]:
        """Send a message as `user_id` and wait for `count` messages back."""
        self.api.user_message(user_id, text, language_code=language_code)
        return await self.api.wait_for_messages(user_id, count, timeout=10)

    async def press(
        self, user_id: int, data: str, *, count: int = 1, language_code: str = "fr"
    ) -> list[SentMessage]:
        """Press a button (by callback data) as `user_id` and wait for the answer."""
        self.api.callback_query(user_id, data, language_code=language_code)
        return await self.api.wait_for_messages(user_id, count, timeout=10)

    def with_settings(self, **changes: object) -> RunningBot:
        return RunningBot(self.api, replace(self.settings, **changes), self.knowledge)  # type: ignore[arg-type]


@asynccontextmanager
async def serving(
    api: FakeBotApi, settings: Settings, knowledge: KnowledgeBase
) -> AsyncIterator[RunningBot]:
    """The bot started for the block, stopped after it; then no Bot API call may have failed."""
    running = RunningBot(api, settings, knowledge)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
    api.assert_no_errors()


async def fill_until_summary(
    bot: RunningBot,
    user: int,
    *,
    company: str = "Plastiques Dupont SA",
    language: str = "fr",
    start: str = "/join plastiwin",
) -> SentMessage:
    """Answer every step with valid values; return the summary message."""
    [prompt] = await bot.ask(user, start, language_code=language)
    assert "callback_data" not in prompt.text
    await bot.ask(user, company, language_code=language)  # company name
    await bot.ask(user, "0203.201.340", language_code=language)  # enterprise number
    await bot.ask(user, "Injection de pièces techniques", language_code=language)  # activity
    await bot.press(user, "jt:sme", language_code=language)
    await bot.press(user, "jl:wallonia", language_code=language)
    await bot.ask(user, "Jeanne Dupont", language_code=language)
    await bot.ask(user, "jeanne@dupont.be", language_code=language)
    [consent] = await bot.ask(user, "0471 12 34 56", language_code=language)
    assert consent.callback_data[:2] == ["jy", "jn"]
    [summary] = await bot.press(user, "jy", language_code=language)
    return summary


def confirm_data(summary: SentMessage) -> str:
    """The callback data of the summary's Confirm button."""
    [data] = [d for d in summary.callback_data if d.startswith("jok:")]
    return data
