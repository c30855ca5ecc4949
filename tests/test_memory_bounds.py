"""What the running bot keeps per user stays bounded however many users write: the real
Application, long polling the fake Bot API, answering hundreds of distinct users.

(`bench/memory.py` measures the resident size of the process; this test pins down the
structures that used to grow with every user ever seen.)
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bot.app import build_application
from bot.settings import Settings
from handlers.runtime import PerChatUpdateProcessor
from knowledge.model import KnowledgeBase
from tests.fake_bot_api import FakeBotApi

USERS = 300
CACHED_STATES = 50


@pytest.mark.slow
async def test_per_user_memory_is_bounded_after_many_distinct_users(
    api: FakeBotApi, settings: Settings, knowledge: KnowledgeBase
) -> None:
    settings = dataclasses.replace(settings, messages_per_second=100_000)
    application = build_application(settings, knowledge)
    try:
        async with application:
            assert application.post_init is not None
            await application.post_init(application)  # opens the services, as serve() does
            services = application.bot_data.services
            # A small state cache, so that many more users than it holds go through it.
            services.conversations._max_cached = CACHED_STATES
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling()
            try:
                for user in range(1, USERS + 1):
                    api.user_message(10_000 + user, "C'est quoi un cluster ?")
                for user in range(1, USERS + 1):
                    await api.wait_for_messages(10_000 + user, 1, timeout=30)
                await api.wait_until_idle(quiet=0.2, timeout=10)
            finally:
                await application.updater.stop()
                await application.stop()
            leftovers: dict[str, Any] = {
                "user_data": application.user_data,
                "chat_data": application.chat_data,
                # PTB fills these for a persistence we do not have (NoPersistenceApplication).
                "users to persist": application._user_ids_to_be_updated_in_persistence,
                "chats to persist": application._chat_ids_to_be_updated_in_persistence,
            }
            processor = application.update_processor
            assert isinstance(processor, PerChatUpdateProcessor)
            leftovers["chat queues"] = processor._tails
            leftovers["queued counts"] = processor._queued
            assert {name: len(value) for name, value in leftovers.items()} == dict.fromkeys(
                leftovers, 0
            )
            assert len(services.conversations) <= CACHED_STATES
    finally:
        assert application.post_shutdown is not None
        await application.post_shutdown(application)  # closes the services
    api.assert_no_errors()
