"""User settings, unanswered questions, learned examples, and the privacy rights."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.leads.model import CompanyType, Consent, LeadStatus, NewLead
from bot.staff.notes import PendingNotes
from bot.storage.database import Database
from bot.storage.lead_store import LeadStore
from bot.storage.learned_example_store import LearnedExampleStore
from bot.storage.privacy_store import ForgetReport, PersistedState, PrivacyStore
from bot.storage.question_log_store import QuestionLogStore, QuestionOutcome
from bot.storage.unanswered_question_store import (
    QuestionNotFoundError,
    QuestionStatus,
    UnansweredQuestion,
    UnansweredQuestionStore,
)
from bot.storage.user_settings_store import UserSettingsStore
from tests.helpers import START, FakeClock
from tests.helpers import new_lead as sample_lead

ALICE = 111
BOB = 222


def new_lead(**changes: Any) -> NewLead:
    """Alice's request, without the optional fields; keyword arguments replace fields."""
    defaults: dict[str, Any] = {
        "user_id": ALICE,
        "enterprise_number": None,
        "company_type": CompanyType.MICRO,
        "phone": None,
    }
    return sample_lead(**(defaults | changes))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "assistant.sqlite3"


@pytest.fixture
async def database(db_path: Path, clock: FakeClock) -> AsyncIterator[Database]:
    async with await Database.open(db_path, clock=clock) as db:
        yield db


# -- settings -------------------------------------------------------------------------------------


async def test_language_is_remembered_and_replaced(database: Database, clock: FakeClock) -> None:
    settings = UserSettingsStore(database, clock)
    assert await settings.get_language(ALICE) is None
    await settings.set_language(ALICE, "fr")
    await settings.set_language(BOB, "en")
    await settings.set_language(ALICE, "en")
    assert await settings.get_language(ALICE) == "en"
    assert await settings.get_language(BOB) == "en"


# -- unanswered questions -------------------------------------------------------------------------


async def test_unanswered_questions_newest_first_by_status(
    database: Database, clock: FakeClock
) -> None:
    questions = UnansweredQuestionStore(database, clock)
    first = await questions.record(ALICE, "What is a cluster?", "en", 0.41, "about_clusters")
    clock.advance(timedelta(minutes=1))
    second = await questions.record(BOB, "Quel temps fait-il ?", "fr", None, None)

    assert await questions.recent(10) == [
        UnansweredQuestion(
            second, BOB, "Quel temps fait-il ?", "fr", None, None, START + timedelta(minutes=1),
            QuestionStatus.OPEN, None,
        ),
        UnansweredQuestion(
            first, ALICE, "What is a cluster?", "en", 0.41, "about_clusters", START,
            QuestionStatus.OPEN, None,
        ),
    ]  # fmt: skip
    assert [q.id for q in await questions.recent(1)] == [second]

    await questions.set_status(first, QuestionStatus.ASSIGNED, assigned_intent="about_clusters")
    await questions.set_status(second, QuestionStatus.DISMISSED)

    assert await questions.recent(10) == []
    assigned = await questions.recent(10, status=QuestionStatus.ASSIGNED)
    assert [(q.id, q.assigned_intent) for q in assigned] == [(first, "about_clusters")]
    assert [q.id for q in await questions.recent(10, status=None)] == [second, first]


async def test_question_triage_errors(database: Database) -> None:
    questions = UnansweredQuestionStore(database)
    question = await questions.record(ALICE, "?", "en", 0.1, None)
    with pytest.raises(ValueError, match="assigned_intent"):
        await questions.set_status(question, QuestionStatus.ASSIGNED)
    with pytest.raises(QuestionNotFoundError):
        await questions.set_status(question + 1, QuestionStatus.DISMISSED)


async def test_status_outside_the_workflow_is_refused_by_the_schema(database: Database) -> None:
    question = await UnansweredQuestionStore(database).record(ALICE, "?", "en", 0.1, None)
    with pytest.raises(sqlite3.IntegrityError):
        await database.execute(
            "UPDATE unanswered_questions SET status = 'lost' WHERE id = ?", (question,)
        )


# -- learned examples -----------------------------------------------------------------------------


