"""Handlers for what every user does: commands, free text, buttons, stickers and photos.

Each handler only translates: Telegram update in, `Dialogue` call, replies out. The rules of
the conversation live in `bot/conversation/dialogue.py`.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest

from bot.messages.reply import Reply
from handlers.context import AssistantContext, user_ref
from handlers.sending import send_replies

_LOGGER = logging.getLogger(__name__)

# Commands every user has, with the dialogue command they map to.
USER_COMMANDS = (
    "start",
    "help",
    "clusters",
    "join",
    "language",
    "privacy",
    "mydata",
    "forget",
    "cancel",
    "done",  # ends a conversation with the team (bot/handoff/)
)


async def _reply(update: Update, context: AssistantContext, replies: list[Reply]) -> None:
    chat = update.effective_chat
    if chat is not None:
        await send_replies(context.bot, chat.id, replies)


async def on_command(update: Update, context: AssistantContext) -> None:
    """/start, /help, /clusters, /language, /privacy, /cancel, /join."""
    message = update.effective_message
    if message is None or message.text is None or update.effective_user is None:
        return
    command, _, argument = message.text.partition(" ")
    name = command.lstrip("/").split("@", 1)[0].lower()
    state = await context.conversation()
    replies = await context.services.dialogue.on_command(
        user_ref(update.effective_user), state, name, argument.strip()
    )
    await context.save_conversation(state)
    await _reply(update, context, replies)


async def on_text(update: Update, context: AssistantContext) -> None:
    """Free text: a question, or an answer to the step the user is at."""
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    state = await context.conversation()
    replies = await context.services.dialogue.on_text(
        user_ref(update.effective_user), state, message.text
    )
    await context.save_conversation(state)
    await _reply(update, context, replies)


async def on_other_message(update: Update, context: AssistantContext) -> None:
    """A sticker, photo, voice message…: the dialogue answers it as "not text"."""
    if update.effective_user is None:
        return
    state = await context.conversation()
    replies = await context.services.dialogue.on_text(user_ref(update.effective_user), state, None)
    await context.save_conversation(state)
    await _reply(update, context, replies)


async def on_button(update: Update, context: AssistantContext) -> None:
    """An inline button. Stale or forged data gets a short notice, never silence."""
    query = update.callback_query
    if query is None:
        return
    # Stop the button's spinner first: the user sees at once that the press was received.
    try:
        await query.answer()
    except BadRequest:
        # Telegram refuses to answer a press older than about 15 s (queued while the bot was
        # down); the press itself, maybe a Confirm, must still be handled.
        _LOGGER.info("callback query too old to answer; handling the press anyway")
    state = await context.conversation()
    replies = await context.services.dialogue.on_action(
        user_ref(query.from_user), state, query.data or ""
    )
    await context.save_conversation(state)
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    await send_replies(context.bot, chat_id, replies)


async def on_unknown_command(update: Update, context: AssistantContext) -> None:
    """A command we do not have (or one the user may not use): the same answer either way."""
    await on_command(update, context)
