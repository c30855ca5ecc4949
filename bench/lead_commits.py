"""Time to store a confirmed join request: 1,000 flows by 100 concurrent users, through the core.

    python bench/lead_commits.py [--users 100] [--flows 10] [--no-contention]

Each simulated user runs 10 join flows one after the other through `services.dialogue`, as the
Telegram handlers do, with its own conversation state and distinct company names; the 100
users run concurrently (asyncio.gather) on one `Services`, so they share one SQLite connection
(and the asyncio lock in front of it) as the bot does. The Confirm (`jok:<key>`) commits the
lead before it replies: its time, lock waiting included, is what a user waits for.

A baseline run first times Confirm for a single user (no queueing: the commit itself). The
third run repeats the same work while another process takes the database's write lock
for short bursts (a maintenance script, a second instance during a deploy), so commits wait
on busy_timeout as well as on each other.

Printed: the machine, p50/p99/max commit time, total time, leads stored (must be users x
flows) and `PRAGMA integrity_check` (must be ok). Exits 1 if either check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.conversation.dialogue import ConversationState, UserRef
from bot.conversation.join_flow import Step
from bot.messages.reply import Reply
from bot.services import Services
from bot.settings import Settings
from knowledge.loader import load_knowledge_base
from knowledge.model import KnowledgeBase

# The second process: takes the write lock (BEGIN IMMEDIATE) for `hold` seconds, lets go for
# `pause` seconds, until stdin closes. Plain sqlite3, like a maintenance script would be.
LOCK_HOLDER = """
import sqlite3, sys, threading, time
path, hold, pause = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
connection = sqlite3.connect(path, isolation_level=None, timeout=30)
bursts = 0
while not stop.is_set():
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO user_settings (user_id, language, updated_at)"
                       " VALUES (-1, 'fr', 'x') ON CONFLICT (user_id) DO UPDATE"
                       " SET updated_at = excluded.updated_at")
    time.sleep(hold)
    connection.execute("COMMIT")
    bursts += 1
    time.sleep(pause)
print(bursts)
"""
HOLD_SECONDS = 0.02
PAUSE_SECONDS = 0.08


@dataclass(frozen=True, slots=True)
class RunResult:
    commit_seconds: list[float]
    total_seconds: float
    leads_stored: int
    integrity: list[str]
    lock_bursts: int | None


def _texts(replies: list[Reply]) -> str:
    return repr(replies)


async def _user(services: Services, user_id: int, flows: int, timings: list[float]) -> None:
    """One user filling `flows` join flows in a row; appends each Confirm's duration."""
    dialogue = services.dialogue
    user = UserRef(user_id, "en")
    state = ConversationState()
    clusters = [cluster.id for cluster in services.knowledge.clusters]
    for flow_number in range(flows):
        company = f"Bench Company {user_id}-{flow_number}"
        cluster = clusters[(user_id + flow_number) % len(clusters)]
        await dialogue.on_command(user, state, "join", cluster)
        await dialogue.on_text(user, state, company)
        await dialogue.on_action(user, state, "js")  # no enterprise number
        await dialogue.on_text(user, state, f"Activity of {company}")
        await dialogue.on_action(user, state, "jt:sme")
        await dialogue.on_action(user, state, "jl:wallonia")
        await dialogue.on_text(user, state, f"Contact {user_id} {flow_number}")
        await dialogue.on_text(user, state, f"bench{user_id}x{flow_number}@example.be")
        await dialogue.on_action(user, state, "js")  # no phone
        await dialogue.on_action(user, state, "jy")
        flow = state.join
        if flow is None or flow.step is not Step.SUMMARY:
            raise RuntimeError(f"user {user_id} flow {flow_number} is not at the summary")
        started = time.perf_counter()
        replies = await dialogue.on_action(user, state, f"jok:{flow.key}")
        timings.append(time.perf_counter() - started)
        if "registered under reference W-" not in _texts(replies) or state.join is not None:
            raise RuntimeError(f"user {user_id} flow {flow_number}: {_texts(replies)}")


