"""What happens when a handler fails: log it without personal data, apologise, keep running."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.error import Forbidden

from bot.conversation.dialogue import ConversationState, UserRef
from handlers.context import AssistantContext, user_ref
from handlers.sending import send_replies

_LOGGER = logging.getLogger(__name__)


async def on_error(update: object, context: AssistantContext) -> None:
    """Log the failure with the update ID only, and tell the user something went wrong."""
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    if isinstance(error, Forbidden):
        # The user blocked the bot: nothing to apologise to.
        _LOGGER.info("update %s: the user blocked the bot", update_id)
        return
    # The exception's type and where it happened, not its message: that may quote the user.
    where = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    _LOGGER.error("update %s failed with %s\n%s", update_id, type(error).__name__, where)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    dialogue = context.services.dialogue
    user = user_ref(update.effective_user) if update.effective_user else UserRef(0)
    # Without the stored state: the app's language, else ours.
    language = dialogue.fallback_language(user, ConversationState())
    try:
        language = await dialogue.language_for(user, await context.conversation())
    except Exception:  # the failure may be the very storage that holds the language
        _LOGGER.warning("update %s: apologising in the app's language", update_id)
    try:
        await send_replies(
            context.bot, update.effective_chat.id, [dialogue.answers.notice(language, "error")]
        )
    except Exception:  # the apology is best effort; the bot must keep running
        _LOGGER.warning("update %s: could not send the apology either", update_id)
