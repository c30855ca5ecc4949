"""The join flow through the real Application and the fake Bot API, with real SQLite files."""

from __future__ import annotations

import asyncio
import sqlite3

from tests.helpers import STAFF_CHAT_ID, RunningBot, confirm_data, fill_until_summary

USER = 4242
OTHER = 4343


def leads(bot: RunningBot) -> list[tuple[str, str, str, str | None]]:
    with sqlite3.connect(bot.settings.database_path) as database:
        return database.execute(
            "SELECT reference, cluster_id, company_name, phone FROM leads ORDER BY id"
        ).fetchall()


async def test_whole_flow_in_french_stores_the_lead_and_tells_staff(bot: RunningBot) -> None:
    summary = await fill_until_summary(bot, USER, company="Plastiques <b>Dupont</b> & Fils")
    assert "Plastiques <b>Dupont</b> & Fils" in summary.text  # shown as typed, escaped
    assert "+32471123456" in summary.text
    [done] = await bot.press(USER, confirm_data(summary))
    assert "W-000001" in done.text
    assert leads(bot) == [
        ("W-000001", "plastiwin", "Plastiques <b>Dupont</b> & Fils", "+32471123456")
    ]
    [announcement] = await bot.api.wait_for_messages(STAFF_CHAT_ID, 1, timeout=10)
    assert "W-000001" in announcement.text
    assert "Plastiques <b>Dupont</b> & Fils" in announcement.text
    assert announcement.callback_data == ["sl:1"]
    with sqlite3.connect(bot.settings.database_path) as database:
        consent = database.execute("SELECT version, text FROM consents").fetchone()
    assert consent[0]
    assert "J'accepte" in consent[1]


async def test_flow_in_english_with_not_sure_recommendation(bot: RunningBot) -> None:
    [ask_cluster] = await bot.ask(OTHER, "/join", language_code="en")
    assert "jc:?" in ask_cluster.callback_data
    [describe] = await bot.press(OTHER, "jc:?", language_code="en")
    assert "Describe" in describe.text
    [suggestion] = await bot.ask(
        OTHER, "We make animated films and video games", language_code="en"
    )
    assert "TWIST" in suggestion.text
    assert suggestion.callback_data[0] == "jc:twist"
    [company] = await bot.press(OTHER, "jc:twist", language_code="en")
    assert "company's name" in company.text
    await bot.ask(OTHER, "Pixel Studio", language_code="en")
    [activity_skipped] = await bot.press(OTHER, "js", language_code="en")
    # The activity was given under "Not sure": the next question is the company type.
    assert "jt:sme" in activity_skipped.callback_data
    await bot.press(OTHER, "jt:micro", language_code="en")
    [abroad, contact] = await bot.press(OTHER, "jl:abroad", language_code="en", count=2)
    assert "set up in Wallonia" in abroad.text
    assert "contact" in contact.text
    await bot.ask(OTHER, "Sam Smith", language_code="en")
    await bot.ask(OTHER, "sam@pixel.example", language_code="en")
    await bot.press(OTHER, "js", language_code="en")
    [summary] = await bot.press(OTHER, "jy", language_code="en")
    assert "We make animated films and video games" in summary.text
    [done] = await bot.press(OTHER, confirm_data(summary), language_code="en")
    assert "registered under reference W-000001" in done.text


