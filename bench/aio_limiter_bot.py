"""Our bot with PTB's `AIORateLimiter` in place of our send window (bench/end_to_end.py
--compare-limiters).

    TELEGRAM_BOT_TOKEN=... TELEGRAM_BASE_URL=... python bench/aio_limiter_bot.py

Everything else is the production bot (`bot.app.serve`); only the rate limiter the composition
root builds is swapped for `SafeAIORateLimiter`: PTB's leaky buckets (aiolimiter) for the 30
messages a second and 20 a minute per group, `retry_after` honoured the same way, plus our own
rule for network failures (retry only what certainly did not reach Telegram). Needs
`aiolimiter` (`pip install "python-telegram-bot[rate-limiter]"`), which the project itself does
not depend on.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

import bot.app
from bot.cli.main import main
from handlers.runtime import certainly_not_delivered

JSONDict = dict[str, Any]


class SafeAIORateLimiter(AIORateLimiter):
    """PTB's limiter, plus retries of what certainly did not reach Telegram."""

    def __init__(
        self, *, messages_per_second: int = 30, group_messages_per_minute: int = 20
    ) -> None:
        super().__init__(
            overall_max_rate=messages_per_second,
            group_max_rate=group_messages_per_minute,
            max_retries=5,
        )

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        delay = 0.5
        for attempt in range(5):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:
                raise
            except NetworkError as error:
                unknown = data.get("chat_id") is not None and not certainly_not_delivered(error)
                if unknown or attempt == 4:
                    raise
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover


if __name__ == "__main__":
    bot.app.TelegramRateLimiter = SafeAIORateLimiter  # type: ignore[attr-defined, assignment]
    sys.exit(main(["run"]))
