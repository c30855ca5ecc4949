"""Handlers for what every user does: commands, free text, buttons, stickers and photos.

Each handler only translates: Telegram update in, `Dialogue` call, replies out, all through
`converse` (load state, dialogue, save, send). The rules of the conversation live in
`bot/conversation/dialogue.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Update, User
from telegram.error import BadRequest

from bot.conversation.dialogue import ConversationState, UserRef
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
)


DialogueStep = Callable[[UserRef, ConversationState], Awaitable[list[Reply]]]


async def converse(
    context: AssistantContext, user: User, chat_id: int, step: DialogueStep
) -> None:
    """The one path of a user's update: load their state, run one dialogue `step` on it,
    save it, send the replies to `chat_id`.

    The state is saved before anything is sent, so a send that fails or times out never
    leaves the stored conversation behind what the user may already have been told.
    """
    conversations = context.services.conversations
    state = await conversations.load(user.id)
    replies = await step(user_ref(user), state)
    await conversations.save(user.id, state)
    await send_replies(context.bot, chat_id, replies)


async def on_command(update: Update, context: AssistantContext) -> None:
    """/start, /help, /clusters, /language, /privacy, /cancel, /join (and unknown commands)."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or message.text is None or user is None or chat is None:
        return
    name = message.text.split(maxsplit=1)[0].lstrip("/").split("@", 1)[0].lower()
    # context.args: the words after a known command (None for an unknown one, which the
    # dialogue answers without looking at them).
    argument = " ".join(context.args or ())
    dialogue = context.services.dialogue
    await converse(
        context,
        user,
        chat.id,
        lambda who, state: dialogue.on_command(who, state, name, argument),
    )


async def on_text(update: Update, context: AssistantContext) -> None:
    """Free text: a question, or an answer to the step the user is at."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    dialogue = context.services.dialogue
    await converse(
        context, user, chat.id, lambda who, state: dialogue.on_text(who, state, message.text)
    )


async def on_other_message(update: Update, context: AssistantContext) -> None:
    """A sticker, photo, voice message…: the dialogue answers it as "not text"."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    dialogue = context.services.dialogue
    await converse(context, user, chat.id, lambda who, state: dialogue.on_text(who, state, None))


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
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    dialogue = context.services.dialogue
    data = query.data or ""
    await converse(
        context,
        query.from_user,
        chat_id,
        lambda who, state: dialogue.on_action(who, state, data),
    )


async def on_unknown_command(update: Update, context: AssistantContext) -> None:
    """A command we do not have (or one the user may not use): the same answer either way."""
    await on_command(update, context)
