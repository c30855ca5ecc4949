"""Turns the dialogue's replies into Telegram messages: HTML, inline keyboards, splitting."""

from __future__ import annotations

from collections.abc import Iterable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages.rendering import to_html_messages
from bot.messages.reply import Button, Reply


def keyboard(rows: Iterable[Iterable[Button]]) -> InlineKeyboardMarkup | None:
    markup = [[InlineKeyboardButton(b.label, callback_data=b.action) for b in row] for row in rows]
    return InlineKeyboardMarkup(markup) if markup else None


async def send_replies(bot: Bot, chat_id: int, replies: Iterable[Reply]) -> None:
    """Send each reply, split into messages of at most 4096 characters, in order (as HTML:
    the Application's `Defaults`)."""
    for reply in replies:
        for message in to_html_messages(reply):
            await bot.send_message(chat_id, message.text, reply_markup=keyboard(message.buttons))
