"""Memory: resident size of the bot process after start, and as new users keep writing.

    python bench/memory.py                       (or `make bench`)
    python bench/memory.py --telegram-rate       (keep the 30 messages/s limiter: ~12 min)

The real bot (`wallonia-bot run`) runs as a subprocess against a FakeBotApi on 127.0.0.1.
Its VmRSS (from /proc/<pid>/status) is read after the first getUpdates plus 1 s, then after
each phase of 10,000 messages from 5,000 users never seen before (2 questions each, from the
labelled questions), once every message is answered and the bot is idle.

Per-user state lives in PTB's user_data (kept in memory for every user ever seen, and
persisted to SQLite) and in the flood-control LRU (bounded at 10,000 users). Comparing the
growth of the second phase with the first tells whether memory follows the number of distinct
users.

By default the bot's overall message limit is lifted (the one constant
`bot.app.OVERALL_MESSAGES_PER_SECOND` set to 10**9 before start-up), or 20,000 answers at
Telegram's 30 a second would take over 11 minutes. That limiter keeps no per-user state, so
the figures are the same with it.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.end_to_end import (
    BOT_COMMAND,
    Conversation,
    bot_environment,
    make_conversations,
    print_machine,
    question_pool,
    start_process,
    stop_process,
    wait_first_poll,
)
from bot.services import Services
from bot.settings import Settings
from knowledge.loader import load_knowledge_base
from tests.fake_bot_api import FakeBotApi

# `wallonia-bot run` with the overall message limiter off (see the module docstring).
UNLIMITED_BOT_COMMAND = [
    sys.executable,
    "-c",
    "import sys, bot.app, bot.cli; bot.app.OVERALL_MESSAGES_PER_SECOND = 10**9; "
    "sys.exit(bot.cli.main(['run']))",
]
PHASES = 2
USERS_PER_PHASE = 5_000
QUESTIONS_PER_USER = 2
FIRST_USER_ID = 1_000_000
# Updates queued but not yet answered: enough to keep the bot busy, few enough that the fake
# server (which re-sorts its queue on every update) is never the bottleneck.
MAX_OUTSTANDING = 1_000
USERS_PER_BATCH = 250
TARGET_START_MB = 80.0
# "Bounded": a later phase of as many new users grows the process by less than this.
BOUNDED_GROWTH_MB = 2.0
PHASE_TIMEOUT = 900.0


def memory_mb(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (peak resident size) of a live process, in MB."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024  # reported in kB
    return values["VmRSS"], values["VmHWM"]


def stored_rows(database: Path) -> tuple[int, int]:
    """Users with a user_data row, and unanswered questions kept, read while the bot runs."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        (users,) = connection.execute(
            "SELECT count(*) FROM persistence WHERE kind = 'user_data'"
        ).fetchone()
        (unanswered,) = connection.execute("SELECT count(*) FROM unanswered_questions").fetchone()
    finally:
        connection.close()
    return int(users), int(unanswered)


def answered(fake: FakeBotApi, wanted: dict[int, int]) -> int:
    """Questions answered, counting one message per question (each gets at least one)."""
    received = Counter(m.chat_id for m in fake.sent_messages())
    return sum(min(received[chat_id], count) for chat_id, count in wanted.items())


async def run_phase(
    fake: FakeBotApi, conversations: Sequence[Conversation], wanted: dict[int, int]
) -> float:
    """Ask every conversation's questions in batches; seconds until all are answered."""
    started = time.monotonic()
    pushed = answered(fake, wanted)
    for first in range(0, len(conversations), USERS_PER_BATCH):
        batch = conversations[first : first + USERS_PER_BATCH]
        for conversation in batch:
            wanted[conversation.user_id] = len(conversation.questions)
        while True:
            if pushed - answered(fake, wanted) <= MAX_OUTSTANDING:
                break
            await asyncio.sleep(0.05)
        for index in range(QUESTIONS_PER_USER):
            for conversation in batch:
                fake.user_message(
                    conversation.user_id,
                    conversation.questions[index],
                    language_code=conversation.language_code,
                    first_name=f"User{conversation.user_id}",
                )
                pushed += 1
    while answered(fake, wanted) < pushed:
        if time.monotonic() - started > PHASE_TIMEOUT:
            raise RuntimeError(f"only {answered(fake, wanted)}/{pushed} answered in time")
        await asyncio.sleep(0.1)
    elapsed = time.monotonic() - started
    # Extra messages of multi-message answers, then the persistence flush (every second).
    await fake.wait_until_idle(quiet=1.0, timeout=60.0)
    return elapsed


