"""The pieces every answer is made of: catalogue text, source lines, menus, the short part.

`answers.py` (the dialogue's answers) and `cluster_answers.py` (cards, lists, attributes,
recommendations) build on `AnswerBase`.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date

from bot.messages.catalogue import Catalogue
from bot.messages.reply import Button, Reply, ReplyBuilder
from bot.settings import DEFAULT_LEAD_RETENTION_DAYS
from knowledge.model import (
    Bilingual,
    Cluster,
    KnowledgeBase,
    Language,
    Source,
    Sourced,
)

# Intents for which "it" can mean the cluster discussed just before ("how do I join it?").
CONTEXTUAL_INTENTS = frozenset(
    {
        "cluster_info",
        "how_to_join",
        "cluster_contact",
        "cluster_members",
        "membership_fees",
        "start_join",
        "events",
    }
)
# Intents whose answer about one cluster starts with that cluster's attribute line.
INTENT_ATTRIBUTE = {
    "cluster_contact": "contact",
    "cluster_members": "members",
    "membership_fees": "contact",
    "events": "website",
}
# What a pôle can tell in one line.
# Button actions the dialogue answers: "More" under a short answer or a cluster card.
MORE_INTENT_ACTION = "mo"
MORE_CLUSTER_ACTION = "mc"
# How many keywords to quote back when explaining a recommendation.
REASON_KEYWORDS = 3
# A phone screen: the knowledge base's short parts stay under this (`wallonia-bot kb check`);
# `short_part` cuts a text that has no short part of its own.
SHORT_CHARS = 600
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def tagged(reply: Reply, topic: str | None, cluster: str | None = None) -> Reply:
    """`reply`, marked with what it is about (never shown; statistics and tests read it)."""
    return dataclasses.replace(reply, topic=topic, cluster=cluster)


def short_part(text: str, limit: int = SHORT_CHARS) -> tuple[str, bool]:
    """The first paragraphs of `text` that fit in `limit` characters (at least one sentence),
    and whether anything was left out."""
    paragraphs = [p.strip() for p in text.strip().split("\n\n") if p.strip()]
    kept: list[str] = []
    used = 0
    for paragraph in paragraphs:
        if used + len(paragraph) > limit:
            break
        kept.append(paragraph)
        used += len(paragraph) + 2
    if not kept and paragraphs:
        first = ""
        for sentence in _SENTENCE_END.split(paragraphs[0]):
            if first and len(first) + len(sentence) + 1 > limit:
                break
            first = f"{first} {sentence}".strip()
        kept = [first[:limit]]
    short = "\n\n".join(kept)
    return short, len(short) < len("\n\n".join(paragraphs))


class AnswerBase:
    """Catalogue access and the small pieces shared by every kind of answer."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        catalogue: Catalogue,
        *,
        retention_days: int = DEFAULT_LEAD_RETENTION_DAYS,
    ) -> None:
        self._kb = knowledge
        self._catalogue = catalogue
        # Quoted by the privacy answer: pass `settings.lead_retention_days`.
        self._retention_days = retention_days

    def _t(self, language: Language, key: str, **values: object) -> str:
        return self._catalogue.text(language, key, **values)

    def _label(self, language: Language, key: str) -> str:
        return self._t(language, "join.label", field=self._t(language, key))

    # -- pieces ---------------------------------------------------------------------------------

    def format_date(self, language: Language, day: date) -> str:
        """A date as people write it: "26 novembre 2026", "26 November 2026"."""
        months = self._t(language, "date.months").split(",")
        number = self._t(language, "date.first") if day.day == 1 else str(day.day)
        return self._t(
            language, "date.format", day=number, month=months[day.month - 1].strip(), year=day.year
        )

    def _source_lines(
        self, builder: ReplyBuilder, language: Language, sources: tuple[Source, ...]
    ) -> None:
        """One line per source: its title linked to the page in the user's language, and the
        date it was read."""
        for source in sources:
            line = self._t(
                language,
                "source_line",
                source="{source}",
                reviewed=self.format_date(language, source.read),
            )
            before, _, after = line.partition("{source}")
            builder.italic(before).link(source.title, source.url_for(language)).italic(after)
            builder.line()
        if sources:
            builder.paragraph()

    def _details(
        self,
        builder: ReplyBuilder,
        language: Language,
        details: Bilingual | None,
        sourced: Sourced,
        *,
        detailed: bool,
    ) -> tuple[Source, ...]:
        """The details when asked for ("More"); returns the sources to cite: all of them with
        the details (or when there are none), else those of the short part."""
        if details is None:
            return sourced.sources
        if detailed:
            builder.paragraphs(self._text(details[language]))
            return sourced.sources
        return sourced.for_short_part()

    def _more_button(self, builder: ReplyBuilder, language: Language, action: str) -> None:
        builder.buttons(Button(self._t(language, "more"), action))

    def _text(self, text: str) -> str:
        """Knowledge-base text with the settings it quotes filled in."""
        return text.replace("{retention_days}", str(self._retention_days))

    def _menu_buttons(self, builder: ReplyBuilder, language: Language) -> None:
        builder.buttons(Button(self._t(language, "menu.what_is"), "i:what_is_a_cluster"))
        builder.buttons(
            Button(self._t(language, "menu.clusters"), "cl"),
            Button(self._t(language, "menu.recommend"), "r"),
        )
        builder.buttons(
            Button(self._t(language, "menu.join"), "j"),
            Button(self._t(language, "menu.contact"), "i:contact_human"),
        )

    def intent_button(self, language: Language, intent_id: str, cluster_id: str | None) -> Button:
        label = self._t(language, f"intent.{intent_id}")
        if cluster_id:
            return Button(
                f"{label} ({self._kb.cluster(cluster_id).name})", f"i:{intent_id}:{cluster_id}"
            )
        return Button(label, f"i:{intent_id}")

    def _cluster_buttons(self, builder: ReplyBuilder, clusters: list[Cluster]) -> None:
        for index in range(0, len(clusters), 2):
            builder.buttons(*(Button(c.name, f"c:{c.id}") for c in clusters[index : index + 2]))

    # -- replies --------------------------------------------------------------------------------
