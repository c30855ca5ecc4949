"""The rate limiter on its own, with the request itself replaced by a coroutine that records when
it ran (the Telegram-level behaviour, against the fake Bot API, is in test_telegram_resilience):
a 429 holds every send back, failures that certainly did not reach Telegram are retried, wrong
requests and sends whose outcome is unknown are not, groups get their own window, requests that
are not messages are not counted."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from handlers.runtime import TelegramRateLimiter, certainly_not_delivered, group_of

JSONDict = dict[str, Any]


def wrapped(error: NetworkError, cause: BaseException) -> NetworkError:
    """`error` as PTB raises it for an httpx failure: `raise ... from cause`."""
    error.__cause__ = cause
    return error


def connect_timeout() -> NetworkError:
    return wrapped(TimedOut(), httpx.ConnectTimeout("connect timed out"))


def read_timeout() -> NetworkError:
    return wrapped(TimedOut(), httpx.ReadTimeout("read timed out"))


class Calls:
    """A stand-in for the HTTP request: fails as told, records when each attempt ran."""

    def __init__(self, failures: dict[str, list[Exception]] | None = None) -> None:
        self.failures = failures or {}
        self.attempts: list[tuple[str, float]] = []

    def callback(self, name: str) -> Callable[[], Any]:
        async def send() -> JSONDict:
            self.attempts.append((name, asyncio.get_running_loop().time()))
            pending = self.failures.get(name)
            if pending:
                raise pending.pop(0)
            return {"ok": name}

        return send

    def times(self, name: str) -> list[float]:
        return [time for called, time in self.attempts if called == name]


async def request(
    limiter: TelegramRateLimiter, calls: Calls, name: str, chat_id: object = 1
) -> object:
    data = {} if chat_id is None else {"chat_id": chat_id}
    return await limiter.process_request(calls.callback(name), (), {}, "sendMessage", data, None)


async def test_a_429_holds_every_send_back_for_its_retry_after() -> None:
    limiter = TelegramRateLimiter(first_delay=0.01)
    calls = Calls({"first": [RetryAfter(1)]})
    loop = asyncio.get_running_loop()
    first = asyncio.create_task(request(limiter, calls, "first"))
    await asyncio.sleep(0.05)  # the 429 has come back; the pause is on
    second = asyncio.create_task(request(limiter, calls, "second", chat_id=2))
    answers = await asyncio.gather(first, second)
    assert list(answers) == [{"ok": "first"}, {"ok": "second"}]
    refused_at = calls.times("first")[0]
    assert calls.times("first")[1] - refused_at >= 1.0
    assert calls.times("second")[0] - refused_at >= 1.0  # another chat waited too
    assert loop.time() - refused_at < 2.0


async def test_429s_are_retried_a_bounded_number_of_times() -> None:
    limiter = TelegramRateLimiter(max_retry_after=2)
    calls = Calls({"send": [RetryAfter(0), RetryAfter(0), RetryAfter(0)]})
    with pytest.raises(RetryAfter):
        await request(limiter, calls, "send")
    assert len(calls.times("send")) == 3


async def test_transient_failures_are_retried_with_backoff_then_given_up() -> None:
    limiter = TelegramRateLimiter(network_retries=2, first_delay=0.05)
    calls = Calls({"flaky": [NetworkError("502"), connect_timeout()]})
    assert await request(limiter, calls, "flaky") == {"ok": "flaky"}
    first, second, third = calls.times("flaky")
    assert second - first >= 0.05
    assert third - second >= 0.1  # the delay doubles

    calls = Calls({"down": [NetworkError("502")] * 3})
    with pytest.raises(NetworkError):
        await request(limiter, calls, "down")
    assert len(calls.times("down")) == 3


async def test_a_send_whose_outcome_is_unknown_is_not_sent_again() -> None:
    limiter = TelegramRateLimiter(first_delay=0.01)
    calls = Calls({"timed out": [read_timeout()]})
    with pytest.raises(TimedOut):
        await request(limiter, calls, "timed out")
    assert len(calls.times("timed out")) == 1
    # A request to no chat (getUpdates, setMyCommands…) is safe to repeat, and is.
    calls = Calls({"poll": [read_timeout()]})
    assert await request(limiter, calls, "poll", chat_id=None) == {"ok": "poll"}
    assert len(calls.times("poll")) == 2


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(NetworkError("Bad Gateway"), True, id="5xx-answer"),
        pytest.param(connect_timeout(), True, id="connect-timeout"),
        pytest.param(wrapped(TimedOut(), httpx.PoolTimeout("pool")), True, id="pool-timeout"),
        pytest.param(
            wrapped(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused")),
            True,
            id="connection-refused",
        ),
        pytest.param(
            wrapped(NetworkError("httpx.WriteError"), httpx.WriteError("reset")),
            True,
            id="reset-while-writing",
        ),
        pytest.param(read_timeout(), False, id="read-timeout"),
        pytest.param(
            wrapped(
                NetworkError("httpx.RemoteProtocolError"),
                httpx.RemoteProtocolError("Server disconnected without sending a response."),
            ),
            False,
            id="closed-after-the-request",
        ),
        pytest.param(
            wrapped(NetworkError("httpx.ReadError"), httpx.ReadError("reset")),
            False,
            id="reset-while-reading",
        ),
        pytest.param(
            wrapped(NetworkError("Unknown error in HTTP implementation"), OSError()),
            False,
            id="unknown",
        ),
    ],
)
def test_what_certainly_did_not_reach_telegram(error: NetworkError, expected: bool) -> None:
    assert certainly_not_delivered(error) is expected


async def test_a_request_telegram_refused_is_not_sent_again() -> None:
    limiter = TelegramRateLimiter(first_delay=0.01)
    calls = Calls({"wrong": [BadRequest("Bad Request: can't parse entities")]})
    with pytest.raises(BadRequest):
        await request(limiter, calls, "wrong")
    assert len(calls.times("wrong")) == 1


async def test_a_group_has_its_own_window_and_private_chats_do_not_wait_for_it() -> None:
    limiter = TelegramRateLimiter(group_messages_per_minute=2, group_period=0.3)
    calls = Calls()
    group = [asyncio.create_task(request(limiter, calls, f"group{n}", -100)) for n in range(3)]
    await asyncio.sleep(0.05)
    await request(limiter, calls, "private", 42)  # not held up by the full group window
    await asyncio.gather(*group)
    times = sorted(calls.times("group0") + calls.times("group1"))
    assert calls.times("private")[0] < calls.times("group2")[0]
    assert calls.times("group2")[0] - times[0] >= 0.3


def test_which_chat_ids_are_groups() -> None:
    assert group_of(-1001234) == -1001234
    assert group_of("-1001234") == -1001234
    assert group_of("@some_channel") == "@some_channel"
    assert group_of(1234) is None
    assert group_of("1234") is None


async def test_requests_without_a_chat_are_not_counted() -> None:
    limiter = TelegramRateLimiter(messages_per_second=1)
    calls = Calls()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(*(request(limiter, calls, f"poll{n}", chat_id=None) for n in range(5)))
    assert loop.time() - started < 0.2
    await request(limiter, calls, "message")
    waited = asyncio.create_task(request(limiter, calls, "next message"))
    await asyncio.sleep(0.2)
    assert not waited.done()  # one message a second: the second one waits
    await waited
