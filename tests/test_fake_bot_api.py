"""Tests of the fake Bot API itself, driven through a real ``telegram.Bot``.

Why: every bot test trusts this fake to reject what Telegram rejects and to answer what PTB
expects; if the fake drifted (too lenient, or returning shapes PTB cannot parse) the whole
suite would give false confidence. So these tests go through PTB's real HTTP stack.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from tests.fake_bot_api import FakeBotApi, parse_html, utf16_len

CHAT = 42


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    # A short read timeout keeps the stall test fast; getUpdates adds its own timeout to it.
    request = HTTPXRequest(read_timeout=2.0)
    async with Bot(
        api.token, base_url=api.base_url, base_file_url=api.base_file_url, request=request
    ) as client:
        yield client


async def test_get_me(bot: Bot, api: FakeBotApi) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == "wallonia_test_bot"
    assert bot.username == "wallonia_test_bot"  # set by Bot.initialize()
    assert api.calls("getMe")
    api.assert_no_errors()


async def test_send_message_with_valid_html(bot: Bot, api: FakeBotApi) -> None:
    first = await bot.send_message(
        CHAT,
        '<b>Bonjour</b> &amp; <i>bienvenue</i> <a href="https://example.be?a=1&amp;b=2">lien</a>'
        ' <span class="tg-spoiler">x</span> <pre><code class="language-py">1 &lt; 2</code></pre>'
        " <blockquote expandable>q</blockquote> &#128512;",
        parse_mode=ParseMode.HTML,
    )
    second = await bot.send_message(CHAT, "deux")
    assert (first.message_id, second.message_id) == (1, 2)
    assert first.text is not None
    assert first.text.startswith("Bonjour & bienvenue lien")
    sent = api.sent_messages(CHAT)
    assert [m.text for m in sent][1] == "deux"
    types = [e["type"] for e in sent[0].entities]
    assert types == [
        "bold",
        "italic",
        "text_link",
        "spoiler",
        "pre",
        "expandable_blockquote",
    ]
    assert sent[0].raw_text.startswith("<b>Bonjour</b>")
    api.assert_no_errors()


@pytest.mark.parametrize(
    "text",
    ["<b>x", "a < b", "<script>x</script>", "<b><i>x</b></i>", "x</b>", "AT&T", "<span>x</span>"],
)
async def test_invalid_html_is_rejected(bot: Bot, api: FakeBotApi, text: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(CHAT, text, parse_mode=ParseMode.HTML)
    assert len(api.errors) == 1
    assert api.sent_messages() == []


async def test_html_is_not_checked_without_parse_mode(bot: Bot, api: FakeBotApi) -> None:
    await bot.send_message(CHAT, "a < b & <script>")
    api.assert_no_errors()


async def test_length_is_measured_after_parsing_in_utf16(bot: Bot, api: FakeBotApi) -> None:
    await bot.send_message(CHAT, "é" * 4096)
    await bot.send_message(CHAT, "&lt;" * 4096, parse_mode=ParseMode.HTML)  # 4096 after parsing
    await bot.send_message(CHAT, "😀" * 2048)  # 2 UTF-16 units each → exactly 4096
    api.assert_no_errors()
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(CHAT, "😀" * 2048 + "x")
    with pytest.raises(BadRequest, match=r"(?i)text is empty"):
        await bot.send_message(CHAT, "<b> </b>\n", parse_mode=ParseMode.HTML)
    assert len(api.errors) == 3


def test_utf16_and_parser_helpers() -> None:
    assert utf16_len("a😀é") == 4
    parsed = parse_html("😀<b>gras</b>")
    assert parsed.text == "😀gras"
    assert parsed.entities == [{"type": "bold", "offset": 2, "length": 4}]


async def test_callback_data_is_limited_to_64_bytes(bot: Bot, api: FakeBotApi) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="x" * 64)]])
    message = await bot.send_message(CHAT, "choix", reply_markup=ok)
    assert message.reply_markup == ok  # echoed back like Telegram
    for data in ("x" * 65, "é" * 33):  # 65 and 66 bytes
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("trop", callback_data=data)]])
        with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(CHAT, "choix", reply_markup=markup)
    url = InlineKeyboardMarkup([[InlineKeyboardButton("site", url="https://example.be")]])
    await bot.send_message(CHAT, "lien", reply_markup=url)
    assert len(api.errors) == 2


async def test_unknown_method_is_rejected(bot: Bot, api: FakeBotApi) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")
    assert api.errors == ["sendTelepathy: Not Found: method not found (params={})"]


@pytest.mark.slow
async def test_injected_faults_surface_as_ptb_errors(
    bot: Bot, api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB 22 warns when building RetryAfter unless opted in to timedelta values.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    api.fail_next("sendMessage", status=429, retry_after=3)
    api.fail_next("sendMessage", status=502)
    api.fail_next("*", close_connection=True)
    api.fail_next("sendMessage", stall_seconds=3)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(CHAT, "a")
    assert flood.value.retry_after == dt.timedelta(seconds=3)
    with pytest.raises(NetworkError, match="Bad Gateway") as bad_gateway:
        await bot.send_message(CHAT, "b")
    assert not isinstance(bad_gateway.value, BadRequest)
    with pytest.raises(TimedOut):  # the stall outlasts the 2 s read timeout
        await bot.send_message(CHAT, "c")
    with pytest.raises(NetworkError):  # "*" fault: connection dropped without an answer
        await bot.get_me()
    assert (await bot.send_message(CHAT, "d")).text == "d"
    assert [r.status for r in api.calls("sendMessage")][:2] == [429, 502]
    api.assert_no_errors()  # injected faults are not validation errors


async def test_blocked_user_gives_forbidden(bot: Bot, api: FakeBotApi) -> None:
    api.block_user(CHAT)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(CHAT, "coucou")


async def test_get_updates_offsets_and_early_long_poll(bot: Bot, api: FakeBotApi) -> None:
    first = api.user_message(CHAT, "/start promo", language_code="nl")
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first]
    message = updates[0].message
    assert message is not None
    assert message.text == "/start promo"
    assert message.from_user is not None
    assert message.from_user.language_code == "nl"
    assert message.entities[0].type == "bot_command"
    assert message.entities[0].length == len("/start")
    # Without a higher offset the update is not confirmed and comes again.
    assert len(await bot.get_updates()) == 1
    assert await bot.get_updates(offset=first + 1) == ()

    poll = asyncio.create_task(bot.get_updates(offset=first + 1, timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()
    started = time.monotonic()
    sticker = api.user_sticker(CHAT)
    updates = await poll
    assert time.monotonic() - started < 1.0
    assert [u.update_id for u in updates] == [sticker]
    assert updates[0].message is not None
    assert updates[0].message.sticker is not None
    api.assert_no_errors()


async def test_send_document_and_photo_are_recorded(bot: Bot, api: FakeBotApi) -> None:
    doc = await bot.send_document(
        CHAT,
        document=b"id;name\n1;Agoria\n",
        filename="leads.csv",
        caption="<b>Export</b>",
        parse_mode=ParseMode.HTML,
    )
    assert doc.document is not None
    assert doc.document.file_name == "leads.csv"
    assert doc.caption == "Export"
    photo = await bot.send_photo(CHAT, photo=b"\x89PNG fake", caption="vue")
    assert photo.photo
    upload = api.calls("sendDocument")[0].files["document"]
    assert (upload.filename, upload.data) == ("leads.csv", b"id;name\n1;Agoria\n")
    sent = await api.wait_for_messages(CHAT, 2)
    assert [m.method for m in sent] == ["sendDocument", "sendPhoto"]
    assert sent[0].file is not None
    assert sent[0].file.data == b"id;name\n1;Agoria\n"
    # The uploaded bytes can be downloaded back through getFile + the file URL.
    telegram_file = await bot.get_file(doc.document.file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == b"id;name\n1;Agoria\n"
    long_caption = "x" * 1025
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(CHAT, document=b"x", filename="x.txt", caption=long_caption)


async def test_raw_http_validation(api: FakeBotApi) -> None:
    async with httpx.AsyncClient() as client:
        missing = await client.post(f"{api.api_url}/sendMessage", json={"chat_id": CHAT})
        assert missing.status_code == 400
        assert missing.json() == {
            "ok": False,
            "error_code": 400,
            "description": 'Bad Request: parameter "text" is required',
        }
        junk = await client.post(
            f"{api.api_url}/sendMessage", data={"chat_id": "1", "text": "a", "colour": "red"}
        )
        assert junk.status_code == 400
        assert "unknown parameter" in junk.json()["description"]
        unknown = await client.get(f"{api.api_url}/fly")
        assert unknown.status_code == 404
        assert unknown.json()["description"] == "Not Found: method not found"
        wrong_token = await client.get(f"{api.base_url}1:WRONG/getMe")
        assert wrong_token.status_code == 401
        # Method names are case-insensitive; keep-alive connection is reused.
        ok = await client.get(f"{api.api_url}/GETME")
        assert ok.json()["result"]["username"] == "wallonia_test_bot"
    assert len(api.errors) == 4


async def test_rate_limit_sliding_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    async with FakeBotApi(rate_limit_per_second=3, latency=0.01) as limited:
        limited_bot = Bot(limited.token, base_url=limited.base_url)
        async with limited_bot:
            for i in range(3):
                await limited_bot.send_message(CHAT, f"m{i}")
            with pytest.raises(RetryAfter):
                await limited_bot.send_message(CHAT, "m3")
        assert limited.rate_limited_calls == 1
        limited.assert_no_errors()


async def test_application_round_trip(api: FakeBotApi) -> None:
    """The whole PTB polling stack: command → HTML reply with keyboard → button → edit."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Clusters", callback_data="cl")]])
        await update.effective_message.reply_html("<b>Bienvenue</b>", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"Choisi : {query.data}")

    app = (
        Application.builder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        assert app.updater is not None
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=5)
        try:
            api.user_message(CHAT, "/start")
            (welcome,) = await api.wait_for_messages(CHAT, 1)
            assert welcome.text == "Bienvenue"
            assert welcome.button_texts == ["Clusters"]
            api.press_button(CHAT, "Clusters")
            (edited,) = await api.wait_for_messages(CHAT, 1)
            assert edited.is_edit
            assert edited.text == "Choisi : cl"
            assert edited.message_id == welcome.message_id
            await api.wait_until_idle()
        finally:
            await app.updater.stop()
            await app.stop()
    assert api.calls("answerCallbackQuery")[0].ok
    api.assert_no_errors()
