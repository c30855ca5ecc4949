"""Telegram plumbing the composition root plugs into the Application.

- `PerChatUpdateProcessor`: updates of different chats run concurrently, updates of one chat
  strictly in order (a user's answers arrive in the order of their questions, and the join
  flow never sees two steps at once).
- `RetryingRateLimiter`: Telegram's limits (30 messages a second overall, 20 a minute per
  group) with `retry_after` honoured, plus a few retries on 5xx and dropped connections so a
  hiccup on Telegram's side does not cost the user their answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter, BaseUpdateProcessor

JSONDict = dict[str, Any]
# A chat may have this many updates waiting or running; more are dropped (a person does not
# send 30 messages faster than we answer; a script tapping buttons does).
MAX_QUEUED_PER_CHAT = 30
_LOGGER = logging.getLogger(__name__)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across chats, sequential within a chat."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        # The tail of each chat's queue; removed when the chat goes idle, so memory stays
        # proportional to the chats being served right now, not to every chat ever seen.
        self._tails: dict[int, asyncio.Future[None]] = {}
        self._queued: dict[int, int] = {}  # updates waiting or running, per chat

    @staticmethod
    def _key(update: object) -> int | None:
        if isinstance(update, Update):
            if update.effective_chat is not None:
                return update.effective_chat.id
            if update.effective_user is not None:
                return update.effective_user.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self._key(update)
        if key is None:
            await coroutine
            return
        queued = self._queued.get(key, 0)
        if queued >= MAX_QUEUED_PER_CHAT:
            # PTB takes a concurrency slot before we wait for the chat's turn, so one chat's
            # backlog must stay small or it would hold every slot and stall all other chats.
            _LOGGER.info("dropping an update: %d already queued for that chat", queued)
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            return
        self._queued[key] = queued + 1
        previous = self._tails.get(key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = mine
        try:
            if previous is not None:
                await asyncio.shield(previous)
            await coroutine
        finally:
            mine.set_result(None)
            if self._tails.get(key) is mine:
                del self._tails[key]
            remaining = self._queued[key] - 1
            if remaining:
                self._queued[key] = remaining
            else:
                del self._queued[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


class RetryingRateLimiter(AIORateLimiter):
    """`AIORateLimiter` that also retries transient network errors and 5xx answers."""

    def __init__(self, *, network_retries: int = 4, first_delay: float = 0.5, **kwargs: Any):
        super().__init__(**kwargs)
        self._network_retries = network_retries
        self._first_delay = first_delay

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        delay = self._first_delay
        for attempt in range(self._network_retries + 1):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:
                raise  # our request is wrong: sending it again cannot help
            except NetworkError as error:  # 5xx, connection reset, timeouts
                if attempt == self._network_retries:
                    raise
                _LOGGER.warning(
                    "%s failed (%s); retry %d in %.1fs",
                    endpoint,
                    type(error).__name__,
                    attempt + 1,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 8.0)
        raise AssertionError("unreachable")  # pragma: no cover
