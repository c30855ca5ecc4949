"""Shared fixtures: the knowledge base, a fake Bot API on 127.0.0.1, and the real bot on it.

Nothing here replaces our own code: `RunningBot` runs `bot.app.serve` — the same composition
root as production — with `TELEGRAM_BASE_URL` pointing at the fake server and a real SQLite
file in the test's temporary folder.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Property tests are about correctness, not speed: a busy 2-core CI machine must not turn
# "generating this input took a second" into a failure.
hypothesis_settings.register_profile(
    "project",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.load_profile("project")

# PTB 22 warns (an error here) when it builds a RetryAfter unless timedeltas are opted into.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from bot.app import serve  # noqa: E402 - after the environment switch above
from bot.settings import Secret, Settings  # noqa: E402
from knowledge.loader import load_knowledge_base  # noqa: E402
from knowledge.model import KnowledgeBase  # noqa: E402
from tests.fake_bot_api import FakeBotApi, SentMessage  # noqa: E402

STAFF_ID = 900_001
STAFF_CHAT_ID = -100_500


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def settings(api: FakeBotApi, tmp_path: Path) -> Settings:
    return Settings(
        telegram_bot_token=Secret(api.token),
        telegram_base_url=api.base_url,
        database_path=tmp_path / "assistant.sqlite3",
        staff_user_ids=frozenset({STAFF_ID}),
        staff_chat_id=STAFF_CHAT_ID,
        default_language="fr",
    )


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


@pytest.fixture
async def bot(
    api: FakeBotApi, settings: Settings, knowledge: KnowledgeBase
) -> AsyncIterator[RunningBot]:
    async with serving(api, settings, knowledge) as running:
        yield running