@contextlib.contextmanager
def _lock_holder(database_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            LOCK_HOLDER,
            str(database_path),
            str(HOLD_SECONDS),
            str(PAUSE_SECONDS),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


async def run(
    knowledge: KnowledgeBase, database_path: Path, users: int, flows: int, contention: bool
) -> RunResult:
    settings = Settings(database_path=database_path)
    services = await Services.open(settings, knowledge)  # creates the schema
    timings: list[float] = []
    lock_bursts: int | None = None
    try:
        with contextlib.ExitStack() as stack:
            holder = stack.enter_context(_lock_holder(database_path)) if contention else None
            if holder is not None:
                await asyncio.sleep(0.3)  # let it start taking the lock
            started = time.perf_counter()
            await asyncio.gather(
                *(_user(services, 10_000 + n, flows, timings) for n in range(users))
            )
            total = time.perf_counter() - started
            if holder is not None:
                output, _ = await asyncio.to_thread(holder.communicate, "", 30)
                lock_bursts = int(output.strip() or 0)
        stored = await services.leads.count()
        rows = await services.database.fetch_all("PRAGMA integrity_check")
        integrity = [str(row[0]) for row in rows]
    finally:
        await services.close()
    return RunResult(timings, total, stored, integrity, lock_bursts)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _report(title: str, result: RunResult, expected: int) -> bool:
    timings = sorted(result.commit_seconds)
    quantiles = statistics.quantiles(timings, n=100, method="inclusive")
    ok = result.leads_stored == expected and result.integrity == ["ok"]
    print(f"\n{title}")
    if result.lock_bursts is not None:
        print(
            f"  second process: {result.lock_bursts} write-lock bursts of "
            f"{HOLD_SECONDS * 1000:.0f} ms every {(HOLD_SECONDS + PAUSE_SECONDS) * 1000:.0f} ms"
        )
    print(f"  commits timed:   {len(timings)}")
    print(f"  commit p50:      {_ms(quantiles[49])}")
    print(f"  commit p99:      {_ms(quantiles[98])}")
    print(f"  commit max:      {_ms(timings[-1])}")
    rate = expected / result.total_seconds
    print(f"  total time:      {result.total_seconds:.2f} s ({rate:.0f} flows/s)")
    print(f"  leads stored:    {result.leads_stored} (expected {expected})")
    print(f"  integrity_check: {', '.join(result.integrity)}")
    print(f"  verdict:         {'OK' if ok else 'FAILED'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--flows", type=int, default=10, help="flows per user")
    parser.add_argument("--no-contention", action="store_true", help="skip the second run")
    arguments = parser.parse_args(argv)
    expected = arguments.users * arguments.flows

    print(f"machine: {platform.platform()}; {platform.processor() or platform.machine()}")
    print(f"python:  {platform.python_version()}; SQLite {__import__('sqlite3').sqlite_version}")
    print(f"work:    {arguments.users} concurrent users x {arguments.flows} join flows each")
    knowledge = load_knowledge_base()
    all_ok = True
    with tempfile.TemporaryDirectory(prefix="lead-commits-") as directory:
        # The baseline: one user, so a Confirm never queues behind another: the commit itself.
        path = Path(directory) / "baseline.sqlite3"
        baseline = asyncio.run(run(knowledge, path, 1, 100, contention=False))
        all_ok &= _report("baseline: 1 user x 100 flows, no queueing", baseline, 100)
        runs = [("alone", False)] + ([] if arguments.no_contention else [("contended", True)])
        for name, contention in runs:
            path = Path(directory) / f"{name}.sqlite3"
            result = asyncio.run(
                run(knowledge, path, arguments.users, arguments.flows, contention)
            )
            title = (
                "with a second process taking the write lock in bursts"
                if contention
                else "the bot alone on the database"
            )
            all_ok &= _report(title, result, expected)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