async def test_invalid_answers_repeat_the_step_and_keep_earlier_answers(bot: RunningBot) -> None:
    await bot.ask(USER, "/join tweed")
    [too_long] = await bot.ask(USER, "x" * 5000)
    assert "200" in too_long.text
    bot.api.user_sticker(USER)
    [sticker] = await bot.api.wait_for_messages(USER, 1, timeout=10)
    assert "texte" in sticker.text
    await bot.ask(USER, "Éoliennes & Cie")
    [bad_number] = await bot.ask(USER, "0123.456")
    assert "0123.456.749" in bad_number.text  # says what is expected
    await bot.press(USER, "js")
    await bot.ask(USER, '=HYPERLINK("http://evil","x")')
    await bot.press(USER, "jt:large")
    await bot.press(USER, "jl:belgium")
    await bot.ask(USER, "مريم 🙂")
    [bad_email] = await bot.ask(USER, "jean.example.com")
    assert "e-mail" in bad_email.text
    await bot.ask(USER, "m@example.be")
    [bad_phone] = await bot.ask(USER, "12")
    assert "+32" in bad_phone.text
    await bot.press(USER, "js")
    [summary] = await bot.press(USER, "jy")
    assert "Éoliennes & Cie" in summary.text
    assert '=HYPERLINK("http://evil","x")' in summary.text
    assert "مريم 🙂" in summary.text
    assert leads(bot) == []  # nothing stored before Confirm


async def test_edit_then_confirm(bot: RunningBot) -> None:
    summary = await fill_until_summary(bot, USER)
    [fields] = await bot.press(USER, "jed")
    assert "je:email" in fields.callback_data
    [ask_email] = await bot.press(USER, "je:email")
    assert "e-mail" in ask_email.text
    [new_summary] = await bot.ask(USER, "contact@dupont.be")
    assert "contact@dupont.be" in new_summary.text
    assert confirm_data(new_summary) == confirm_data(summary)
    await bot.press(USER, confirm_data(new_summary))
    with sqlite3.connect(bot.settings.database_path) as database:
        assert database.execute("SELECT email FROM leads").fetchall() == [("contact@dupont.be",)]


async def test_cancel_and_back(bot: RunningBot) -> None:
    await bot.ask(USER, "/join plastiwin")
    [number] = await bot.ask(USER, "ACME")
    assert "jb" in number.callback_data
    [back] = await bot.press(USER, "jb")
    assert "nom de votre entreprise" in back.text
    [cancelled] = await bot.press(USER, "jx")
    assert "annulé" in cancelled.text
    [answer] = await bot.ask(USER, "c'est quoi un cluster ?")
    assert "Source" in answer.text  # a question again, not an answer to a step
    assert leads(bot) == []


async def test_confirm_twice_and_same_company_within_a_day_make_one_lead(bot: RunningBot) -> None:
    summary = await fill_until_summary(bot, USER)
    await bot.press(USER, confirm_data(summary))
    [again] = await bot.press(USER, confirm_data(summary))
    assert "déjà enregistrée" in again.text
    assert "W-000001" in again.text
    second = await fill_until_summary(bot, USER, company="PLASTIQUES  DUPONT s.a.")
    [duplicate] = await bot.press(USER, confirm_data(second))
    assert "déjà enregistrée" in duplicate.text
    assert len(leads(bot)) == 1


async def test_no_consent_stores_nothing(bot: RunningBot) -> None:
    await fill_until_summary(bot, USER)  # goes through consent "jy" ...
    await bot.press(USER, "jx")
    await bot.ask(USER, "/join plastiwin")
    for answer in ["ACME", "0203.201.340", "Moules", "jt:sme", "jl:wallonia", "Ann", "a@b.be"]:
        if answer.startswith("j"):
            await bot.press(USER, answer)
        else:
            await bot.ask(USER, answer)
    await bot.press(USER, "js")
    [refused] = await bot.press(USER, "jn")
    assert "rien n'est enregistré" in refused.text
    # The answers are kept a little while: agree after all, review them, or cancel.
    assert {"jy", "jed", "jx"} <= set(refused.callback_data)
    assert leads(bot) == []
    await bot.press(USER, "jx")
    assert leads(bot) == []


