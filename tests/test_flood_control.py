"""Per-user flood control, on a clock the test moves by hand."""

from __future__ import annotations

import tracemalloc

import pytest

from bot.conversation.flood_control import FloodGuard, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_twenty_allowed_then_one_notice_then_silence_until_the_window_passes() -> None:
    clock = Clock()
    guard = FloodGuard(clock=clock)  # the defaults: 20 messages a minute
    assert [guard.check(7) for _ in range(20)] == [Verdict.ALLOW] * 20
    assert guard.check(7) is Verdict.NOTIFY
    assert guard.check(7) is Verdict.DROP
    clock.now += 59.9
    assert guard.check(7) is Verdict.DROP
    clock.now += 0.1  # 60 s after the burst
    assert guard.check(7) is Verdict.ALLOW


def test_a_new_burst_after_the_window_is_notified_again() -> None:
    clock = Clock()
    guard = FloodGuard(limit=3, window=10, clock=clock)
    assert [guard.check(1) for _ in range(5)] == [Verdict.ALLOW] * 3 + [
        Verdict.NOTIFY,
        Verdict.DROP,
    ]
    clock.now += 10
    assert [guard.check(1) for _ in range(5)] == [Verdict.ALLOW] * 3 + [
        Verdict.NOTIFY,
        Verdict.DROP,
    ]


def test_the_window_slides() -> None:
    clock = Clock()
    guard = FloodGuard(limit=3, window=10, clock=clock)
    for _ in range(3):
        assert guard.check(1) is Verdict.ALLOW
        clock.now += 4  # messages at 0, 4, 8
    # At 12 the message at 0 has left the window: 4, 8, 12 are three.
    assert guard.check(1) is Verdict.ALLOW
    # At 12 again: 4, 8, 12, 12 are four.
    assert guard.check(1) is Verdict.NOTIFY


def test_users_are_counted_separately() -> None:
    clock = Clock()
    guard = FloodGuard(limit=2, clock=clock)
    assert [guard.check(1) for _ in range(3)] == [Verdict.ALLOW, Verdict.ALLOW, Verdict.NOTIFY]
    assert guard.check(2) is Verdict.ALLOW
    assert guard.check(1) is Verdict.DROP


def test_memory_is_bounded() -> None:
    guard = FloodGuard(limit=2, max_users=100, clock=Clock())
    for user_id in range(10_000):
        guard.check(user_id)
    assert len(guard) == 100


def test_a_full_guard_costs_little_memory() -> None:
    """At its cap, with every user active (two messages each in the window), the guard holds
    under 4 MB: a user costs a few hundred bytes, not a deque's ~600 on top."""
    clock = Clock()
    guard = FloodGuard(clock=clock)
    tracemalloc.start()
    try:
        for user_id in range(10_000):
            clock.now += 0.001
            guard.check(user_id)
            guard.check(user_id)
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(guard) == 10_000
    assert held < 4_000_000


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        FloodGuard(limit=0)


def test_the_least_recently_seen_user_is_forgotten_first() -> None:
    guard = FloodGuard(limit=2, max_users=3, clock=Clock())
    for user_id in ("a", "a", "b", "b", "c"):
        assert guard.check(ord(user_id)) is Verdict.ALLOW
    assert guard.check(ord("a")) is Verdict.NOTIFY  # "a" is now the most recently seen
    assert guard.check(ord("d")) is Verdict.ALLOW  # forgets "b", the least recently seen
    assert len(guard) == 3
    # "b" starts afresh (were it remembered, its third message would be a NOTIFY)…
    assert guard.check(ord("b")) is Verdict.ALLOW
    # …while "a" is still remembered as over its limit.
    assert guard.check(ord("a")) is Verdict.DROP


def test_users_quiet_for_a_whole_window_are_forgotten() -> None:
    now = [0.0]
    guard = FloodGuard(limit=20, window=60.0, clock=lambda: now[0])
    for user in range(1000):
        guard.check(user)
    assert len(guard) == 1000
    now[0] = 61.0
    guard.check(5000)
    assert len(guard) == 1
    # A user who comes back is counted from scratch, and floods are still caught.
    verdicts = [guard.check(7) for _ in range(22)]
    assert verdicts.count(Verdict.NOTIFY) == 1
