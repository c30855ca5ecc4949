"""Updates: concurrent across chats, in order within a chat, and one chat cannot hog the slots."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update

from handlers.runtime import MAX_QUEUED_PER_CHAT, PerChatUpdateProcessor


def update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, datetime.now(UTC), chat, text="x"))


async def test_order_within_a_chat_and_concurrency_across_chats() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=64)
    seen: list[tuple[int, int]] = []
    release = asyncio.Event()

    async def handle(chat_id: int, number: int) -> None:
        if chat_id == 1 and number == 0:
            await release.wait()  # chat 1's first update is slow
        seen.append((chat_id, number))

    tasks = [
        asyncio.create_task(processor.process_update(update(i, chat), handle(chat, i // 2)))
        for i, chat in enumerate([1, 2] * 3)
    ]
    await asyncio.sleep(0.05)
    assert [n for c, n in seen if c == 2] == [0, 1, 2]  # chat 2 was not held up by chat 1
    assert [n for c, n in seen if c == 1] == []
    release.set()
    await asyncio.gather(*tasks)
    assert [n for c, n in seen if c == 1] == [0, 1, 2]


async def test_one_chat_backlog_is_capped() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=256)
    release = asyncio.Event()
    handled = 0

    async def slow() -> None:
        nonlocal handled
        await release.wait()
        handled += 1

    tasks = [
        asyncio.create_task(processor.process_update(update(i, 7), slow())) for i in range(100)
    ]
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.gather(*tasks)
    assert handled == MAX_QUEUED_PER_CHAT
