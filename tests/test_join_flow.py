"""The join flow's rules in the core, without Telegram: idle expiry, stale buttons, errors."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.conversation.dialogue import ConversationState, Dialogue, UserRef
from bot.conversation.join_flow import Step
from bot.matching.matcher import Matcher
from bot.messages.catalogue import Catalogue
from bot.services import build_dialogue
from bot.storage.database import Database
from knowledge.model import KnowledgeBase
from tests.helpers import FakeClock

USER = UserRef(7, "fr")


async def fill_to_summary(dialogue: Dialogue, activity: str) -> ConversationState:
    """A PLASTIWIN request answered up to its summary."""
    state = ConversationState()
    await dialogue.on_command(USER, state, "join", "plastiwin")
    for text in ["ACME", "0203.201.340", activity]:
        await dialogue.on_text(USER, state, text)
    await dialogue.on_action(USER, state, "jt:sme")
    await dialogue.on_action(USER, state, "jl:wallonia")
    for text in ["Ann", "ann@acme.be", "+32 471 12 34 56"]:
        await dialogue.on_text(USER, state, text)
    await dialogue.on_action(USER, state, "jy")
    return state


def in_flow(state: ConversationState) -> bool:
    return state.join is not None


@pytest.fixture
async def parts(
    tmp_path: Path, knowledge: KnowledgeBase
) -> AsyncIterator[tuple[Dialogue, FakeClock, Database]]:
    database = await Database.open(tmp_path / "flow.sqlite3")
    clock = FakeClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    matcher = Matcher(knowledge)
    catalogue = Catalogue.load()
    dialogue = build_dialogue(knowledge, matcher, catalogue, database, clock=clock)
    try:
        yield dialogue, clock, database
    finally:
        await database.close()


async def test_idle_flow_is_discarded_with_a_note(
    parts: tuple[Dialogue, FakeClock, Database],
) -> None:
    dialogue, clock, _database = parts
    state = ConversationState()
    await dialogue.on_command(USER, state, "join", "tweed")
    await dialogue.on_text(USER, state, "Éole SA")
    assert in_flow(state)
    clock.now += timedelta(minutes=29)
    await dialogue.on_text(USER, state, "0203.201.340")
    assert in_flow(state)  # activity keeps it alive
    clock.now += timedelta(minutes=31)
    replies = await dialogue.on_text(USER, state, "Éoliennes")
    assert not in_flow(state)
    assert "30 minutes" in replies[0].plain_text()
    # The text after the expiry is handled as a normal message.
    assert len(replies) == 2


async def test_buttons_of_an_ended_flow_are_stale(
    parts: tuple[Dialogue, FakeClock, Database],
) -> None:
    dialogue, _clock, _database = parts
    state = ConversationState()
    for action in ("jt:sme", "jl:abroad", "jy", "jb", "je:email", "jok:deadbeefdeadbeef"):
        [reply] = await dialogue.on_action(USER, state, action)
        assert "plus valable" in reply.plain_text(), action


async def test_storage_failure_keeps_the_summary_and_stores_nothing(
    parts: tuple[Dialogue, FakeClock, Database], tmp_path: Path
) -> None:
    dialogue, _clock, database = parts
    state = await fill_to_summary(dialogue, "Moules")
    assert state.join is not None
    assert state.join.step is Step.SUMMARY
    key = state.join.key
    # Another process holds the write lock for longer than our busy timeout allows.
    blocker = sqlite3.connect(tmp_path / "flow.sqlite3", timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        await database.connection.execute("PRAGMA busy_timeout = 100")
        [reply] = await dialogue.on_action(USER, state, f"jok:{key}")
        assert "Réessayez" in reply.plain_text()
        assert state.join.step is Step.SUMMARY
    finally:
        blocker.rollback()
        blocker.close()
    [done] = await dialogue.on_action(USER, state, f"jok:{key}")
    assert "W-000001" in done.plain_text()
    assert state.join is None


async def test_changing_the_cluster_with_not_sure_keeps_the_activity(
    parts: tuple[Dialogue, FakeClock, Database],
) -> None:
    dialogue, _clock, _database = parts
    state = await fill_to_summary(dialogue, "Moules industriels")
    await dialogue.on_action(USER, state, "jed")
    [cluster_step] = await dialogue.on_action(USER, state, "je:cluster")
    buttons = [b.action for row in cluster_step.buttons for b in row]
    assert "jb" in buttons  # changing one answer can be abandoned without losing the rest
    await dialogue.on_action(USER, state, "jc:?")
    await dialogue.on_text(USER, state, "Nous faisons des films d'animation")
    [summary] = await dialogue.on_action(USER, state, "jc:twist")
    text = summary.plain_text()
    assert "TWIST" in text
    assert "Moules industriels" in text
    assert "films d'animation" not in text


async def test_a_number_failing_its_check_digits_is_kept_with_a_warning(
    parts: tuple[Dialogue, FakeClock, Database],
) -> None:
    dialogue, _clock, _database = parts
    state = ConversationState()
    await dialogue.on_command(USER, state, "join", "plastiwin")
    await dialogue.on_text(USER, state, "ACME")
    # A typo, or a number the user believes right: not a reason to block an optional answer.
    [warned] = await dialogue.on_text(USER, state, "BE 0203 201 341")
    assert "0203.201.341" in warned.plain_text()
    assert state.join is not None
    assert state.join.step is Step.ACTIVITY
    assert state.join.answers.enterprise_number == "0203.201.341"
    # A number of the wrong shape is still refused, and the step asked again.
    await dialogue.on_action(USER, state, "jb")
    [refused] = await dialogue.on_text(USER, state, "0203 201")
    assert "0123.456.749" in refused.plain_text()
    step_now: Step = state.join.step  # mypy narrowed it to ACTIVITY above
    assert step_now is Step.ENTERPRISE_NUMBER


@pytest.mark.parametrize(
    "hesitation", ["euh c'est un peu complique a expliquer en fait", "jsp", "hmm, hard to say"]
)
async def test_a_hesitation_at_the_activity_step_is_not_stored_as_the_activity(
    parts: tuple[Dialogue, FakeClock, Database], hesitation: str
) -> None:
    dialogue, _clock, _database = parts
    state = ConversationState()
    await dialogue.on_command(USER, state, "join", "tweed")
    await dialogue.on_text(USER, state, "Biogaz Condroz")
    await dialogue.on_action(USER, state, "js")
    hint, again = await dialogue.on_text(USER, state, hesitation)
    assert state.join is not None
    assert state.join.step is Step.ACTIVITY
    assert "activity" not in state.join.answers.to_dict()
    assert "biométhanisation" in hint.plain_text()
    assert "que fait votre entreprise" in again.plain_text()
    # The activity described next is the one kept, and the form moves on.
    await dialogue.on_text(
        USER, state, "on fait de la biomethanisation a partir de dechets agricoles"
    )
    assert (
        state.join.answers.activity
        == "on fait de la biomethanisation a partir de dechets agricoles"
    )
    step_now: Step = state.join.step  # mypy narrowed it to ACTIVITY above
    assert step_now is Step.COMPANY_TYPE


# The consent texts each CONSENT_VERSION stands for. Changing a text without a new version would
# make stored leads cite a version whose words they never saw: add the new version here instead.
# The text is hashed as written, with its placeholder ({days}, the configured retention period).
CONSENT_TEXTS = {
    "2026-11-26": "d62b743402402efa5e4a0f5e03bf50a0e36bcb2a16c61edc9149124b9a66091d",
    "2026-12-01": "8c30c39f3d85913c21f411f68826268b0b8eb60de8d005f072b9260ae6006ea4",
}


def test_the_consent_text_changes_only_with_its_version() -> None:
    import hashlib

    from bot.conversation.join_flow import CONSENT_VERSION

    catalogue = Catalogue.load()
    both = (
        catalogue.text("fr", "join.consent_text", days="{days}")
        + "\n"
        + catalogue.text("en", "join.consent_text", days="{days}")
    )
    assert CONSENT_TEXTS.get(CONSENT_VERSION) == hashlib.sha256(both.encode()).hexdigest(), (
        "join.consent_text changed: give it a new CONSENT_VERSION in join_prompts.py"
    )


async def test_what_comes_around_an_answer_in_the_form_is_read_as_such(
    parts: tuple[Dialogue, FakeClock, Database],
) -> None:
    dialogue, _clock, _database = parts
    state = ConversationState()
    await dialogue.on_command(USER, state, "join", "tweed")
    # "ok nevermind." drops the question asked before, not the request: the name follows.
    await dialogue.on_text(USER, state, "ok nevermind. GreenHabitat SRL")
    assert state.join is not None
    assert state.join.answers.company_name == "GreenHabitat SRL"
    await dialogue.on_action(USER, state, "js")
    # "pk vous demandez ca" asks why; it is no activity, however sure the matcher is of
    # something else.
    why, _again = await dialogue.on_text(USER, state, "pk vous demandez ca")
    assert "activité" in why.plain_text()
    assert "activity" not in state.join.answers.to_dict()
    await dialogue.on_text(USER, state, "pompes a chaleur")
    # An enterprise number typed where a button is expected corrects that answer.
    [noted, _type_again] = await dialogue.on_text(USER, state, "0403.170.701")
    assert "0403.170.701" in noted.plain_text()
    assert state.join.answers.enterprise_number == "0403.170.701"
    step_now: Step = state.join.step
    assert step_now is Step.COMPANY_TYPE
    # A cancel said in a whole sentence ends the request.
    await dialogue.on_text(UserRef(7, "en"), state, "stop, I don't want to continue")
    assert state.join is None
