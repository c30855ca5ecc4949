"""The bare python-telegram-bot echo bot our assistant is measured against (bench/end_to_end.py).

    TELEGRAM_BOT_TOKEN=... TELEGRAM_BASE_URL=... python bench/echo_bot.py

Same library, same long polling, nothing else: the floor of what answering a message costs.
With ECHO_PACED=1 it also sends through the same rate limiter as our bot (Telegram's 30 messages
a second, handlers/runtime.py), so that the cost of pacing itself can be told apart from our
work.
"""

import os
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    filters,
)


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back."""
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


def main() -> None:
    builder = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ.get("TELEGRAM_BASE_URL", "https://api.telegram.org/bot"))
    )
    if os.environ.get("ECHO_PACED") == "1":
        from handlers.runtime import TelegramRateLimiter

        limiter = TelegramRateLimiter()
        run(builder.rate_limiter(limiter).concurrent_updates(True).build())
    else:
        run(builder.build())


def run(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Echo every text message until stopped."""
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.run_polling()


if __name__ == "__main__":
    main()
