"""Database set-up and LeadStore, against real SQLite files under tmp_path."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.leads.model import Consent, LeadStatus, StatusChange
from bot.leads.validation import company_key
from bot.storage.database import MIGRATIONS, Database, split_statements
from bot.storage.lead_store import LeadNotFoundError, LeadStore, parse_reference
from tests.helpers import START, FakeClock, new_lead

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "assistant.sqlite3"


@pytest.fixture
async def database(db_path: Path, clock: FakeClock) -> AsyncIterator[Database]:
    async with await Database.open(db_path, clock=clock) as db:
        yield db


@pytest.fixture
def store(database: Database, clock: FakeClock) -> LeadStore:
    return LeadStore(database, clock)


async def count_rows(database: Database, table: str) -> int:
    row = await database.fetch_one(f"SELECT COUNT(*) AS n FROM {table}")  # noqa: S608 (test)
    assert row is not None
    return int(row["n"])


# -- Database -----------------------------------------------------------------------------------


async def test_open_creates_directory_and_applies_each_migration_once(
    db_path: Path, clock: FakeClock
) -> None:
    async with await Database.open(db_path, clock=clock) as db:
        first = await db.applied_migrations()
    assert await asyncio.to_thread(db_path.exists)
    assert first == [(version, START) for version, _ in MIGRATIONS]

    clock.advance(timedelta(days=1))
    async with await Database.open(db_path, clock=clock) as db:
        assert await db.applied_migrations() == first
        tables = await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")
    assert {row["name"] for row in tables} >= {
        "schema_migrations",
        "user_settings",
        "unanswered_questions",
        "consents",
        "leads",
        "lead_history",
        "learned_examples",
        "conversation_states",
    }


async def test_migration_versions_are_unique_and_ascending() -> None:
    versions = [version for version, _ in MIGRATIONS]
    assert versions == sorted(set(versions))
    assert versions[0] == 1


async def test_processes_starting_at_once_apply_migrations_once(db_path: Path) -> None:
    script = (
        "import asyncio, sys\n"
        "from bot.storage.database import Database\n"
        "async def main():\n"
        "    db = await Database.open(sys.argv[1])\n"
        "    await db.close()\n"
        "asyncio.run(main())\n"
    )
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, str(db_path), cwd=PROJECT_ROOT
        )
        for _ in range(4)
    ]
    codes = [await process.wait() for process in processes]
    assert codes == [0, 0, 0, 0]
    async with await Database.open(db_path) as db:
        assert [v for v, _ in await db.applied_migrations()] == [v for v, _ in MIGRATIONS]


async def test_connections_opening_concurrently_apply_migrations_once(db_path: Path) -> None:
    databases = await asyncio.gather(*(Database.open(db_path) for _ in range(5)))
    try:
        assert await count_rows(databases[0], "schema_migrations") == len(MIGRATIONS)
    finally:
        for db in databases:
            await db.close()


async def test_pragmas_are_set(database: Database, db_path: Path) -> None:
    async def pragma(name: str) -> Any:
        row = await database.fetch_one(f"PRAGMA {name}")
        assert row is not None
        return row[0]

    assert await pragma("journal_mode") == "wal"
    assert await pragma("foreign_keys") == 1
    assert await pragma("busy_timeout") == 5000
    assert await pragma("synchronous") == 1  # NORMAL
    # WAL is a property of the file: another process sees it too.
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


async def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await database.execute(
            "INSERT INTO lead_history (lead_id, new_status, changed_at) VALUES (999, 'new', 'x')"
        )


async def test_memory_database_works(clock: FakeClock) -> None:
    async with await Database.open(":memory:", clock=clock) as db:
        result = await LeadStore(db, clock).submit(new_lead(), "k1")
        assert result.lead.reference == "W-000001"
        assert not await asyncio.to_thread(Path(":memory:").exists)


async def test_transaction_rolls_back_when_the_block_raises(database: Database) -> None:
    async def insert_then_fail() -> None:
        async with database.transaction() as connection:
            await connection.execute(
                "INSERT INTO user_settings (user_id, language, updated_at) VALUES (1, 'fr', 'x')"
            )
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        await insert_then_fail()
    assert await count_rows(database, "user_settings") == 0
    assert not database.connection.in_transaction


async def test_execute_returns_the_rows_its_statement_changed(database: Database) -> None:
    insert = "INSERT INTO user_settings (user_id, language, updated_at) VALUES (?, 'fr', 'x')"
    assert [await database.execute(insert, (user,)) for user in (1, 2, 3)] == [1, 1, 1]
    upsert = (
        "INSERT INTO user_settings (user_id, language, updated_at) VALUES (1, 'en', 'y')"
        " ON CONFLICT (user_id) DO UPDATE SET language = excluded.language"
    )
    assert await database.execute(upsert) == 1
    assert await database.execute("UPDATE user_settings SET language = 'en'") == 3
    assert await database.execute("DELETE FROM user_settings WHERE user_id = 99") == 0
    assert await database.execute("DELETE FROM user_settings WHERE user_id >= 2") == 2
    assert await count_rows(database, "user_settings") == 1


async def test_helpers_inside_a_transaction_raise_instead_of_deadlocking(
    database: Database,
) -> None:
    async with database.transaction():
        with pytest.raises(RuntimeError, match="transaction"):
            await database.fetch_all("SELECT 1")


async def test_closed_database_refuses_queries(db_path: Path) -> None:
    db = await Database.open(db_path)
    await db.close()
    await db.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        await db.fetch_all("SELECT 1")


def test_split_statements_respects_comments_and_strings() -> None:
    script = """
        -- a comment; with a semicolon
        CREATE TABLE t (x TEXT DEFAULT 'a;b');
        CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = 'c'; END;
        -- trailing comment
    """
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[0].endswith("DEFAULT 'a;b');")
    assert statements[1].startswith("CREATE TRIGGER")
    assert statements[1].endswith("END;")


def test_naive_datetimes_are_refused() -> None:
    from bot.storage.database import format_timestamp

    with pytest.raises(ValueError, match="naive"):
        format_timestamp(datetime(2026, 1, 1))


def test_core_modules_do_not_import_telegram() -> None:
    code = (
        "import sys, bot.storage.database, bot.storage.lead_store, bot.storage.privacy_store\n"
        "bad = sorted(m for m in sys.modules if m == 'telegram' or m.startswith('telegram.'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=True)


# -- submit ---------------------------------------------------------------------------------------


async def test_submit_stores_a_lead_with_reference_and_history(
    store: LeadStore, database: Database
) -> None:
    result = await store.submit(new_lead(), "confirm-1")

    assert result.created
    assert result.reason == "new"
    lead = result.lead
    assert lead.reference == "W-000001"
    assert lead.status is LeadStatus.NEW
    assert lead.company_name == "Acme Solar"
    assert lead.consent_version == "2026-01"
    assert lead.consent_given_at == START
    assert lead.created_at == lead.updated_at == START
    assert await store.get(lead.id) == lead
    assert await store.history(lead.id) == [
        StatusChange(lead.id, None, LeadStatus.NEW, None, None, START)
    ]
    assert await count_rows(database, "consents") == 1


async def test_submit_is_committed_before_returning(store: LeadStore, db_path: Path) -> None:
    await store.submit(new_lead(), "confirm-1")
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT reference FROM leads").fetchall() == [("W-000001",)]
    raw.close()


async def test_same_submission_key_twice_stores_one_lead(
    store: LeadStore, clock: FakeClock
) -> None:
    first = await store.submit(new_lead(), "confirm-1")
    clock.advance(timedelta(days=3))  # outside the 24 h window: only the key matches
    second = await store.submit(new_lead(company_name="Other"), "confirm-1")

    assert not second.created
    assert second.reason == "same_submission"
    assert second.lead == first.lead
    assert await store.count() == 1


@pytest.mark.parametrize(
    "again", ["Acme Solar", "ACME SOLAR", "  acme   solar ", "Acmé Sôlar", "acme\tsolar"]
)
async def test_same_company_and_cluster_within_24h_is_a_duplicate(
    store: LeadStore, clock: FakeClock, again: str
) -> None:
    first = await store.submit(new_lead(company_name="Acme Solar"), "confirm-1")
    clock.advance(timedelta(hours=23, minutes=59))
    second = await store.submit(new_lead(company_name=again), "confirm-2")

    assert (second.created, second.reason) == (False, "duplicate_within_24h")
    assert second.lead == first.lead
    assert await store.count() == 1


async def test_same_company_from_another_person_is_stored(store: LeadStore) -> None:
    first = await store.submit(new_lead(company_name="Acme Solar"), "confirm-1")
    colleague = await store.submit(new_lead(company_name="ACME SOLAR", user_id=2002), "confirm-2")

    assert colleague.created
    assert colleague.lead.reference != first.lead.reference
    assert await store.count() == 2


async def test_same_company_after_24h_or_other_cluster_is_a_new_lead(
    store: LeadStore, clock: FakeClock
) -> None:
    await store.submit(new_lead(), "confirm-1")
    other_cluster = await store.submit(new_lead(cluster_id="biowin"), "confirm-2")
    clock.advance(timedelta(hours=24))
    later = await store.submit(new_lead(), "confirm-3")

    assert other_cluster.created
    assert later.created
    assert later.lead.reference == "W-000003"
    assert await store.count() == 3


def test_company_key_normalises_case_accents_and_spaces() -> None:
    assert company_key("  Société\u00a0 GÉNÉRALE\n") == "societe generale"
    assert company_key("Straße") == company_key("STRASSE")
    assert company_key("Acme") != company_key("Acme 2")


async def test_get_by_reference_accepts_what_people_type(store: LeadStore) -> None:
    lead = (await store.submit(new_lead(), "confirm-1")).lead
    for typed in ["W-000001", "w-000001", "w-1", "w1", "1", " W-1 "]:
        assert await store.get_by_reference(typed) == lead, typed
    for typed in ["W-000002", "", "x1", "W--1", "0", "1; DROP TABLE leads"]:
        assert await store.get_by_reference(typed) is None, typed


def test_parse_reference() -> None:
    assert parse_reference("W-000123") == 123
    assert parse_reference("123") == 123
    assert parse_reference("w123") == 123
    assert parse_reference("W-") is None


# -- the follow-up workflow -----------------------------------------------------------------------


async def test_status_changes_and_notes_are_recorded_in_order(
    store: LeadStore, clock: FakeClock
) -> None:
    lead = (await store.submit(new_lead(), "confirm-1")).lead
    clock.advance(timedelta(hours=1))
    contacted = await store.set_status(lead.id, LeadStatus.CONTACTED, changed_by=7, note="called")
    clock.advance(timedelta(hours=1))
    note = await store.add_note(lead.id, "wants a visit", changed_by=8)
    clock.advance(timedelta(hours=1))
    await store.set_status(lead.id, LeadStatus.QUALIFIED, changed_by=7)

    assert contacted.status is LeadStatus.CONTACTED
    assert contacted.updated_at == START + timedelta(hours=1)
    assert note == StatusChange(
        lead.id, None, None, 8, "wants a visit", START + timedelta(hours=2)
    )
    history = await store.history(lead.id)
    assert [(h.old_status, h.new_status, h.changed_by, h.note) for h in history] == [
        (None, LeadStatus.NEW, None, None),
        (LeadStatus.NEW, LeadStatus.CONTACTED, 7, "called"),
        (None, None, 8, "wants a visit"),
        (LeadStatus.CONTACTED, LeadStatus.QUALIFIED, 7, None),
    ]
    current = await store.get(lead.id)
    assert current is not None
    assert current.status is LeadStatus.QUALIFIED
    assert current.updated_at == START + timedelta(hours=3)


async def test_unknown_lead_raises_not_found(store: LeadStore) -> None:
    with pytest.raises(LeadNotFoundError):
        await store.set_status(42, LeadStatus.CONTACTED, changed_by=7)
    with pytest.raises(LeadNotFoundError):
        await store.add_note(42, "x", changed_by=7)
    with pytest.raises(LeadNotFoundError):
        await store.mark_notified(42)
    assert await store.get(42) is None
    assert await store.history(42) == []


async def test_unnotified_until_marked(store: LeadStore, clock: FakeClock) -> None:
    first = (await store.submit(new_lead(company_name="A"), "k1")).lead
    clock.advance(timedelta(minutes=1))
    second = (await store.submit(new_lead(company_name="B"), "k2")).lead

    assert await store.unnotified(10) == [first, second]  # oldest first
    assert await store.unnotified(1) == [first]
    await store.mark_notified(first.id)
    await store.mark_notified(first.id)  # idempotent
    assert await store.unnotified(10) == [second]


# -- listing --------------------------------------------------------------------------------------


async def submit_many(store: LeadStore, clock: FakeClock, count: int, **changes: Any) -> list[int]:
    """Submit `count` distinct leads a minute apart; return their ids in creation order."""
    ids = []
    for index in range(count):
        result = await store.submit(
            new_lead(company_name=f"Company {index}", **changes), f"key-{clock().isoformat()}"
        )
        ids.append(result.lead.id)
        clock.advance(timedelta(minutes=1))
    return ids


@pytest.mark.parametrize("total", [0, 1, 10, 11])
async def test_list_pages_newest_first(store: LeadStore, clock: FakeClock, total: int) -> None:
    ids = await submit_many(store, clock, total)
    newest_first = ids[::-1]

    assert await store.count() == total
    assert [lead.id for lead in await store.list()] == newest_first[:10]
    assert [lead.id for lead in await store.list(offset=10)] == newest_first[10:20]
    assert [lead.id for lead in await store.list(limit=1, offset=max(total - 1, 0))] == (
        newest_first[-1:]
    )
    assert await store.list(offset=total) == []
    assert await store.list(limit=0) == []


async def test_list_rejects_negative_paging(store: LeadStore) -> None:
    with pytest.raises(ValueError, match="negative"):
        await store.list(offset=-1)


async def test_list_and_count_filters(store: LeadStore, clock: FakeClock) -> None:
    greenwin = await submit_many(store, clock, 3)  # START, +1 min, +2 min
    biowin = await submit_many(store, clock, 2, cluster_id="biowin")  # +3 min, +4 min
    await store.set_status(greenwin[0], LeadStatus.REJECTED, changed_by=7)

    async def ids(**filters: Any) -> list[int]:
        leads = await store.list(**filters)
        assert await store.count(**filters) == len(leads)
        return [lead.id for lead in leads]

    assert await ids(cluster_id="biowin") == biowin[::-1]
    assert await ids(status=LeadStatus.REJECTED) == [greenwin[0]]
    assert await ids(status=LeadStatus.NEW, cluster_id="greenwin") == greenwin[:0:-1]
    # since inclusive, until exclusive
    window = {"since": START + timedelta(minutes=1), "until": START + timedelta(minutes=3)}
    assert await ids(**window) == [greenwin[2], greenwin[1]]
    assert await ids(cluster_id="nope") == []


async def test_for_user_returns_only_that_users_leads(store: LeadStore, clock: FakeClock) -> None:
    mine = await submit_many(store, clock, 2, user_id=1)
    await submit_many(store, clock, 1, user_id=2)
    assert [lead.id for lead in await store.for_user(1)] == mine[::-1]
    assert await store.for_user(3) == []


async def test_stats_and_weekly_counts(store: LeadStore, clock: FakeClock) -> None:
    await submit_many(store, clock, 2)  # week of Monday 2 March
    clock.advance(timedelta(days=7))
    ids = await submit_many(store, clock, 1, cluster_id="biowin")  # week of 9 March
    await submit_many(store, clock, 1)
    await store.set_status(ids[0], LeadStatus.CONTACTED, changed_by=7)

    stats = await store.stats(since=START)
    assert stats == {
        "total": 4,
        "by_cluster": {"biowin": 1, "greenwin": 3},
        "by_status": {LeadStatus.CONTACTED: 1, LeadStatus.NEW: 3},
    }
    assert (await store.stats(since=START + timedelta(days=7)))["total"] == 2
    assert await store.weekly_counts(since=START) == [
        (date(2026, 3, 2), "greenwin", 2),
        (date(2026, 3, 9), "biowin", 1),
        (date(2026, 3, 9), "greenwin", 1),
    ]


async def test_weekly_counts_put_sunday_in_the_week_that_began_on_monday(
    store: LeadStore, clock: FakeClock
) -> None:
    clock.advance(timedelta(days=6, hours=14))  # Sunday 8 March, 23:00 UTC
    await store.submit(new_lead(), "k1")
    assert await store.weekly_counts(since=START) == [(date(2026, 3, 2), "greenwin", 1)]


# -- retention ------------------------------------------------------------------------------------


async def test_purge_deletes_old_leads_with_history_and_consents(
    store: LeadStore, database: Database, clock: FakeClock
) -> None:
    old = (await store.submit(new_lead(company_name="Old"), "k-old")).lead
    await store.add_note(old.id, "old note", changed_by=7)
    clock.advance(timedelta(days=20))
    recent = (await store.submit(new_lead(company_name="Recent"), "k-recent")).lead
    clock.advance(timedelta(days=15))  # old is 35 days old, recent 15

    assert await store.purge_older_than(30) == 1
    assert await store.get(old.id) is None
    assert await store.history(old.id) == []
    assert await store.get(recent.id) == recent
    assert await count_rows(database, "consents") == 1
    assert await count_rows(database, "lead_history") == 1
    assert await store.purge_older_than(30) == 0


# -- exact storage ------------------------------------------------------------------------------

AWKWARD_TEXTS = [
    "<b>Acme</b> &amp; <script>alert('x')</script>",
    "Robert'); DROP TABLE leads;--",
    "Énergie 🚀👩🏽‍💻 « verte »",
    "شركة الطاقة \u200f עברית",
    "  leading and trailing spaces\nand a second line\t",
    ("Ça 😀 ב " * 1000)[:5000],
]


@pytest.mark.parametrize("text", AWKWARD_TEXTS)
async def test_text_is_stored_exactly_as_given(
    store: LeadStore, db_path: Path, clock: FakeClock, text: str
) -> None:
    lead = (
        await store.submit(
            new_lead(
                company_name=text,
                activity=text,
                contact_name=text,
                consent=Consent(version="v1", text=text, given_at=START),
            ),
            text,
        )
    ).lead
    await store.add_note(lead.id, text, changed_by=7)

    # Read back through a new connection, so nothing comes from a cache.
    async with await Database.open(db_path, clock=clock) as other:
        again = await LeadStore(other, clock).get(lead.id)
        history = await LeadStore(other, clock).history(lead.id)
    assert again is not None
    assert (again.company_name, again.activity, again.contact_name) == (text, text, text)
    assert history[-1].note == text
    assert len(again.activity) == len(text)


# -- another process holding the write lock -------------------------------------------------------


@pytest.fixture
def lock_holder(db_path: Path) -> Iterator[tuple[threading.Event, threading.Thread]]:
    """A thread with its own sqlite3 connection that holds BEGIN IMMEDIATE for ~1 s."""
    held = threading.Event()

    def hold() -> None:
        raw = sqlite3.connect(db_path, isolation_level=None)
        try:
            raw.execute("BEGIN IMMEDIATE")
            held.set()
            time.sleep(1.0)
            raw.execute("COMMIT")
        finally:
            raw.close()

    thread = threading.Thread(target=hold)
    yield held, thread
    thread.join()


async def test_submit_waits_for_another_writer_and_succeeds(
    store: LeadStore, lock_holder: tuple[threading.Event, threading.Thread]
) -> None:
    held, thread = lock_holder
    thread.start()
    assert await asyncio.to_thread(held.wait, 5)

    started = time.monotonic()
    result = await store.submit(new_lead(), "confirm-1")
    waited = time.monotonic() - started

    assert waited > 0.5  # it really had to wait for the lock
    assert result.created
    assert await store.count() == 1


async def test_lock_held_beyond_busy_timeout_fails_cleanly(
    db_path: Path, clock: FakeClock, lock_holder: tuple[threading.Event, threading.Thread]
) -> None:
    async with await Database.open(db_path, clock=clock, busy_timeout_ms=100) as db:
        store = LeadStore(db, clock)
        held, thread = lock_holder
        thread.start()
        assert await asyncio.to_thread(held.wait, 5)

        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await store.submit(new_lead(), "confirm-1")

        await asyncio.to_thread(thread.join)
        assert not db.connection.in_transaction
        assert (await store.submit(new_lead(), "confirm-1")).created


async def test_cancelled_while_waiting_for_the_lock_leaves_no_transaction_open(
    store: LeadStore,
    database: Database,
    lock_holder: tuple[threading.Event, threading.Thread],
) -> None:
    held, thread = lock_holder
    thread.start()
    assert await asyncio.to_thread(held.wait, 5)

    waiting = asyncio.create_task(store.submit(new_lead(), "confirm-1"))
    await asyncio.sleep(0.2)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting

    await asyncio.to_thread(thread.join)
    result = await store.submit(new_lead(), "confirm-2")
    assert result.created
    assert await store.count() == 1
    assert not database.connection.in_transaction
