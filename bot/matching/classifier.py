"""The learned intent classifier, scored in pure Python from exported weights.

`python -m bot.matching.train` (or `wallonia-bot kb train`) fits, with scikit-learn, a
logistic regression over TF-IDF word unigrams, word bigrams and character n-grams of the
analysed question (typos corrected, names of clusters and pôles replaced by placeholders), with
out-of-scope questions as a class of their own, and writes the weights beside this module:
`intent_weights.json` (classes, feature names, idf, intercepts) and `intent_weights.f32` (the
weight rows, raw float32). The bot only reads those files: scikit-learn is a development
dependency.

The file records a hash of everything the features are built from (examples, out-of-scope
questions, names, aliases, keywords, and FEATURE_VERSION): when the knowledge base changes and
the weights were not retrained, the matcher does without the classifier (and a test fails).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from operator import mul
from pathlib import Path
from typing import TypedDict

from knowledge.model import KnowledgeBase

WEIGHTS_PATH = Path(__file__).with_name("intent_weights.json")
# The rows are read straight into their array: inside the JSON (as base64) they cost 4 MB more
# after start, in the copies made while parsing (a string, its decoded bytes) that the C heap
# then kept.
ROWS_PATH = WEIGHTS_PATH.with_suffix(".f32")
# Bump when the features change (here, in normalisation or in text_analysis): the hash then
# differs and the weights must be retrained.
FEATURE_VERSION = 9
OUT_OF_SCOPE = "§out_of_scope"
CHARACTER_NGRAMS = (3, 4, 5)
PLACEHOLDER_PREFIX = "§"
# Words whose share of the score is kept (about 700 bytes each); the least recently used go.
TOKEN_CACHE_SIZE = 2048


class WeightsDocument(TypedDict):
    """What `intent_weights.json` holds."""

    training_hash: str
    classes: list[str]
    threshold: float  # below this top probability, the question is out of scope
    intercepts: list[float]
    features: list[str]
    idf: list[float]
    # SHA-256 of the rows file (see `weighted_rows`): the two are written together and are
    # read only if they still belong together.
    rows_sha256: str


def token_features(token: str) -> list[str]:
    """A token's own features: the word ("w:") and its character n-grams ("c:"), padded with
    spaces as scikit-learn's "char_wb" does; names of clusters and pôles are words only."""
    found = ["w:" + token]
    if token.startswith(PLACEHOLDER_PREFIX):
        return found
    padded = f" {token} "
    for n in CHARACTER_NGRAMS:
        if len(padded) < n:
            break
        found.extend("c:" + padded[start : start + n] for start in range(len(padded) - n + 1))
    return found


def bigram_features(tokens: Sequence[str]) -> list[str]:
    """Word bigrams ("b:"), from the start ("^") of the question to its end ("$")."""
    found = []
    previous = "^"
    for token in tokens:
        found.append("b:" + previous + " " + token)
        previous = token
    if tokens:
        found.append("b:" + previous + " $")
    return found


def features(tokens: Sequence[str]) -> Counter[str]:
    """Every feature of a question, counted: its bigrams and each token's own features."""
    found = Counter(bigram_features(tokens))
    for token in tokens:
        found.update(token_features(token))
    return found


