"""The project needs nothing outside its own folder: a clone alone passes `make test`.

No tracked file but prose (`*.md`) names a path that leaves the repository: the material the
project was started from (a `shared` folder beside the project's root) is not beside a user's
clone, so whatever the code, the tests or the benchmarks need is carried inside (for example
tests/data/telegram-bot-api.json).

The samples below are put together from pieces, so that this file does not hold what it looks
for (the same search runs before each session's submission).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fake_bot_api import DEFAULT_SPEC_PATH, load_spec

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Ways of reaching the folder beside the project, or this machine's copy of it.
OUTSIDE = re.compile(
    r"""
      \.\./+shared\b                          # up one folder or more, into shared
    | parents\[\s*\d+\s*\]\s*/\s*["']shared   # Path(…).parents[N] joined with shared
    | parent\s*/\s*["']shared["']             # ….parent.parent / "shared"
    | ["']shared["']\s*/\s*["']telegram       # "shared" / "telegram"
    | (?<![\w.])/work/                        # this workplace's absolute paths
    """,
    re.VERBOSE,
)


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files")
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [name for name in listing.split("\0") if name]


def test_no_tracked_file_reaches_outside_the_repository() -> None:
    files = tracked_files()
    assert files, "git ls-files listed nothing"
    offenders = []
    for name in files:
        if name.endswith(".md") or name == "tests/test_self_contained.py":
            continue  # prose may tell where a file came from; this file holds the patterns
        path = PROJECT_ROOT / name
        if not path.is_file():
            continue  # deleted in the work tree, not yet committed
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert not offenders, "paths outside the repository:\n" + "\n".join(offenders)


def test_the_pattern_catches_what_it_is_for() -> None:
    up = ".." + "/"
    for line in (
        'Path(__file__).resolve().parents[2] / "' + 'shared" / "telegram" / "bot-api-9.2.json"',
        f"spec = ROOT / '{up}shared/telegram/bot-api-9.2.json'",
        f"# facts from {up}{up}shared/sources/facts.md",
        'ROOT.parent / "shared"',
        "open('/work/shared/seed/the-clusters.txt')",
    ):
        assert OUTSIDE.search(line), line
    for line in (
        "shared by every split",
        "a dict shared between handlers",
        "tests/data/x.json",
        "https://example.org/work/page",
    ):
        assert not OUTSIDE.search(line), line


def test_the_fake_bot_api_reads_the_description_carried_in_the_repository() -> None:
    assert DEFAULT_SPEC_PATH.is_relative_to(PROJECT_ROOT)
    spec = load_spec()
    assert spec.version == "Bot API 9.2"
    assert spec.method("sendMessage") is not None
