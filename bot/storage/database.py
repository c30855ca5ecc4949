"""The one SQLite database the assistant keeps: connection set-up, migrations, transactions.

Everything the bot must remember across restarts (leads, consents, settings, questions it could
not answer, conversation state) lives in a single SQLite file opened here. This module knows
nothing of Telegram so the console, the tests and the benchmarks open the very same database.

Why these choices:

* WAL journal: readers (staff listing leads) never block the writer (a user confirming a join
  request), and a crash of the process (``kill -9``) never loses a committed transaction.
* ``synchronous=NORMAL``: in WAL mode this only risks the last transactions on a power cut,
  not on a process crash, and avoids an fsync per write.
* ``busy_timeout``: a second process (a maintenance script, a second bot instance during a
  deploy) holding the write lock makes us wait instead of failing at once.
* Autocommit connection (``isolation_level=None``): Python's sqlite3 module would otherwise open
  transactions implicitly and at surprising points; here a transaction exists only inside
  `Database.transaction()`, opened with ``BEGIN IMMEDIATE`` so it takes the write lock up front
  and cannot fail half-way with "database is locked" after reading.
* Timestamps are ISO-8601 UTC strings of fixed width (`format_timestamp`), so SQL compares
  them correctly as plain text.

Usage::

    async with await Database.open(settings.database_path) as db:
        leads = LeadStore(db)
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

logger = logging.getLogger(__name__)

MEMORY = ":memory:"

# Numbered migrations: bot/storage/migrations/NNNN_what_it_does.sql, applied in order at
# start-up, each in its own transaction and recorded in `schema_migrations`. Never edit a
# migration that has shipped: add a new file instead.
MIGRATIONS_PACKAGE = "bot.storage"
MIGRATIONS_FOLDER = "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def load_migrations(
    folder: Traversable | None = None,
) -> tuple[tuple[int, str], ...]:
    """Every migration in `folder` (the packaged one by default) as (version, script), in order.

    A file whose name does not follow `NNNN_name.sql`, or two files with one number, is an
    error: a migration silently skipped would leave the schema behind.
    """
    folder = folder or files(MIGRATIONS_PACKAGE).joinpath(MIGRATIONS_FOLDER)
    found: dict[int, str] = {}
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _MIGRATION_NAME.match(entry.name)
        if match is None:
            raise ValueError(f"migration file {entry.name!r} is not named NNNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"two migrations are numbered {version}")
        found[version] = entry.read_text(encoding="utf-8")
    return tuple(sorted(found.items()))


MIGRATIONS: tuple[tuple[int, str], ...] = load_migrations()


def utc_now() -> datetime:
    """The real clock; stores take a `clock` parameter so tests can pass a fake one."""
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """ISO-8601 in UTC with microseconds: fixed width, so text order is time order in SQL."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware datetime (UTC)")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_timestamp(text: str) -> datetime:
    """Inverse of `format_timestamp`."""
    return datetime.fromisoformat(text).astimezone(UTC)


def split_statements(script: str) -> list[str]:
    """Split a migration into statements.

    `sqlite3.Connection.executescript` would COMMIT first, breaking the one-transaction-per-
    migration rule, so statements run one by one. `sqlite3.complete_statement` knows about
    comments, string literals and trigger bodies, unlike a naive split on ';'.
    """
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if _has_code(pending):
                statements.append(pending.strip())
            pending = ""
    if _has_code(pending.rstrip(";")):
        raise ValueError("migration ends with an incomplete statement")
    return statements


def _has_code(sql: str) -> bool:
    """True when `sql` holds more than comments, whitespace and semicolons."""
    for line in sql.splitlines():
        code = line.split("--", 1)[0].strip().strip(";").strip()
        if code:
            return True
    return False


async def _enable_wal(connection: aiosqlite.Connection, give_up_after: float) -> None:
    """Switch the file to WAL, retrying while another process holds it.

    Changing the journal mode needs an exclusive lock, and SQLite reports "database is locked"
    at once, without the busy handler, when several processes open a new file together.
    """
    deadline = asyncio.get_running_loop().time() + give_up_after
    delay = 0.01
    while True:
        try:
            rows = list(await connection.execute_fetchall("PRAGMA journal_mode = WAL"))
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or asyncio.get_running_loop().time() >= deadline:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)
            continue
        mode = str(rows[0][0]).lower()
        if mode not in ("wal", "memory"):  # "memory" for ":memory:" databases
            raise RuntimeError(f"SQLite refused WAL mode (journal_mode is {mode!r})")
        return


