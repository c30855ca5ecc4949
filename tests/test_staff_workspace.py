"""The staff workspace core and statistics, against real SQLite files (no Telegram)."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.leads.model import Lead, LeadStatus
from bot.matching.matcher import Matcher
from bot.messages.catalogue import Catalogue
from bot.messages.reply import MAX_CALLBACK_BYTES, Reply
from bot.settings import Settings
from bot.staff.actions import (
    AskNote,
    AssignQuestion,
    LeadFilter,
    OpenLead,
    SetStatus,
    ShowPage,
    parse_action,
)
from bot.staff.learned_export import export_learned_yaml, run_learned_export_command
from bot.staff.notes import NOTE_TIMEOUT, PendingNotes
from bot.staff.stats import collect_stats, run_stats_command, stats_reply, weekly_chart_png
from bot.staff.unanswered_review import alike, group_questions
from bot.staff.workspace import NoteRequest, StaffWorkspace
from bot.storage.database import Database
from bot.storage.lead_store import LeadStore
from bot.storage.learned_example_store import LearnedExample, LearnedExampleStore
from bot.storage.unanswered_question_store import (
    QuestionStatus,
    UnansweredQuestion,
    UnansweredQuestionStore,
)
from knowledge.model import KnowledgeBase
from tests.helpers import WEDNESDAY, FakeClock, numbered_lead

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START = WEDNESDAY
STAFF = 900_001
CHAT = -100_500
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclasses.dataclass
class Stores:
    database: Database
    clock: FakeClock
    leads: LeadStore
    unanswered: UnansweredQuestionStore
    learned: LearnedExampleStore
    notes: PendingNotes
    matcher: Matcher
    workspace: StaffWorkspace


@pytest.fixture
async def stores(tmp_path: Path, knowledge: KnowledgeBase) -> AsyncIterator[Stores]:
    clock = FakeClock(START)
    async with await Database.open(tmp_path / "assistant.sqlite3", clock=clock) as database:
        leads = LeadStore(database, clock)
        unanswered = UnansweredQuestionStore(database, clock)
        learned = LearnedExampleStore(database, clock)
        notes = await PendingNotes.load(database, {STAFF}, clock)
        matcher = Matcher(knowledge)
        workspace = StaffWorkspace(
            leads=leads,
            unanswered=unanswered,
            learned=learned,
            notes=notes,
            matcher=matcher,
            knowledge=knowledge,
            catalogue=Catalogue.load(),
            clock=clock,
        )
        yield Stores(database, clock, leads, unanswered, learned, notes, matcher, workspace)


async def add_leads(stores: Stores, count: int, **changes: Any) -> list[Lead]:
    added = []
    for number in range(1, count + 1):
        result = await stores.leads.submit(numbered_lead(number, **changes), f"key-{number}")
        added.append(result.lead)
        stores.clock.now += timedelta(minutes=1)
    return added


def actions(reply: Reply) -> list[str]:
    return [button.action for row in reply.buttons for button in row]


def assert_short_actions(reply: Reply) -> None:
    for action in actions(reply):
        assert len(action.encode()) <= MAX_CALLBACK_BYTES, action


# -- actions ---------------------------------------------------------------------------------


def test_actions_are_parsed_and_forged_ones_refused(knowledge: KnowledgeBase) -> None:
    assert parse_action("sl:12", knowledge) == OpenLead(12)
    assert parse_action("ss:3:contacted", knowledge) == SetStatus(3, LeadStatus.CONTACTED)
    assert parse_action("sp:2:new:twist", knowledge) == ShowPage(
        2, LeadFilter(LeadStatus.NEW, "twist")
    )
    assert parse_action("su:7:how_to_join", knowledge) == AssignQuestion(7, "how_to_join")
    for forged in (
        "sl:",
        "sl:0",
        "sl:-1",
        "sl:1:2",
        "sl:١٢",  # Arabic-Indic digits are digits to str.isdigit
        "sl:" + "9" * 40,
        "ss:1:new",  # "new" is where a lead starts, not a target
        "ss:1:deleted",
        "sp:0:new:atlantis",
        "sp:x:-:-",
        "su:1:no_such_intent",
        "sz:1",
        "",
    ):
        assert parse_action(forged, knowledge) is None, forged


# -- lead list -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "rows_first", "pages"), [(0, 0, 1), (1, 1, 1), (10, 10, 1), (11, 10, 2)]
)
async def test_pages_at_the_edges(stores: Stores, count: int, rows_first: int, pages: int) -> None:
    await add_leads(stores, count)
    first = await stores.workspace.lead_page("en", 0)
    assert_short_actions(first)
    opened = [a for a in actions(first) if a.startswith("sl:")]
    assert len(opened) == rows_first
    assert f"page 1 of {pages}" in first.plain_text()
    assert f"Leads: {count}" in first.plain_text()
    if count == 0:
        assert "No lead matches" in first.plain_text()
    if count:
        assert opened[0] == f"sl:{count}"  # newest first
    navigation = [a for a in actions(first) if a in ("sp:1:-:-", "sp:-1:-:-")]
    assert navigation == (["sp:1:-:-"] if pages == 2 else [])
    if pages == 2:
        second = await stores.workspace.lead_page("en", 1)
        assert [a for a in actions(second) if a.startswith("sl:")] == ["sl:1"]
        assert "sp:0:-:-" in actions(second)
        assert "sp:2:-:-" not in actions(second)
        # A page past the end (the list shrank) shows the last page.
        beyond = await stores.workspace.lead_page("en", 5)
        assert beyond.plain_text() == second.plain_text()


async def test_filters_by_status_and_cluster(stores: Stores) -> None:
    leads = await add_leads(stores, 3)
    twist = await stores.leads.submit(numbered_lead(9, cluster_id="twist"), "key-twist")
    await stores.leads.set_status(leads[0].id, LeadStatus.CONTACTED, STAFF)
    contacted = await stores.workspace.lead_page("en", 0, LeadFilter(LeadStatus.CONTACTED))
    assert [a for a in actions(contacted) if a.startswith("sl:")] == [f"sl:{leads[0].id}"]
    assert "✓ contacted" in [b.label for row in contacted.buttons for b in row]
    in_twist = await stores.workspace.lead_page("fr", 0, LeadFilter(cluster_id="twist"))
    assert [a for a in actions(in_twist) if a.startswith("sl:")] == [f"sl:{twist.lead.id}"]
    assert "sp:0:new:twist" in actions(in_twist)  # filters combine
    assert_short_actions(in_twist)


# -- lead card, status, notes ----------------------------------------------------------------


async def test_status_change_and_note_are_in_the_history_and_on_the_card(stores: Stores) -> None:
    [lead] = await add_leads(stores, 1)
    card = await stores.workspace.open_lead("en", lead.id)
    assert "Lead W-000001" in card.plain_text()
    assert "request received" in card.plain_text()
    assert f"ss:{lead.id}:contacted" in actions(card)
    assert f"sn:{lead.id}" in actions(card)
    assert_short_actions(card)

    changed = await stores.workspace.set_status("en", lead.id, LeadStatus.CONTACTED, STAFF)
    assert "W-000001 is now contacted." in changed.plain_text()
    assert f"staff {STAFF}: new → contacted" in changed.plain_text()
    assert f"ss:{lead.id}:contacted" not in actions(changed)  # it already is

    request = await stores.workspace.on_action("en", STAFF, CHAT, AskNote(lead.id))
    assert isinstance(request, NoteRequest)
    assert request.lead.id == lead.id
    noted = await stores.workspace.take_note("en", STAFF, CHAT, "  Called, wants a visit  ")
    assert noted is not None
    assert "Note added to W-000001." in noted.plain_text()
    assert f"staff {STAFF}, note: Called, wants a visit" in noted.plain_text()

    history = await stores.leads.history(lead.id)
    assert [(h.new_status, h.changed_by, h.note) for h in history] == [
        (LeadStatus.NEW, None, None),
        (LeadStatus.CONTACTED, STAFF, None),
        (None, STAFF, "Called, wants a visit"),
    ]
    stored = await stores.leads.get(lead.id)
    assert stored is not None
    assert stored.status is LeadStatus.CONTACTED


async def test_unknown_leads_and_bad_notes(stores: Stores) -> None:
    [lead] = await add_leads(stores, 1)
    assert (
        "no lead W-000042" in (await stores.workspace.lead_command("en", "W-000042")).plain_text()
    )
    assert (
        "no lead nonsense" in (await stores.workspace.lead_command("en", "nonsense")).plain_text()
    )
    assert "/lead W-000123" in (await stores.workspace.lead_command("en", "")).plain_text()
    assert "Lead W-000001" in (await stores.workspace.lead_command("en", "w1")).plain_text()
    assert (
        "no lead 42"
        in (await stores.workspace.set_status("en", 42, LeadStatus.MEMBER, STAFF)).plain_text()
    )
    too_long = await stores.workspace.add_note("en", lead.id, STAFF, "x" * 1001)
    assert "at most 1000" in too_long.plain_text()
    assert len(await stores.leads.history(lead.id)) == 1
    gone = await stores.workspace.on_action("en", STAFF, CHAT, AskNote(42))
    assert not isinstance(gone, NoteRequest)
    assert "no lead 42" in gone.plain_text()
    assert stores.notes.awaited_lead(STAFF, CHAT) is None


async def test_a_note_is_taken_once_in_its_chat_and_in_time(stores: Stores) -> None:
    [lead] = await add_leads(stores, 1)
    workspace = stores.workspace
    assert await workspace.take_note("en", STAFF, CHAT, "no note asked") is None
    await workspace.ask_note("en", lead.id, STAFF, CHAT)
    assert await workspace.take_note("en", STAFF, STAFF, "in the private chat") is None
    # Empty or too long: said so, and the note is still awaited.
    for text in ("   ", "x" * 1001):
        refused = await workspace.take_note("en", STAFF, CHAT, text)
        assert refused is not None
        assert "Note added" not in refused.plain_text()
        assert stores.notes.awaited_lead(STAFF, CHAT) == lead.id
    taken = await workspace.take_note("en", STAFF, CHAT, "Called")
    assert taken is not None
    assert "Note added to W-000001." in taken.plain_text()
    assert await workspace.take_note("en", STAFF, CHAT, "Called again") is None
    assert [h.note for h in await stores.leads.history(lead.id)] == [None, "Called"]

    await workspace.ask_note("en", lead.id, STAFF, CHAT)
    stores.clock.now += NOTE_TIMEOUT + timedelta(seconds=1)
    assert await workspace.take_note("en", STAFF, CHAT, "Too late") is None
    await workspace.ask_note("en", lead.id, STAFF, CHAT)
    cancelled = await workspace.cancel_note("en", STAFF)
    assert "No note" in cancelled.plain_text()
    assert await workspace.take_note("en", STAFF, CHAT, "After cancel") is None
    assert len(await stores.leads.history(lead.id)) == 2


# -- export ----------------------------------------------------------------------------------


async def test_export_filters_and_csv(stores: Stores) -> None:
    await stores.leads.submit(
        numbered_lead(1, company_name='=HYPERLINK("http://evil")', cluster_id="twist"), "k1"
    )
    stores.clock.now += timedelta(days=40)
    await stores.leads.submit(numbered_lead(2, company_name="Éoliennes Ça Va"), "k2")
    workspace = stores.workspace
    assert workspace.parse_export_filter("") == LeadFilter()
    assert workspace.parse_export_filter("NEW twist") == LeadFilter(LeadStatus.NEW, "twist")
    assert workspace.parse_export_filter("atlantis") is None
    assert workspace.parse_export_filter("30d 30d") is None
    recent = workspace.parse_export_filter("30d")
    assert recent == LeadFilter(since=stores.clock.now - timedelta(days=30))

    everything = await workspace.export(LeadFilter())
    assert everything.count == 2
    assert everything.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(everything.data.decode("utf-8-sig"))))
    assert [row["company"] for row in rows] == ["Éoliennes Ça Va", '\'=HYPERLINK("http://evil")']
    assert recent is not None
    assert (await workspace.export(recent)).count == 1
    assert (await workspace.export(LeadFilter(cluster_id="twist"))).count == 1


# -- unanswered questions --------------------------------------------------------------------


def question(question_id: int, text: str, minutes: int = 0) -> UnansweredQuestion:
    return UnansweredQuestion(
        id=question_id,
        user_id=1,
        text=text,
        language="fr",
        best_score=0.1,
        best_intent=None,
        created_at=START + timedelta(minutes=minutes),
        status=QuestionStatus.OPEN,
        assigned_intent=None,
    )


def test_alike_questions_are_grouped() -> None:
    assert alike("Quels sont les tarifs ?", "quels sont les TARIFS")
    assert alike("quels sont les tarifs", "quels sont les tarfis")  # a typo
    assert alike("tarifs des cotisations", "cotisations tarifs des")  # word order
    assert not alike("quels sont les tarifs", "où est votre bureau")
    groups = group_questions(
        [
            question(1, "Où est votre bureau ?", 5),
            question(2, "Quels sont les tarifs ?", 4),
            question(3, "quels sont les tarifs", 3),
            question(4, "Quels sont les tarîfs ?!", 2),
        ]
    )
    assert [[q.id for q in g.questions] for g in groups] == [[2, 3, 4], [1]]


async def test_assign_teaches_the_matcher_at_once_and_is_stored(stores: Stores) -> None:
    text = "Combien coûte la cotisation annuelle chez vous ?"
    before = stores.matcher.match(text)
    assert before.intent != "funding_and_support" or not before.confident
    first = await stores.unanswered.record(1, text, "fr", 0.1, None)
    await stores.unanswered.record(
        2, "combien coute la cotisation annuelle chez vous", "fr", 0.1, None
    )
    await stores.unanswered.record(3, "Où se trouvent vos bureaux ?", "fr", 0.1, "contact_human")

    replies = await stores.workspace.unanswered("en")
    assert "Questions waiting: 3, in 2 groups" in replies[0].plain_text()
    assert "Asked 2 times" in replies[1].plain_text()
    assert f"sa:{first}" in actions(replies[1]) or any(
        a.startswith("sa:") for a in actions(replies[1])
    )
    assert any(a.startswith("su:") and a.endswith(":contact_human") for a in actions(replies[2]))
    for reply in replies:
        assert_short_actions(reply)
    picker = await stores.workspace.pick_intent("en", first)
    assert f"su:{first}:funding_and_support" in actions(picker)
    assert_short_actions(picker)

    done = await stores.workspace.assign("en", first, "funding_and_support", STAFF)
    assert "2 questions" in done.plain_text()
    after = stores.matcher.match(text)
    assert (after.intent, after.confident) == ("funding_and_support", True)
    assert [(e.intent_id, e.created_by) for e in await stores.learned.all()] == [
        ("funding_and_support", STAFF),
        ("funding_and_support", STAFF),
    ]
    assert [q.text for q in await stores.unanswered.recent()] == ["Où se trouvent vos bureaux ?"]
    # The same button pressed again: already handled, nothing learned twice.
    again = await stores.workspace.assign("en", first, "funding_and_support", STAFF)
    assert "already handled" in again.plain_text()
    assert len(await stores.learned.all()) == 2


async def test_dismiss(stores: Stores) -> None:
    question_id = await stores.unanswered.record(1, "asdf qwerty", "fr", 0.0, None)
    done = await stores.workspace.dismiss("fr", question_id)
    assert "1 question écartée." in done.plain_text()
    [dismissed] = await stores.unanswered.recent(status=QuestionStatus.DISMISSED)
    assert dismissed.id == question_id
    assert await stores.learned.all() == []
    assert "Aucune question" in (await stores.workspace.unanswered("fr"))[0].plain_text()


def test_learned_examples_export_as_pasteable_yaml() -> None:
    def example(intent: str, text: str, language: str) -> LearnedExample:
        return LearnedExample(1, intent, text, language, STAFF, START)

    text = export_learned_yaml(
        [
            example("privacy", "Vous gardez mes données ?", "fr"),
            example("eligibility", "Can a: startup join?", "en"),
            example("privacy", "Do you keep my data?", "en"),
        ]
    )
    assert yaml.safe_load(text) == {
        "eligibility": {"en": ["Can a: startup join?"]},
        "privacy": {"en": ["Do you keep my data?"], "fr": ["Vous gardez mes données ?"]},
    }
    assert "données" in text  # readable, not escaped
    assert export_learned_yaml([]).startswith("#")


# -- digest ----------------------------------------------------------------------------------


async def test_digest_lists_new_leads_and_those_waiting(stores: Stores) -> None:
    assert "No new lead" in (await stores.workspace.digest("en")).plain_text()
    old = await add_leads(stores, 2)
    await stores.leads.set_status(old[1].id, LeadStatus.CONTACTED, STAFF)
    stores.clock.now += timedelta(days=3)
    await stores.leads.submit(numbered_lead(7, company_name="Fresh SA"), "fresh")
    digest = await stores.workspace.digest("en")
    text = digest.plain_text()
    assert "New leads in the last 24 hours: 1" in text
    assert "W-000003 · Fresh SA · PLASTIWIN" in text
    assert "Still “new” after two days: 1" in text
    assert "W-000001 · Company 1" in text
    assert "Company 2" not in text  # contacted: not waiting
    assert actions(digest) == [f"sl:{old[0].id}"]


# -- statistics ------------------------------------------------------------------------------


async def test_stats_per_period(stores: Stores) -> None:
    await stores.leads.submit(numbered_lead(1, cluster_id="twist"), "k1")
    stores.clock.now += timedelta(days=20)
    leads = await add_leads(stores, 2)
    await stores.leads.set_status(leads[0].id, LeadStatus.MEMBER, STAFF)
    await stores.unanswered.record(1, "météo à Namur ?", "fr", 0.0, None)
    await stores.unanswered.record(2, "meteo a namur", "fr", 0.0, None)
    await stores.unanswered.record(3, "prix adhésion", "fr", 0.4, "how_to_join")
    week, month = await collect_stats(stores.leads, stores.unanswered, stores.clock.now)
    assert (week.days, week.leads["total"], month.leads["total"]) == (7, 2, 3)
    assert month.leads["by_cluster"] == {"plastiwin": 2, "twist": 1}
    assert week.leads["by_status"] == {LeadStatus.NEW: 1, LeadStatus.MEMBER: 1}
    assert (week.uncertain_questions, week.not_understood) == (3, 2)
    assert week.by_best_guess == {None: 2, "how_to_join": 1}
    assert week.top_unanswered[0] == ("meteo a namur", 2)
    text = stats_reply([week, month], Catalogue.load(), "en").plain_text()
    assert "Last 7 days" in text
    assert "Last 30 days" in text
    assert "not understood at all: 2 (67 %)" in text
    assert "How to join: 1" in text
    assert "2 × meteo a namur" in text


def test_weekly_chart_is_a_png() -> None:
    png = weekly_chart_png(
        [(date(2026, 2, 23), "twist", 2), (date(2026, 3, 2), "plastiwin", 1)],
        title="Leads",
        cluster_names={"twist": "TWIST"},
        weeks=12,
        today=date(2026, 3, 4),
    )
    assert png.startswith(PNG_SIGNATURE)
    assert weekly_chart_png([]).startswith(PNG_SIGNATURE)


def test_stats_command_line(tmp_path: Path) -> None:
    settings = Settings(database_path=tmp_path / "assistant.sqlite3")

    async def one_lead() -> None:
        async with await Database.open(settings.database_path) as database:
            await LeadStore(database).submit(numbered_lead(1), "k1")

    asyncio.run(one_lead())
    chart = tmp_path / "chart.png"
    output = io.StringIO()
    assert run_stats_command(settings, 30, chart, output) == 0
    assert "30 derniers jours" in output.getvalue()
    assert "Demandes : 1" in output.getvalue()
    assert chart.read_bytes().startswith(PNG_SIGNATURE)


def test_the_bot_starts_without_matplotlib() -> None:
    code = (
        "import sys, bot.app, bot.staff.stats, handlers.staff;"
        " assert 'matplotlib' not in sys.modules, 'matplotlib imported at start-up'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)


def test_learned_export_command_line(tmp_path: Path) -> None:
    settings = Settings(database_path=tmp_path / "assistant.sqlite3")

    async def teach() -> None:
        async with await Database.open(settings.database_path) as database:
            await LearnedExampleStore(database).add(
                "privacy", "Gardez-vous mes données ?", "fr", 1
            )

    asyncio.run(teach())
    output = io.StringIO()
    assert run_learned_export_command(settings, output) == 0
    assert yaml.safe_load(output.getvalue()) == {"privacy": {"fr": ["Gardez-vous mes données ?"]}}
