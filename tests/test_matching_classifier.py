"""The learned classifier: its exported weights, their freshness, and scoring without
scikit-learn at run time."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.matching.classifier import (
    OUT_OF_SCOPE,
    ROWS_PATH,
    WEIGHTS_PATH,
    IntentClassifier,
    features,
    training_hash,
)
from bot.matching.matcher import Matcher
from knowledge.model import KnowledgeBase, PerLanguage

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_the_weights_were_trained_on_the_shipped_knowledge_base(knowledge: KnowledgeBase) -> None:
    document = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    assert document["training_hash"] == training_hash(knowledge), (
        "knowledge/*.yaml changed since the classifier was trained: "
        "run `python -m bot.matching.train` (or `wallonia-bot kb train`) and commit "
        "bot/matching/intent_weights.json and .f32"
    )
    assert set(document["classes"]) == {i.id for i in knowledge.intents} | {OUT_OF_SCOPE}
    assert Matcher(knowledge).classifier_in_use


def test_rows_that_do_not_belong_to_the_weights_are_not_used(tmp_path: Path) -> None:
    weights, rows = tmp_path / "weights.json", tmp_path / "weights.f32"
    weights.write_bytes(WEIGHTS_PATH.read_bytes())
    assert IntentClassifier.load(weights, rows) is None  # no rows file
    stored = bytearray(ROWS_PATH.read_bytes())
    rows.write_bytes(stored)
    assert IntentClassifier.load(weights, rows) is not None
    stored[len(stored) // 2] ^= 0x40  # one bit of one weight
    rows.write_bytes(stored)
    assert IntentClassifier.load(weights, rows) is None
    rows.write_bytes(stored[: len(stored) // 2])  # cut short
    assert IntentClassifier.load(weights, rows) is None


def test_an_edited_example_changes_the_hash(knowledge: KnowledgeBase) -> None:
    first = knowledge.intents[0]
    edited = replace(first, examples=PerLanguage((*first.examples.fr, "salut toi"), ()))
    changed = replace(knowledge, intents=(edited, *knowledge.intents[1:]))
    assert training_hash(changed) != training_hash(knowledge)


def test_stale_weights_leave_the_nearest_examples_alone(knowledge: KnowledgeBase) -> None:
    changed = replace(knowledge, out_of_scope=PerLanguage(("météo demain",), ()))
    matcher = Matcher(changed)
    assert not matcher.classifier_in_use
    assert matcher.method == "nearest"
    assert matcher.match("What is a cluster?").intent == "what_is_a_cluster"


def test_character_ngrams_are_padded_like_scikit_learns_char_wb() -> None:
    found = features(["ab", "§cluster"])
    assert [found["c: ab"], found["c:ab "], found["c: ab "]] == [1, 1, 1]
    assert [found["w:§cluster"], found["b:ab §cluster"]] == [1, 1]
    assert not any(name.startswith("c:") and "§" in name for name in found)


def test_pure_python_scoring_equals_scikit_learns(knowledge: KnowledgeBase) -> None:
    pytest.importorskip("sklearn")
    from bot.matching.train import export, fit

    pipeline = fit(knowledge)
    classifier = IntentClassifier(*export(pipeline, knowledge, threshold=0.0))
    matcher = Matcher(knowledge, method="nearest")
    questions = [
        "how do I join plastiwn?",
        "c'est combien la cotisation",
        "weather in Namur tomorrow",
        "zzzz",
        "",
        "merci merci merci",  # a repeated word: sublinear term frequency
        "cotisation cotisations, tweed tweed ?",  # n-grams repeated across words
        "aaaaaaa ananas",  # and within one word
        "how do I join plastiwn?",  # again: each word's share now comes from the cache
    ]
    for question in questions:
        tokens = matcher.analyse(question).tokens
        ours = classifier.probabilities(tokens)
        theirs = pipeline.predict_proba([tokens])[0]
        # The export rounds weights to five decimals.
        assert ours == pytest.approx(list(theirs), abs=1e-3), question


def test_the_bot_never_imports_scikit_learn_or_numpy() -> None:
    script = (
        "import sys\n"
        "from bot.matching.matcher import Matcher\n"
        "from knowledge.loader import load_knowledge_base\n"
        "matcher = Matcher(load_knowledge_base())\n"
        "assert matcher.classifier_in_use\n"
        "matcher.match('how do I join plastiwin?')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'numpy', 'scipy'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "[]"
