"""Typed form of the knowledge base: what the YAML files hold once validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")


@dataclass(frozen=True, slots=True)
class Bilingual:
    """A text that exists in both languages."""

    fr: str
    en: str

    def __getitem__(self, language: Language) -> str:
        return self.fr if language == "fr" else self.en


@dataclass(frozen=True, slots=True)
class PerLanguage:
    """A list of phrases per language (examples, aliases, keywords)."""

    fr: tuple[str, ...]
    en: tuple[str, ...]

    def __getitem__(self, language: Language) -> tuple[str, ...]:
        return self.fr if language == "fr" else self.en

    def all(self) -> tuple[tuple[Language, str], ...]:
        """Every phrase with its language."""
        return tuple(("fr", p) for p in self.fr) + tuple(("en", p) for p in self.en)


@dataclass(frozen=True, slots=True)
class Sourced:
    """Where an answer comes from and when a person last checked it against that source."""

    source: str | None
    reviewed: date | None


@dataclass(frozen=True, slots=True)
class Intent:
    id: str
    kind: Literal["informational", "conversational"]
    examples: PerLanguage
    answer: Bilingual
    related: tuple[str, ...]
    sourced: Sourced


@dataclass(frozen=True, slots=True)
class Cluster:
    """One of the six clusters recognised by the Walloon Region."""

    id: str
    name: str
    tagline: Bilingual
    aliases: PerLanguage
    description: Bilingual
    keywords: PerLanguage
    website: str | None
    sourced: Sourced


@dataclass(frozen=True, slots=True)
class CompetitivenessCluster:
    """A pôle de compétitivité: known so that it is never taken for one of the six clusters."""

    id: str
    name: str
    aliases: PerLanguage
    field: Bilingual
    sourced: Sourced


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    intents: tuple[Intent, ...]
    clusters: tuple[Cluster, ...]
    competitiveness_clusters: tuple[CompetitivenessCluster, ...]
    # Questions that are not about clusters: the matcher declines what resembles them.
    out_of_scope: PerLanguage = PerLanguage((), ())
    _intents_by_id: dict[str, Intent] = field(init=False, repr=False, compare=False)
    _clusters_by_id: dict[str, Cluster] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_intents_by_id", {i.id: i for i in self.intents})
        object.__setattr__(self, "_clusters_by_id", {c.id: c for c in self.clusters})

    def intent(self, intent_id: str) -> Intent:
        return self._intents_by_id[intent_id]

    def has_intent(self, intent_id: str) -> bool:
        return intent_id in self._intents_by_id

    def cluster(self, cluster_id: str) -> Cluster:
        return self._clusters_by_id[cluster_id]

    def has_cluster(self, cluster_id: str) -> bool:
        return cluster_id in self._clusters_by_id
