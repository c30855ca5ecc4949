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


def test_no_matching_module_is_too_long_to_read() -> None:
    """bot/matching grew past 600 lines in one file once; each module now holds one thing."""
    lengths = {
        path.name: len(path.read_text(encoding="utf-8").splitlines())
        for path in (PROJECT_ROOT / "bot" / "matching").glob("*.py")
    }
    assert {name: n for name, n in lengths.items() if n > 450} == {}