def weighted_rows(weights: Sequence[float], idf: Sequence[float]) -> array[float]:
    """The classifier's rows from the logistic regression's weights (feature-major: every
    class's weight for feature 0, then feature 1...) and each feature's idf: row f holds
    idf(f) * weight(f, class) for every class, so scoring needs no multiplication by the idf."""
    width = len(weights) // len(idf) if idf else 0
    # Each weight is rounded to float32 before the product, as the rows always were.
    packed = array("f", weights)
    return array("f", (w * idf[i // width] for i, w in enumerate(packed)))


def _little_endian(rows: array[float]) -> array[float]:
    """`rows` as the rows file holds them (and back: the swap is its own inverse)."""
    if sys.byteorder == "little":
        return rows
    swapped = array("f", rows)
    swapped.byteswap()
    return swapped


def rows_sha256(rows: array[float]) -> str:
    return hashlib.sha256(memoryview(_little_endian(rows))).hexdigest()


def write_rows(rows: array[float], path: Path = ROWS_PATH) -> None:
    with path.open("wb") as stored:
        _little_endian(rows).tofile(stored)


def training_hash(knowledge: KnowledgeBase) -> str:
    """A hash of everything the classifier's training data and features are built from."""
    data = {
        "feature_version": FEATURE_VERSION,
        "intents": [[i.id, list(i.examples.fr), list(i.examples.en)] for i in knowledge.intents],
        "out_of_scope": [list(knowledge.out_of_scope.fr), list(knowledge.out_of_scope.en)],
        "clusters": [
            [
                *(c.id, c.name, c.tagline.fr, c.tagline.en),
                *(c.aliases.fr + c.aliases.en + c.keywords.fr + c.keywords.en),
            ]
            for c in knowledge.clusters
        ],
        "poles": [
            [p.id, p.name, p.field.fr, p.field.en, *p.aliases.fr, *p.aliases.en]
            for p in knowledge.competitiveness_clusters
        ],
    }
    encoded = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


class IntentClassifier:
    """Class probabilities for a question's tokens: TF-IDF (sublinear tf, l2 norm), then a
    multinomial logistic regression."""

    def __init__(self, document: WeightsDocument, rows: array[float]) -> None:
        self.classes = list(document["classes"])
        self.threshold = float(document["threshold"])
        self.training_hash = document["training_hash"]
        self._intercepts = list(document["intercepts"])
        self._index = {name: i for i, name in enumerate(document["features"])}
        self._idf = array("d", document["idf"])
        # Row f holds idf(f) * weight(f, class) for every class, in one flat array of float32
        # (a list of float objects would take seven times the memory).
        self._rows = rows
        # Words recur from question to question: each one's share is computed once.
        self._token_part = lru_cache(maxsize=TOKEN_CACHE_SIZE)(self._token_part_uncached)

    @classmethod
    def load(
        cls, path: Path = WEIGHTS_PATH, rows_path: Path = ROWS_PATH
    ) -> IntentClassifier | None:
        """The exported classifier; None when a file is missing or the rows are not the ones
        written with the weights."""
        if not path.exists() or not rows_path.exists():
            return None
        document: WeightsDocument = json.loads(path.read_text(encoding="utf-8"))
        rows = array("f")
        with rows_path.open("rb") as stored:
            rows.frombytes(stored.read(len(document["features"]) * len(document["classes"]) * 4))
        # The file's bytes as written (little-endian), before any swap.
        if hashlib.sha256(memoryview(rows)).hexdigest() != document.get("rows_sha256"):
            return None
        return cls(document, _little_endian(rows))

    def _token_part_uncached(self, token: str) -> _TokenPart:
        indices = array(
            "i", (f for n in token_features(token) if (f := self._index.get(n)) is not None)
        )
        width = len(self.classes)
        rows = [self._rows[f * width : (f + 1) * width] for f in indices]
        logits = array("d", (sum(column) for column in zip(*rows, strict=True))) if rows else None
        squared = sum(self._idf[f] ** 2 for f in indices)
        return _TokenPart(indices, logits, squared)

    def probabilities(self, tokens: Sequence[str]) -> list[float]:
        """P(class) for each class, in the order of `classes`.

        TF-IDF is linear in the counts except where a feature occurs more than once (sublinear
        tf: 1 + ln(count)): each token's own share (its features' weight rows summed, and its
        part of the squared norm) is computed once per word and cached, then the few repeated
        features are corrected. Scoring a warm question is then a sum of one row per word, not
        of one row per character n-gram (about 15 times fewer).
        """
        width = len(self.classes)
        parts = [self._token_part(token) for token in tokens]
        bigrams = [f for n in bigram_features(tokens) if (f := self._index.get(n)) is not None]
        vectors: list[Sequence[float]] = [p.logits for p in parts if p.logits is not None]
        vectors += [self._rows[f * width : (f + 1) * width] for f in bigrams]
        # Each vector's multiplier: 1, or (sublinear tf - count) for a repeated feature's row.
        multipliers = [1.0] * len(vectors)
        squared = sum(p.squared for p in parts) + sum(self._idf[f] ** 2 for f in bigrams)
        counts = Counter(chain.from_iterable(p.indices for p in parts))
        counts.update(bigrams)
        for f, count in counts.items():
            if count > 1:
                tf = 1.0 + math.log(count)
                squared += (tf * tf - count) * self._idf[f] ** 2
                vectors.append(self._rows[f * width : (f + 1) * width])
                multipliers.append(tf - count)
        if not vectors or squared <= 0.0:
            logits = list(self._intercepts)
        else:
            norm = math.sqrt(squared)
            logits = [
                sum(map(mul, column, multipliers)) / norm + b
                for column, b in zip(zip(*vectors, strict=True), self._intercepts, strict=True)
            ]
        top = max(logits)
        exponentials = [math.exp(v - top) for v in logits]
        total = sum(exponentials)
        return [e / total for e in exponentials]


@dataclass(frozen=True, slots=True)
class _TokenPart:
    """One token's share of a question's TF-IDF vector, each feature counted once."""

    indices: array[int]  # its features known to the model (with repeats)
    logits: array[float] | None  # the sum of their idf-weighted rows, None if no feature
    squared: float  # the sum of their squared idf
