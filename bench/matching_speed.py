"""Matching time per question: p50/p99 on the shipped knowledge base, then inflated 10x, 100x.

    python bench/matching_speed.py        (or `make bench`)

The inflated knowledge bases add synthetic intents whose examples mix the real vocabulary with
made-up words, so postings lists and the typo-correction vocabulary grow as they would with a
much larger real knowledge base. Questions are the labelled evaluation questions; each is
timed on its first sight (typo corrections not yet cached) and again warm.

The classifier's weights were trained on the shipped knowledge base only, so the inflated ones
run the nearest-example scorer alone (the "method" column): their figures say how the
examples' index scales, not what a retrained classifier with 10 or 100 times the classes
would cost (its scoring grows with the number of classes).
"""

from __future__ import annotations

import math
import platform
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.accuracy import HOLDOUT_QUESTIONS, QUESTIONS, load_questions
from bot.matching.matcher import Matcher
from knowledge.loader import load_knowledge_base
from knowledge.model import Bilingual, Intent, KnowledgeBase, PerLanguage, Sourced
from knowledge.text_folding import fold

TARGET_P99_MS = {1: 1.0, 100: 20.0}


def inflate(knowledge: KnowledgeBase, factor: int, seed: int = 7) -> KnowledgeBase:
    """A knowledge base with (factor - 1) x as many synthetic intents as real ones."""
    if factor <= 1:
        return knowledge
    rng = random.Random(seed)
    vocabulary = sorted(
        {w for i in knowledge.intents for _l, e in i.examples.all() for w in fold(e).split()}
    )
    synthetic: list[Intent] = []
    for index in range((factor - 1) * len(knowledge.intents)):

        def example() -> str:
            words = [*rng.sample(vocabulary, 4), f"synth{rng.randrange(5000)}"]
            rng.shuffle(words)
            return " ".join(words)

        examples = PerLanguage(
            tuple(example() for _ in range(15)), tuple(example() for _ in range(15))
        )
        synthetic.append(
            Intent(
                id=f"synthetic_{index}",
                kind="conversational",
                examples=examples,
                answer=Bilingual("x", "x"),
                related=(),
                sourced=Sourced(None, None),
            )
        )
    return replace(knowledge, intents=knowledge.intents + tuple(synthetic))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


WARM_ROUNDS = 5


def measure(
    knowledge: KnowledgeBase, questions: list[str]
) -> tuple[float, list[float], list[float], list[float], str]:
    started = time.perf_counter()
    matcher = Matcher(knowledge)
    build = time.perf_counter() - started
    cold: list[float] = []
    for text in questions:
        t0 = time.perf_counter_ns()
        matcher.match(text)
        cold.append((time.perf_counter_ns() - t0) / 1e6)
    warm: list[float] = []
    best = [math.inf] * len(questions)
    for _round in range(WARM_ROUNDS):
        for index, text in enumerate(questions):
            t0 = time.perf_counter_ns()
            matcher.match(text)
            elapsed = (time.perf_counter_ns() - t0) / 1e6
            warm.append(elapsed)
            best[index] = min(best[index], elapsed)
    return build, cold, warm, best, matcher.method


def main() -> int:
    knowledge = load_knowledge_base()
    questions = [q.text for q in load_questions(QUESTIONS) + load_questions(HOLDOUT_QUESTIONS)]
    print(
        f"Machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()}"
    )
    print(
        f"Questions: {len(questions)} (timed cold once, then warm {WARM_ROUNDS}x; 'best' is each"
        " question's fastest warm run: what the code costs, without the machine's other load)"
    )
    print(
        f"{'knowledge base':<14}{'method':>10}{'intents':>8}{'build s':>9}"
        f"{'cold p50':>10}{'cold p99':>10}"
        f"{'warm p50':>10}{'warm p99':>10}{'best p99':>10}{'target p99':>12}"
    )
    for factor in (1, 10, 100):
        inflated = inflate(knowledge, factor)
        build, cold, warm, best, method = measure(inflated, questions)
        target = TARGET_P99_MS.get(factor)
        print(
            f"{'shipped x' + str(factor):<14}{method:>10}{len(inflated.intents):>8}{build:>9.2f}"
            f"{statistics.median(cold):>9.3f}ms{percentile(cold, 0.99):>8.3f}ms"
            f"{statistics.median(warm):>8.3f}ms{percentile(warm, 0.99):>8.3f}ms"
            f"{percentile(best, 0.99):>8.3f}ms"
            f"{(f'{target:.0f} ms' if target else '-'):>12}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
