"""Today's transparent scorer: each intent scored by its nearest example and its bag of words.

Stems are weighed by inverse intent frequency — words every intent uses ("cluster",
"Wallonie") count little — and an intent's score is the cosine similarity of the question to
its closest example, blended with its whole bag of examples. Words the knowledge base has never
seen weigh as much as rare ones, so a question made of unknown words ("weather in Namur")
scores low. It needs no training, so examples that staff teach at run time count at once.
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from collections.abc import Sequence

from bot.matching.entities import CLUSTER_TOKEN, POLE_TOKEN
from bot.matching.normalisation import stem
from bot.matching.text_analysis import Analysis

# Names of clusters and pôles weigh this much at most for the intent: "join PLASTIWIN" is
# about joining.
ENTITY_WEIGHT = 1.0
# How much a word the knowledge base has never seen weighs, relative to the rarest known word.
UNKNOWN_WORD_WEIGHT = 1.1
# The closest example rewards a near-paraphrase, the bag rewards the right vocabulary in a new
# order.
NEAREST_SHARE = 0.7
# A keyword word used by the examples of this many intents is an everyday word.
EVERYDAY_WORD_INTENTS = 4


class NearestExampleScorer:
    """Scores a question against every class (intents, then out of scope) from examples."""

    def __init__(self, class_count: int, examples: Sequence[tuple[int, Analysis]]) -> None:
        # Interned: each example's analysis made its own copy of every stem, and the copies
        # would outlive it in the structures below (about 1 MB for 4,000 examples).
        example_stems = [
            (index, {sys.intern(s) for s in analysis.stems}) for index, analysis in examples
        ]
        intents_per_stem: dict[str, set[int]] = defaultdict(set)
        for class_index, stems in example_stems:
            for word_stem in stems:
                intents_per_stem[word_stem].add(class_index)
        # How many classes use each stem is all that is kept of those sets.
        self._classes_per_stem = {s: len(i) for s, i in intents_per_stem.items()}
        self._idf = {s: math.log(1 + class_count / len(i)) for s, i in intents_per_stem.items()}
        for token in (CLUSTER_TOKEN, POLE_TOKEN):
            if token in self._idf:
                self._idf[token] = min(self._idf[token], ENTITY_WEIGHT)
        self._unknown_weight = UNKNOWN_WORD_WEIGHT * math.log(1 + class_count)

        # Examples as parallel lists, indexed by example number: the scoring loop below runs
        # once per (question word, example holding it), so it reads plain lists, not objects.
        # An example weighs each of its distinct stems by the stem's idf alone (no counts).
        example_stems = [(i, stems) for i, stems in example_stems if stems]
        self._example_classes = [class_index for class_index, _stems in example_stems]
        # Tuples, not sets: a frozenset of four stems takes 216 bytes, a tuple 88.
        self._example_stems = [tuple(stems) for _class_index, stems in example_stems]
        self._inverse_norms = [
            1.0 / math.sqrt(sum(self._idf[s] ** 2 for s in stems)) for _i, stems in example_stems
        ]
        postings: dict[str, list[int]] = defaultdict(list)
        bags: list[dict[str, float]] = [defaultdict(float) for _ in range(class_count)]
        for example_index, (class_index, stems) in enumerate(example_stems):
            for word_stem in stems:
                postings[word_stem].append(example_index)
                bags[class_index][word_stem] += 1.0
        self._postings: dict[str, tuple[int, ...]] = {s: tuple(p) for s, p in postings.items()}
        # The bag of a class: stem frequency across its examples, times the stem's weight; kept
        # per stem (the classes using it, with its weight there), as a question holds few stems.
        self._bag_weights: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._bag_norms: list[float] = []
        for class_index, bag in enumerate(bags):
            total = sum(bag.values()) or 1.0
            weighted = {s: (n / total) * self._idf[s] for s, n in bag.items()}
            for word_stem, weight in weighted.items():
                self._bag_weights[word_stem].append((class_index, weight))
            self._bag_norms.append(math.sqrt(sum(w * w for w in weighted.values())) or 1.0)

    def is_everyday_word(self, word: str) -> bool:
        """Used by the examples of many intents ("entreprise", "company", "service")."""
        return self._classes_per_stem.get(stem(word), 0) >= EVERYDAY_WORD_INTENTS

    def scores(self, analysis: Analysis) -> tuple[list[float], list[float], list[float]]:
        """Per class: its score, the cosine of its nearest example, and how much of the
        question's weight that example covers."""
        class_count = len(self._bag_norms)
        query: dict[str, float] = {}
        for word_stem, is_known in zip(analysis.stems, analysis.known, strict=True):
            weight = self._idf.get(word_stem) if is_known else None
            query[word_stem] = weight if weight is not None else self._unknown_weight
        squared = sum(w * w for w in query.values())
        norm = math.sqrt(squared)
        scores = [0.0] * class_count
        coverage = [0.0] * class_count
        nearest = [0.0] * class_count
        if norm == 0:
            return scores, nearest, coverage
        # The hot loop (~4,000 examples, common stems in hundreds of them): flat lists and one
        # multiplication per stem, not per example.
        dots = [0.0] * len(self._example_classes)
        touched: set[int] = set()  # examples sharing a stem with the question
        for word_stem, weight in query.items():
            examples = self._postings.get(word_stem)
            if examples is None:
                continue
            contribution = weight * self._idf[word_stem]
            for example_index in examples:
                dots[example_index] += contribution
            touched.update(examples)
        nearest_example = [-1] * class_count
        classes, inverse_norms = self._example_classes, self._inverse_norms
        for example_index in touched:
            class_index = classes[example_index]
            cosine = dots[example_index] * inverse_norms[example_index]
            # Equal cosines: the first example written wins, whatever the set's order.
            if cosine > nearest[class_index] or (
                cosine == nearest[class_index] and example_index < nearest_example[class_index]
            ):
                nearest[class_index] = cosine
                nearest_example[class_index] = example_index
        # Coverage only for each class's nearest example, not for every example reached.
        squares = {s: w * w for s, w in query.items()}
        for class_index, example_index in enumerate(nearest_example):
            if example_index >= 0:
                nearest[class_index] /= norm
                stems = self._example_stems[example_index]
                covered = sum(squares.get(s, 0.0) for s in stems)
                coverage[class_index] = covered / squared
        bag_dots = [0.0] * class_count
        for word_stem, weight in query.items():
            for class_index, bag_weight in self._bag_weights.get(word_stem, ()):
                bag_dots[class_index] += weight * bag_weight
        for class_index in range(class_count):
            if nearest[class_index] == 0.0:
                continue
            bag_cosine = bag_dots[class_index] / (norm * self._bag_norms[class_index])
            scores[class_index] = (
                NEAREST_SHARE * nearest[class_index] + (1 - NEAREST_SHARE) * bag_cosine
            )
        return scores, nearest, coverage
