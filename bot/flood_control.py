"""Per-user flood control in bounded memory.

More than `limit` messages in `window` seconds gets one polite notice, then silence until the
window has passed. Only the most recent `max_users` users are tracked (least recently seen are
forgotten first), so a flood of distinct senders cannot grow memory without bound.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
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
        self._limit = limit
        self._window = window
        self._max_users = max_users
        self._clock = clock
        self._seen: OrderedDict[int, tuple[deque[float], list[bool]]] = OrderedDict()

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
        entry = self._seen.get(user_id)
        if entry is None:
            # deque(maxlen=limit + 1): we only ever need to know whether limit + 1 fell in
            # the window, so older timestamps are dropped as new ones arrive.
            entry = (deque(maxlen=self._limit + 1), [False])
            self._seen[user_id] = entry
            if len(self._seen) > self._max_users:
                self._seen.popitem(last=False)
        else:
            self._seen.move_to_end(user_id)
        stamps, notified = entry
        while stamps and now - stamps[0] >= self._window:
            stamps.popleft()
        stamps.append(now)
        self._forget_quiet_users(now)  # after the append: this user is never "quiet"
        if len(stamps) <= self._limit:
            notified[0] = False  # back under the limit: a later burst gets a notice again
            return Verdict.ALLOW
        if notified[0]:
            return Verdict.DROP
        notified[0] = True
        return Verdict.NOTIFY
