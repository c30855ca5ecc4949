"""Memory: resident size of the bot process after start, and as new users keep writing.

    python bench/memory.py                       (or `make bench`; 8 phases, about 5 minutes)
    python bench/memory.py --phases 12           (more users)
    python bench/memory.py --diagnose            (what the memory is: see below)
    python bench/memory.py --diagnose --tracemalloc
    python bench/memory.py --telegram-rate       (keep the overall message limiter: ~6 min a phase)

The real bot (`wallonia-bot run`) runs as a subprocess against a FakeBotApi on 127.0.0.1.
After its first getUpdates plus 1 s, then after each phase of 10,000 messages from 5,000 users
never seen before (2 questions each, from the labelled questions), once every message is
answered and the bot is idle, two figures are read:

* VmRSS, from /proc/<pid>/status: what the README reports;
* the live heap: Python's small objects (bytes in pymalloc's allocated blocks) plus the C heap
  in use (glibc mallinfo2), after gc.collect(), from a small probe loaded into the bot
  (`_probe`, sent with `python -c`; it answers SIGUSR1 between two steps of the event loop).
  Unlike RSS, it does not count memory the allocators keep after it was freed, so a structure
  that grows with the number of users shows in it, even at a few dozen bytes a user.

What is kept per user, and where:

* conversation state: a row of the `conversation_states` table (one per user, written by
  bot/storage/conversation_store.py), with only the 2,048 most recent users cached in memory;
* flood control (bot/conversation/flood_control.py): users seen in the last minute, at most 10,000;
* PTB's user_data and chat_data are never used; NoPersistenceApplication stops PTB from noting
  every chat and user for a persistence we do not have (handlers/runtime.py).

Warm-up: in the first phase the allocators take the high-water mark of the updates in flight
(up to 1,000 queued), SQLite's page cache fills to its cap (2 MB by default) and the
conversation cache to its 2,048 states; with the limiter lifted a phase lasts about 30 s, so
flood control, which remembers a minute, fills up over the first two. After that:

* live heap bounded: from the end of the warm-up to the end of the run it grows by less than
  LIVE_BYTES_PER_USER for each user added meanwhile;
* VmRSS bounded: every phase of the second half of the run adds less than RSS_GROWTH_MB. Only
  the second half, because RSS keeps creeping for a few phases after the live heap stopped:
  pymalloc frees a 1 MiB arena only once every object in it is gone, and the long-lived objects
  made during a phase (cache entries) pin some of the arenas its transient objects used.

--diagnose prints, after start and each phase: pymalloc's arenas, the C heap in use and kept
free, SQLite's memory (sqlite3_status64), threads and glibc thread arenas, the sizes of PTB's
per-id containers and of ours, and RSS after malloc_trim(0) (the gap to RSS is C heap freed
but not given back). malloc_trim changes the process, so the RSS verdict of a --diagnose run is
judged on RSS after malloc_trim. --tracemalloc adds Python's traced heap and the source lines
whose allocations grew most since the previous report (an object counts where it was made: ids
that PTB kept showed up under json/decoder.py); tracemalloc's own memory is then in both RSS
and the C heap, and pymalloc reports nothing while tracemalloc hooks it, so no verdict is given.

By default the bot's overall message limit is lifted (MESSAGES_PER_SECOND=100000 in its
environment), or each phase would take about 6 minutes at Telegram's 30 a second. That limiter
keeps no per-user state; with it (--telegram-rate), flood control holds fewer users (those of
the last minute: about 1,000), so the figures are lower, not higher.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.end_to_end import (
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

# `wallonia-bot run`, as `python -c` so that the probe goes in front of it.
RUN_BOT = "import sys, bot.cli.main; sys.exit(bot.cli.main.main(['run']))"
# The MESSAGES_PER_SECOND setting that lifts the overall message limiter (its maximum).
UNLIMITED_MESSAGES_PER_SECOND = "100000"
PHASES = 8
WARM_UP_PHASES = 2
USERS_PER_PHASE = 5_000
QUESTIONS_PER_USER = 2
FIRST_USER_ID = 1_000_000
# Updates queued but not yet answered: enough to keep the bot busy, few enough that the fake
# server (which re-sorts its queue on every update) is never the bottleneck.
MAX_OUTSTANDING = 1_000
USERS_PER_BATCH = 250
TARGET_START_MB = 80.0
# After the warm-up the live heap moves by up to about 0.3 MB either way from phase to phase;
# 50 bytes a user is 1.5 MB over the 30,000 users of the default run. PTB's two sets of ids
# (before NoPersistenceApplication) kept 64 bytes of int objects a user plus their tables,
# which stepped from 0.5 to 2 MB each at 19,661 ids: with them put back, this run reads
# +170 bytes a user (MISSED), while RSS in the second half stays within RSS_GROWTH_MB.
LIVE_BYTES_PER_USER = 50
# Per phase of the second half of the run: RSS moves by up to about 1 MB a phase once the
# allocators have settled.
RSS_GROWTH_MB = 2.0
PHASE_TIMEOUT = 900.0
PROBE_TIMEOUT = 120.0
PROBE_TOP_LINES = 8
PROBE_FILENAME = "<bench-memory-probe>"


def _probe(report_dir: str, trim: bool, trace: bool) -> None:  # pragma: no cover - in the bot
    """Installed in the bot process: on SIGUSR1, write report <n>.json to `report_dir`.

    Self-contained (its source is sent with `python -c`), so the bot imports nothing of the
    benchmark. Runs in the main thread between two steps of the event loop.
    """
    import ctypes
    import gc
    import json
    import os
    import signal
    import sys
    import tracemalloc
    from pathlib import Path

    if trace:
        tracemalloc.start(1)
    PROBE_FILENAME = "<bench-memory-probe>"  # noqa: N806 - the module constant, copied
    reports = Path(report_dir)

    class MallInfo2(ctypes.Structure):
        _fields_ = [
            (name, ctypes.c_size_t)
            for name in (
                "arena",
                "ordblks",
                "smblks",
                "hblks",
                "hblkhd",
                "usmblks",
                "fsmblks",
                "uordblks",
                "fordblks",
                "keepcost",
            )
        ]

    try:
        libc: Any = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
    except (OSError, AttributeError):  # not glibc
        libc = None
    state: dict[str, Any] = {"count": 0, "lines": None}

    def rss_mb() -> float:
        for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def sqlite_mb() -> float | None:
        # The libsqlite3 that Python's sqlite3 module loaded (dlopen gives back the same one).
        import sqlite3  # noqa: F401 - makes sure it is loaded

        maps = Path(f"/proc/{os.getpid()}/maps").read_text().split()
        paths = [word for word in maps if "libsqlite3" in word]
        if not paths:
            return None  # linked statically into the sqlite3 module: not reachable
        library: Any = ctypes.CDLL(paths[0])
        current, highest = ctypes.c_int64(), ctypes.c_int64()
        if library.sqlite3_status64(0, ctypes.byref(current), ctypes.byref(highest), 0) != 0:
            return None
        return current.value / 2**20

    def pymalloc_mb() -> tuple[float, float] | None:
        """Bytes in pymalloc's allocated blocks (small Python objects) and in its arenas."""
        import tempfile

        with tempfile.TemporaryFile() as text:
            stderr = os.dup(2)
            os.dup2(text.fileno(), 2)  # _debugmallocstats writes to the C-level stderr
            try:
                sys._debugmallocstats()
            finally:
                os.dup2(stderr, 2)
                os.close(stderr)
            text.seek(0)
            lines = text.read().decode(errors="replace").splitlines()
        found: dict[str, int] = {}
        for line in lines:
            name, _, value = line.partition("=")
            name = name.strip().lstrip("# ")
            if name in ("bytes in allocated blocks", "Total") and name not in found:
                found[name] = int(value.strip().replace(",", ""))
        if len(found) < 2:
            return None
        return found["bytes in allocated blocks"] / 2**20, found["Total"] / 2**20

    def thread_arenas() -> tuple[int, float]:
        """glibc's per-thread malloc arenas: 64 MiB-aligned anonymous reservations (the part
        in use read-write, the rest PROT_NONE); how many, and their resident MB."""
        heap_max = 64 * 2**20
        mappings: list[tuple[int, int, str, float]] = []  # start, end, perms, resident MB
        for line in Path(f"/proc/{os.getpid()}/smaps").read_text().splitlines():
            first = line.split()
            if not first:
                continue
            if "-" in first[0] and not first[0].endswith(":"):
                start, end = (int(part, 16) for part in first[0].split("-"))
                named = len(first) > 5
                mappings.append((start, end, "" if named else first[1], 0.0))
            elif first[0] == "Rss:" and mappings:
                start, end, perms, _ = mappings[-1]
                mappings[-1] = (start, end, perms, int(first[1]) / 1024)
        count, resident = 0, 0.0
        for index, (start, end, perms, rss) in enumerate(mappings):
            if perms != "rw-p" or start % heap_max:
                continue
            following = mappings[index + 1] if index + 1 < len(mappings) else None
            reserved_end = following[1] if following and following[2] == "---p" else end
            if following and following[0] != end:
                reserved_end = end
            if reserved_end - start == heap_max:
                count += 1
                resident += rss
        return count, resident

    def containers() -> dict[str, int]:
        from telegram.ext import Application

        sizes: dict[str, int] = {}
        for application in [o for o in gc.get_objects() if isinstance(o, Application)]:
            for name in (
                "_user_data",
                "_chat_data",
                "_user_ids_to_be_updated_in_persistence",
                "_chat_ids_to_be_updated_in_persistence",
            ):
                value = getattr(application, name, None)
                if value is not None:
                    sizes[f"ptb{name}"] = len(value)
                    sizes[f"ptb{name}.bytes"] = sys.getsizeof(value)
            processor = application.update_processor
            sizes["chats_in_progress"] = len(getattr(processor, "_tails", ()))
            bot_data = application.bot_data
            flood = getattr(bot_data, "flood", None)
            if flood is not None:
                sizes["flood_control"] = len(flood)
            services = getattr(bot_data, "_services", None)
            conversations = getattr(services, "conversations", None)
            if conversations is not None:
                sizes["conversation_cache"] = len(conversations)
        return sizes

    def report(_signum: int, _frame: object) -> None:
        state["count"] += 1
        data: dict[str, Any] = {"rss_mb": rss_mb(), "gc_collected": gc.collect()}
        data["containers"] = containers()
        data["sqlite_mb"] = sqlite_mb()
        data["pymalloc_mb"] = pymalloc_mb()
        data["threads"] = len(os.listdir(f"/proc/{os.getpid()}/task"))
        data["thread_arenas"] = thread_arenas()
        if tracemalloc.is_tracing():
            snapshot = tracemalloc.take_snapshot().filter_traces(
                [
                    tracemalloc.Filter(False, tracemalloc.__file__),
                    tracemalloc.Filter(False, PROBE_FILENAME),
                ]
            )
            # Only the per-line totals are kept between reports, not the snapshot (far bigger).
            lines = {
                str(stat.traceback[0]): (stat.size, stat.count)
                for stat in snapshot.statistics("lineno")
            }
            del snapshot
            data["traced_mb"] = sum(size for size, _count in lines.values()) / 2**20
            previous = state["lines"]
            if previous is not None:
                changes = []
                for where, (size, count) in lines.items():
                    size_before, count_before = previous.get(where, (0, 0))
                    changes.append((where, size - size_before, count - count_before))
                changes.sort(key=lambda change: -change[1])
                data["top_growth"] = changes[:8]
            state["lines"] = lines
        if libc is not None:
            info = libc.mallinfo2()
            data["c_heap_in_use_mb"] = (info.uordblks + info.hblkhd) / 2**20
            data["c_heap_free_mb"] = info.fordblks / 2**20
            if trim:
                libc.malloc_trim(0)
                data["rss_trimmed_mb"] = rss_mb()
        (reports / f"{state['count']}.tmp").write_text(json.dumps(data))
        (reports / f"{state['count']}.tmp").rename(reports / f"{state['count']}.json")

    signal.signal(signal.SIGUSR1, report)


