"""Accuracy of the matcher on the labelled questions, next to a plain rapidfuzz baseline.

    python bench/accuracy.py            (or `make bench`)

The questions (tests/data/labelled_questions.yaml) were written apart from the knowledge base.
The baseline is what one would write in five minutes: `rapidfuzz.process.extractOne` with
`WRatio` over every knowledge-base example, a fixed cut-off for "out of scope", and the same
over cluster names and aliases for the cluster.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process, utils

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.matching.matcher import Matcher
from knowledge.loader import load_knowledge_base
from knowledge.model import KnowledgeBase

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
# The development set was used to tune the matcher's thresholds; the held-out set never was,
# so its figures are the honest estimate of how the matcher does on new questions.
QUESTIONS = DATA / "labelled_questions.yaml"
HOLDOUT_QUESTIONS = DATA / "holdout_questions.yaml"
BASELINE_CUTOFF = 80.0  # WRatio below this counts as "out of scope" for the baseline
TARGETS = {"in_scope": 0.95, "out_of_scope": 0.90, "cluster": 0.95, "fr": 0.93, "en": 0.93}


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    language: str
    intent: str | None
    cluster: str | None


@dataclass(frozen=True, slots=True)
class Scores:
    in_scope: float  # share of in-scope questions given the right intent
    out_of_scope: float  # share of out-of-scope questions rejected
    cluster: float  # share of questions naming or implying a cluster given the right one
    per_language: dict[str, float]  # share of each language's questions handled right
    errors: list[str]


Predict = Callable[[str], tuple[str | None, str | None]]


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Question(q["text"], q["lang"], q.get("intent"), q.get("cluster"))
        for q in data["questions"]
    ]


def evaluate(predict: Predict, questions: list[Question]) -> Scores:
    """Score `predict` (text -> intent, cluster) on `questions`."""
    in_scope = [q for q in questions if q.intent is not None]
    out_of_scope = [q for q in questions if q.intent is None]
    with_cluster = [q for q in in_scope if q.cluster is not None]
    right_intent = right_rejection = right_cluster = 0
    per_language: dict[str, list[int]] = {}
    errors: list[str] = []
    for question in questions:
        intent, cluster = predict(question.text)
        correct = intent == question.intent
        if question.intent is None:
            right_rejection += correct
        else:
            right_intent += correct
        if question.cluster is not None and cluster == question.cluster:
            right_cluster += 1
        counts = per_language.setdefault(question.language, [0, 0])
        counts[0] += correct
        counts[1] += 1
        if not correct or (question.cluster is not None and cluster != question.cluster):
            errors.append(
                f"{question.text!r}: expected {question.intent}/{question.cluster}, "
                f"got {intent}/{cluster}"
            )
    return Scores(
        in_scope=right_intent / max(1, len(in_scope)),
        out_of_scope=right_rejection / max(1, len(out_of_scope)),
        cluster=right_cluster / max(1, len(with_cluster)),
        per_language={lang: c[0] / c[1] for lang, c in sorted(per_language.items())},
        errors=errors,
    )


def matcher_predict(knowledge: KnowledgeBase) -> Predict:
    matcher = Matcher(knowledge)

    def predict(text: str) -> tuple[str | None, str | None]:
        match = matcher.match(text)
        return match.intent, match.cluster

    return predict


def baseline_predict(knowledge: KnowledgeBase) -> Predict:
    examples: list[str] = []
    owners: list[str] = []
    for intent in knowledge.intents:
        for _language, example in intent.examples.all():
            examples.append(example)
            owners.append(intent.id)
    names: list[str] = []
    name_owners: list[str] = []
    for cluster in knowledge.clusters:
        for name in (cluster.name, *cluster.aliases.fr, *cluster.aliases.en):
            names.append(name)
            name_owners.append(cluster.id)

    def closest(text: str, choices: list[str]) -> tuple[str, float, int] | None:
        return process.extractOne(
            text,
            choices,
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            score_cutoff=BASELINE_CUTOFF,
        )

    def predict(text: str) -> tuple[str | None, str | None]:
        found = closest(text, examples)
        named = closest(text, names)
        return (
            owners[found[2]] if found else None,
            name_owners[named[2]] if named else None,
        )

    return predict


def report(title: str, knowledge: KnowledgeBase, questions: list[Question], verbose: bool) -> None:
    ours = evaluate(matcher_predict(knowledge), questions)
    baseline = evaluate(baseline_predict(knowledge), questions)
    in_scope = sum(q.intent is not None for q in questions)
    print(
        f"{title}: {len(questions)} questions ({in_scope} in scope, "
        f"{len(questions) - in_scope} out of scope)"
    )
    print(f"  {'figure':<28}{'matcher':>10}{'baseline':>10}{'target':>10}")
    rows = [
        ("in-scope top-1 accuracy", ours.in_scope, baseline.in_scope, TARGETS["in_scope"]),
        (
            "out-of-scope rejected",
            ours.out_of_scope,
            baseline.out_of_scope,
            TARGETS["out_of_scope"],
        ),
        ("cluster accuracy", ours.cluster, baseline.cluster, TARGETS["cluster"]),
    ]
    for language in ours.per_language:
        rows.append(
            (
                f"accuracy ({language})",
                ours.per_language[language],
                baseline.per_language.get(language, 0.0),
                TARGETS[language],
            )
        )
    for name, mine, theirs, target in rows:
        print(f"  {name:<28}{mine:>10.1%}{theirs:>10.1%}{target:>10.0%}")
    if verbose:
        print("  matcher errors:")
        for error in ours.errors:
            print("    " + error)
    print()


def main() -> int:
    knowledge = load_knowledge_base()
    verbose = "-v" in sys.argv
    report("Development set (used for tuning)", knowledge, load_questions(QUESTIONS), verbose)
    if "--dev-only" not in sys.argv:
        report(
            "Held-out set (never used for tuning)",
            knowledge,
            load_questions(HOLDOUT_QUESTIONS),
            False,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
