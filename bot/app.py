"""The composition root: the one place where the Telegram Application is built and wired.

`serve()` opens the core services (database, stores, matcher, dialogue), builds the
Application on top of them with `build_application()`, runs it by long polling or webhook, and
closes everything in order on SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from urllib.parse import urlsplit

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.error import InvalidToken
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.leads.model import Lead
from bot.services import Services
from bot.settings import Settings
from handlers.context import CONTEXT_TYPES, AssistantApplication
from handlers.conversation import (
    USER_COMMANDS,
    on_button,
    on_command,
    on_other_message,
    on_text,
    on_unknown_command,
)
from handlers.errors import on_error
from handlers.flood import check_flood
from handlers.handoff import register_handoff_handlers
from handlers.jobs import notify_staff, schedule_jobs
from handlers.runtime import (
    NoPersistenceApplication,
    PerChatUpdateProcessor,
    TelegramRateLimiter,
)
from handlers.staff import register_staff_handlers
from knowledge.model import LANGUAGES, KnowledgeBase

_LOGGER = logging.getLogger(__name__)
# What we ask Telegram for: messages and button presses, nothing else (no edits, no polls…).
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
# Telegram's limit in one group (the overall one, 30 a second, is a setting: a local Bot API
# server or paid broadcasts allow more, and the tests lift it to go fast).
GROUP_MESSAGES_PER_MINUTE = 20


async def _register_commands(application: AssistantApplication) -> None:
    """The command menu in both languages; users with another app language get the default."""
    services = application.bot_data.services
    catalogue = services.catalogue
    for language in LANGUAGES:
        commands = [
            BotCommand(c, catalogue.text(language, f"commands.{c}")) for c in USER_COMMANDS
        ]
        await application.bot.set_my_commands(commands, language_code=language)
    default = services.settings.default_language
    await application.bot.set_my_commands(
        [BotCommand(c, catalogue.text(default, f"commands.{c}")) for c in USER_COMMANDS]
    )


def build_application(services: Services) -> AssistantApplication:
    """Build the Application for `services`, with every handler registered."""
    settings = services.settings
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to run on Telegram")
    application: AssistantApplication = (
        ApplicationBuilder()
        .application_class(NoPersistenceApplication)
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_file_url)
        .context_types(CONTEXT_TYPES)
        .defaults(Defaults(link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .rate_limiter(
            TelegramRateLimiter(
                messages_per_second=settings.messages_per_second,
                group_messages_per_minute=GROUP_MESSAGES_PER_MINUTE,
            )
        )
        .concurrent_updates(PerChatUpdateProcessor())
        .build()
    )
    application.bot_data.services = services

    # New messages in private chats only: an edited message must not be taken for the answer
    # to the current step (Telegram is also asked not to send edits, see ALLOWED_UPDATES).
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    # group -1 runs first for every update: a flooding user is stopped before any work.
    application.add_handler(TypeHandler(Update, check_flood), group=-1)
    # group 0 first: replies in the staff chat (a staff member answering a user who asked for a
    # person; they hand a reply that is a staff note on to the note handler), then staff
    # commands, buttons and pending notes, so a note a staff member types is not answered as a
    # question, and /leads is not taken for an unknown command. Also attaches the handoff's
    # Telegram channel: without STAFF_CHAT_ID the handoff stays off.
    register_handoff_handlers(application)
    register_staff_handlers(application)
    # group 0, in order: known commands, then unknown ones, then buttons, text, other media.
    application.add_handler(CommandHandler(list(USER_COMMANDS), on_command, filters=private))
    application.add_handler(MessageHandler(filters.COMMAND & private, on_unknown_command))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & private, on_text))
    application.add_handler(
        MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL & private, on_other_message)
    )
    application.add_error_handler(on_error)

    async def announce_lead(_lead: Lead) -> None:
        # Announce at once, in a job, so the user's confirmation never waits on the staff chat.
        if application.job_queue is not None:
            application.job_queue.run_once(notify_staff, 0)

    services.dialogue.join_flow.on_lead_created = announce_lead
    schedule_jobs(application)
    return application


def _webhook_path(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


async def serve(
    settings: Settings, knowledge: KnowledgeBase, stop: asyncio.Event | None = None
) -> None:
    """Run until `stop` is set (or SIGTERM/SIGINT), then shut down cleanly."""
    started = time.perf_counter()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Not possible outside the main thread (tests run serve() in a task): then `stop` rules.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    services = await Services.open(settings, knowledge)
    try:
        application = build_application(services)
        async with application:
            # run_polling() would call post_init hooks; serve() owns the loop, so it calls
            # the start-up steps itself, in order.
            await _register_commands(application)
            await application.start()
            updater = application.updater
            if updater is None:  # pragma: no cover - the builder always makes one
                raise RuntimeError("the Application has no updater")
            if settings.webhook_url:
                await updater.start_webhook(
                    listen=settings.webhook_listen,
                    port=settings.webhook_port,
                    url_path=_webhook_path(settings.webhook_url),
                    webhook_url=settings.webhook_url,
                    secret_token=settings.webhook_secret,
                    allowed_updates=ALLOWED_UPDATES,
                )
                mode = f"webhook on {settings.webhook_listen}:{settings.webhook_port}"
            else:
                await updater.start_polling(allowed_updates=ALLOWED_UPDATES)
                mode = "long polling"
            _LOGGER.info("ready (%s) in %.2f s", mode, time.perf_counter() - started)
            await stop.wait()
            _LOGGER.info("stopping")
            await updater.stop()
            await application.stop()
    finally:
        await services.close()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)


class TokenRejectedError(Exception):
    """Telegram refused the bot token (deliberately without the token in its message)."""


def run_telegram(settings: Settings, knowledge: KnowledgeBase) -> None:
    """Blocking entry point used by `wallonia-bot run`."""
    try:
        asyncio.run(serve(settings, knowledge))
    except InvalidToken:
        # PTB's message quotes the whole token; it must not reach a terminal or a log.
        raise TokenRejectedError from None