class Database:
    """One aiosqlite connection plus the rules for using it safely from many coroutines.

    All coroutines of the bot share one connection, so a transaction must not interleave with
    another coroutine's statements: an `asyncio.Lock` serialises `transaction()` and the
    single-statement helpers (`execute`, `fetch_all`, `fetch_one`). Inside a transaction, use
    the connection it yields; calling the helpers there would wait on the lock forever, so it
    raises instead.
    """

    def __init__(
        self,
        connection: aiosqlite.Connection,
        path: str,
        clock: Callable[[], datetime],
    ) -> None:
        """Use `Database.open`; this only wires an already opened connection."""
        self._connection: aiosqlite.Connection | None = connection
        self._lock = asyncio.Lock()
        self._transaction_task: asyncio.Task[Any] | None = None
        self.path = path
        self.clock = clock

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        clock: Callable[[], datetime] = utc_now,
        busy_timeout_ms: int = 5000,
    ) -> Database:
        """Open (creating if needed) the database at `path` and bring its schema up to date.

        `":memory:"` gives a private in-memory database for quick tests.
        """
        location = str(path)
        if location != MEMORY:
            Path(location).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(location, isolation_level=None)
        try:
            connection.row_factory = sqlite3.Row
            # busy_timeout first: switching to WAL needs a lock another process may hold.
            await connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            await _enable_wal(connection, busy_timeout_ms / 1000)
            await connection.execute("PRAGMA synchronous = NORMAL")
            await connection.execute("PRAGMA foreign_keys = ON")
            database = cls(connection, location, clock)
            await database._migrate()
        except BaseException:
            await connection.close()
            raise
        return database

    async def close(self) -> None:
        """Close the connection; safe to call twice."""
        if self._connection is None:
            return
        connection, self._connection = self._connection, None
        async with self._lock:
            await connection.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def connection(self) -> aiosqlite.Connection:
        """The raw connection, for what the helpers below do not cover."""
        if self._connection is None:
            raise RuntimeError("the database is closed")
        return self._connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` if the block raises.

        IMMEDIATE takes the write lock at the start (waiting up to busy_timeout for another
        process), so reads made inside the block stay valid until it commits.
        """
        connection = self.connection
        async with self._lock:
            try:
                await connection.execute("BEGIN IMMEDIATE")
            except BaseException:
                # If we were cancelled while BEGIN was waiting for the lock, it still runs on
                # aiosqlite's thread; the rollback is queued after it and undoes it.
                await asyncio.shield(connection.rollback())
                raise
            self._transaction_task = asyncio.current_task()
            try:
                yield connection
                await connection.execute("COMMIT")
            except BaseException:
                # sqlite3's rollback() is a no-op when SQLite already ended the transaction.
                await asyncio.shield(connection.rollback())
                raise
            finally:
                self._transaction_task = None

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run one statement in its own (autocommit) transaction; return the rows changed."""
        connection = self._outside_transaction()
        async with self._lock:
            # One trip to aiosqlite's thread instead of two (execute, then close the cursor):
            # the hand-off costs more than a small INSERT. The rows changed are read from the
            # connection's running total, which only this statement moves while we hold the
            # lock (the schema has no triggers, which would count too).
            before = connection.total_changes
            await connection.execute_fetchall(sql, parameters)
            return connection.total_changes - before

    async def fetch_all(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run one query and return every row."""
        connection = self._outside_transaction()
        async with self._lock:
            return list(await connection.execute_fetchall(sql, parameters))

    async def fetch_one(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Row | None:
        """Run one query and return its first row, or None."""
        rows = await self.fetch_all(sql, parameters)
        return rows[0] if rows else None

    async def applied_migrations(self) -> list[tuple[int, datetime]]:
        """The migrations this database has recorded, oldest first."""
        rows = await self.fetch_all(
            "SELECT version, applied_at FROM schema_migrations ORDER BY version"
        )
        return [(int(row["version"]), parse_timestamp(row["applied_at"])) for row in rows]

    def _outside_transaction(self) -> aiosqlite.Connection:
        current = asyncio.current_task()
        if current is not None and current is self._transaction_task:
            raise RuntimeError(
                "inside Database.transaction(): use the connection it yields, not the helpers"
            )
        return self.connection

    async def _migrate(self, migrations: Iterable[tuple[int, str]] = MIGRATIONS) -> None:
        """Apply every migration not yet recorded, each in its own transaction.

        The check and the migration run in one BEGIN IMMEDIATE transaction: when two processes
        start at once, the second waits for the first's lock, then sees the version recorded
        and skips it.
        """
        async with self.transaction() as connection:
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY,"
                " applied_at TEXT NOT NULL)"
            )
        for version, script in sorted(migrations):
            async with self.transaction() as connection:
                already = await connection.execute_fetchall(
                    "SELECT 1 FROM schema_migrations WHERE version = ?", (version,)
                )
                if list(already):
                    continue
                for statement in split_statements(script):
                    await connection.execute(statement)
                await connection.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    (version, format_timestamp(self.clock())),
                )
            logger.info("Applied database migration %d", version)