async def test_learned_examples_are_idempotent(database: Database, clock: FakeClock) -> None:
    examples = LearnedExampleStore(database, clock)
    assert await examples.add("join", "Comment adhérer ?", "fr", created_by=7)
    assert not await examples.add("join", "Comment adhérer ?", "fr", created_by=8)
    assert not await examples.add("other", "Comment adhérer ?", "fr", created_by=8)
    assert await examples.add("join", "Comment adhérer ?", "en", created_by=None)

    stored = await examples.all()
    assert [(e.intent_id, e.text, e.language, e.created_by) for e in stored] == [
        ("join", "Comment adhérer ?", "fr", 7),
        ("join", "Comment adhérer ?", "en", None),
    ]
    assert stored[0].created_at == START


@pytest.mark.parametrize(
    "text",
    [
        "<i>x</i> & y",
        "'); DELETE FROM learned_examples; --",
        "🇧🇪 ça",
        "مرحبا بالعالم",
        "é" * 5000,
    ],
)
async def test_question_and_example_text_is_stored_exactly(database: Database, text: str) -> None:
    questions = UnansweredQuestionStore(database)
    examples = LearnedExampleStore(database)
    await questions.record(ALICE, text, "fr", 0.2, None)
    await examples.add("join", text, "fr", created_by=7)
    assert [q.text for q in await questions.recent(5)] == [text]
    assert [e.text for e in await examples.all()] == [text]


# -- privacy: export and forget -----------------------------------------------------------------


async def put_state(database: Database, user_id: int, data: object) -> None:
    """A user's conversation state as bot/storage/conversation_store.py writes it."""
    await database.execute(
        "INSERT INTO conversation_states (user_id, data, updated_at) VALUES (?, ?, ?)",
        (user_id, json.dumps(data), "2026-01-01T00:00:00.000000+00:00"),
    )


async def give_user_everything(
    database: Database, clock: FakeClock, user_id: int, company: str
) -> None:
    """Store one of every kind of data we keep about a user."""
    leads = LeadStore(database, clock)
    lead = (await leads.submit(new_lead(user_id=user_id, company_name=company), company)).lead
    await leads.set_status(lead.id, LeadStatus.CONTACTED, changed_by=7, note="called")
    await UserSettingsStore(database, clock).set_language(user_id, "fr")
    await UnansweredQuestionStore(database, clock).record(user_id, "?", "fr", 0.3, None)
    await put_state(database, user_id, {"draft": {"company": company}})
    # As a staff member, a note asked for on their own lead and not written yet.
    await PendingNotes(database, {user_id}, clock).set(user_id, user_id, lead.id)


async def test_export_holds_everything_about_the_user_and_nothing_else(
    database: Database, clock: FakeClock
) -> None:
    await give_user_everything(database, clock, ALICE, "Alice SA")
    await give_user_everything(database, clock, BOB, "Bob SRL")

    alice = await PrivacyStore(database).export_user(ALICE)

    assert alice.user_id == ALICE
    assert alice.language == "fr"
    assert [lead.company_name for lead in alice.leads] == ["Alice SA"]
    assert [(h.new_status, h.note) for h in alice.lead_history] == [
        (LeadStatus.NEW, None),
        (LeadStatus.CONTACTED, "called"),
    ]
    assert alice.consents == [Consent("2026-01", "I agree.", START)]
    assert [(q.user_id, q.text) for q in alice.unanswered_questions] == [(ALICE, "?")]
    assert alice.bot_state == [
        PersistedState("user_data", str(ALICE), {"draft": {"company": "Alice SA"}}),
        PersistedState(
            "pending_note",
            str(ALICE),
            {"lead_id": 1, "chat_id": ALICE, "since": "2026-03-02T09:00:00.000000+00:00"},
        ),
    ]
    assert not alice.is_empty
    assert (await PrivacyStore(database).export_user(999)).is_empty


