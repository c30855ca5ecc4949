"""The staff workspace through the real Application, the fake Bot API and real SQLite files.

The Application is `bot/app.py`'s, as in production, with the staff handlers it puts first in
group 0.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

import bot.app
from bot.settings import Settings
from bot.staff.notes import NOTE_TIMEOUT
from bot.staff.workspace import PAGE_SIZE
from bot.storage.database import Database, format_timestamp
from bot.storage.lead_store import LeadStore
from handlers.context import AssistantApplication
from handlers.staff import send_daily_digest
from knowledge.model import KnowledgeBase
from tests.fake_bot_api import FakeBotApi, SentMessage
from tests.helpers import (
    STAFF_CHAT_ID,
    STAFF_ID,
    RunningBot,
    confirm_data,
    fill_until_summary,
    numbered_lead,
    serving,
)

USER = 4242
OUTSIDER = 777
OTHER_GROUP = -100_999
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STAFF_COMMANDS = ("/leads", "/lead 1", "/lead W-000001", "/export", "/stats", "/unanswered")
STAFF_BUTTONS = (
    "sl:1",
    "ss:1:member",
    "ss:1:contacted",
    "sn:1",
    "sp:0:-:-",
    "sp:0:new:plastiwin",
    "sa:1",
    "su:1:how_to_join",
    "sd:1",
)


@pytest.fixture(autouse=True)  # before any fixture that starts the bot
def applications(monkeypatch: pytest.MonkeyPatch) -> list[AssistantApplication]:
    """Every Application the real composition root builds in the test, the latest last."""
    original = bot.app.build_application
    built: list[AssistantApplication] = []

    def build_and_record(*args: Any) -> AssistantApplication:
        application = original(*args)
        built.append(application)
        return application

    monkeypatch.setattr(bot.app, "build_application", build_and_record)
    return built


async def seed(settings: Settings, count: int, **changes: Any) -> None:
    """Store `count` leads directly (the join flow has its own tests)."""
    async with await Database.open(settings.database_path) as database:
        store = LeadStore(database)
        for number in range(1, count + 1):
            await store.submit(numbered_lead(number, **changes), f"seed-{number}")


@pytest.fixture
async def seeded(
    request: pytest.FixtureRequest, api: FakeBotApi, settings: Settings, knowledge: KnowledgeBase
) -> AsyncIterator[RunningBot]:
    """The bot, started on a database holding `request.param` leads."""
    await seed(settings, int(request.param))
    async with serving(api, settings, knowledge) as running:
        yield running


def lead_rows(running: RunningBot) -> list[tuple[int, str]]:
    with sqlite3.connect(running.settings.database_path) as database:
        return database.execute("SELECT id, status FROM leads ORDER BY id").fetchall()


def history_rows(running: RunningBot) -> list[tuple[Any, ...]]:
    with sqlite3.connect(running.settings.database_path) as database:
        return database.execute(
            "SELECT new_status, changed_by, note FROM lead_history ORDER BY id"
        ).fetchall()


def pending_note_rows(running: RunningBot) -> list[tuple[Any, ...]]:
    with sqlite3.connect(running.settings.database_path) as database:
        return database.execute("SELECT user_id, chat_id, lead_id FROM pending_notes").fetchall()


def shape(message: SentMessage) -> tuple[str, str, list[str]]:
    return message.method, message.text, message.callback_data


async def staff_press(running: RunningBot, data: str, *, count: int = 1) -> list[SentMessage]:
    """A staff member presses a button on a message in the staff chat."""
    running.api.callback_query(STAFF_ID, data, chat_id=STAFF_CHAT_ID)
    return await running.api.wait_for_messages(STAFF_CHAT_ID, count, timeout=10)


async def staff_say(running: RunningBot, text: str, *, count: int = 1) -> list[SentMessage]:
    running.api.user_message(STAFF_ID, text, chat_id=STAFF_CHAT_ID)
    return await running.api.wait_for_messages(STAFF_CHAT_ID, count, timeout=10)


# -- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("seeded", [1], indirect=True)
async def test_everything_is_refused_to_non_staff_and_nothing_changes(
    seeded: RunningBot,
) -> None:
    running = seeded
    await running.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)  # the announcement
    [unknown] = await running.ask(OUTSIDER, "/nosuchcommand")
    for command in STAFF_COMMANDS:
        [reply] = await running.ask(OUTSIDER, command)
        assert shape(reply) == shape(unknown), command
    [stale] = await running.press(OUTSIDER, "zz:1")
    for data in STAFF_BUTTONS:
        [reply] = await running.press(OUTSIDER, data)
        assert shape(reply) == shape(stale), data
    # Nor in the staff chat: a non-staff member of the group is ignored like any command
    # there, and a staff button pressed there by them gets the stale answer.
    for command in STAFF_COMMANDS:
        running.api.user_message(OUTSIDER, command, chat_id=STAFF_CHAT_ID)
    running.api.callback_query(OUTSIDER, "ss:1:member", chat_id=STAFF_CHAT_ID)
    [in_group] = await running.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert shape(in_group) == shape(stale)
    # A staff member pressing a forwarded card in another group shows it nothing either.
    running.api.callback_query(STAFF_ID, "sl:1", chat_id=OTHER_GROUP)
    [elsewhere] = await running.api.wait_for_messages(OTHER_GROUP, 1, timeout=10)
    assert shape(elsewhere) == shape(stale)
    await running.api.wait_until_idle()
    assert running.api.pending_messages(STAFF_CHAT_ID) == []
    assert running.api.pending_messages(OUTSIDER) == []
    assert not running.api.calls("sendDocument")
    assert not running.api.calls("sendPhoto")
    assert lead_rows(running) == [(1, "new")]
    assert history_rows(running) == [("new", None, None)]


# -- the list --------------------------------------------------------------------------------


@pytest.mark.parametrize("seeded", [0, 1, PAGE_SIZE, PAGE_SIZE + 1], indirect=True)
async def test_pagination_at_the_edges(seeded: RunningBot) -> None:
    running = seeded
    count = len(lead_rows(running))
    [page] = await running.ask(STAFF_ID, "/leads")
    opens = [d for d in page.callback_data if d.startswith("sl:")]
    assert len(opens) == min(count, PAGE_SIZE)
    assert opens == [f"sl:{n}" for n in range(count, max(count - PAGE_SIZE, 0), -1)]
    assert ("sp:1:-:-" in page.callback_data) == (count > PAGE_SIZE)
    assert f"Demandes : {count}" in page.text
    if count > PAGE_SIZE:
        [second] = await running.press(STAFF_ID, "sp:1:-:-")
        assert [d for d in second.callback_data if d.startswith("sl:")] == ["sl:1"]
        assert "sp:0:-:-" in second.callback_data
        assert "page 2 sur 2" in second.text
    [filtered] = await running.press(STAFF_ID, "sp:0:contacted:-")
    assert not [d for d in filtered.callback_data if d.startswith("sl:")]
    assert "Aucune demande" in filtered.text


# -- from the notification to a contacted lead with a note, then the export -------------------


async def test_notification_to_contacted_with_a_note_then_export(bot: RunningBot) -> None:
    summary = await fill_until_summary(bot, USER, company="Éoliennes Ça Va")
    await bot.press(USER, confirm_data(summary))
    [announcement] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert announcement.callback_data == ["sl:1"]

    [card] = await staff_press(bot, "sl:1")
    assert "Demande W-000001" in card.text
    assert "Éoliennes Ça Va" in card.text
    assert "ss:1:contacted" in card.callback_data
    [contacted] = await staff_press(bot, "ss:1:contacted")
    assert "W-000001 est maintenant contactée." in contacted.text
    assert f"équipe {STAFF_ID} : nouvelle → contactée" in contacted.text
    [prompt] = await staff_press(bot, "sn:1")
    assert "prochain message" in prompt.text
    assert prompt.reply_markup == {"force_reply": True}
    [noted] = await staff_say(bot, "Appelée, visite jeudi")
    assert "Note ajoutée à W-000001." in noted.text
    assert f"équipe {STAFF_ID}, note : Appelée, visite jeudi" in noted.text
    await bot.api.wait_until_idle()
    assert bot.api.pending_messages(STAFF_CHAT_ID) == []  # the dialogue did not answer it too
    assert lead_rows(bot) == [(1, "contacted")]
    assert history_rows(bot) == [
        ("new", None, None),
        ("contacted", STAFF_ID, None),
        (None, STAFF_ID, "Appelée, visite jeudi"),
    ]
    # The next message is an ordinary one again.
    [back] = await staff_say(bot, "/lead W-000001")
    assert "Appelée, visite jeudi" in back.text

    [document] = await staff_say(bot, "/export")
    assert document.method == "sendDocument"
    assert document.file is not None
    assert document.file.filename is not None
    assert document.file.filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(document.file.data.decode("utf-8-sig"))))
    assert [(row["reference"], row["status"], row["company"]) for row in rows] == [
        ("W-000001", "contacted", "Éoliennes Ça Va")
    ]
    assert rows[0]["phone"] == "'+32471123456"  # neutralised: it starts with "+"


async def test_note_in_a_private_chat_and_cancel(bot: RunningBot) -> None:
    await seed(bot.settings, 1)
    [prompt] = await bot.press(STAFF_ID, "sn:1")
    assert prompt.reply_markup is None  # no forced reply needed in a private chat
    [cancelled] = await bot.ask(STAFF_ID, "/cancel")
    assert "Aucune note" in cancelled.text
    [answer] = await bot.ask(STAFF_ID, "Qu'est-ce qu'un cluster ?")
    assert "Aucune note" not in answer.text
    assert history_rows(bot) == [("new", None, None)]


async def test_a_pending_note_survives_a_restart_but_not_its_timeout(bot: RunningBot) -> None:
    await seed(bot.settings, 1)
    [prompt] = await bot.press(STAFF_ID, "sn:1")
    assert "prochain message" in prompt.text
    await bot.restart()
    [noted] = await bot.ask(STAFF_ID, "Rappeler lundi")
    assert "Note ajoutée à W-000001." in noted.text
    await bot.api.wait_until_idle()
    assert bot.api.pending_messages(STAFF_ID) == []  # the dialogue did not answer it too
    assert history_rows(bot)[-1] == (None, STAFF_ID, "Rappeler lundi")
    assert pending_note_rows(bot) == []

    # Asked again, then left for longer than the timeout while the bot was down.
    await bot.press(STAFF_ID, "sn:1")
    assert pending_note_rows(bot) == [(STAFF_ID, STAFF_ID, 1)]
    await bot.stop()
    with sqlite3.connect(bot.settings.database_path) as database:
        too_old = datetime.now(UTC) - NOTE_TIMEOUT - NOTE_TIMEOUT / 30
        database.execute("UPDATE pending_notes SET since = ?", (format_timestamp(too_old),))
    await bot.start()
    assert pending_note_rows(bot) == []  # deleted at start-up
    [answer] = await bot.ask(STAFF_ID, "Qu'est-ce qu'un cluster ?")
    assert "Note ajoutée" not in answer.text
    assert len(history_rows(bot)) == 2


async def test_forget_ends_a_pending_note(bot: RunningBot) -> None:
    await seed(bot.settings, 1)
    await bot.press(STAFF_ID, "sn:1")
    [confirm] = await bot.ask(STAFF_ID, "/forget")
    assert "fy" in confirm.callback_data
    [done] = await bot.press(STAFF_ID, "fy")
    assert "(1 élément)" in done.text  # the pending note was all we held
    assert pending_note_rows(bot) == []
    [answer] = await bot.ask(STAFF_ID, "Qu'est-ce qu'un cluster ?")
    assert "Note ajoutée" not in answer.text
    assert history_rows(bot) == [("new", None, None)]


async def test_export_neutralises_formulas_and_keeps_accents(
    api: FakeBotApi, settings: Settings, knowledge: KnowledgeBase
) -> None:
    await seed(
        settings, 1, company_name="Société Générale d'Éoliennes", activity='=HYPERLINK("x")'
    )
    running = RunningBot(api, settings, knowledge)
    await running.start()
    try:
        [usage] = await running.ask(STAFF_ID, "/export atlantis")
        assert "Utilisation" in usage.text
        [document] = await running.ask(STAFF_ID, "/export new plastiwin 30d")
        assert document.text == "1 demande"
        assert document.file is not None
        assert document.file.data.startswith(b"\xef\xbb\xbf")
        [header, row] = list(csv.reader(io.StringIO(document.file.data.decode("utf-8-sig"))))
        assert row[header.index("company")] == "Société Générale d'Éoliennes"
        assert row[header.index("activity")] == '\'=HYPERLINK("x")'
    finally:
        await running.stop()
    api.assert_no_errors()


# -- statistics ------------------------------------------------------------------------------


@pytest.mark.parametrize("seeded", [3], indirect=True)
async def test_stats_sends_a_message_and_a_png_chart(seeded: RunningBot) -> None:
    [text, photo] = await seeded.ask(STAFF_ID, "/stats", count=2)
    assert "7 derniers jours" in text.text
    assert "Demandes : 3" in text.text
    assert "PLASTIWIN : 3" in text.text
    assert photo.method == "sendPhoto"
    assert photo.file is not None
    assert photo.file.data.startswith(PNG_SIGNATURE)


# -- unanswered questions and learning --------------------------------------------------------


async def test_assigned_question_is_answered_at_once_and_after_a_restart(
    bot: RunningBot, knowledge: KnowledgeBase
) -> None:
    # Not understood (a fee question used to be: membership_fees answers it now).
    question = "Qui met l'argent sur la table pour faire tourner tout ça ?"
    intent = knowledge.intent("funding_and_support")
    expected = intent.answer["fr"].strip().split("\n")[0][:40]
    [before] = await bot.ask(USER, question)
    assert expected not in before.text
    [summary, group] = await bot.ask(STAFF_ID, "/unanswered", count=2)
    assert "Questions en attente : 1" in summary.text
    assert question in group.text
    [picker] = await bot.press(
        STAFF_ID, next(d for d in group.callback_data if d.startswith("sa:"))
    )
    [assign] = [d for d in picker.callback_data if d.endswith(":funding_and_support")]
    [learned] = await bot.press(STAFF_ID, assign)
    assert "Appris : 1 question répond" in learned.text
    [after] = await bot.ask(USER, question)
    assert expected in after.text
    await bot.api.wait_until_idle()
    await bot.restart()
    [after_restart] = await bot.ask(USER, question)
    assert expected in after_restart.text
    [nothing] = await bot.ask(STAFF_ID, "/unanswered")
    assert "Aucune question" in nothing.text


async def test_dismissed_question_leaves_the_list(bot: RunningBot) -> None:
    await bot.ask(USER, "asdfgh qwerty zxcv")
    [_summary, group] = await bot.ask(STAFF_ID, "/unanswered", count=2)
    [dismiss] = [d for d in group.callback_data if d.startswith("sd:")]
    [done] = await bot.press(STAFF_ID, dismiss)
    assert "1 question écartée." in done.text
    [gone] = await bot.press(STAFF_ID, dismiss)
    assert "déjà été traitée" in gone.text


# -- daily digest ----------------------------------------------------------------------------


@pytest.mark.parametrize("seeded", [2], indirect=True)
async def test_daily_digest_goes_to_the_staff_chat(
    seeded: RunningBot, applications: list[AssistantApplication]
) -> None:
    await seeded.api.wait_for_messages(STAFF_CHAT_ID, 2, timeout=10)  # the announcements
    application = applications[-1]
    assert application.job_queue is not None
    assert application.job_queue.get_jobs_by_name("staff-digest")
    application.job_queue.run_once(send_daily_digest, 0)
    [digest] = await seeded.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert "Résumé du jour" in digest.text
    assert "Nouvelles demandes des dernières 24 heures : 2" in digest.text
    assert "Toujours « nouvelles » après deux jours : 0" in digest.text


async def test_a_mistyped_leads_filter_gets_the_usage(bot: RunningBot) -> None:
    [usage] = await bot.ask(STAFF_ID, "/leads nouvel plastiwn")
    assert usage.text.startswith("Utilisation : /leads")
    [page] = await bot.ask(STAFF_ID, "/leads new plastiwin")
    assert not page.text.startswith("Utilisation")
