"""Staff commands and buttons on Telegram: /leads /lead /export /stats /unanswered, notes, digest.

Only translation lives here: who may do it (staff user IDs, in a private chat or the staff
chat), Telegram update in, `StaffWorkspace` call, messages, documents and photos out.

Staff stay invisible to everyone else. A staff command from anyone else goes down the very
path of an unknown command (`on_unknown_command`), and a staff button pressed by anyone else,
or in another chat, down the very path of any stale button (`on_button`), so the answers are
identical by construction and nothing is read or changed.

"Add a note" makes the staff member's next text message in that chat (within `NOTE_TIMEOUT`)
the note; the request is kept in SQLite by `bot/staff/notes.py`, so it survives a restart, and
in memory, so the message filter below reads it without I/O. The note handler is registered
before the user handlers of group 0, so the dialogue never also answers that message (in a
group, only the first matching handler runs).
"""

from __future__ import annotations

import html
import logging
from datetime import UTC
from datetime import time as time_of_day

from telegram import Chat, ForceReply, Message, Update, User
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.messages.rendering import to_html_messages
from bot.messages.reply import Reply
from bot.settings import Settings
from bot.staff.actions import LeadFilter, is_staff_action, parse_action
from bot.staff.stats import CHART_WEEKS, collect_stats, stats_reply, weekly_chart
from bot.staff.workspace import NoteRequest, StaffWorkspace
from handlers.context import AssistantApplication, AssistantContext
from handlers.conversation import on_button, on_unknown_command
from handlers.sending import send_replies
from knowledge.model import Language

_LOGGER = logging.getLogger(__name__)

STAFF_COMMANDS = ("leads", "lead", "export", "stats", "unanswered")
# The digest goes out at 07:00 UTC (08:00 or 09:00 in Brussels), before the working day.
DIGEST_TIME = time_of_day(7, 0, tzinfo=UTC)


def is_staff(context: AssistantContext, user: User | None) -> bool:
    """Whether this Telegram user is staff (STAFF_USER_IDS); checked on every update."""
    return user is not None and user.id in context.services.settings.staff_user_ids


def _staff_chat(context: AssistantContext, chat: Chat | None) -> bool:
    """Staff tools answer in a private chat with the bot, or in STAFF_CHAT_ID; never elsewhere,
    so a staff member's press on a forwarded card cannot show a lead to another group."""
    if chat is None:
        return False
    return chat.type == ChatType.PRIVATE or chat.id == context.services.settings.staff_chat_id


async def _language(context: AssistantContext, user: User) -> Language:
    # Read only: saving here could overwrite a newer state written by the staff member's
    # private chat, which runs concurrently with the staff group.
    return await context.language(user)


async def _send_prompt(context: AssistantContext, chat: Chat, reply: Reply) -> None:
    """The note prompt; in a group it forces a reply, so the note reaches the bot even when
    its privacy mode hides ordinary group messages."""
    if chat.type == ChatType.PRIVATE:
        await send_replies(context.bot, chat.id, [reply])
        return
    for message in to_html_messages(reply):
        await context.bot.send_message(chat.id, message.text, reply_markup=ForceReply())


# -- commands ----------------------------------------------------------------------------------


