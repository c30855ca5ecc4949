"""The examples staff taught the matcher (from `/unanswered`), as YAML to paste into the
knowledge base: `wallonia-bot kb learned --export`.

Learned examples already count at once and after a restart (they are stored and loaded next
to the knowledge base); this export is how they become part of `knowledge/intents.yaml`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import yaml

from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.learned_example_store import LearnedExample, LearnedExampleStore


def export_learned_yaml(examples: Iterable[LearnedExample]) -> str:
    """Learned examples as YAML, by intent then language, ready to paste into the `examples:`
    of each intent in knowledge/intents.yaml."""
    by_intent: dict[str, dict[str, list[str]]] = {}
    for example in examples:
        languages = by_intent.setdefault(example.intent_id, {})
        texts = languages.setdefault(example.language, [])
        if example.text not in texts:
            texts.append(example.text)
    if not by_intent:
        return "# No learned example yet.\n"
    document = {
        intent: {language: by_intent[intent][language] for language in sorted(by_intent[intent])}
        for intent in sorted(by_intent)
    }
    header = "# Learned examples, by intent and language: paste each list under that intent's\n"
    header += "# `examples:` in knowledge/intents.yaml.\n"
    return header + yaml.safe_dump(
        document, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000
    )


async def _learned_examples(database_path: Path) -> list[LearnedExample]:
    database = await Database.open(database_path)
    try:
        return await LearnedExampleStore(database).all()
    finally:
        await database.close()


def run_learned_export_command(settings: Settings, stdout: TextIO) -> int:
    """`wallonia-bot kb learned --export`: the learned examples as YAML on stdout."""
    stdout.write(export_learned_yaml(asyncio.run(_learned_examples(settings.database_path))))
    return 0
