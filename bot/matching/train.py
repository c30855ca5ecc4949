"""Train the intent classifier from the knowledge base and export its weights.

    python -m bot.matching.train            (or `wallonia-bot kb train`)

Needs scikit-learn, a development dependency (`pip install -e '.[dev]'`); the bot reads the
exported `intent_weights.json` and `intent_weights.f32` in pure Python
(`bot.matching.classifier`). Run it whenever knowledge/intents.yaml, out_of_scope.yaml,
clusters.yaml or competitiveness_clusters.yaml change: a test fails until the weights match
the YAML again.

The rejection threshold is calibrated without any evaluation question: on out-of-fold
predictions over the knowledge base's own examples (5-fold), as the probability below which
rejecting a question does more good (out-of-scope examples declined) than harm (in-scope
examples lost).
"""

from __future__ import annotations

import json
import sys
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.matching.classifier import (
    OUT_OF_SCOPE,
    ROWS_PATH,
    WEIGHTS_PATH,
    WeightsDocument,
    features,
    rows_sha256,
    training_hash,
    weighted_rows,
    write_rows,
)
from bot.matching.text_analysis import Analyser
from knowledge.loader import KNOWLEDGE_DIR, load_knowledge_base
from knowledge.model import KnowledgeBase

# Inverse regularisation strength of the logistic regression; features seen in fewer examples
# than MIN_DOCUMENTS are dropped (they are mostly one example's typos and they cost memory: at 3
# rather than 2, 13,700 features instead of 18,500 and 2.4 MB less after start; development
# figures the same or up to 0.2 points better).
REGULARISATION_C = 20.0
MIN_DOCUMENTS = 3
FOLDS = 5
DECIMALS = 5


def training_data(knowledge: KnowledgeBase) -> tuple[list[list[str]], list[str]]:
    """Every example (and out-of-scope question) as its analysed tokens, with its class."""
    labelled = [(i.id, text, lang) for i in knowledge.intents for lang, text in i.examples.all()]
    labelled += [(OUT_OF_SCOPE, text, lang) for lang, text in knowledge.out_of_scope.all()]
    _analyser, analyses = Analyser.with_examples(
        knowledge, [(text, lang) for _i, text, lang in labelled]
    )
    return [a.tokens for a in analyses], [i for i, _t, _l in labelled]


def _pipeline(c: float, min_documents: int) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(
            analyzer=lambda tokens: list(features(tokens).elements()),
            sublinear_tf=True,
            min_df=min_documents,
        ),
        LogisticRegression(C=c, max_iter=3000),
    )


def calibrate_threshold(
    probabilities: Any, labels: Sequence[str], classes: Sequence[str]
) -> float:
    """The probability cut-off that maximises right answers on out-of-fold predictions."""
    best = (-1.0, 0.0)
    for step in range(80):
        threshold = step / 100
        right = 0
        for row, label in zip(probabilities, labels, strict=True):
            top = max(range(len(classes)), key=lambda i: row[i])
            predicted = classes[top]
            if predicted == OUT_OF_SCOPE or row[top] < threshold:
                predicted = OUT_OF_SCOPE
            right += predicted == label
        if right > best[0]:
            best = (right, threshold)
    return best[1]


def fit(
    knowledge: KnowledgeBase, c: float = REGULARISATION_C, min_documents: int = MIN_DOCUMENTS
) -> Any:
    """The fitted scikit-learn pipeline (vectorizer, then logistic regression)."""
    documents, labels = training_data(knowledge)
    return _pipeline(c, min_documents).fit(documents, labels)


def export(
    pipeline: Any, knowledge: KnowledgeBase, threshold: float
) -> tuple[WeightsDocument, array[float]]:
    """What `IntentClassifier` is made of (its document and its rows), from a fitted
    pipeline."""
    vectorizer, model = pipeline.steps[0][1], pipeline.steps[1][1]
    idf = [round(float(v), DECIMALS) for v in vectorizer.idf_]
    # one row per feature, a weight per class
    rows = weighted_rows([float(w) for row in model.coef_.T for w in row], idf)
    document: WeightsDocument = {
        "training_hash": training_hash(knowledge),
        "classes": [str(k) for k in model.classes_],
        "threshold": threshold,
        "intercepts": [round(float(b), DECIMALS) for b in model.intercept_],
        "features": [str(n) for n in vectorizer.get_feature_names_out()],
        "idf": idf,
        "rows_sha256": rows_sha256(rows),
    }
    return document, rows


def train(
    knowledge: KnowledgeBase, c: float = REGULARISATION_C, min_documents: int = MIN_DOCUMENTS
) -> tuple[WeightsDocument, array[float]]:
    """Fit the classifier, calibrate its threshold out of fold, and return its weights."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    documents, labels = training_data(knowledge)
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    out_of_fold = cross_val_predict(
        _pipeline(c, min_documents), documents, labels, cv=folds, method="predict_proba"
    )
    threshold = calibrate_threshold(out_of_fold, labels, sorted(set(labels)))
    return export(fit(knowledge, c, min_documents), knowledge, threshold)


def write(
    document: WeightsDocument,
    rows: array[float],
    path: Path = WEIGHTS_PATH,
    rows_path: Path = ROWS_PATH,
) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
    write_rows(rows, rows_path)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    directory = Path(arguments[0]) if arguments else KNOWLEDGE_DIR
    document, rows = train(load_knowledge_base(directory))
    write(document, rows)
    print(
        f"{WEIGHTS_PATH.name}, {ROWS_PATH.name}: {len(document['classes'])} classes, "
        f"{len(document['features'])} features, threshold {document['threshold']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
