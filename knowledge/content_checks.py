"""Content rules `wallonia-bot kb check` enforces on a knowledge base that already loads.

The loader refuses what the bot cannot use (missing translations, broken references); these
rules refuse what a reader should not be shown:

- a short part (an answer, a cluster card) over `SHORT_LIMIT` characters;
- a cluster with neither a website nor a page on the clusters portal;
- a factual text without a source: an informational answer or a cluster with no `sources`, or
  a cluster attribute with no `source` that does not say it is unknown;
- a figure without its year (see `undated_figures`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from knowledge.model import LANGUAGES, Bilingual, KnowledgeBase
from knowledge.yaml_reader import Problem

SHORT_LIMIT = 600
# How far (in characters, on the same line) a year or an "undated" marker may sit from a figure.
YEAR_WINDOW = 80

# A number not glued to a word ("COVID-19" is a name): "250", "4,500", "10.500", "160 000" (a
# space, a no-break space or a narrow one between groups of three digits), "2.5", optionally
# followed by a percent sign.
_NUMBER = re.compile(
    r"(?<![\w.,\-])(\d{1,3}(?:[ \u00a0\u202f.,]\d{3})+|\d+(?:[.,]\d+)?)(?![\w])(\s?%)?"
)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
# Ordinals ("9e", "1er", "3rd", "7th") are ranks, not figures.
_ORDINAL = re.compile(r"(?:e|er|re|ème|eme|st|nd|rd|th)\b")
_UNDATED = re.compile(r"non daté|non datée|undated", re.IGNORECASE)


def undated_figures(text: str) -> list[str]:
    """The figures in `text` with no year near them: a heuristic, documented in README.md.

    A figure is a number of at least 10, or any percentage. It counts as dated when a year
    (1900-2099) or the words "undated" / "non daté(e)" appear within `YEAR_WINDOW` characters on
    the same line. Years themselves, and ordinals such as "9e" or "3rd", are not figures.
    """
    found: list[str] = []
    for line in text.splitlines():
        for match in _NUMBER.finditer(line):
            token, percent = match.group(1), bool(match.group(2))
            digits = re.sub(r"[ \u00a0\u202f.,]", "", token)
            if re.fullmatch(r"\d{4}", token) and _YEAR.fullmatch(token):
                continue  # a year, not a figure
            if _ORDINAL.match(line, match.end(1)):
                continue
            value = float(token.replace(",", ".")) if re.fullmatch(r"\d+[.,]\d{1,2}", token) else 0
            if not value:
                value = float(digits) if digits.isdigit() else 0
            if not percent and value < 10:
                continue
            start, end = max(0, match.start() - YEAR_WINDOW), match.end() + YEAR_WINDOW
            around = line[start : match.start()] + " " + line[match.end() : end]
            if _YEAR.search(around) or _UNDATED.search(around):
                continue
            found.append(match.group(0).strip())
    return found


def _texts(text: Bilingual | None) -> Iterator[tuple[str, str]]:
    if text is not None:
        for language in LANGUAGES:
            yield language, text[language]


def check_content(kb: KnowledgeBase) -> list[Problem]:
    """Every problem the content rules find, file by file."""
    problems: list[Problem] = []

    def short(file: str, entry: str, what: str, text: Bilingual) -> None:
        for language, value in _texts(text):
            if len(value) > SHORT_LIMIT:
                problems.append(
                    Problem(
                        file,
                        entry,
                        f"the short {what} ({language}) has {len(value)} characters; "
                        f"at most {SHORT_LIMIT} (move the rest to 'details')",
                    )
                )

    def dated(file: str, entry: str, what: str, text: Bilingual | None) -> None:
        for language, value in _texts(text):
            for figure in undated_figures(value):
                problems.append(
                    Problem(
                        file,
                        entry,
                        f"{what} ({language}): figure '{figure}' has no year near it "
                        "(add the year, or say it is undated)",
                    )
                )

    for intent in kb.intents:
        short("intents.yaml", intent.id, "answer", intent.answer)
        if intent.kind != "informational":
            continue
        if not intent.sourced.sources:
            problems.append(Problem("intents.yaml", intent.id, "no source for the answer"))
        dated("intents.yaml", intent.id, "answer", intent.answer)
        dated("intents.yaml", intent.id, "details", intent.details)

    for cluster in kb.clusters:
        short("clusters.yaml", cluster.id, "card ('description')", cluster.description)
        if not cluster.website and not cluster.portal:
            problems.append(
                Problem(
                    "clusters.yaml",
                    cluster.id,
                    "neither a website nor a page on the clusters portal ('portal')",
                )
            )
        if not cluster.sourced.sources:
            problems.append(Problem("clusters.yaml", cluster.id, "no source for the card"))
        dated("clusters.yaml", cluster.id, "card", cluster.description)
        dated("clusters.yaml", cluster.id, "details", cluster.details)
        for name, attribute in cluster.attributes:
            if attribute.source is None and not attribute.unknown:
                problems.append(
                    Problem(
                        "clusters.yaml",
                        cluster.id,
                        f"attribute '{name}' has no source (or say 'unknown: true')",
                    )
                )
            dated("clusters.yaml", cluster.id, f"attribute '{name}'", attribute.text)

    for pole in kb.competitiveness_clusters:
        if not pole.sourced.sources:
            problems.append(Problem("competitiveness_clusters.yaml", pole.id, "no source"))
        dated("competitiveness_clusters.yaml", pole.id, "field", pole.field)
    return problems
