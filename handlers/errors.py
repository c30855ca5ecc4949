"""What happens when a handler fails: log it without personal data, apologise, keep running."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.error import Forbidden, NetworkError

from bot.conversation.dialogue import UserRef
from handlers.context import AssistantContext, user_ref
from handlers.runtime import certainly_not_delivered
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
    if isinstance(error, NetworkError) and not certainly_not_delivered(error):
        # A send timed out: Telegram may well have delivered the answer, and an apology under
        # it would say the opposite. The rate limiter did not send it again either.
        return
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    services = context.services
    user = user_ref(update.effective_user) if update.effective_user else UserRef(0)
    language = await services.apology_language(user)
    try:
        await send_replies(
            context.bot,
            update.effective_chat.id,
            [services.dialogue.answers.notice(language, "error")],
        )
    except Exception:  # the apology is best effort; the bot must keep running
        _LOGGER.warning("update %s: could not send the apology either", update_id)