async def run(command: Sequence[str], phases: int) -> int:
    print_machine()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as directory:
        workdir = Path(directory)
        services = await Services.open(
            Settings(database_path=workdir / "pool.sqlite3"), load_knowledge_base()
        )
        try:
            pool, _in_scope, _out_of_scope = await question_pool(services)
        finally:
            await services.close()
        everyone = make_conversations(
            pool, phases * USERS_PER_PHASE, QUESTIONS_PER_USER, FIRST_USER_ID, seed=5
        )
        limiter = "overall message limiter on" if command is BOT_COMMAND else "overall limiter off"
        print(
            f"Bot: wallonia-bot run ({limiter}); each phase: "
            f"{USERS_PER_PHASE * QUESTIONS_PER_USER:,} messages from {USERS_PER_PHASE:,} "
            f"new users ({QUESTIONS_PER_USER} questions each)"
        )
        database = workdir / "assistant.sqlite3"
        log_path = workdir / "stderr.log"
        async with FakeBotApi() as fake:
            with log_path.open("wb") as log:
                process = await start_process(
                    command, bot_environment(fake, database), workdir, log
                )
                try:
                    await wait_first_poll(fake, process, log_path)
                    await asyncio.sleep(1.0)
                    rss, _peak = memory_mb(process.pid)
                    print(f"\n{'':38}{'VmRSS MB':>10}{'growth MB':>11}{'KB/new user':>13}")
                    print(
                        f"{'after start (first poll + 1 s)':38}{rss:>10.1f}{'':>11}{'':>13}"
                        f"   target < {TARGET_START_MB:.0f} MB  "
                        f"{'ok' if rss < TARGET_START_MB else 'MISSED'}"
                    )
                    start_rss = previous = rss
                    growths: list[float] = []
                    wanted: dict[int, int] = {}
                    for phase in range(phases):
                        batch = everyone[phase * USERS_PER_PHASE : (phase + 1) * USERS_PER_PHASE]
                        elapsed = await run_phase(fake, batch, wanted)
                        rss, peak = memory_mb(process.pid)
                        users, unanswered = stored_rows(database)
                        growth = rss - previous
                        growths.append(growth)
                        label = (
                            f"after {(phase + 1) * USERS_PER_PHASE * QUESTIONS_PER_USER:,} msgs"
                        )
                        print(
                            f"{label + f' ({(phase + 1) * USERS_PER_PHASE:,} users)':38}"
                            f"{rss:>10.1f}{growth:>+11.1f}"
                            f"{growth * 1024 / USERS_PER_PHASE:>13.2f}"
                            f"   peak {peak:.1f} MB; {elapsed:.0f} s; stored: {users:,} users,"
                            f" {unanswered:,} unanswered questions"
                        )
                        previous = rss
                finally:
                    await stop_process(process)
        later = growths[1:] or growths
        bounded = all(g < BOUNDED_GROWTH_MB for g in later)
        print(
            f"\n{'growth bounded':38}{'yes' if bounded else 'no':>10}"
            f"   target: a later phase of {USERS_PER_PHASE:,} new users adds "
            f"< {BOUNDED_GROWTH_MB:.0f} MB  {'ok' if bounded else 'MISSED'}"
        )
        print(f"{'total growth, MB':38}{previous - start_rss:>10.1f}")
        if fake.errors:
            print(f"Bot API rejected {len(fake.errors)} calls, first: {fake.errors[0]}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--telegram-rate",
        action="store_true",
        help="keep the bot's overall message limiter (about 12 minutes)",
    )
    parser.add_argument("--phases", type=int, default=PHASES, help="phases of new users")
    arguments = parser.parse_args(argv)
    command = BOT_COMMAND if arguments.telegram_rate else UNLIMITED_BOT_COMMAND
    return asyncio.run(run(command, max(1, arguments.phases)))


if __name__ == "__main__":
    sys.exit(main())
