"""A sliding-window limit on sends: at most `max_sends` in any `period` seconds, exactly.

Telegram allows about 30 messages a second overall and 20 a minute in one group, and answers
more with 429. A leaky bucket paced one message every 1/29 s stays inside that, but wakes the
process once per message; this window lets sends go out together as soon as there is room, so
a busy bot sends in a few bursts a second and an idle one answers at once.

The window counts a send from the moment it is let through until `period` seconds after its
request *completed*. Telegram sees a request somewhere between the two, so however long
requests take or how unevenly they travel, no `period`-long stretch of Telegram's clock can
hold more than `max_sends` of ours (proof: had it `max_sends + 1`, at the latest of them being
let through, the others were each either in flight or completed less than `period` ago, so all
`max_sends` were counted and it would have waited). The cost is that a slot is held for the
request's round trip on top of `period`: 30 a second with 20 ms round trips gives ~29.4/s.

Pure asyncio, no Telegram: the runtime wraps each request in `async with window.slot():`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class SendWindow:
    """At most `max_sends` sends in any `period` seconds; waiters go through in FIFO order."""

    def __init__(self, max_sends: int, period: float) -> None:
        if max_sends < 1 or period <= 0:
            raise ValueError("a send window needs max_sends >= 1 and period > 0")
        self.max_sends = max_sends
        self.period = period
        self._in_flight = 0
        self._completed: deque[float] = deque()  # completion times within the last period
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def _room(self, now: float) -> int:
        horizon = now - self.period
        completed = self._completed
        while completed and completed[0] <= horizon:
            completed.popleft()
        return self.max_sends - self._in_flight - len(completed)

    @property
    def idle(self) -> bool:
        """Nothing in flight, waiting or counted: the window can be dropped and rebuilt."""
        now = asyncio.get_running_loop().time()
        return not self._waiters and self._room(now) >= self.max_sends

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the window's sends for the duration of the block."""
        loop = asyncio.get_running_loop()
        if not self._waiters and self._room(loop.time()) > 0:
            self._in_flight += 1
        else:
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            self._schedule(loop)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    # Let through at the very moment we were cancelled: give the slot back.
                    self._in_flight -= 1
                    self._schedule(loop)
                raise
        try:
            yield
        finally:
            self._in_flight -= 1
            self._completed.append(loop.time())
            self._schedule(loop)

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        """Let through as many waiters as there is room for; set a timer for the next one."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        room = self._room(loop.time())
        waiters = self._waiters
        while waiters and room > 0:
            waiter = waiters.popleft()
            if waiter.done():  # cancelled while waiting
                continue
            self._in_flight += 1
            room -= 1
            waiter.set_result(None)
        while waiters and waiters[0].done():
            waiters.popleft()
        if waiters and self._completed:
            # Room comes back when the oldest completed send leaves the window. (If every slot
            # is in flight instead, its completion calls us again.)
            self._timer = loop.call_at(self._completed[0] + self.period, self._schedule, loop)