async def on_staff_command(update: Update, context: AssistantContext) -> None:
    """/leads [status] [cluster], /lead <id|reference>, /export [status] [cluster] [days],
    /stats, /unanswered."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or message.text is None or user is None or chat is None:
        return
    if not is_staff(context, user) or not _staff_chat(context, chat):
        if chat.type == ChatType.PRIVATE:
            await on_unknown_command(update, context)
        # In a group, an unknown command gets no answer either.
        return
    name = message.text.split(maxsplit=1)[0].lstrip("/").split("@", 1)[0].lower()
    argument = " ".join(context.args or ())
    language = await _language(context, user)
    workspace = context.services.workspace
    if name == "leads":
        lead_filter = workspace.parse_export_filter(argument)
        if lead_filter is None:
            # A mistyped filter must not silently show every lead as if it had been applied.
            await send_replies(
                context.bot, chat.id, [workspace.notice(language, "staff_ws.leads_usage")]
            )
            return
        page_filter = LeadFilter(lead_filter.status, lead_filter.cluster_id)
        await send_replies(
            context.bot, chat.id, [await workspace.lead_page(language, 0, page_filter)]
        )
    elif name == "lead":
        await send_replies(
            context.bot, chat.id, [await workspace.lead_command(language, argument)]
        )
    elif name == "export":
        await _export(context, workspace, chat, language, argument)
    elif name == "stats":
        await _stats(context, chat, language)
    elif name == "unanswered":
        await send_replies(context.bot, chat.id, await workspace.unanswered(language))


async def _export(
    context: AssistantContext,
    workspace: StaffWorkspace,
    chat: Chat,
    language: Language,
    argument: str,
) -> None:
    lead_filter = workspace.parse_export_filter(argument)
    if lead_filter is None:
        await send_replies(
            context.bot, chat.id, [workspace.notice(language, "staff_ws.export.usage")]
        )
        return
    export = await workspace.export(lead_filter)
    # Captions are HTML too (the Application's Defaults): escaped like every other text.
    caption = html.escape(
        context.services.catalogue.text(language, "staff_ws.export.caption", count=export.count)
    )
    await context.bot.send_document(
        chat.id, document=export.data, filename=export.filename, caption=caption
    )


async def _stats(context: AssistantContext, chat: Chat, language: Language) -> None:
    services = context.services
    workspace = context.services.workspace
    now = workspace.now()
    periods = await collect_stats(
        services.leads, services.unanswered, now, question_log=services.question_log
    )
    await send_replies(
        context.bot,
        chat.id,
        [stats_reply(periods, services.catalogue, language, services.knowledge)],
    )
    png = await weekly_chart(
        services.leads, services.catalogue, language, now, CHART_WEEKS, services.knowledge
    )
    t = services.catalogue.text
    await context.bot.send_photo(
        chat.id,
        photo=png,
        filename="leads-per-week.png",
        caption=html.escape(t(language, "staff_ws.stats.chart_caption", weeks=CHART_WEEKS)),
    )


# -- buttons -----------------------------------------------------------------------------------


async def on_staff_button(update: Update, context: AssistantContext) -> None:
    """A staff button (`sl:`, `ss:`, `sn:`, `sp:`, `sa:`, `su:`, `sd:`)."""
    query = update.callback_query
    if query is None:
        return
    chat = query.message.chat if query.message is not None else None
    if not is_staff(context, query.from_user) or not _staff_chat(context, chat):
        # Exactly what any stale or forged button gets; nothing is read or changed.
        await on_button(update, context)
        return
    await query.answer()
    user = query.from_user
    chat_id = chat.id if chat is not None else user.id
    language = await _language(context, user)
    action = parse_action(query.data or "", context.services.knowledge)
    if action is None:
        await send_replies(
            context.bot, chat_id, [context.services.dialogue.answers.stale(language)]
        )
        return
    result = await context.services.workspace.on_action(language, user.id, chat_id, action)
    if isinstance(result, NoteRequest):
        if chat is not None:
            await _send_prompt(context, chat, result.reply)
        return
    await send_replies(context.bot, chat_id, [result])


# -- notes -------------------------------------------------------------------------------------


class _AwaitingNote(filters.MessageFilter):
    """A message from a staff member who has a note pending in this chat."""

    def __init__(self, application: AssistantApplication) -> None:
        super().__init__(name="AwaitingNote")
        self._application = application

    def filter(self, message: Message) -> bool:
        user = message.from_user
        if user is None:
            return False
        services = self._application.bot_data.services
        if user.id not in services.settings.staff_user_ids:
            return False
        return services.pending_notes.awaited_lead(user.id, message.chat.id) is not None


async def on_note(update: Update, context: AssistantContext) -> None:
    """The staff member's next text message after "Add a note": stored in the lead's history."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or message.text is None or user is None or chat is None:
        return
    if not is_staff(context, user):
        return
    language = await _language(context, user)
    reply = await context.services.workspace.take_note(language, user.id, chat.id, message.text)
    if reply is not None:
        await send_replies(context.bot, chat.id, [reply])


async def on_note_cancel(update: Update, context: AssistantContext) -> None:
    """/cancel while a note is awaited: no note."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or not is_staff(context, user):
        return
    language = await _language(context, user)
    notice = await context.services.workspace.cancel_note(language, user.id)
    await send_replies(context.bot, chat.id, [notice])


# -- daily digest ------------------------------------------------------------------------------


async def send_daily_digest(context: AssistantContext) -> None:
    """New leads of the last day, and leads still "new" after two days, to STAFF_CHAT_ID."""
    services = context.services
    chat_id = services.settings.staff_chat_id
    if chat_id is None:
        return
    digest = await context.services.workspace.digest(services.settings.default_language)
    await send_replies(context.bot, chat_id, [digest])


# -- registration ------------------------------------------------------------------------------


def register_staff_handlers(application: AssistantApplication, settings: Settings) -> None:
    """Add the staff handlers (group 0) and the daily digest job.

    Call it in the composition root BEFORE the user handlers of group 0: in a group only the
    first matching handler runs, so a pending note must be seen before the dialogue's text
    handler, and /leads before the unknown-command one.
    """
    awaiting_note = _AwaitingNote(application)
    staff_chat_id = settings.staff_chat_id
    chats: filters.BaseFilter = filters.ChatType.PRIVATE
    if staff_chat_id is not None:
        chats = chats | filters.Chat(chat_id=staff_chat_id)
    chats = chats & filters.UpdateType.MESSAGE  # an edited message is not a new command or note
    application.add_handler(
        CommandHandler("cancel", on_note_cancel, filters=chats & awaiting_note)
    )
    application.add_handler(CommandHandler(list(STAFF_COMMANDS), on_staff_command, filters=chats))
    application.add_handler(CallbackQueryHandler(on_staff_button, pattern=_is_staff_data))
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & chats & awaiting_note, on_note)
    )
    if application.job_queue is not None:
        application.job_queue.run_daily(send_daily_digest, DIGEST_TIME, name="staff-digest")


def _is_staff_data(data: object) -> bool:
    return isinstance(data, str) and is_staff_action(data)