def bot_command(probe: Path, *, trim: bool = False, trace: bool = False) -> list[str]:
    """`wallonia-bot run` as `python -c`, with the probe in front of it."""
    # Compiled under its own name, so tracemalloc can leave the probe's allocations out.
    source = f"{inspect.getsource(_probe)}\n_probe({str(probe)!r}, {trim!r}, {trace!r})\n"
    code = f"exec(compile({source!r}, {PROBE_FILENAME!r}, 'exec'))\n{RUN_BOT}"
    return [sys.executable, "-c", code]


def memory_mb(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (peak resident size) of a live process, in MB."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024  # reported in kB
    return values["VmRSS"], values["VmHWM"]


def stored_rows(database: Path) -> tuple[int, int]:
    """Users with a conversation state stored (bot/storage/conversation_store.py), and unanswered
    questions kept, read while the bot runs."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        (users,) = connection.execute("SELECT count(*) FROM conversation_states").fetchone()
        (unanswered,) = connection.execute("SELECT count(*) FROM unanswered_questions").fetchone()
    finally:
        connection.close()
    return int(users), int(unanswered)


async def probe_report(pid: int, directory: Path, number: int) -> dict[str, Any]:
    """Ask the probe in the bot for report `number` and wait for it."""
    os.kill(pid, signal.SIGUSR1)
    path = directory / f"{number}.json"
    started = time.monotonic()
    while not path.exists():
        if time.monotonic() - started > PROBE_TIMEOUT:
            raise RuntimeError(f"the probe wrote no report within {PROBE_TIMEOUT:.0f} s")
        await asyncio.sleep(0.1)
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


def live_mb(report: dict[str, Any]) -> float | None:
    """Python's small objects plus the C heap in use, or None where the probe could not tell."""
    if report.get("pymalloc_mb") is None or "c_heap_in_use_mb" not in report:
        return None
    return float(report["pymalloc_mb"][0] + report["c_heap_in_use_mb"])


def print_report(report: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """The --diagnose lines of one probe report."""
    indent = " " * 4
    heap = []
    if "traced_mb" in report:
        change = ""
        if previous is not None and "traced_mb" in previous:
            change = f" ({report['traced_mb'] - previous['traced_mb']:+.2f})"
        heap.append(f"Python heap (traced) {report['traced_mb']:.2f} MB{change}")
    if report.get("pymalloc_mb") is not None:
        in_blocks, arenas = report["pymalloc_mb"]
        heap.append(f"small objects {in_blocks:.1f} MB in {arenas:.0f} MB of pymalloc arenas")
    if "c_heap_in_use_mb" in report:
        heap.append(
            f"C heap in use {report['c_heap_in_use_mb']:.1f} MB, free but kept "
            f"{report['c_heap_free_mb']:.1f} MB"
        )
    if report.get("sqlite_mb") is not None:
        heap.append(f"SQLite {report['sqlite_mb']:.1f} MB")
    if "thread_arenas" in report:
        arenas, resident = report["thread_arenas"]
        heap.append(
            f"{report['threads']} threads, {arenas} thread malloc arenas ({resident:.1f} MB)"
        )
    if "rss_trimmed_mb" in report:
        change = ""
        if previous is not None and "rss_trimmed_mb" in previous:
            change = f" ({report['rss_trimmed_mb'] - previous['rss_trimmed_mb']:+.1f})"
        heap.append(f"RSS after malloc_trim(0) {report['rss_trimmed_mb']:.1f} MB{change}")
    print(indent + "; ".join(heap))
    sizes: dict[str, int] = report["containers"]

    def size(name: str) -> str:
        return f"{sizes[name]:,}" if name in sizes else "?"

    def table_mb(name: str) -> str:
        return f"{sizes[name + '.bytes'] / 2**20:.1f}" if name + ".bytes" in sizes else "?"

    chats, users = (
        "ptb_chat_ids_to_be_updated_in_persistence",
        "ptb_user_ids_to_be_updated_in_persistence",
    )
    print(
        f"{indent}PTB: user_data {size('ptb_user_data')}, chat_data {size('ptb_chat_data')}, "
        f"ids marked for persistence {size(chats)} chats / {size(users)} users "
        f"(set tables {table_mb(chats)} + {table_mb(users)} MB)"
    )
    print(
        f"{indent}ours: conversation cache {size('conversation_cache')}, "
        f"flood control {size('flood_control')}, chats in progress {size('chats_in_progress')}"
    )
    for where, grown, count in report.get("top_growth", [])[:PROBE_TOP_LINES]:
        print(f"{indent}  {grown / 1024:+9.1f} KiB {count:+8,} blocks  {where}")


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
    # Extra messages of multi-message answers, then a second of quiet.
    await fake.wait_until_idle(quiet=1.0, timeout=60.0)
    return elapsed


@dataclass
class Measures:
    """One figure per point: after start, then after each phase."""

    rss: list[float] = field(default_factory=list)
    # RSS once the probe is done: lower than `rss` when it ran malloc_trim; growth starts here.
    base: list[float] = field(default_factory=list)
    live: list[float | None] = field(default_factory=list)
    rss_trimmed: list[float | None] = field(default_factory=list)


def verdict_line(name: str, bounded: bool | None, detail: str) -> None:
    shown = "n/a" if bounded is None else "yes" if bounded else "no"
    result = "" if bounded is None else "ok" if bounded else "MISSED"
    print(f"{name:38}{shown:>10}   {detail}  {result}")


def print_verdicts(measures: Measures, *, trimmed: bool, traced: bool) -> bool:
    """The live heap and the RSS verdicts (see the module docstring); True when both hold."""
    phases = len(measures.rss) - 1
    print()
    if traced:
        verdict_line("growth bounded", None, "not judged with --tracemalloc")
        return True
    if phases <= WARM_UP_PHASES:
        verdict_line("growth bounded", None, f"needs more than {WARM_UP_PHASES} phases")
        return True
    users = (phases - WARM_UP_PHASES) * USERS_PER_PHASE
    live_start, live_end = measures.live[WARM_UP_PHASES], measures.live[-1]
    live_ok: bool | None = None
    if live_start is None or live_end is None:
        verdict_line("live heap bounded", None, "the probe could not read the heap")
    else:
        grown = live_end - live_start
        live_ok = grown * 2**20 / users < LIVE_BYTES_PER_USER
        verdict_line(
            "live heap bounded",
            live_ok,
            f"{grown:+.2f} MB over the {users:,} users after the warm-up "
            f"({grown * 2**20 / users:+.0f} B a user); target < {LIVE_BYTES_PER_USER} B a user",
        )
    series: Sequence[float | None] = measures.rss_trimmed if trimmed else measures.rss
    judged = range(max(WARM_UP_PHASES, phases // 2) + 1, phases + 1)
    steps = [
        (after - before)
        for before, after in ((series[p - 1], series[p]) for p in judged)
        if before is not None and after is not None
    ]
    rss_ok = bool(steps) and all(step < RSS_GROWTH_MB for step in steps)
    verdict_line(
        "RSS growth bounded" + (" (after malloc_trim)" if trimmed else ""),
        rss_ok,
        f"phases {judged.start}-{judged.stop - 1}: "
        + ", ".join(f"{step:+.1f}" for step in steps)
        + f" MB; target each < {RSS_GROWTH_MB:.0f} MB",
    )
    bounded = rss_ok and live_ok is not False
    verdict_line("growth bounded", bounded, "both of the above")
    return bounded


async def run(
    phases: int,
    *,
    lift_limiter: bool = True,
    diagnose: bool = False,
    trace: bool = False,
) -> int:
    print_machine()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as directory:
        workdir = Path(directory)
        reports_dir = workdir / "probe"
        reports_dir.mkdir()
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
        limiter = "overall limiter off" if lift_limiter else "overall message limiter on"
        print(
            f"Bot: wallonia-bot run ({limiter}{', tracemalloc' if trace else ''}); each phase: "
            f"{USERS_PER_PHASE * QUESTIONS_PER_USER:,} messages from {USERS_PER_PHASE:,} "
            f"new users ({QUESTIONS_PER_USER} questions each)"
        )
        command = bot_command(reports_dir, trim=diagnose and not trace, trace=trace)
        database = workdir / "assistant.sqlite3"
        log_path = workdir / "stderr.log"
        measures = Measures()
        reports: list[dict[str, Any]] = []

        async def measure(process: asyncio.subprocess.Process) -> tuple[float, float]:
            rss, peak = memory_mb(process.pid)
            report = await probe_report(process.pid, reports_dir, len(reports) + 1)
            measures.rss.append(rss)
            measures.live.append(live_mb(report))
            measures.rss_trimmed.append(report.get("rss_trimmed_mb"))
            measures.base.append(
                rss if "rss_trimmed_mb" not in report else memory_mb(process.pid)[0]
            )
            reports.append(report)
            return rss, peak

        def columns() -> str:
            """VmRSS, its growth and KB a new user, the live heap and its growth."""
            rss, live = measures.rss[-1], measures.live[-1]
            text = f"{rss:>9.1f}"
            if len(measures.rss) > 1:
                grown = rss - measures.base[-2]
                text += f"{grown:>+9.1f}{grown * 1024 / USERS_PER_PHASE:>9.2f}"
            else:
                text += " " * 18
            text += f"{'' if live is None else f'{live:.1f}':>9}"
            before = measures.live[-2] if len(measures.live) > 1 else None
            text += f"{'' if live is None or before is None else f'{live - before:+.1f}':>9}"
            return text

        async with FakeBotApi() as fake:
            environment = bot_environment(fake, database)
            environment.pop("MESSAGES_PER_SECOND", None)  # the developer's own value
            if lift_limiter:
                environment["MESSAGES_PER_SECOND"] = UNLIMITED_MESSAGES_PER_SECOND
            with log_path.open("wb") as log:
                process = await start_process(command, environment, workdir, log)
                try:
                    await wait_first_poll(fake, process, log_path)
                    await asyncio.sleep(1.0)
                    rss, _peak = await measure(process)
                    print(
                        f"\n{'':34}{'VmRSS MB':>9}{'growth':>9}{'KB/user':>9}"
                        f"{'live MB':>9}{'growth':>9}"
                    )
                    start_verdict = "ok" if rss < TARGET_START_MB else "MISSED"
                    print(
                        f"{'after start (first poll + 1 s)':34}{columns()}"
                        f"   target < {TARGET_START_MB:.0f} MB  "
                        f"{'(not judged with --tracemalloc)' if trace else start_verdict}"
                    )
                    if diagnose:
                        print_report(reports[-1], None)
                    wanted: dict[int, int] = {}
                    for phase in range(phases):
                        batch = everyone[phase * USERS_PER_PHASE : (phase + 1) * USERS_PER_PHASE]
                        elapsed = await run_phase(fake, batch, wanted)
                        rss, peak = await measure(process)
                        users, unanswered = stored_rows(database)
                        label = f"after {(phase + 1) * USERS_PER_PHASE:,} users"
                        print(
                            f"{label:34}{columns()}"
                            f"   peak {peak:.1f} MB; {elapsed:.0f} s; stored: {users:,} "
                            f"conversation states, {unanswered:,} unanswered questions"
                        )
                        if diagnose:
                            print_report(reports[-1], reports[-2])
                finally:
                    await stop_process(process)
        print_verdicts(measures, trimmed=diagnose and not trace, traced=trace)
        print(f"{'total VmRSS growth, MB':38}{measures.rss[-1] - measures.rss[0]:>10.1f}")
        if fake.errors:
            print(f"Bot API rejected {len(fake.errors)} calls, first: {fake.errors[0]}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--telegram-rate",
        action="store_true",
        help="keep the bot's overall message limiter (about 6 minutes a phase)",
    )
    parser.add_argument("--phases", type=int, default=PHASES, help="phases of new users")
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="per phase: heaps, SQLite, PTB's and our containers, RSS after malloc_trim",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="with --diagnose: trace Python allocations, show the lines that grew most",
    )
    arguments = parser.parse_args(argv)
    return asyncio.run(
        run(
            max(1, arguments.phases),
            lift_limiter=not arguments.telegram_rate,
            diagnose=arguments.diagnose or arguments.tracemalloc,
            trace=arguments.tracemalloc,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