async def test_forget_removes_everything_of_that_user_only(
    database: Database, clock: FakeClock, db_path: Path
) -> None:
    await give_user_everything(database, clock, ALICE, "Alice SA")
    await give_user_everything(database, clock, BOB, "Bob SRL")
    await LearnedExampleStore(database).add("join", "adhérer", "fr", created_by=7)
    privacy = PrivacyStore(database)
    bob_before = await privacy.export_user(BOB)

    report = await privacy.forget_user(ALICE)

    assert report == ForgetReport(
        user_settings=1,
        leads=1,
        lead_history=2,
        consents=1,
        unanswered_questions=1,
        conversation_states=1,
        pending_notes=1,
    )
    assert report.total == 8
    assert (await privacy.export_user(ALICE)).is_empty
    assert await privacy.export_user(BOB) == bob_before
    # Nothing with Alice's id is left anywhere, read through a separate connection.
    with sqlite3.connect(db_path) as raw:
        for table, column in [
            ("leads", "user_id"),
            ("consents", "user_id"),
            ("unanswered_questions", "user_id"),
            ("user_settings", "user_id"),
            ("pending_notes", "user_id"),
            ("conversation_states", "user_id"),
        ]:
            rows = raw.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (ALICE,))  # noqa: S608 (test)
            assert rows.fetchone() == (0,), table
        assert raw.execute("SELECT COUNT(*) FROM conversation_states").fetchone() == (1,)  # Bob's
        assert raw.execute("SELECT COUNT(*) FROM lead_history").fetchone() == (2,)  # Bob's
        assert raw.execute("SELECT COUNT(*) FROM learned_examples").fetchone() == (1,)
    raw.close()
    assert await privacy.forget_user(ALICE) == ForgetReport()


async def test_forget_is_all_or_nothing(database: Database, clock: FakeClock) -> None:
    await give_user_everything(database, clock, ALICE, "Alice SA")
    before = await PrivacyStore(database).export_user(ALICE)
    # Make the last-but-one delete fail; the earlier ones must be rolled back.
    await database.execute(
        "CREATE TEMP TRIGGER refuse BEFORE DELETE ON user_settings"
        " BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )

    with pytest.raises(sqlite3.IntegrityError, match="refused"):
        await PrivacyStore(database).forget_user(ALICE)

    assert await PrivacyStore(database).export_user(ALICE) == before


async def test_forget_also_ends_a_pending_note_kept_in_memory(
    database: Database, clock: FakeClock
) -> None:
    notes = await PendingNotes.load(database, {ALICE, BOB}, clock)
    await notes.set(ALICE, -100, 1)
    await notes.set(BOB, -100, 1)
    privacy = PrivacyStore(database, after_forget=notes.erased)
    await database.execute(
        "CREATE TEMP TRIGGER refuse BEFORE DELETE ON pending_notes"
        " BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="refused"):
        await privacy.forget_user(ALICE)
    assert notes.awaited_lead(ALICE, -100) == 1  # nothing erased, so still awaited
    await database.execute("DROP TRIGGER refuse")

    assert (await privacy.forget_user(ALICE)).pending_notes == 1

    assert notes.awaited_lead(ALICE, -100) is None
    assert notes.awaited_lead(BOB, -100) == 1
    assert len(await PendingNotes.load(database, {ALICE, BOB}, clock)) == 1


async def test_question_tally_counts_per_intent_and_outcome(
    database: Database, clock: FakeClock
) -> None:
    tally = QuestionLogStore(database, clock)
    await tally.record("history", "fr", QuestionOutcome.ANSWERED)
    await tally.record("history", "en", QuestionOutcome.ANSWERED)
    await tally.record("eligibility", "fr", QuestionOutcome.UNSURE)
    await tally.record(None, "fr", QuestionOutcome.NOT_UNDERSTOOD)
    clock.now += timedelta(days=10)
    await tally.record("help", "fr", QuestionOutcome.ANSWERED)

    week = await tally.counts(clock.now - timedelta(days=7))
    month = await tally.counts(clock.now - timedelta(days=30))

    assert week.total == 1
    assert month.total == 5
    assert month.by_intent == {"history": 2, None: 1, "eligibility": 1, "help": 1}
    assert month.by_outcome[QuestionOutcome.NOT_UNDERSTOOD] == 1
    assert month.not_understood_share == pytest.approx(0.2)
    # Nothing personal is kept: no text, no user.
    columns = [row[1] for row in await database.fetch_all("PRAGMA table_info(question_log)")]
    assert columns == ["id", "intent", "language", "outcome", "created_at"]


async def test_old_unanswered_questions_are_purged(database: Database, clock: FakeClock) -> None:
    store = UnansweredQuestionStore(database, clock)
    await store.record(ALICE, "old question", "fr", 0.1, None)
    clock.now += timedelta(days=731)
    await store.record(ALICE, "new question", "fr", 0.1, None)
    assert await store.purge_older_than(730) == 1
    assert [q.text for q in await store.recent(status=None)] == ["new question"]
