"""`wallonia-bot`: the command line. Names, flags and output formats are a stable interface.

wallonia-bot run            the assistant on Telegram (terminal chat when no token is set)
wallonia-bot chat           the assistant in the terminal, on the same engine and database
wallonia-bot match          one question per stdin line -> one JSON object per stdout line
wallonia-bot kb check       validate the knowledge base and the matcher's view of it
wallonia-bot kb train       retrain the intent classifier from the knowledge base (dev extra)
wallonia-bot kb dump        the knowledge base as JSON
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from bot.cli.lead_commands import add_lead_commands, run_lead_command
from bot.matching.matcher import Matcher
from bot.settings import Settings, SettingsError, load_settings
from knowledge.content_checks import check_content
from knowledge.loader import KNOWLEDGE_DIR, KnowledgeBaseError, load_knowledge_base
from knowledge.model import KnowledgeBase

EXIT_OK, EXIT_PROBLEMS, EXIT_SETTINGS = 0, 1, 2


def _knowledge_or_exit(directory: Path) -> KnowledgeBase:
    try:
        return load_knowledge_base(directory)
    except KnowledgeBaseError as error:
        for problem in error.problems:
            print(
                f"{directory / problem.file}: {problem.entry}: {problem.message}",
                file=sys.stderr,
            )
        raise SystemExit(EXIT_PROBLEMS) from None


def _clean_line(line: str) -> str:
    return line.rstrip("\r\n")


def command_match(directory: Path, stdin: TextIO, stdout: TextIO) -> int:
    matcher = Matcher(_knowledge_or_exit(directory))
    for line in stdin:
        text = _clean_line(line)
        match = matcher.match(text)
        record = {
            "text": text,
            "intent": match.intent,
            "cluster": match.cluster,
            "lang": match.language,
            "score": match.score,
            "alternatives": list(match.alternatives),
        }
        stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    stdout.flush()
    return EXIT_OK


def command_kb_check(directory: Path, stdout: TextIO) -> int:
    knowledge = _knowledge_or_exit(directory)
    matcher = Matcher(knowledge)
    misrouted = 0
    for intent in knowledge.intents:
        for language, example in intent.examples.all():
            match = matcher.match(example, fallback_language=language)
            if match.intent != intent.id:
                misrouted += 1
                stdout.write(
                    f"knowledge/intents.yaml: {intent.id}: example {example!r} ({language}) "
                    f"is matched to {match.intent or 'nothing'} (score {match.score})\n"
                )
    content = check_content(knowledge)
    for problem in content:
        stdout.write(f"knowledge/{problem}\n")
    examples = sum(len(i.examples.fr) + len(i.examples.en) for i in knowledge.intents)
    if not matcher.classifier_in_use:
        misrouted += 1
        stdout.write(
            "bot/matching/intent_weights.json, .f32: missing, or trained on another knowledge "
            "base; run `wallonia-bot kb train`\n"
        )
    stdout.write(
        f"{len(knowledge.intents)} intents, {examples} examples, {len(knowledge.clusters)} "
        f"clusters, {len(knowledge.competitiveness_clusters)} competitiveness clusters; "
        f"{misrouted} examples matched to another intent; {len(content)} content problems\n"
    )
    return EXIT_PROBLEMS if misrouted or content else EXIT_OK


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def command_kb_dump(directory: Path, stdout: TextIO) -> int:
    knowledge = _knowledge_or_exit(directory)

    def flatten_sourced(item: Any) -> dict[str, Any]:
        data: dict[str, Any] = _jsonable(asdict(item))
        data.update(data.pop("sourced"))
        return data

    document = {
        "intents": [flatten_sourced(i) for i in knowledge.intents],
        "clusters": [flatten_sourced(c) for c in knowledge.clusters],
        "competitiveness_clusters": [
            flatten_sourced(p) for p in knowledge.competitiveness_clusters
        ],
    }
    for intent in document["intents"]:
        intent["answers"] = intent.pop("answer")
    json.dump(document, stdout, ensure_ascii=False, indent=2)
    stdout.write("\n")
    return EXIT_OK


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        print(f"Setting error: {error}", file=sys.stderr)
        raise SystemExit(EXIT_SETTINGS) from None


def _run_assistant(command: str, directory: Path) -> int:
    """`run` and `chat`: settings, logging, then Telegram or the terminal."""
    settings = _settings_or_exit()
    secrets = (settings.telegram_bot_token, settings.webhook_secret)
    configure_logging(settings.log_level, tuple(s.reveal() for s in secrets if s is not None))
    knowledge = _knowledge_or_exit(directory)
    if command == "run" and settings.telegram_bot_token:
        from bot.app import TokenRejectedError, run_telegram  # `chat` and `match` need no Telegram

        try:
            run_telegram(settings, knowledge)
        except TokenRejectedError:
            # Never quote the token: it may be a real one with a typo.
            print("Setting error: TELEGRAM_BOT_TOKEN was rejected by Telegram", file=sys.stderr)
            return EXIT_SETTINGS
        return EXIT_OK
    if command == "run":
        print(
            "TELEGRAM_BOT_TOKEN is not set: starting the chat in this terminal instead.",
            file=sys.stderr,
        )
    from bot.cli.chat import run_console_chat

    return asyncio.run(run_console_chat(settings, knowledge, sys.stdin, sys.stdout))


def configure_logging(level: str, secrets: tuple[str | None, ...] = ()) -> None:
    """Logging is set up here only, so that no log line can carry the token or personal data.

    httpx logs every request URL, which holds the bot token; python-telegram-bot at DEBUG logs
    the token in its API URL and every update and request body (users' messages, e-mail
    addresses); aiosqlite at DEBUG logs SQL parameters. Those loggers stay at WARNING or INFO
    whatever LOG_LEVEL says, and a filter blanks the secrets anywhere they might still appear.
    """
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for chatty in ("telegram", "aiosqlite", "apscheduler", "tornado"):
        logger = logging.getLogger(chatty)
        logger.setLevel(max(logging.INFO, logging.getLevelName(level)))
    redactor = SecretRedactor(tuple(s for s in secrets if s))
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)


class SecretRedactor(logging.Filter):
    """Replaces secrets (the bot token, the webhook secret) in a record before it is written."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self._secrets = secrets

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            if any(secret in message for secret in self._secrets):
                record.msg, record.args = self._redact(message), None
            if record.exc_info and not record.exc_text:
                # Exception messages can quote the token (PTB's InvalidToken does): format the
                # traceback here, redacted; the handler's formatter then uses this text.
                record.exc_text = self._redact(
                    logging.Formatter().formatException(record.exc_info)
                )
        return True


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wallonia-bot", description="The Wallonia clusters assistant."
    )
    parser.add_argument(
        "--knowledge-dir",
        type=Path,
        default=KNOWLEDGE_DIR,
        help="folder of the knowledge-base YAML files (default: the shipped one)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="run on Telegram (terminal chat when no token is set)")
    commands.add_parser("chat", help="chat in the terminal (reads stdin when piped)")
    commands.add_parser("match", help="match questions from stdin, one JSON line each")
    kb = commands.add_parser("kb", help="knowledge-base tools")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True, metavar="KB_COMMAND")
    kb_commands.add_parser("check", help="validate the knowledge base")
    kb_commands.add_parser("dump", help="print the knowledge base as JSON")
    kb_commands.add_parser(
        "train", help="retrain the intent classifier (needs the dev extra: scikit-learn)"
    )
    learned = kb_commands.add_parser("learned", help="examples staff taught the matcher")
    learned.add_argument(
        "--export", action="store_true", required=True, help="print them as YAML for intents.yaml"
    )
    stats = commands.add_parser("stats", help="lead and question statistics")
    stats.add_argument("--days", type=int, default=30, help="period in days (default 30)")
    stats.add_argument("--chart", type=Path, help="also write the weekly chart to this PNG")
    add_lead_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `wallonia-bot` console script."""
    arguments = _parser().parse_args(argv)
    directory: Path = arguments.knowledge_dir
    try:
        if arguments.command == "match":
            return command_match(directory, sys.stdin, sys.stdout)
        if arguments.command == "kb":
            if arguments.kb_command == "check":
                return command_kb_check(directory, sys.stdout)
            if arguments.kb_command == "train":
                from bot.matching.train import main as train  # scikit-learn: dev extra only

                return train([str(directory)])
            if arguments.kb_command == "learned":
                from bot.staff.learned_export import run_learned_export_command

                return run_learned_export_command(_settings_or_exit(), sys.stdout)
            return command_kb_dump(directory, sys.stdout)
        if arguments.command == "leads":
            return run_lead_command(arguments, _settings_or_exit(), sys.stdout)
        if arguments.command == "stats":
            from bot.staff.stats import run_stats_command  # pulls in the chart library lazily

            return run_stats_command(
                _settings_or_exit(),
                arguments.days,
                arguments.chart,
                sys.stdout,
                _knowledge_or_exit(directory),
            )
        return _run_assistant(arguments.command, directory)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `wallonia-bot match | head` closes our stdout early: that is not an error.
        return EXIT_OK
