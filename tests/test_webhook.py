"""Webhook mode: `serve` registers the webhook and only accepts updates carrying the secret."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import replace
from typing import Any

import httpx

from bot.app import serve
from bot.settings import Secret, Settings
from knowledge.model import KnowledgeBase
from tests.fake_bot_api import FakeBotApi

USER = 6161
SECRET = "s3cret"  # noqa: S105 - the test's own webhook secret
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_update(update_id: int) -> dict[str, Any]:
    """What Telegram POSTs when a user sends /start in a private chat."""
    user = {"id": USER, "is_bot": False, "first_name": "Web", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "from": user,
            "chat": {"id": USER, "type": "private", "first_name": "Web"},
            "date": int(time.time()),
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_webhook_checks_the_secret_and_answers(
    api: FakeBotApi, settings: Settings, knowledge: KnowledgeBase
) -> None:
    port = free_port()
    webhook = replace(
        settings,
        webhook_url="https://example.test/hook",
        webhook_secret=Secret(SECRET),
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    url = f"http://127.0.0.1:{port}/hook"
    stop = asyncio.Event()
    task = asyncio.create_task(serve(webhook, knowledge, stop))
    try:
        await api.wait_for(lambda: bool(api.calls("setWebhook")) or task.done(), timeout=10)
        if task.done():
            task.result()
        [registration] = api.calls("setWebhook")
        assert registration.params["url"] == "https://example.test/hook"
        assert registration.params["secret_token"] == SECRET
        assert not api.calls("getUpdates")  # no polling in webhook mode

        async with httpx.AsyncClient(timeout=5) as client:
            missing = await client.post(url, json=start_update(1))
            wrong = await client.post(url, json=start_update(2), headers={SECRET_HEADER: "nope"})
            assert missing.status_code == 403
            assert wrong.status_code == 403
            right = await client.post(url, json=start_update(3), headers={SECRET_HEADER: SECRET})
            assert right.status_code == 200

        [welcome] = await api.wait_for_messages(USER, 1, timeout=10)
        assert welcome.text.startswith("Hello!")
        await api.wait_until_idle(quiet=0.2)
        assert len(api.sent_messages(USER)) == 1  # the rejected updates were not handled
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    async with httpx.AsyncClient(timeout=5) as client:
        try:
            await client.post(url, json=start_update(4), headers={SECRET_HEADER: SECRET})
        except httpx.ConnectError:
            pass  # the webhook server is gone with the bot
        else:
            raise AssertionError("the webhook server still listens after stop")
    api.assert_no_errors()
