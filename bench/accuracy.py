"""Accuracy of the matcher's methods, development set beside held-out set, with a baseline.

    python bench/accuracy.py            (or `make bench`)
    python bench/accuracy.py -v         (also the development set's misses, ensemble)
    python bench/accuracy.py --held-out-misses   (the held-out sets' misses: only to report them)

Methods compared on the same questions: (a) the nearest-example scorer, (b) the learned
classifier (TF-IDF word and character n-grams, logistic regression, exported weights), (c) their
ensemble (what the bot uses), and a rapidfuzz baseline: what one would write in five minutes,
`rapidfuzz.process.extractOne` with `WRatio` over every knowledge-base example, a fixed cut-off
for "out of scope", and the same over cluster names and aliases for the cluster.

Development: tests/data/labelled_questions.yaml and holdout_questions.yaml (the latter was
held out once, but its misses were studied to plan issue #15, so it now counts as development).
Held-out: tests/data/heldout_questions_v2.yaml, written by someone who never saw the knowledge
base, and never used for tuning: only these aggregate figures are looked at.
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

from bot.matching.matcher import Matcher, Method
from knowledge.loader import load_knowledge_base
from knowledge.model import KnowledgeBase
from knowledge.text_folding import fold

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
# The development sets were used to tune the matcher; the held-out set never was, so its
# figures are the honest estimate of how the matcher does on new questions.
QUESTIONS = DATA / "labelled_questions.yaml"
HOLDOUT_QUESTIONS = DATA / "holdout_questions.yaml"
DEV_QUESTIONS_V3 = DATA / "dev_questions_v3.yaml"
DEV_QUESTIONS_V4 = DATA / "dev_questions_v4.yaml"
DEV_QUESTIONS_V5 = DATA / "dev_questions_v5.yaml"
DEV_QUESTIONS_V6 = DATA / "dev_questions_v6.yaml"
DEV_QUESTIONS_V7 = DATA / "dev_questions_v7.yaml"
DEV_QUESTIONS_V8 = DATA / "dev_questions_v8.yaml"
DEV_QUESTIONS_V9 = DATA / "dev_questions_v9.yaml"
DEV_QUESTIONS_V10 = DATA / "dev_questions_v10.yaml"
DEVELOPMENT = (
    QUESTIONS,
    HOLDOUT_QUESTIONS,
    DEV_QUESTIONS_V3,
    DEV_QUESTIONS_V4,
    DEV_QUESTIONS_V5,
    DEV_QUESTIONS_V6,
    DEV_QUESTIONS_V7,
    DEV_QUESTIONS_V8,
    DEV_QUESTIONS_V9,
    DEV_QUESTIONS_V10,
)
HELD_OUT_QUESTIONS = DATA / "heldout_questions_v2.yaml"
# A second held-out set, written blind in session 7 (see its header); reported beside the first,
# which the table above and the tests' floors keep using, so that figures stay comparable.
SECOND_HELD_OUT_QUESTIONS = DATA / "heldout_questions_v3.yaml"
BASELINE_CUTOFF = 80.0  # WRatio below this counts as "out of scope" for the baseline
# Held-out targets (issue #15); "fr - en" and the gap are at most these many points.
TARGETS = {"in_scope": 0.97, "out_of_scope": 0.95, "cluster": 0.97}
MAX_LANGUAGE_GAP = 0.02
MAX_OVERFITTING_GAP = 0.02
METHODS: tuple[tuple[str, Method], ...] = (
    ("(a) nearest", "nearest"),
    ("(b) classifier", "classifier"),
    ("(c) ensemble", "ensemble"),
)


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
    overall: float  # share of all questions handled right (intent or rejection)
    errors: list[str]


Predict = Callable[[str], tuple[str | None, str | None]]


def load_questions(*paths: Path) -> list[Question]:
    """The questions of every file given (the first development file when none is)."""
    questions: list[Question] = []
    for path in paths or (QUESTIONS,):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        questions += [
            Question(q["text"], q["lang"], q.get("intent"), q.get("cluster"))
            for q in data["questions"]
        ]
    return questions


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
        overall=(right_intent + right_rejection) / max(1, len(questions)),
        errors=errors,
    )


def matcher_predict(knowledge: KnowledgeBase, method: Method = "ensemble") -> Predict:
    matcher = Matcher(knowledge, method=method)
    if matcher.method != method:
        raise SystemExit("the classifier's weights are stale: python -m bot.matching.train")

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


def figures(scores: Scores) -> dict[str, float]:
    """The figures the README and the targets speak of."""
    result = {
        "in_scope": scores.in_scope,
        "out_of_scope": scores.out_of_scope,
        "cluster": scores.cluster,
        "overall": scores.overall,
    }
    result.update({f"lang_{k}": v for k, v in scores.per_language.items()})
    result["fr_minus_en"] = scores.per_language.get("fr", 0.0) - scores.per_language.get("en", 0.0)
    return result


ROWS = (
    ("in scope, top-1", "in_scope"),
    ("out of scope rejected", "out_of_scope"),
    ("cluster", "cluster"),
    ("French", "lang_fr"),
    ("English", "lang_en"),
    ("French - English", "fr_minus_en"),
    ("all questions", "overall"),
)


def main() -> int:
    knowledge = load_knowledge_base()
    development = load_questions(*DEVELOPMENT)
    held_out = load_questions(HELD_OUT_QUESTIONS)
    columns: list[tuple[str, Scores, Scores]] = []
    for title, method in METHODS:
        predict = matcher_predict(knowledge, method)
        columns.append((title, evaluate(predict, development), evaluate(predict, held_out)))
    baseline = baseline_predict(knowledge)
    columns.append(("rapidfuzz", evaluate(baseline, development), evaluate(baseline, held_out)))

    def counts(questions: list[Question]) -> str:
        in_scope = sum(q.intent is not None for q in questions)
        clusters = sum(q.cluster is not None for q in questions)
        french = sum(q.language == "fr" for q in questions)
        return (
            f"{len(questions)} questions: {in_scope} in scope, {len(questions) - in_scope} out"
            f" of scope, {clusters} naming a cluster, {french} in French"
        )

    examples = {fold(e) for i in knowledge.intents for _lang, e in i.examples.all()}
    verbatim = sum(fold(q.text) in examples for q in held_out)
    print(f"Development: {counts(development)}")
    print(f"Held-out:    {counts(held_out)}; {verbatim} equal a knowledge-base example")
    print(f"{'':<24}" + "".join(f"{title:>18}" for title, _d, _h in columns) + f"{'target':>9}")
    print(f"{'':<24}" + f"{'dev  held-out':>18}" * len(columns))
    for label, key in ROWS:
        cells = ""
        for _title, dev, held in columns:
            d, h = figures(dev)[key], figures(held)[key]
            cells += f"{d * 100:>9.1f}{h * 100:>9.1f}"
        target = TARGETS.get(key)
        note = f"{target:.0%}" if target else ""
        if key == "fr_minus_en":
            note = f"±{MAX_LANGUAGE_GAP * 100:.0f}"
        print(f"{label:<24}{cells}{note:>9}")
    gaps = ""
    for _title, dev, held in columns:
        gaps += f"{(dev.overall - held.overall) * 100:>18.1f}"
    print(f"{'dev - held-out (all)':<24}{gaps}{f'≤{MAX_OVERFITTING_GAP * 100:.0f}':>9}")
    ensemble = matcher_predict(knowledge, "ensemble")
    second = load_questions(SECOND_HELD_OUT_QUESTIONS)
    print("\nThe ensemble on each held-out set:")
    print(f"{'':<30}{'in':>7}{'out':>7}{'cluster':>9}{'fr-en':>7}{'all':>7}  verbatim")
    for name, questions in (
        (HELD_OUT_QUESTIONS.stem, held_out),
        (SECOND_HELD_OUT_QUESTIONS.stem, second),
        ("both", held_out + second),
    ):
        found = figures(evaluate(ensemble, questions))
        same = sum(fold(q.text) in examples for q in questions)
        print(
            f"{f'{name} ({len(questions)})':<30}"
            + "".join(
                f"{found[key] * 100:>{width}.1f}"
                for key, width in (
                    ("in_scope", 7),
                    ("out_of_scope", 7),
                    ("cluster", 9),
                    ("fr_minus_en", 7),
                    ("overall", 7),
                )
            )
            + f"  {same}"
        )
    if "-v" in sys.argv:
        print("\nDevelopment misses of the ensemble:")
        for error in columns[2][1].errors:
            print("  " + error)
    if "--held-out-misses" in sys.argv:
        # Only once the method is chosen: reading these while tuning would spoil the sets.
        for name, questions in (
            (HELD_OUT_QUESTIONS.stem, held_out),
            (SECOND_HELD_OUT_QUESTIONS.stem, second),
        ):
            print(f"\nHeld-out misses of the ensemble, {name}:")
            for error in evaluate(ensemble, questions).errors:
                print("  " + error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
