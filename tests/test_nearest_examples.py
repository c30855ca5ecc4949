"""The nearest-example scorer's shortcuts (examples grouped by their common stems, each set of
common stems scored once) give exactly what a plain scan of every example gives."""

from __future__ import annotations

import math
import random
from collections import defaultdict

import pytest

import bot.matching.nearest_examples as nearest_examples
from bot.matching.nearest_examples import NearestExampleScorer
from bot.matching.text_analysis import Analyser, Analysis
from knowledge.model import KnowledgeBase


def plain_scan(
    class_count: int, examples: list[tuple[int, Analysis]], question: Analysis
) -> tuple[list[float], list[float]]:
    """Per class, the nearest example's cosine and coverage: the scorer's definition, written
    the slow and obvious way (every example scored)."""
    stems_of = [(c, set(a.stems)) for c, a in examples if a.stems]
    classes_per_stem: dict[str, set[int]] = defaultdict(set)
    for class_index, stems in stems_of:
        for word_stem in stems:
            classes_per_stem[word_stem].add(class_index)
    idf = {s: math.log(1 + class_count / len(c)) for s, c in classes_per_stem.items()}
    for token in ("§cluster", "§pole"):
        if token in idf:
            idf[token] = min(idf[token], nearest_examples.ENTITY_WEIGHT)
    unknown = nearest_examples.UNKNOWN_WORD_WEIGHT * math.log(1 + class_count)
    query: dict[str, float] = {}
    for word_stem, is_known in zip(question.stems, question.known, strict=True):
        weight = idf.get(word_stem) if is_known else None
        query[word_stem] = weight if weight is not None else unknown
    squared = sum(w * w for w in query.values())
    nearest, nearest_example = [0.0] * class_count, [-1] * class_count
    for example_index, (class_index, stems) in enumerate(stems_of):
        dot = 0.0
        for word_stem, weight in query.items():  # the question's word order, as the scorer
            if word_stem in stems:
                dot += weight * idf[word_stem]
        if dot == 0.0:
            continue
        cosine = dot * (1.0 / math.sqrt(sum(idf[s] ** 2 for s in stems)))
        if cosine > nearest[class_index]:  # the first written wins a tie
            nearest[class_index], nearest_example[class_index] = cosine, example_index
    coverage = [0.0] * class_count
    for class_index, example_index in enumerate(nearest_example):
        if example_index >= 0:
            nearest[class_index] /= math.sqrt(squared)
            stems = stems_of[example_index][1]
            coverage[class_index] = sum(query[s] ** 2 for s in query if s in stems) / squared
    return nearest, coverage


def analysed(knowledge: KnowledgeBase) -> tuple[Analyser, int, list[tuple[int, Analysis]]]:
    texts: list[tuple[int, str]] = [
        (i, text)
        for i, intent in enumerate(knowledge.intents)
        for _l, text in intent.examples.all()
    ]
    out_of_scope = len(knowledge.intents)
    texts += [(out_of_scope, text) for _l, text in knowledge.out_of_scope.all()]
    analyser, analyses = Analyser.with_examples(knowledge, [(text, "fr") for _i, text in texts])
    return analyser, out_of_scope + 1, [(i, a) for (i, _t), a in zip(texts, analyses, strict=True)]


@pytest.mark.parametrize("common_from", [nearest_examples.COMMON_STEM_EXAMPLES, 3])
def test_the_scorer_finds_what_a_scan_of_every_example_finds(
    knowledge: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, common_from: int
) -> None:
    # With a low threshold most stems are common: the groups do nearly all the work.
    monkeypatch.setattr(nearest_examples, "COMMON_STEM_EXAMPLES", common_from)
    analyser, class_count, examples = analysed(knowledge)
    scorer = NearestExampleScorer(class_count, examples)
    rng = random.Random(15)
    vocabulary = sorted({w for _c, a in examples for w in a.words})
    common = ["cluster", "what", "how", "membre", "quoi", "entreprise", "company", "join"]
    questions = [
        " ".join(rng.sample(vocabulary, rng.randrange(1, 6)) + rng.sample(common, 2))
        for _ in range(150)
    ]
    questions += ["", "cluster", "cluster cluster ?", "zzqx wibble", "what what how"]
    analyses = [analysis for _c, analysis in rng.sample(examples, 150)]
    analyses += [analyser.analyse(question) for question in questions]
    for analysis in analyses:
        question = " ".join(analysis.words)
        nearest, coverage = plain_scan(class_count, examples, analysis)
        _scores, cosines, scorer_coverage = scorer.scores(analysis)
        assert cosines == nearest, question
        assert scorer_coverage == pytest.approx(coverage, abs=1e-12), question
