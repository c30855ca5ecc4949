"""Fixtures: the knowledge base, a fake Bot API on 127.0.0.1, and the real bot on it; the run's
random seed.

Nothing here replaces our own code: `RunningBot` (tests/helpers.py) runs `bot.app.serve` — the
same composition root as production — with `TELEGRAM_BASE_URL` pointing at the fake server and
a real SQLite file in the test's temporary folder.

Randomness is reproducible. Each run draws one seed (or takes `PYTEST_SEED`), prints it in the
header, and seeds Python's `random` with it before every test, so a test's random choices do not
depend on which tests ran before it; `PYTEST_SEED=<seed> make test` repeats them. Hypothesis
keeps its own: its profile below is derandomized (the examples are derived from each test's
code, the same on every run) and prints the `@reproduce_failure` blob of a failure.
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from bot.conversation.dialogue import Dialogue
from bot.matching.matcher import Matcher
from bot.messages.catalogue import Catalogue
from bot.services import build_dialogue
from bot.settings import Secret, Settings
from bot.storage.database import Database
from knowledge.loader import load_knowledge_base
from knowledge.model import KnowledgeBase
from tests.fake_bot_api import FakeBotApi
from tests.helpers import STAFF_CHAT_ID, STAFF_ID, RunningBot, serving

# PTB 22 warns (an error here) when it builds a RetryAfter unless timedeltas are opted into.
os.environ.setdefault("PTB_TIMEDELTA", "1")

# Property tests are about correctness, not speed: a busy 2-core CI machine must not turn
# "generating this input took a second" into a failure. Derandomized, with no example database:
# the same code tests the same examples on every machine and every run.
# `pytest --hypothesis-profile=explore` looks for new examples instead (and prints the seed of a
# failure to replay it with `--hypothesis-seed`).
hypothesis_settings.register_profile(
    "project",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
    database=None,
    print_blob=True,
)
hypothesis_settings.register_profile(
    "explore",
    hypothesis_settings.get_profile("project"),
    derandomize=False,
)
hypothesis_settings.load_profile("project")

__all__ = ["STAFF_CHAT_ID", "STAFF_ID", "RunningBot", "serving"]

SEED_VARIABLE = "PYTEST_SEED"
_SEED = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    given = os.environ.get(SEED_VARIABLE, "").strip()
    try:
        seed = int(given) if given else random.randrange(1_000_000)
    except ValueError:
        raise pytest.UsageError(f"{SEED_VARIABLE} must be an integer, not {given!r}") from None
    config.stash[_SEED] = seed


def _seed_line(config: pytest.Config) -> str:
    seed = config.stash[_SEED]
    return f"random seed: {seed} (repeat this run's random choices with {SEED_VARIABLE}={seed})"


def pytest_report_header(config: pytest.Config) -> str:
    return _seed_line(config)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    if exitstatus != pytest.ExitCode.OK:  # beside the failures, where it is needed
        terminalreporter.write_line(_seed_line(config))


@pytest.fixture
def random_seed(pytestconfig: pytest.Config) -> int:
    """The run's seed: a test that makes its own `random.Random` seeds it with this."""
    return pytestconfig.stash[_SEED]


@pytest.fixture(autouse=True)
def _seeded_random(random_seed: int) -> None:
    """Python's `random` starts every test from the run's seed."""
    random.seed(random_seed)


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture
async def dialogue(tmp_path: Path, knowledge: KnowledgeBase) -> AsyncIterator[Dialogue]:
    """The conversation engine over a real SQLite file, without Telegram."""
    database = await Database.open(tmp_path / "dialogue.sqlite3")
    try:
        yield build_dialogue(knowledge, Matcher(knowledge), Catalogue.load(), database)
    finally:
        await database.close()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def settings(api: FakeBotApi, tmp_path: Path) -> Settings:
    return Settings(
        telegram_bot_token=Secret(api.token),
        telegram_base_url=api.base_url,
        database_path=tmp_path / "assistant.sqlite3",
        staff_user_ids=frozenset({STAFF_ID}),
        staff_chat_id=STAFF_CHAT_ID,
        default_language="fr",
    )


@pytest.fixture
async def bot(
    api: FakeBotApi, settings: Settings, knowledge: KnowledgeBase
) -> AsyncIterator[RunningBot]:
    async with serving(api, settings, knowledge) as running:
        yield running
