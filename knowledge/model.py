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
class Source:
    """One web page an answer draws on, as a person read it on `read`.

    `translation` is the same page in the other language, when the site has one: French users
    are shown the French page where one exists.
    """

    url: str
    title: str
    language: Language
    read: date
    translation: str | None = None

    def url_for(self, language: Language) -> str:
        """The page in `language` when the site has it, else the page as read."""
        if language != self.language and self.translation:
            return self.translation
        return self.url


@dataclass(frozen=True, slots=True)
class Sourced:
    """Where an answer comes from and when a person last checked it against its sources.

    `source` is the first source's URL (kept for the tools that show one address); `sources`
    lists every page the answer draws on.
    """

    source: str | None
    reviewed: date | None
    sources: tuple[Source, ...] = ()
    # How many of the first `sources` support the short part (cited under it); the details
    # cite them all.
    short_sources: int = 2

    def for_short_part(self) -> tuple[Source, ...]:
        return self.sources[: self.short_sources]


@dataclass(frozen=True, slots=True)
class Intent:
    id: str
    kind: Literal["informational", "conversational"]
    examples: PerLanguage
    answer: Bilingual  # the short part (<= 600 characters): what to do next
    related: tuple[str, ...]
    sourced: Sourced
    # Figures with their years and disagreements between sources, shown behind "More".
    details: Bilingual | None = None


# What `cluster_attribute` can tell in one line.
CLUSTER_ATTRIBUTES: tuple[str, ...] = ("website", "members", "founded", "field", "contact")


@dataclass(frozen=True, slots=True)
class Attribute:
    """One fact about a cluster for a one-line answer, with the page it comes from.

    `source` is None only when the text says the fact is unknown.
    """

    text: Bilingual
    source: Source | None = None
    unknown: bool = False  # the text says no source gives this fact


@dataclass(frozen=True, slots=True)
class Cluster:
    """A Walloon cluster: the six listed by Invest in Wallonia, and H2O (2022)."""

    id: str
    name: str
    tagline: Bilingual
    aliases: PerLanguage
    description: Bilingual  # the short card (<= 600 characters)
    keywords: PerLanguage
    website: str | None
    sourced: Sourced
    details: Bilingual | None = None  # shown behind "More"
    # The cluster's page on the Walloon clusters portal (clusters.wallonie.be), or the portal's
    # page where none was found for the cluster itself.
    portal: str | None = None
    # members, founded, field, contact (website is `website`/`portal`).
    attributes: tuple[tuple[str, Attribute], ...] = ()

    def attribute(self, name: str) -> Attribute | None:
        return next((a for key, a in self.attributes if key == name), None)


@dataclass(frozen=True, slots=True)
class CompetitivenessCluster:
    """A pôle de compétitivité: known so that it is never taken for one of the six clusters."""

    id: str
    name: str
    aliases: PerLanguage
    field: Bilingual
    sourced: Sourced
    website: str | None = None
    portal: str | None = None


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

    def pole(self, pole_id: str | None) -> CompetitivenessCluster | None:
        """The pôle de compétitivité with this id, if any."""
        return next((p for p in self.competitiveness_clusters if p.id == pole_id), None)
