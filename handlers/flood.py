"""Flood control, checked before any other handler (group -1)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.conversation.flood_control import Verdict
from handlers.context import AssistantContext
from handlers.sending import send_replies


async def check_flood(update: Update, context: AssistantContext) -> None:
    """Stop handling a user's update when they send more than the allowed rate."""
    user = update.effective_user
    # Messages count, button presses do not: tapping through the join flow is not a flood.
    if user is None or update.effective_chat is None or update.message is None:
        return
    verdict = context.bot_data.flood.check(user.id)
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.NOTIFY:
        notice = context.services.dialogue.answers.notice(await context.language(user), "flood")
        await send_replies(context.bot, update.effective_chat.id, [notice])
    raise ApplicationHandlerStop
