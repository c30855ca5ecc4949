"""Per-user flood control in bounded memory.

More than `limit` messages in `window` seconds gets one polite notice, then silence until the
window has passed. Only the most recent `max_users` users are tracked (least recently seen are
forgotten first), so a flood of distinct senders cannot grow memory without bound.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from enum import Enum


class Verdict(Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # the first message over the limit: tell the user once
    DROP = "drop"  # further messages within the window: stay quiet


class FloodGuard:
    def __init__(
        self,
        limit: int = 20,
        window: float = 60.0,
        max_users: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0 or max_users < 1:
            raise ValueError("flood control needs limit >= 1, window > 0 and max_users >= 1")
        self._limit = limit
        self._window = window
        self._max_users = max_users
        self._clock = clock
        # user -> (their message times within the window, oldest first; notified already).
        # A tuple, not a deque: most users have sent one or two messages in the last minute,
        # and a deque costs ~600 bytes however few it holds (10,000 users: 6 MB instead of 1).
        self._seen: OrderedDict[int, tuple[tuple[float, ...], bool]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def _forget_quiet_users(self, now: float) -> None:
        # The least recently seen users come first: drop those silent for a whole window, so
        # memory follows the users active in the last minute, not all users ever seen.
        while self._seen:
            oldest_id, (oldest_stamps, _notified) = next(iter(self._seen.items()))
            if oldest_stamps and now - oldest_stamps[-1] < self._window:
                return
            del self._seen[oldest_id]

    def check(self, user_id: int) -> Verdict:
        """Record one message from `user_id` and say whether to handle it."""
        now = self._clock()
        stamps, notified = self._seen.pop(user_id, ((), False))
        # Only whether limit + 1 messages fell in the window matters: older times are dropped.
        recent = [t for t in stamps if now - t < self._window][-self._limit :]
        recent.append(now)
        if len(recent) <= self._limit:
            verdict, notified = Verdict.ALLOW, False  # a later burst gets a notice again
        elif notified:
            verdict = Verdict.DROP
        else:
            verdict, notified = Verdict.NOTIFY, True
        self._seen[user_id] = (tuple(recent), notified)  # re-inserted last: most recently seen
        self._forget_quiet_users(now)  # after the insert: this user is never "quiet"
        if len(self._seen) > self._max_users:
            self._seen.popitem(last=False)
        return verdict
