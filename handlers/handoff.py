"""Talking to a person, on Telegram: the staff chat's side and the channel the core sends by.

The rules live in `bot/handoff/service.py`; here only translation:

* `TelegramHandoffChannel` posts in STAFF_CHAT_ID and sends to users, turning Telegram's errors
  into the core's (`Forbidden` from a user → RecipientBlockedError; any other Telegram error →
  ChannelUnavailableError, so the message stays pending and is retried).
* `on_staff_reply`: a message in the staff chat that replies to another. The core finds the
  conversation from the message replied to (stored, so it works across restarts) and checks the
  author is staff. A reply that belongs to no conversation may be a staff note (its prompt is a
  forced reply too), so it goes on to the note handler; otherwise, if it answered one of our
  messages, staff are told nothing was sent.
* `on_staff_close`: the "End #12" button under a conversation's first post.
* Jobs: pending messages retried every minute, idle conversations closed.
"""

from __future__ import annotations

from telegram import Bot, Message, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.handoff.channel import (
    ChannelUnavailableError,
    RecipientBlockedError,
    StaffMessage,
)
from bot.messages.rendering import to_html_messages
from bot.messages.reply import Reply
from bot.settings import Settings
from handlers.context import AssistantApplication, AssistantContext
from handlers.conversation import on_button
from handlers.sending import keyboard, send_replies
from handlers.staff import on_note

# How often pending messages are retried and idle conversations closed.
HANDOFF_JOB_SECONDS = 60


class TelegramHandoffChannel:
    """The core's `HandoffChannel` over the bot."""

    def __init__(self, bot: Bot, staff_chat_id: int) -> None:
        self._bot = bot
        self._staff_chat_id = staff_chat_id

    async def post_to_staff(self, reply: Reply, reply_to: int | None) -> tuple[int, int]:
        # The core keeps each post within one message; should one still be split, the last
        # part (the one with the buttons) is the one a reply to it finds.
        sent: Message | None = None
        try:
            for part in to_html_messages(reply):
                sent = await self._bot.send_message(
                    self._staff_chat_id,
                    part.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(part.buttons),
                    reply_parameters=(
                        None
                        if reply_to is None
                        else ReplyParameters(reply_to, allow_sending_without_reply=True)
                    ),
                )
        except TelegramError as error:
            raise ChannelUnavailableError(type(error).__name__) from error
        assert sent is not None  # to_html_messages always yields at least one message
        return self._staff_chat_id, sent.message_id

    async def send_to_user(self, user_id: int, reply: Reply) -> None:
        try:
            await send_replies(self._bot, user_id, [reply])
        except Forbidden as error:
            raise RecipientBlockedError from error
        except TelegramError as error:
            raise ChannelUnavailableError(type(error).__name__) from error


def _staff_message(message: Message) -> StaffMessage | None:
    replied = message.reply_to_message
    if replied is None or message.from_user is None:
        return None
    return StaffMessage(
        chat_id=message.chat.id,
        message_id=message.message_id,
        reply_to_message_id=replied.message_id,
        author_id=message.from_user.id,
        text=message.text,
    )


async def on_staff_reply(update: Update, context: AssistantContext) -> None:
    """A reply in the staff chat: to a conversation, to a note prompt, or to neither."""
    message = update.effective_message
    if message is None:
        return
    staff_message = _staff_message(message)
    if staff_message is None:
        return
    handoff = context.services.handoff
    if await handoff.on_staff_reply(staff_message):
        return
    user = message.from_user
    notes = context.services.pending_notes
    awaiting_note = user is not None and notes.awaited_lead(user.id, message.chat.id) is not None
    if awaiting_note and message.text is not None and not message.text.startswith("/"):
        await on_note(update, context)
        return
    replied = message.reply_to_message
    bot_id = context.bot.id
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        await handoff.tell_not_linked(staff_message)


async def on_staff_close(update: Update, context: AssistantContext) -> None:
    """ "End #12" under a conversation in the staff chat; anyone else gets the stale answer."""
    query = update.callback_query
    if query is None:
        return
    _, _, argument = (query.data or "").partition(":")
    chat = query.message.chat if query.message is not None else None
    in_staff_chat = chat is not None and chat.id == context.services.settings.staff_chat_id
    handoff = context.services.handoff
    if (
        in_staff_chat
        and argument.isdigit()
        and await handoff.close_by_staff(int(argument), query.from_user.id)
    ):
        await query.answer()
        return
    await on_button(update, context)


async def deliver_pending_handoffs(context: AssistantContext) -> None:
    """Retry what could not be delivered (either way), then close idle conversations."""
    handoff = context.services.handoff
    await handoff.deliver_pending()
    await handoff.expire_idle()


def attach_handoff_channel(application: AssistantApplication, settings: Settings) -> None:
    """Give the core its way to the staff chat, once the services are open (`post_init`).
    Without STAFF_CHAT_ID nothing is attached, and the handoff stays off."""
    if settings.staff_chat_id is not None:
        application.bot_data.services.handoff.attach(
            TelegramHandoffChannel(application.bot, settings.staff_chat_id)
        )


def register_handoff_handlers(application: AssistantApplication, settings: Settings) -> None:
    """Add the staff chat's handlers (group 0) and the delivery job.

    Call it BEFORE `register_staff_handlers`: a staff note in the group is itself a reply (to
    the note prompt), and only the first matching handler of a group runs; `on_staff_reply`
    hands such a reply on to the note handler when it belongs to no conversation.
    """
    staff_chat_id = settings.staff_chat_id
    if staff_chat_id is None:
        return
    # Replies, but not commands other than /done: "/leads" sent as a reply is still /leads.
    not_a_command = ~filters.COMMAND | filters.Regex(r"^/done(@\w+)?(\s|$)")
    application.add_handler(
        MessageHandler(
            filters.Chat(chat_id=staff_chat_id)
            & filters.REPLY
            & filters.UpdateType.MESSAGE
            & not_a_command,
            on_staff_reply,
        )
    )
    application.add_handler(CallbackQueryHandler(on_staff_close, pattern=r"^hc:"))
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            deliver_pending_handoffs,
            interval=HANDOFF_JOB_SECONDS,
            first=HANDOFF_JOB_SECONDS,
            name="handoff-delivery",
        )
