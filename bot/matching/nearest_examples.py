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
from collections.abc import Iterable
from functools import lru_cache
from itertools import chain, repeat

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
# A stem in more examples than this ("cluster", "what", "member") is scored per group of
# examples (see `scores`), not per example: a question holding "cluster" would otherwise reach
# some 1,200 examples one by one.
COMMON_STEM_EXAMPLES = 100
# Questions share their few common stems ("cluster", "what"): the best group of each class for
# a set of them is computed once and kept, for this many sets.
COMMON_SETS_CACHED = 512


class NearestExampleScorer:
    """Scores a question against every class (intents, then out of scope) from examples."""

    def __init__(self, class_count: int, examples: Iterable[tuple[int, Analysis]]) -> None:
        self._class_count = class_count
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
        self._common = frozenset(s for s, p in postings.items() if len(p) > COMMON_STEM_EXAMPLES)
        # Rare stems keep their examples; common ones their groups (below).
        self._postings: dict[str, tuple[int, ...]] = {
            s: tuple(p) for s, p in postings.items() if s not in self._common
        }
        # Sets, to pick in C the examples that a rare stem reached and that hold a common one.
        self._common_examples = {s: frozenset(postings[s]) for s in self._common}
        self._group_common_stems(example_stems)
        self._best_groups = lru_cache(maxsize=COMMON_SETS_CACHED)(self._best_groups_uncached)
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

    def _group_common_stems(self, example_stems: list[tuple[int, set[str]]]) -> None:
        """Groups of examples: one per class and set of common stems held. Within a group,
        examples reached by common stems alone share their dot product with a question, so
        the group's nearest is the example of highest inverse norm (the first written on ties);
        `scores` reaches that one example per group instead of all of them."""
        groups: dict[tuple[int, frozenset[str]], int] = {}
        for example_index, (class_index, stems) in enumerate(example_stems):
            common = frozenset(s for s in stems if s in self._common)
            if not common:
                continue
            best = groups.setdefault((class_index, common), example_index)
            if self._inverse_norms[example_index] > self._inverse_norms[best]:
                groups[class_index, common] = example_index
        self._group_examples = list(groups.values())
        group_postings: dict[str, list[int]] = defaultdict(list)
        for group_index, (_class_index, common) in enumerate(groups):
            for word_stem in common:
                group_postings[word_stem].append(group_index)
        self._group_postings = {s: tuple(g) for s, g in group_postings.items()}

    def _best_groups_uncached(
        self, contributions: tuple[tuple[str, float], ...]
    ) -> tuple[tuple[int, float], ...]:
        """Per class reached, the (example, dot product) of its nearest example among those
        holding these common stems, counting these stems alone."""
        group_dots = [0.0] * len(self._group_examples)
        reached: set[int] = set()
        for word_stem, contribution in contributions:
            groups = self._group_postings[word_stem]
            for group_index in groups:
                group_dots[group_index] += contribution
            reached.update(groups)
        _nearest, nearest_example = self._nearest_per_class(
            (self._group_examples[g], group_dots[g]) for g in reached
        )
        dots = {self._group_examples[g]: group_dots[g] for g in reached}
        return tuple((e, dots[e]) for e in nearest_example if e >= 0)

    def _nearest_per_class(
        self, candidates: Iterable[tuple[int, float]]
    ) -> tuple[list[float], list[int]]:
        """Per class, the best cosine of the (example, dot product) candidates, and its example
        (-1 if none); equal cosines go to the first example written, whatever the order."""
        nearest = [0.0] * self._class_count
        nearest_example = [-1] * self._class_count
        classes, inverse_norms = self._example_classes, self._inverse_norms
        for example_index, dot in candidates:
            class_index = classes[example_index]
            cosine = dot * inverse_norms[example_index]
            if cosine > nearest[class_index] or (
                cosine == nearest[class_index] and example_index < nearest_example[class_index]
            ):
                nearest[class_index] = cosine
                nearest_example[class_index] = example_index
        return nearest, nearest_example

    def is_everyday_word(self, word: str) -> bool:
        """Used by the examples of many intents ("entreprise", "company", "service")."""
        return self._classes_per_stem.get(stem(word), 0) >= EVERYDAY_WORD_INTENTS

    def scores(self, analysis: Analysis) -> tuple[list[float], list[float], list[float]]:
        """Per class: its score, the cosine of its nearest example, and how much of the
        question's weight that example covers."""
        class_count = self._class_count
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
        # A class's nearest example is either reached by a rare stem of the question (all such
        # examples are scored in full) or by common stems alone: then it is its group's best,
        # the same for every question with those common stems. Sums run in the question's word
        # order, so every cosine is the one a scan of all examples gives.
        contributions = [
            (word_stem, weight * self._idf[word_stem], word_stem in self._common)
            for word_stem, weight in query.items()
            if word_stem in self._idf
        ]
        reached: set[int] = set()  # examples sharing a rare stem with the question
        for word_stem, _contribution, is_common in contributions:
            if not is_common:
                reached.update(self._postings[word_stem])
        dots = dict.fromkeys(reached, 0.0)
        for word_stem, contribution, is_common in contributions:
            if is_common:
                for example_index in self._common_examples[word_stem].intersection(reached):
                    dots[example_index] += contribution
            else:
                for example_index in self._postings[word_stem]:
                    dots[example_index] += contribution
        common = tuple((s, c) for s, c, is_common in contributions if is_common)
        nearest, nearest_example = self._nearest_per_class(
            chain(dots.items(), self._best_groups(common))
        )
        # Coverage only for each class's nearest example, not for every example reached.
        squares = {s: w * w for s, w in query.items()}
        for class_index, example_index in enumerate(nearest_example):
            if example_index >= 0:
                nearest[class_index] /= norm
                stems = self._example_stems[example_index]
                coverage[class_index] = sum(map(squares.get, stems, repeat(0.0))) / squared
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