async def test_restart_in_the_middle_keeps_the_step_and_answers(bot: RunningBot) -> None:
    await bot.ask(USER, "/join eco-construction")
    await bot.ask(USER, "Maisons Paille")
    await bot.press(USER, "js")
    await bot.api.wait_until_idle()
    await bot.restart()
    [next_step] = await bot.ask(USER, "Construction en paille")
    assert "jt:sme" in next_step.callback_data  # the company type: the step after activity
    await bot.press(USER, "jt:micro")
    await bot.press(USER, "jl:wallonia")
    await bot.ask(USER, "Ann")
    await bot.ask(USER, "ann@paille.be")
    await bot.press(USER, "js")
    [summary] = await bot.press(USER, "jy")
    assert "Maisons Paille" in summary.text
    assert "ECO-CONSTRUCTION" in summary.text


async def test_start_in_the_middle_pauses_and_stale_step_buttons_are_refused(
    bot: RunningBot,
) -> None:
    await bot.ask(USER, "/join plastiwin")
    await bot.ask(USER, "ACME")
    [welcome, paused] = await bot.ask(USER, "/start", count=2)
    assert "Bonjour" in welcome.text
    assert "jr" in paused.callback_data
    [resumed] = await bot.press(USER, "jr")
    assert "js" in resumed.callback_data  # still at the enterprise number
    [stale, again] = await bot.press(USER, "jt:sme", count=2)
    assert "étape précédente" in stale.text
    assert "js" in again.callback_data


async def test_my_data_and_forget(bot: RunningBot) -> None:
    summary = await fill_until_summary(bot, USER)
    await bot.press(USER, confirm_data(summary))
    await bot.ask(USER, "quelle est la météo à Namur demain ?")
    [mine] = await bot.ask(USER, "/mydata")
    assert "Plastiques Dupont SA" in mine.text
    assert "jeanne@dupont.be" in mine.text
    assert "météo" in mine.text
    [ask] = await bot.ask(USER, "/forget")
    assert ask.callback_data == ["fy", "fn"]
    [kept] = await bot.press(USER, "fn")
    assert "Rien" in kept.text
    assert leads(bot)
    await bot.ask(USER, "/forget")
    [done] = await bot.press(USER, "fy")
    assert "effacé" in done.text
    assert leads(bot) == []
    with sqlite3.connect(bot.settings.database_path) as database:
        for table in ("consents", "unanswered_questions", "user_settings", "lead_history"):
            assert database.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table  # noqa: S608
    [nothing] = await bot.ask(USER, "/mydata")
    assert "aucune donnée" in nothing.text


async def test_two_users_fill_the_flow_at_the_same_time(bot: RunningBot) -> None:
    import asyncio

    first, second = await asyncio.gather(
        fill_until_summary(bot, USER, company="Alpha"),
        fill_until_summary(bot, OTHER, company="Beta", language="en"),
    )
    assert "Alpha" in first.text
    assert "Beta" not in first.text
    assert "Beta" in second.text
    await asyncio.gather(
        bot.press(USER, confirm_data(first)), bot.press(OTHER, confirm_data(second))
    )
    assert sorted(row[2] for row in leads(bot)) == ["Alpha", "Beta"]


async def test_an_edited_message_is_not_taken_for_the_next_answer(bot: RunningBot) -> None:
    await bot.ask(USER, "/join plastiwin")
    [number] = await bot.ask(USER, "ACME")
    assert "js" in number.callback_data
    bot.api.push_update(
        {
            "edited_message": {
                "message_id": 9999,
                "date": 1_790_000_000,
                "edit_date": 1_790_000_010,
                "chat": {"id": USER, "type": "private"},
                "from": {"id": USER, "is_bot": False, "first_name": "Test"},
                "text": "ACME Corrected",
            }
        }
    )
    await asyncio.sleep(0.5)
    assert bot.api.pending_messages(USER) == []  # nothing answered the edit
    # Telegram is not even asked for edits.
    polls = bot.api.calls("getUpdates")
    assert polls[-1].params["allowed_updates"] == ["message", "callback_query"]
    [activity] = await bot.ask(USER, "0203.201.340")
    assert "que fait votre entreprise" in activity.text  # still the enterprise-number step
