"""Telegram plumbing the composition root plugs into the Application.

- `PerChatUpdateProcessor`: updates of different chats run concurrently, updates of one chat
  strictly in order (a user's answers arrive in the order of their questions, and the join
  flow never sees two steps at once).
- `NoPersistenceApplication`: PTB's Application minus a memory leak when no persistence is
  set (we keep state in our own store, bot/storage/conversation_store.py).
- `TelegramRateLimiter`: Telegram's limits (30 messages a second overall, 20 a minute per
  group, each an exact sliding window, see handlers/send_window.py) with `retry_after` honoured,
  plus a few retries of what certainly did not reach Telegram (an error answer such as 5xx, a
  connection that could not be opened or written to), so a hiccup on Telegram's side does not
  cost the user their answer. A request whose outcome is unknown (the answer timed out or the
  connection dropped after the request was written: Telegram may have delivered it) is never
  sent again, so no user receives the same answer twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx
from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, BaseRateLimiter, BaseUpdateProcessor, Job
from telegram.warnings import PTBDeprecationWarning

from handlers.send_window import SendWindow

JSONDict = dict[str, Any]
# A chat may have this many updates waiting or running; more are dropped (a person does not
# send 30 messages faster than we answer; a script tapping buttons does).
MAX_QUEUED_PER_CHAT = 30
# Past this many group windows, the idle ones are forgotten.
MAX_GROUP_WINDOWS = 512
_LOGGER = logging.getLogger(__name__)
# httpx failures that happen before the request is fully written: Telegram cannot have acted on
# it. (PTB wraps httpx's errors: TimedOut for its timeouts, NetworkError for the rest, with the
# httpx exception as `__cause__`; see telegram/request/_httpxrequest.py.)
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
)


def certainly_not_delivered(error: NetworkError) -> bool:
    """Whether Telegram certainly did not act on the request that failed with `error`.

    True for an error *answer* (5xx and other statuses PTB maps to NetworkError: its cause is
    None, or the TelegramError of an unparsable body) and for a request that never left
    (`_NOT_SENT`). False when the request was written and no answer came back (ReadTimeout,
    a connection closed or reset while waiting, anything unknown): the message may have been
    delivered, and sending it again could show the user the same answer twice.
    """
    cause = error.__cause__
    if cause is None or isinstance(cause, TelegramError):
        return True
    return isinstance(cause, _NOT_SENT)


class NoPersistenceApplication(Application[Any, Any, Any, Any, Any, Any]):
    """An Application that does not note every chat and user for a persistence it lacks.

    PTB 22 adds the chat and user of every update to two sets "to be updated in persistence",
    which only `update_persistence()` empties, and that runs only with a persistence. Without
    one (our conversation state has its own store), the sets keep every chat and user ever
    seen: about 200 bytes per new user, for the life of the process. `bench/memory.py` showed
    it; tests/test_memory_bounds.py checks it stays fixed.
    """

    def _mark_for_persistence_update(
        self, *, update: object | None = None, job: Job[Any] | None = None
    ) -> None:
        if self.persistence is not None:
            super()._mark_for_persistence_update(update=update, job=job)


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


class TelegramRateLimiter(BaseRateLimiter[int]):
    """Telegram's limits, with `retry_after` honoured and transient failures retried.

    Every request to a chat goes through an overall `SendWindow` (`messages_per_second` in
    any second) and, for groups, one of `group_messages_per_minute` a minute. A 429 stops
    every request until its `retry_after` has passed; 5xx answers and requests that never left
    (`certainly_not_delivered`) are retried a few times with backoff, so a hiccup on Telegram's
    side does not cost the user their answer. A request that Telegram refused as wrong
    (400/403), or whose outcome is unknown (read timeout), is never sent again.
    """

    def __init__(
        self,
        *,
        messages_per_second: int = 30,
        group_messages_per_minute: int = 20,
        group_period: float = 60.0,
        max_retry_after: int = 5,
        network_retries: int = 4,
        first_delay: float = 0.5,
    ) -> None:
        self._overall = SendWindow(messages_per_second, 1.0)
        self._group_limit = group_messages_per_minute
        self._group_period = group_period
        self._groups: dict[int | str, SendWindow] = {}
        self._max_retry_after = max_retry_after
        self._network_retries = network_retries
        self._first_delay = first_delay
        self._not_paused = asyncio.Event()
        self._not_paused.set()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    def _group_window(self, group: int | str) -> SendWindow:
        window = self._groups.get(group)
        if window is None:
            if len(self._groups) >= MAX_GROUP_WINDOWS:
                # Forget the windows with nothing left to count, so memory follows the groups
                # written to in the last minute, not every group ever seen.
                for key in [k for k, w in self._groups.items() if w.idle]:
                    del self._groups[key]
            window = self._groups[group] = SendWindow(self._group_limit, self._group_period)
        return window

    async def _send_once(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        data: dict[str, Any],
    ) -> bool | JSONDict | list[JSONDict]:
        chat_id = data.get("chat_id")
        if chat_id is None:  # getUpdates, answerCallbackQuery…: not messages, not limited
            await self._not_paused.wait()
            return await callback(*args, **kwargs)
        async with contextlib.AsyncExitStack() as stack:
            group = group_of(chat_id)
            if group is not None:
                await stack.enter_async_context(self._group_window(group).slot())
            await stack.enter_async_context(self._overall.slot())
            await self._not_paused.wait()
            return await callback(*args, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover - the block returns or raises

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        retry_afters = rate_limit_args or self._max_retry_after
        delay = self._first_delay
        network_failures = 0
        while True:
            try:
                return await self._send_once(callback, args, kwargs, data)
            except BadRequest:
                raise  # our request is wrong: sending it again cannot help
            except RetryAfter as error:
                if retry_afters == 0:
                    raise
                retry_afters -= 1
                seconds = _seconds(error)
                _LOGGER.warning("%s: rate limited, every send waits %.1fs", endpoint, seconds)
                # Everyone waits, not just this request: Telegram counts all our sends.
                self._not_paused.clear()
                try:
                    await asyncio.sleep(seconds + 0.1)
                finally:
                    self._not_paused.set()
            except NetworkError as error:  # 5xx, connection failures, timeouts
                if data.get("chat_id") is not None and not certainly_not_delivered(error):
                    # Telegram may have delivered it: a second copy is worse than none.
                    # (Requests to no chat, such as getUpdates or setMyCommands, are safe to
                    # repeat and keep being retried.)
                    _LOGGER.warning(
                        "%s: outcome unknown (%s); not sent again", endpoint, type(error).__name__
                    )
                    raise
                if network_failures == self._network_retries:
                    raise
                network_failures += 1
                _LOGGER.warning(
                    "%s failed (%s); retry %d in %.1fs",
                    endpoint,
                    type(error).__name__,
                    network_failures,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 8.0)


def _seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds: PTB 22 gives an int or a timedelta (PTB_TIMEDELTA) and warns
    about the int; either is fine here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)


def group_of(chat_id: object) -> int | str | None:
    """The group a chat ID names, or None for a private chat (groups have negative IDs)."""
    if isinstance(chat_id, str):
        try:
            chat_id = int(chat_id)
        except ValueError:
            return chat_id  # an @channel or @supergroup username
    if isinstance(chat_id, int) and chat_id < 0:
        return chat_id
    return None
