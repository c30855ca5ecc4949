"""The learned intent classifier, scored in pure Python from exported weights.

`python -m bot.matching.train` (or `wallonia-bot kb train`) fits, with scikit-learn, a
logistic regression over TF-IDF word unigrams, word bigrams and character n-grams of the
analysed question (typos corrected, names of clusters and pôles replaced by placeholders), with
out-of-scope questions as a class of their own, and writes the weights to `intent_weights.json`
beside this module. The bot only reads that file: scikit-learn is a development dependency.

The file records a hash of everything the features are built from (examples, out-of-scope
questions, names, aliases, keywords, and FEATURE_VERSION): when the knowledge base changes and
the weights were not retrained, the matcher does without the classifier (and a test fails).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import sys
from array import array
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TypedDict

from knowledge.model import KnowledgeBase

WEIGHTS_PATH = Path(__file__).with_name("intent_weights.json")
# Bump when the features change (here, in normalisation or in text_analysis): the hash then
# differs and the weights must be retrained.
FEATURE_VERSION = 8
OUT_OF_SCOPE = "§out_of_scope"
CHARACTER_NGRAMS = (3, 4, 5)
PLACEHOLDER_PREFIX = "§"


class WeightsDocument(TypedDict):
    """What `intent_weights.json` holds."""

    training_hash: str
    classes: list[str]
    threshold: float  # below this top probability, the question is out of scope
    intercepts: list[float]
    features: list[str]
    idf: list[float]
    # Base64 of little-endian float32s, feature-major: every class's weight for feature 0,
    # then feature 1... A JSON list of 300,000 numbers took 4 times the bytes and, parsed,
    # left several megabytes of float objects behind in the allocator.
    weights: str


def features(tokens: Sequence[str]) -> Counter[str]:
    """Word unigrams ("w:"), bigrams ("b:") and character n-grams within words ("c:"), the
    latter padded with spaces as scikit-learn's "char_wb" does."""
    found: Counter[str] = Counter()
    previous = "^"
    for token in tokens:
        found["w:" + token] += 1
        found["b:" + previous + " " + token] += 1
        previous = token
        if token.startswith(PLACEHOLDER_PREFIX):
            continue
        padded = f" {token} "
        for n in CHARACTER_NGRAMS:
            if len(padded) < n:
                break
            for start in range(len(padded) - n + 1):
                found["c:" + padded[start : start + n]] += 1
    if tokens:
        found["b:" + previous + " $"] += 1
    return found


def pack_weights(weights: Sequence[float]) -> str:
    """The `weights` field of the weights file (see `WeightsDocument`)."""
    packed = array("f", weights)
    if sys.byteorder != "little":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


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

    def __init__(self, document: WeightsDocument) -> None:
        self.classes = list(document["classes"])
        self.threshold = float(document["threshold"])
        self.training_hash = document["training_hash"]
        self._intercepts = list(document["intercepts"])
        names, idf, weights = document["features"], document["idf"], document["weights"]
        width = len(self.classes)
        self._index = {name: i for i, name in enumerate(names)}
        self._idf = array("d", idf)
        # Row f holds idf(f) * weight(f, class) for every class, in one flat array of float32
        # (a list of float objects would take seven times the memory).
        rows = array("f")
        rows.frombytes(base64.b64decode(weights))
        if sys.byteorder != "little":
            rows.byteswap()
        self._rows = array("f", (w * idf[i // width] for i, w in enumerate(rows)))

    @classmethod
    def load(cls, path: Path = WEIGHTS_PATH) -> IntentClassifier | None:
        if not path.exists():
            return None
        document: WeightsDocument = json.loads(path.read_text(encoding="utf-8"))
        return cls(document)

    def probabilities(self, tokens: Sequence[str]) -> list[float]:
        width = len(self.classes)
        rows = []
        squared = 0.0
        scaled: list[tuple[float, int]] = []
        for name, count in features(tokens).items():
            f = self._index.get(name)
            if f is None:
                continue
            tf = 1.0 + math.log(count) if count > 1 else 1.0
            squared += (tf * self._idf[f]) ** 2
            if tf == 1.0:
                rows.append(self._rows[f * width : (f + 1) * width])
            else:
                scaled.append((tf, f))
        for tf, f in scaled:
            rows.append(array("d", (tf * w for w in self._rows[f * width : (f + 1) * width])))
        if not rows:
            logits = list(self._intercepts)
        else:
            norm = math.sqrt(squared)
            logits = [
                sum(column) / norm + b
                for column, b in zip(zip(*rows, strict=True), self._intercepts, strict=True)
            ]
        top = max(logits)
        exponentials = [math.exp(v - top) for v in logits]
        total = sum(exponentials)
        return [e / total for e in exponentials]
