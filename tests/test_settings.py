"""Settings from a mapping and a `.env` file: defaults, parsing, precedence and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import (
    SETTING_NAMES,
    TELEGRAM_API_URL,
    Settings,
    SettingsError,
    load_settings,
    read_env_file,
)

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # noqa: S105 - a made-up token


def test_defaults() -> None:
    assert load_settings({}, env_file=None) == Settings(
        telegram_bot_token=None,
        telegram_base_url="https://api.telegram.org/bot",
        database_path=Path("data/assistant.sqlite3"),
        staff_user_ids=frozenset(),
        staff_chat_id=None,
        default_language="fr",
        webhook_url=None,
        webhook_secret=None,
        webhook_listen="127.0.0.1",
        webhook_port=8443,
        log_level="INFO",
        lead_retention_days=730,
    )


def test_a_missing_env_file_is_no_error(tmp_path: Path) -> None:
    assert read_env_file(tmp_path / "absent.env") == {}
    assert load_settings({}, env_file=tmp_path / "absent.env") == load_settings({}, env_file=None)


def test_env_file_parsing(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# the bot's settings\n"
        "\n"
        f"TELEGRAM_BOT_TOKEN={TOKEN}\n"
        "   # an indented comment\n"
        "export DEFAULT_LANGUAGE=en\n"
        'DATABASE_PATH="/var/lib/bot/my leads.sqlite3"\n'
        "WEBHOOK_SECRET='s3cret_-token'\n"
        "WEBHOOK_URL = https://bot.example.org/hook?a=1&b=2\n"
        "STAFF_USER_IDS=\n",
        encoding="utf-8",
    )
    assert read_env_file(env_file) == {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DEFAULT_LANGUAGE": "en",
        "DATABASE_PATH": "/var/lib/bot/my leads.sqlite3",
        "WEBHOOK_SECRET": "s3cret_-token",
        "WEBHOOK_URL": "https://bot.example.org/hook?a=1&b=2",
        "STAFF_USER_IDS": "",
    }
    settings = load_settings({}, env_file=env_file)
    assert settings.telegram_bot_token == TOKEN
    assert settings.default_language == "en"
    assert settings.database_path == Path("/var/lib/bot/my leads.sqlite3")
    assert settings.webhook_secret == "s3cret_-token"  # noqa: S105 - test data
    assert settings.webhook_url == "https://bot.example.org/hook?a=1&b=2"
    assert settings.staff_user_ids == frozenset()


def test_env_file_line_without_equals_sign_names_the_line(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=DEBUG\nDEFAULT_LANGUAGE en\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"line 2: expected NAME=value"):
        load_settings({}, env_file=env_file)


def test_environment_overrides_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DEFAULT_LANGUAGE=en\nLOG_LEVEL=DEBUG\n", encoding="utf-8")
    settings = load_settings({"DEFAULT_LANGUAGE": "FR"}, env_file=env_file)
    assert (settings.default_language, settings.log_level) == ("fr", "DEBUG")


@pytest.mark.parametrize(
    ("configured", "api_url", "file_url"),
    [
        (None, "https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        ("http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        (
            "http://127.0.0.1:8081/bot",
            "http://127.0.0.1:8081/bot",
            "http://127.0.0.1:8081/file/bot",
        ),
        (
            "https://tg.example.org/bot/",
            "https://tg.example.org/bot",
            "https://tg.example.org/file/bot",
        ),
    ],
)
def test_telegram_base_url_normalisation(
    configured: str | None, api_url: str, file_url: str
) -> None:
    environ = {} if configured is None else {"TELEGRAM_BASE_URL": configured}
    settings = load_settings(environ, env_file=None)
    assert settings.telegram_base_url == api_url
    assert settings.telegram_file_url == file_url
    assert TELEGRAM_API_URL == "https://api.telegram.org/bot"


@pytest.mark.parametrize(
    ("raw", "ids"),
    [
        ("", frozenset()),
        ("42", frozenset({42})),
        ("1, 2,3", frozenset({1, 2, 3})),
        (" 7 ,, 7 , 8 ,", frozenset({7, 8})),
    ],
)
def test_staff_user_ids(raw: str, ids: frozenset[int]) -> None:
    assert load_settings({"STAFF_USER_IDS": raw}, env_file=None).staff_user_ids == ids


@pytest.mark.parametrize("raw", ["abc", "1,two", "0", "-5", "1.5"])
def test_bad_staff_user_ids(raw: str) -> None:
    with pytest.raises(SettingsError, match="STAFF_USER_IDS"):
        load_settings({"STAFF_USER_IDS": raw}, env_file=None)


def test_numbers_and_choices() -> None:
    settings = load_settings(
        {
            "STAFF_CHAT_ID": "-100500",
            "WEBHOOK_PORT": "8080",
            "LEAD_RETENTION_DAYS": "30",
            "LOG_LEVEL": "debug",
            "DEFAULT_LANGUAGE": "EN",
            "MESSAGES_PER_SECOND": "100",
        },
        env_file=None,
    )
    assert settings.messages_per_second == 100
    assert settings.staff_chat_id == -100500
    assert (settings.webhook_port, settings.lead_retention_days) == (8080, 30)
    assert (settings.log_level, settings.default_language) == ("DEBUG", "en")


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"DEFAULT_LANGUAGE": "de"}, "DEFAULT_LANGUAGE"),
        ({"TELEGRAM_BASE_URL": "ftp://tg.example.org"}, "TELEGRAM_BASE_URL"),
        ({"WEBHOOK_URL": "https://bot.example.org/hook"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URL": "bot.example.org", "WEBHOOK_SECRET": "abc"}, "WEBHOOK_URL"),
        ({"WEBHOOK_SECRET": "has spaces"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_SECRET": "x" * 257}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_PORT": "0"}, "WEBHOOK_PORT"),
        ({"WEBHOOK_PORT": "65536"}, "WEBHOOK_PORT"),
        ({"WEBHOOK_PORT": "https"}, "WEBHOOK_PORT"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"LEAD_RETENTION_DAYS": "0"}, "LEAD_RETENTION_DAYS"),
        ({"MESSAGES_PER_SECOND": "0"}, "MESSAGES_PER_SECOND"),
        ({"MESSAGES_PER_SECOND": "fast"}, "MESSAGES_PER_SECOND"),
        ({"STAFF_CHAT_ID": "staff"}, "STAFF_CHAT_ID"),
    ],
)
def test_bad_settings_are_named(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(environ, env_file=None)


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "123456789",
        "abc:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        "123:short",
        "1:a b c d e f g h",
    ],
)
def test_a_bad_token_is_never_echoed(token: str) -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN") as raised:
        load_settings({"TELEGRAM_BOT_TOKEN": token}, env_file=None)
    assert token.split(":")[-1] not in str(raised.value)


def test_the_token_and_webhook_secret_stay_out_of_repr() -> None:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "WEBHOOK_URL": "https://bot.example.org/hook",
            "WEBHOOK_SECRET": "s3cret_value",
        },
        env_file=None,
    )
    assert settings.telegram_bot_token == TOKEN
    assert TOKEN.split(":")[1] not in repr(settings)
    assert "s3cret_value" not in repr(settings)


def test_a_plain_http_webhook_is_refused() -> None:
    with pytest.raises(SettingsError, match="WEBHOOK_URL"):
        load_settings({"WEBHOOK_URL": "http://bot.example.org/hook", "WEBHOOK_SECRET": "s"}, None)


def test_env_example_lists_every_setting_read() -> None:
    example = Path(__file__).resolve().parents[1] / ".env.example"
    assert set(read_env_file(example)) == SETTING_NAMES
    # And the example, copied as it is, is a valid configuration.
    load_settings({}, env_file=example)
