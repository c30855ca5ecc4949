"""Dependencies point one way: the core (knowledge/ and bot/ but for its Telegram adapters)
imports nothing from `telegram`, so it runs in the terminal, in tests and in benchmarks."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import bot
import knowledge

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The only modules of bot/ allowed to import python-telegram-bot: the composition root and
# the runtime pieces it plugs into the Application.
TELEGRAM_ADAPTERS = {"bot.app", "bot.__main__"}


def core_modules() -> list[str]:
    names = []
    for package in (bot, knowledge):
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            if module.name not in TELEGRAM_ADAPTERS:
                names.append(module.name)
    return sorted(names)


def test_the_core_imports_nothing_from_telegram() -> None:
    modules = core_modules()
    assert "bot.matching.matcher" in modules
    assert "bot.conversation.dialogue" in modules
    assert "bot.storage.database" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'telegram' or m.startswith('telegram.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_only_the_composition_root_builds_the_application() -> None:
    builders = [
        path.relative_to(PROJECT_ROOT).as_posix()
        for folder in ("bot", "handlers")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if "ApplicationBuilder(" in path.read_text(encoding="utf-8")
    ]
    assert builders == ["bot/app.py"]


# Modules directly in bot/ (sub-packages not counted): the entry point and the composition.
MAX_MODULES_IN_BOT = 8
MAX_LINES = 450
# Temporary: files being split on other branches right now. Remove the line when its split
# lands (bot/matching/ landed with issue #15, answers and the loader with #14).
BEING_SPLIT: tuple[str, ...] = ()


def test_bot_holds_few_modules_directly() -> None:
    modules = sorted(path.name for path in (PROJECT_ROOT / "bot").glob("*.py"))
    assert len(modules) <= MAX_MODULES_IN_BOT, modules


def test_no_source_file_is_too_long() -> None:
    too_long = {}
    for folder in ("bot", "handlers", "knowledge"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            name = path.relative_to(PROJECT_ROOT).as_posix()
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES and not name.startswith(BEING_SPLIT):
                too_long[name] = lines
    assert too_long == {}
