"""The sliding send window: never more than its limit in any period, seen from the receiver,
whatever the requests' durations; sends go in arrival order; a cancelled waiter loses nothing
for the others."""

from __future__ import annotations

import asyncio
import random

import pytest

from handlers.send_window import SendWindow

PERIOD = 0.1
LIMIT = 5


def most_in_any_period(times: list[float], period: float) -> int:
    """The largest number of `times` inside one half-open window of length `period`."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, time in enumerate(ordered):
        while ordered[start] <= time - period:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.parametrize("seed", range(3))
async def test_the_receiver_never_sees_more_than_the_limit_in_any_period(seed: int) -> None:
    """Each request reaches the receiver at a random moment between its start and its end,
    and takes a random time: the worst case for a window counted at the sender."""
    chance = random.Random(seed)
    window = SendWindow(LIMIT, PERIOD)
    loop = asyncio.get_running_loop()
    received: list[float] = []
    started = loop.time()

    async def send() -> None:
        async with window.slot():
            duration = chance.uniform(0.0, 0.02)
            arrival = chance.uniform(0.0, duration)
            await asyncio.sleep(arrival)
            received.append(loop.time())
            await asyncio.sleep(duration - arrival)

    async def sender(count: int) -> None:
        for _ in range(count):
            await asyncio.sleep(chance.uniform(0.0, 0.025))
            await send()

    async with asyncio.TaskGroup() as group:
        for _ in range(8):
            group.create_task(sender(6))
    elapsed = loop.time() - started

    assert len(received) == 48
    assert most_in_any_period(received, PERIOD) <= LIMIT
    # And it is not a trickle: 48 sends at 5 per 0.2 s need about 2 s, not much more.
    assert elapsed < 48 / LIMIT * PERIOD * 1.6


async def test_a_burst_goes_out_at_once_then_waits_for_room() -> None:
    window = SendWindow(LIMIT, PERIOD)
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def send() -> None:
        async with window.slot():
            times.append(loop.time())

    start = loop.time()
    await asyncio.gather(*(send() for _ in range(LIMIT * 2)))
    first, second = times[:LIMIT], times[LIMIT:]
    assert max(first) - start < PERIOD / 4  # no pacing while there is room
    assert min(second) - max(first) >= PERIOD * 0.99  # then room comes back a period later
    assert max(second) - min(second) < PERIOD / 4


async def test_waiters_go_in_arrival_order() -> None:
    window = SendWindow(1, 0.01)
    order: list[int] = []

    async def send(number: int) -> None:
        async with window.slot():
            order.append(number)

    tasks = []
    for number in range(10):
        tasks.append(asyncio.create_task(send(number)))
        await asyncio.sleep(0)  # each has queued before the next starts
    await asyncio.gather(*tasks)
    assert order == list(range(10))


async def test_a_cancelled_waiter_does_not_hold_a_slot() -> None:
    window = SendWindow(1, 0.05)
    done: list[str] = []

    async def send(name: str) -> None:
        async with window.slot():
            done.append(name)

    await send("first")  # the window is now full for 0.05 s
    waiting = asyncio.create_task(send("cancelled"))
    behind = asyncio.create_task(send("behind"))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.wait_for(behind, timeout=1.0)
    assert done == ["first", "behind"]
    await asyncio.sleep(0.06)
    assert window.idle


async def test_a_failed_request_still_counts_and_frees_its_slot() -> None:
    window = SendWindow(1, 0.05)
    with pytest.raises(RuntimeError):
        async with window.slot():
            raise RuntimeError("connection reset")
    assert not window.idle  # Telegram may have seen it: it counts for the period
    await asyncio.sleep(0.06)
    assert window.idle


def test_a_window_needs_room_and_a_period() -> None:
    with pytest.raises(ValueError, match="max_sends"):
        SendWindow(0, 1.0)
    with pytest.raises(ValueError, match="period"):
        SendWindow(1, 0.0)
