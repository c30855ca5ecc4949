"""After the request, through Telegram: a user sees their own requests only, and a correction
lands in the lead's history and in the staff chat."""

from __future__ import annotations

import sqlite3

from tests.helpers import STAFF_CHAT_ID, RunningBot, confirm_data, fill_until_summary

USER = 5151
OTHER = 5252


async def _file_a_request(bot: RunningBot) -> None:
    summary = await fill_until_summary(bot, USER)
    [done] = await bot.press(USER, confirm_data(summary))
    assert "W-000001" in done.text
    await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)  # the new-lead announcement


async def test_status_shows_the_users_own_request_only(bot: RunningBot) -> None:
    await _file_a_request(bot)
    [status] = await bot.ask(USER, "où en est ma demande W-000001 ?")
    assert "W-000001" in status.text
    assert "PLASTIWIN" in status.text
    assert "rc:W-000001" in status.callback_data
    [stranger] = await bot.ask(OTHER, "status of my request W-000001?", language_code="en")
    assert "PLASTIWIN" not in stranger.text
    assert "I don't find" in stranger.text


async def test_a_correction_is_stored_in_the_history_and_told_to_staff(bot: RunningBot) -> None:
    await _file_a_request(bot)
    [ask] = await bot.ask(USER, "je me suis trompée de numéro, je peux modifier ma demande ?")
    assert "Que faut-il corriger dans W-000001" in ask.text
    [thanks] = await bot.ask(USER, "Le bon numéro est <b>+32 81 23 45 68</b>")
    assert "W-000001" in thanks.text
    [told] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert "W-000001" in told.text
    assert "Le bon numéro est <b>+32 81 23 45 68</b>" in told.text  # escaped, shown as typed
    assert told.callback_data == ["sl:1"]
    with sqlite3.connect(bot.settings.database_path) as database:
        notes = [row[0] for row in database.execute("SELECT note FROM lead_history")]
    assert any("+32 81 23 45 68" in (note or "") for note in notes)
