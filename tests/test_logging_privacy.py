"""Logs never hold the bot token or what users typed, in the test process or in `bot run`."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.main import configure_logging
from tests.fake_bot_api import FakeBotApi
from tests.helpers import RunningBot, fill_until_summary

USER = 8181
OTHER = 8282
COMPANY = "Fromagerie Secrète Lambeau"
PERSONAL_DATA = (
    COMPANY,
    "Jeanne Dupont",
    "jeanne@dupont.be",
    "0471 12 34 56",
    "+32471123456",
)
OUT_OF_SCOPE = "Quel temps fera-t-il à Namur demain matin ?"
RETRIED_QUESTION = "c'est quoi exactement un cluster wallon ?"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


class SecretInLogsError(AssertionError):
    """A log line holds the token or personal data."""


def leaks(text: str, secrets: tuple[str, ...]) -> list[str]:
    return [secret for secret in secrets if secret in text]


def token_secrets(token: str) -> tuple[str, ...]:
    return token, token.split(":", 1)[1]


@pytest.fixture
def production_logging(request: pytest.FixtureRequest) -> Iterator[int]:
    """The entry point's logger levels (httpx kept at WARNING), restored afterwards.

    Yields the root level `LOG_LEVEL` (the parameter) would give.
    """
    level_name = str(getattr(request, "param", "INFO"))
    names = ("httpx", "httpcore")
    before = {name: logging.getLogger(name).level for name in names}
    configure_logging(level_name)  # no-op root set-up under pytest: its handlers are there
    yield logging.getLevelName(level_name)
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


async def converse(bot: RunningBot) -> None:
    """A join flow up to the summary, an out-of-scope question and a send retried after 502."""
    summary = await fill_until_summary(bot, USER, company=COMPANY)
    assert COMPANY in summary.text
    [fallback] = await bot.ask(OTHER, OUT_OF_SCOPE)
    assert "Désolé" in fallback.text
    bot.api.fail_next("sendMessage", status=502)
    [answer] = await bot.ask(OTHER, RETRIED_QUESTION)
    assert "Source" in answer.text
    assert [r.status for r in bot.api.calls("sendMessage")[-2:]] == [502, 200]


def check_records(records: list[logging.LogRecord], secrets: tuple[str, ...]) -> None:
    formatter = logging.Formatter()
    found: list[str] = []
    for record in records:
        text = record.getMessage()
        if record.exc_info:
            text += formatter.formatException(record.exc_info)
        for secret in leaks(text, secrets):
            found.append(f"{record.name} {record.levelname}: {secret!r}")
    if found:
        raise SecretInLogsError("\n".join(sorted(set(found))))


@pytest.mark.parametrize(
    "production_logging",
    [
        pytest.param("INFO", id="INFO"),
        pytest.param("DEBUG", id="DEBUG"),
    ],
    indirect=True,
)
async def test_conversation_logs_no_token_and_no_personal_data(
    production_logging: int, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    # Every logger, from the root down, at LOG_LEVEL (caplog restores the level afterwards).
    caplog.set_level(production_logging)
    # A restart under that level, so the start-up records are captured too.
    await bot.restart()
    await converse(bot)
    assert any(r.name.startswith("bot.") for r in caplog.records)  # capture is working
    assert any("retry" in r.getMessage() for r in caplog.records)  # the 502 was logged
    secrets = token_secrets(bot.api.token) + PERSONAL_DATA + (OUT_OF_SCOPE, RETRIED_QUESTION)
    check_records(caplog.records, secrets)


async def start_bot(api: FakeBotApi, tmp_path: Path, log_level: str) -> asyncio.subprocess.Process:
    """`python -m bot run` against `api`, with only the settings it needs."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT_ROOT),
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_BASE_URL": api.base_url,
        "DATABASE_PATH": str(tmp_path / "assistant.sqlite3"),
        "LOG_LEVEL": log_level,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,  # no stray .env from the developer's checkout
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize(
    "log_level",
    [
        "INFO",
        "DEBUG",
    ],
)
async def test_bot_run_answers_stops_on_sigterm_and_keeps_the_token_out_of_stderr(
    api: FakeBotApi, tmp_path: Path, log_level: str
) -> None:
    process = await start_bot(api, tmp_path, log_level)
    try:
        await api.wait_for(lambda: bool(api.calls("getUpdates")), timeout=15)
        api.user_message(USER, RETRIED_QUESTION)
        [answer] = await api.wait_for_messages(USER, 1, timeout=10)
        assert "Source" in answer.text
        process.send_signal(signal.SIGTERM)
        _stdout, stderr_bytes = await asyncio.wait_for(process.communicate(), timeout=10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = stderr_bytes.decode("utf-8", "replace")
    assert process.returncode == 0, stderr[-2000:]
    assert "ready (long polling)" in stderr
    found = leaks(stderr, (*token_secrets(api.token), RETRIED_QUESTION))
    if found:
        raise SecretInLogsError(f"stderr holds {found!r}")
    api.assert_no_errors()


async def test_a_rejected_token_exits_2_without_quoting_it(
    api: FakeBotApi, tmp_path: Path
) -> None:
    api.fail_next("getMe", status=401, description="Unauthorized", times=10)
    process = await start_bot(api, tmp_path, "DEBUG")
    try:
        _stdout, stderr_bytes = await asyncio.wait_for(process.communicate(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = stderr_bytes.decode("utf-8", "replace")
    assert process.returncode == 2, stderr[-2000:]
    assert "TELEGRAM_BOT_TOKEN was rejected" in stderr
    assert "Traceback" not in stderr
    assert not leaks(stderr, token_secrets(api.token))


def test_log_redaction_covers_exception_text() -> None:
    from bot.cli.main import SecretRedactor

    redactor = SecretRedactor(("123:SECRET",))
    try:
        raise ValueError("token 123:SECRET was rejected")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed with %s", ("123:SECRET",), sys.exc_info()
        )
    assert redactor.filter(record)
    formatted = logging.Formatter().format(record)
    assert "SECRET" not in formatted
    assert "<redacted>" in formatted
