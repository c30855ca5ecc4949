"""Settings from the environment and an optional `.env` file (every one in `.env.example`).

The `.env` file is read by python-dotenv; each default is written once, in `Settings`. The bot
token and the webhook secret are held as `Secret`, which never shows its value in a repr, a
log line or a traceback. A wrong setting stops the program with one line naming it (exit
status 2), never a traceback: the person starting the bot should see at once what to fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dotenv.parser import parse_stream

TELEGRAM_API_URL = "https://api.telegram.org/bot"
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{10,}$")
# Telegram's rule for X-Telegram-Bot-Api-Secret-Token: 1-256 characters of this set.
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Every variable `load_settings` reads (tests and benchmarks clear them so that a developer's
# own values cannot change what they measure).
SETTING_NAMES = frozenset(
    {
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_BASE_URL",
        "DATABASE_PATH",
        "STAFF_USER_IDS",
        "STAFF_CHAT_ID",
        "DEFAULT_LANGUAGE",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
        "WEBHOOK_LISTEN",
        "WEBHOOK_PORT",
        "LOG_LEVEL",
        "LEAD_RETENTION_DAYS",
        "MESSAGES_PER_SECOND",
    }
)


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""


class Secret:
    """A value that must never be printed (the bot token, the webhook secret): its repr and
    str are stars, so neither a log line nor a traceback nor `repr(settings)` can show it.
    `reveal()` is the one way to read it, at the single place that hands it to Telegram."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return other._value == self._value
        if isinstance(other, str):
            return other == self._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)


# How long leads and unanswered questions are kept (LEAD_RETENTION_DAYS); the privacy answer
# quotes the configured value.
DEFAULT_LEAD_RETENTION_DAYS = 730


@dataclass(frozen=True, slots=True)
class Settings:
    telegram_bot_token: Secret | None = field(default=None, repr=False)  # never printed
    telegram_base_url: str = TELEGRAM_API_URL
    database_path: Path = Path("data/assistant.sqlite3")
    staff_user_ids: frozenset[int] = frozenset()
    staff_chat_id: int | None = None
    default_language: Literal["fr", "en"] = "fr"
    webhook_url: str | None = None
    webhook_secret: Secret | None = field(default=None, repr=False)
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    log_level: str = "INFO"
    lead_retention_days: int = DEFAULT_LEAD_RETENTION_DAYS
    # Telegram's overall limit on messages a bot sends (https://core.telegram.org/bots/faq).
    messages_per_second: int = 30

    @property
    def telegram_file_url(self) -> str:
        """The file-download base URL that goes with `telegram_base_url`."""
        root = self.telegram_base_url.removesuffix("/bot")
        return f"{root}/file/bot"


# What `Settings()` holds when nothing is set: the one place defaults are written.
DEFAULTS = Settings()


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a `.env` file with python-dotenv (`NAME=value` lines, `export`, `#` comments,
    quotes); a line it cannot parse, or a name without a value, is refused with its number.
    Variables are not expanded (`$HOME` stays as written)."""
    values: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8") as stream:
            for binding in parse_stream(stream):
                if binding.key is None and not binding.error:
                    continue  # a blank line or a comment
                if binding.error or binding.key is None or binding.value is None:
                    line = binding.original.line
                    raise SettingsError(f"{path}, line {line}: expected NAME=value")
                values[binding.key] = binding.value
    except FileNotFoundError:
        return values
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: cannot be read ({error.__class__.__name__})") from error
    return values


def _integer(
    name: str, raw: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise SettingsError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Settings from `environ` (default: the process environment), over those of `env_file`."""
    merged: dict[str, str] = dict(read_env_file(env_file)) if env_file else {}
    merged.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = merged.get(name, "").strip()
        return value or None

    token = get("TELEGRAM_BOT_TOKEN")
    if token is not None and not _TOKEN.match(token):
        # The message must not echo the token: it may be a real one with a typo.
        raise SettingsError("TELEGRAM_BOT_TOKEN does not look like a bot token (digits:letters)")

    base_url = (get("TELEGRAM_BASE_URL") or DEFAULTS.telegram_base_url).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise SettingsError("TELEGRAM_BASE_URL must start with http:// or https://")
    if not base_url.endswith("/bot"):
        base_url += "/bot"

    staff_ids: set[int] = set()
    for part in (get("STAFF_USER_IDS") or "").split(","):
        if part.strip():
            staff_ids.add(_integer("STAFF_USER_IDS", part.strip(), minimum=1))

    staff_chat = get("STAFF_CHAT_ID")
    language = (get("DEFAULT_LANGUAGE") or DEFAULTS.default_language).lower()
    if language not in ("fr", "en"):
        raise SettingsError(f"DEFAULT_LANGUAGE must be 'fr' or 'en', got {language!r}")

    webhook_url = get("WEBHOOK_URL")
    webhook_secret = get("WEBHOOK_SECRET")
    if webhook_url is not None:
        if not webhook_url.startswith("https://"):
            raise SettingsError("WEBHOOK_URL must be an https:// URL (Telegram refuses others)")
        if webhook_secret is None:
            raise SettingsError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
    if webhook_secret is not None and not _WEBHOOK_SECRET.match(webhook_secret):
        raise SettingsError("WEBHOOK_SECRET must be 1-256 characters: letters, digits, _ and -")

    log_level = (get("LOG_LEVEL") or DEFAULTS.log_level).upper()
    if log_level not in _LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}")

    def number(name: str, default: int, minimum: int | None, maximum: int | None = None) -> int:
        raw = get(name)
        return default if raw is None else _integer(name, raw, minimum=minimum, maximum=maximum)

    database_path = get("DATABASE_PATH")
    return Settings(
        telegram_bot_token=None if token is None else Secret(token),
        telegram_base_url=base_url,
        database_path=DEFAULTS.database_path if database_path is None else Path(database_path),
        staff_user_ids=frozenset(staff_ids),
        staff_chat_id=_integer("STAFF_CHAT_ID", staff_chat) if staff_chat else None,
        default_language="fr" if language == "fr" else "en",
        webhook_url=webhook_url,
        webhook_secret=None if webhook_secret is None else Secret(webhook_secret),
        webhook_listen=get("WEBHOOK_LISTEN") or DEFAULTS.webhook_listen,
        webhook_port=number("WEBHOOK_PORT", DEFAULTS.webhook_port, 1, 65535),
        log_level=log_level,
        lead_retention_days=number("LEAD_RETENTION_DAYS", DEFAULTS.lead_retention_days, 1),
        messages_per_second=number(
            "MESSAGES_PER_SECOND", DEFAULTS.messages_per_second, 1, 100_000
        ),
    )
