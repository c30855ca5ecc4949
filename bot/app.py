"""The composition root: the one place where the Telegram Application is built and wired.

`build_application()` builds the Application and registers every handler; its `post_init`
opens the core services (database, stores, matcher, dialogue, staff workspace: `Services`)
and sets the command menu, its `post_shutdown` closes them. `serve()` runs it by long polling
or webhook and shuts everything down in order on SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from urllib.parse import urlsplit

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
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
from handlers.handoff import attach_handoff_channel, register_handoff_handlers
from handlers.jobs import notify_correction, notify_staff, schedule_jobs
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


def build_application(settings: Settings, knowledge: KnowledgeBase) -> AssistantApplication:
    """Build the Application for `settings`, with every handler registered.

    The services (database, stores, dialogue, staff workspace) are opened in `post_init` and
    closed in `post_shutdown`, so they live exactly as long as the running Application.
    """
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to run on Telegram")

    async def open_services(application: AssistantApplication) -> None:
        async def announce_lead(_lead: Lead) -> None:
            # Announce at once, in a job, so the user's confirmation never waits on the staff
            # chat (the job also retries every minute what could not be sent).
            if application.job_queue is not None:
                application.job_queue.run_once(notify_staff, 0)

        async def announce_correction(lead: Lead, text: str) -> None:
            # The correction is already in the lead's history; this only tells staff now.
            if application.job_queue is not None:
                application.job_queue.run_once(notify_correction, 0, data=(lead, text))

        application.bot_data.services = await Services.open(
            settings,
            knowledge,
            on_lead_created=announce_lead,
            on_request_corrected=announce_correction,
        )
        # Talking to a person is off until it has a way to reach the staff chat.
        attach_handoff_channel(application, settings)
        await _register_commands(application)
        if application.job_queue is not None:
            # Leads left unannounced by the last run go out now that the services are open:
            # the repeating job's first run (1 s after the jobs were registered) may have come
            # and gone while the knowledge base and the matcher were loading.
            application.job_queue.run_once(notify_staff, 0)

    async def close_services(application: AssistantApplication) -> None:
        await application.bot_data.close_services()

    application: AssistantApplication = (
        ApplicationBuilder()
        .application_class(NoPersistenceApplication)
        .token(settings.telegram_bot_token.reveal())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_file_url)
        .context_types(CONTEXT_TYPES)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,  # every text we send is rendered as HTML
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(
            TelegramRateLimiter(
                messages_per_second=settings.messages_per_second,
                group_messages_per_minute=GROUP_MESSAGES_PER_MINUTE,
            )
        )
        .concurrent_updates(PerChatUpdateProcessor())
        .post_init(open_services)
        .post_shutdown(close_services)
        .build()
    )

    # New messages in private chats only: an edited message must not be taken for the answer
    # to the current step (Telegram is also asked not to send edits, see ALLOWED_UPDATES).
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    # group -1 runs first for every update: a flooding user is stopped before any work.
    application.add_handler(TypeHandler(Update, check_flood), group=-1)
    # group 0 first: replies in the staff chat (a staff member answering a user who asked for a
    # person; a reply that is a staff note is handed on to the note handler), then staff
    # commands, buttons and pending notes, so a note a staff member types is not answered as a
    # question, and /leads is not taken for an unknown command.
    register_handoff_handlers(application, settings)
    register_staff_handlers(application, settings)
    # group 0, in order: known commands, then unknown ones, then buttons, text, other media.
    application.add_handler(CommandHandler(list(USER_COMMANDS), on_command, filters=private))
    application.add_handler(MessageHandler(filters.COMMAND & private, on_unknown_command))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & private, on_text))
    application.add_handler(
        MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL & private, on_other_message)
    )
    application.add_error_handler(on_error)
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
    application = build_application(settings, knowledge)
    try:
        async with application:
            # run_polling() would call post_init after initialize(); serve() owns the loop,
            # so it calls it itself: the services open and the command menu is set here.
            if application.post_init is not None:
                await application.post_init(application)
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
                    secret_token=(
                        settings.webhook_secret.reveal() if settings.webhook_secret else None
                    ),
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
        # As run_polling() would, after shutdown; safe when post_init failed half-way.
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
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
