"""Share of conversation turns right, on the development stories and the held-out ones.

    python bench/stories.py              # the table
    python bench/stories.py --misses     # and every development turn that went wrong

The held-out stories were written by someone who never saw the knowledge base or its
examples; their misses are not printed (to read them would be to tune on them) unless
`--heldout-misses` is given, for a final report.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.matching.matcher import Matcher
from bot.messages.catalogue import Catalogue
from bot.services import build_dialogue
from bot.storage.database import Database
from knowledge.loader import load_knowledge_base
from tests.story_runner import PARTS, TurnResult, figures, load_stories, run_story

TARGET_HELDOUT = 0.90


async def run_all() -> list[TurnResult]:
    knowledge = load_knowledge_base()
    matcher = Matcher(knowledge)
    results: list[TurnResult] = []
    with tempfile.TemporaryDirectory() as folder:
        database = await Database.open(Path(folder) / "stories.sqlite3")
        try:
            dialogue = build_dialogue(knowledge, matcher, Catalogue.load(), database)
            user_id = 1
            for part in PARTS:
                for story in load_stories(part):
                    results.extend(await run_story(dialogue, story, user_id))
                    user_id += 1
        finally:
            await database.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="print development misses")
    parser.add_argument("--heldout-misses", action="store_true", help="print held-out misses")
    args = parser.parse_args()
    results = asyncio.run(run_all())
    print(f"{'part':<12} {'lang':<5} {'turns':>6} {'right':>7} {'q.stored':>9} {'off-topic':>10}")
    for part in PARTS:
        for lang in ("fr", "en", "all"):
            chosen = [r for r in results if r.part == part and lang in (r.lang, "all")]
            f = figures(chosen)
            print(
                f"{part:<12} {lang:<5} {f.turns:>6} {f.share:>7.1%}"
                f" {f.questions_stored:>9} {f.in_domain_off_topic:>10}"
            )
    heldout = figures(r for r in results if r.part == "heldout")
    verdict = "met" if heldout.share >= TARGET_HELDOUT else "MISSED"
    print(
        f"\nheld-out target: >= {TARGET_HELDOUT:.0%} of turns right ({verdict}),"
        " 0 questions stored as form answers, 0 in-domain questions called off-topic"
    )
    shown = {"development"} if args.misses else set()
    if args.heldout_misses:
        shown.add("heldout")
    for result in results:
        if result.part in shown and not result.ok:
            failures = "; ".join(result.failures)
            print(f"- [{result.part}] {result.story}: {result.said!r}: {failures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
