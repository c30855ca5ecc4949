"""How each kind of answer looks: knowledge-base text and catalogue strings laid out as replies.

The dialogue decides *what* to answer; this module decides how it reads (order, emphasis,
buttons, source line). Keeping it apart keeps the dialogue's rules short and readable.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date

from bot.leads.display import lead_fields, status_label
from bot.matching.matcher import ClusterFit
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Button, Reply, ReplyBuilder
from bot.settings import DEFAULT_LEAD_RETENTION_DAYS
from bot.storage.privacy_store import UserData
from knowledge.model import (
    CLUSTER_ATTRIBUTES,
    Cluster,
    CompetitivenessCluster,
    Intent,
    KnowledgeBase,
    Language,
    Source,
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
    }
)
# Intents whose answer about one cluster starts with that cluster's attribute line.
INTENT_ATTRIBUTE = {
    "cluster_contact": "contact",
    "cluster_members": "members",
    "membership_fees": "contact",
}
# What a pôle can tell in one line.
POLE_ATTRIBUTES = ("website", "field")
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


class AnswerBuilder:
    """Builds the replies of the dialogue in one language or the other."""

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

    def welcome(self, language: Language) -> Reply:
        builder = ReplyBuilder().paragraph(self._t(language, "welcome"))
        builder.paragraph(self._t(language, "welcome_prompt"))
        self._menu_buttons(builder, language)
        return builder.build()

    def main_menu(self, language: Language) -> Reply:
        builder = ReplyBuilder().paragraph(self._t(language, "welcome_prompt"))
        self._menu_buttons(builder, language)
        return builder.build()

    def notice(self, language: Language, key: str, **values: object) -> Reply:
        return ReplyBuilder().paragraph(self._t(language, key, **values)).build()

    def notice_with_menu(self, language: Language, key: str, **values: object) -> Reply:
        builder = ReplyBuilder().paragraph(self._t(language, key, **values))
        self._menu_buttons(builder, language)
        return builder.build()

    def stale(self, language: Language) -> Reply:
        return self.notice_with_menu(language, "stale_button")

    def fallback(self, language: Language) -> Reply:
        builder = ReplyBuilder().paragraph(self._t(language, "fallback"))
        builder.paragraph(self._t(language, "fallback_offer"))
        self._menu_buttons(builder, language)
        return tagged(builder.build(), "off_topic")

    def did_you_mean(
        self, language: Language, intents: list[str], cluster_id: str | None
    ) -> Reply:
        builder = ReplyBuilder().paragraph(self._t(language, "did_you_mean"))
        builder.button_column(
            [
                self.intent_button(language, i, cluster_id if i in CONTEXTUAL_INTENTS else None)
                for i in intents
            ]
        )
        builder.buttons(Button(self._t(language, "menu.main"), "m"))
        return tagged(builder.build(), "did_you_mean")

    def intent_answer(
        self,
        language: Language,
        intent: Intent,
        cluster: Cluster | None,
        *,
        detailed: bool = False,
    ) -> Reply:
        """The short answer, with a "More" button (`mo:<intent>[:<cluster>]`) when the intent has
        details; `detailed=True` adds the details and drops the button."""
        builder = ReplyBuilder()
        if cluster is not None and intent.id in CONTEXTUAL_INTENTS:
            builder.bold(cluster.name).text(" — ").text(cluster.tagline[language]).paragraph()
        attribute = INTENT_ATTRIBUTE.get(intent.id)
        if cluster is not None and attribute is not None:
            self._attribute_lines(builder, language, cluster, attribute)
        builder.paragraphs(self._text(intent.answer[language]))
        sources = intent.sourced.sources
        if detailed and intent.details is not None:
            builder.paragraphs(self._text(intent.details[language]))
        elif intent.details is not None:
            sources = intent.sourced.for_short_part()
        self._source_lines(builder, language, sources)
        if intent.id in ("how_to_join", "start_join"):
            # The form starts only when the user asks for it, from here or in words.
            start = f"j:{cluster.id}" if cluster else "j"
            builder.buttons(Button(self._t(language, "join.start"), start))
        if intent.id in ("cluster_info", "cluster_contact", "cluster_members") and cluster is None:
            self._cluster_buttons(builder, list(self._kb.clusters))
        builder.button_column([self.intent_button(language, r, None) for r in intent.related])
        if intent.details is not None and not detailed:
            suffix = f":{cluster.id}" if cluster is not None else ""
            self._more_button(builder, language, f"{MORE_INTENT_ACTION}:{intent.id}{suffix}")
        return tagged(builder.build(), intent.id, cluster.id if cluster else None)

    def intent_details(self, language: Language, intent: Intent, cluster: Cluster | None) -> Reply:
        """What "More" shows under a short answer: the details and the sources."""
        if intent.details is None:
            return self.intent_answer(language, intent, cluster)
        builder = ReplyBuilder()
        if cluster is not None and intent.id in CONTEXTUAL_INTENTS:
            builder.bold(cluster.name).text(" — ").text(cluster.tagline[language]).paragraph()
        builder.paragraphs(self._text(intent.details[language]))
        self._source_lines(builder, language, intent.sourced.sources)
        builder.button_column([self.intent_button(language, r, None) for r in intent.related])
        return tagged(builder.build(), intent.id, cluster.id if cluster else None)

    def unknown(self, language: Language, cluster: Cluster | None, closest: list[str]) -> Reply:
        """An in-domain question the knowledge base cannot answer: say so, and where to look."""
        builder = ReplyBuilder()
        if cluster is not None:
            builder.paragraph(self._t(language, "unknown.about", name=cluster.name))
            link = cluster.website or cluster.portal
            if link:
                builder.text(self._t(language, "attribute.look_there") + " ")
                builder.link(link, link).paragraph()
        else:
            builder.paragraph(self._t(language, "unknown.general"))
        builder.paragraph(self._t(language, "unknown.team"))
        builder.button_column([self.intent_button(language, i, None) for i in closest])
        builder.buttons(Button(self._t(language, "handoff.offer"), "i:contact_human"))
        builder.buttons(Button(self._t(language, "menu.main"), "m"))
        return tagged(builder.build(), "unknown", cluster.id if cluster else None)

    def cluster_list(self, language: Language, intent: Intent, *, detailed: bool = False) -> Reply:
        builder = ReplyBuilder().paragraphs(intent.answer[language])
        sources = intent.sourced.sources
        if detailed and intent.details is not None:
            builder.paragraphs(intent.details[language])
        elif intent.details is not None:
            sources = intent.sourced.for_short_part()
        self._source_lines(builder, language, sources)
        self._cluster_buttons(builder, list(self._kb.clusters))
        builder.buttons(Button(self._t(language, "menu.recommend"), "r"))
        if intent.details is not None and not detailed:
            self._more_button(builder, language, f"{MORE_INTENT_ACTION}:{intent.id}")
        return tagged(builder.build(), intent.id)

    def cluster_card(
        self, language: Language, cluster: Cluster, *, detailed: bool = False
    ) -> Reply:
        """The short card, with a "More" button (`mc:<cluster>`); `detailed=True` adds the
        details (figures with their years, disagreements between sources)."""
        builder = ReplyBuilder().bold(cluster.name).text(" — ").text(cluster.tagline[language])
        builder.paragraph().paragraphs(cluster.description[language])
        sources = cluster.sourced.sources
        if detailed and cluster.details is not None:
            builder.paragraphs(cluster.details[language])
        elif cluster.details is not None:
            sources = cluster.sourced.for_short_part()
        self._website_line(builder, language, cluster)
        self._source_lines(builder, language, sources)
        builder.buttons(
            Button(self._t(language, "cluster_card.join", name=cluster.name), f"j:{cluster.id}")
        )
        if cluster.details is not None and not detailed:
            self._more_button(builder, language, f"{MORE_CLUSTER_ACTION}:{cluster.id}")
        builder.buttons(Button(self._t(language, "cluster_card.back"), "cl"))
        return tagged(builder.build(), "cluster_info", cluster.id)

    def _website_line(self, builder: ReplyBuilder, language: Language, cluster: Cluster) -> None:
        if cluster.website:
            builder.text(self._t(language, "cluster_card.website") + " ")
            builder.link(cluster.website, cluster.website).paragraph()
        elif cluster.portal:
            builder.text(self._t(language, "cluster_card.portal") + " ")
            builder.link(cluster.portal, cluster.portal).paragraph()

    # -- one fact about a cluster or a pôle -------------------------------------------------------

    def _attribute_lines(
        self, builder: ReplyBuilder, language: Language, cluster: Cluster, attribute: str
    ) -> None:
        label = self._t(language, f"attribute_label.{attribute}")
        fact = cluster.attribute(attribute)
        builder.bold(f"{cluster.name} — {label}: ")
        text = fact.text[language] if fact is not None else ""
        builder.text(text)
        link = cluster.website or cluster.portal
        if attribute in ("website", "contact") and link and link not in text:
            builder.text(" ").link(link, link)
        builder.line()
        if fact is not None and fact.source is not None:
            line = self._t(
                language,
                "source_line",
                source="{source}",
                reviewed=self.format_date(language, fact.source.read),
            )
            before, _, after = line.partition("{source}")
            builder.italic(before).link(fact.source.title, fact.source.url_for(language))
            builder.italic(after)
        elif fact is None or fact.unknown:
            builder.italic(self._t(language, "attribute_label.unknown"))
        builder.paragraph()

    def cluster_attribute(self, language: Language, cluster: Cluster, attribute: str) -> Reply:
        """One fact about a cluster in one or two lines, with its source and the date it was
        read: `attribute` is one of website, members, founded, field, contact."""
        if attribute not in CLUSTER_ATTRIBUTES:
            raise ValueError(f"unknown cluster attribute {attribute!r}")
        builder = ReplyBuilder()
        self._attribute_lines(builder, language, cluster, attribute)
        about = self._t(language, "cluster_card.about", name=cluster.name)
        builder.buttons(Button(about, f"c:{cluster.id}"))
        builder.buttons(Button(self._t(language, "handoff.offer"), "i:contact_human"))
        topic = {"members": "cluster_members", "founded": "history", "field": "sectors_covered"}
        return tagged(builder.build(), topic.get(attribute, "cluster_contact"), cluster.id)

    def pole_attribute(
        self, language: Language, pole: CompetitivenessCluster, attribute: str
    ) -> Reply:
        """One fact about a pôle de compétitivité (website or field), with its sources."""
        if attribute not in POLE_ATTRIBUTES:
            raise ValueError(f"unknown pôle attribute {attribute!r}")
        builder = ReplyBuilder().bold(
            f"{pole.name} — {self._t(language, f'attribute_label.{attribute}')}: "
        )
        if attribute == "field":
            builder.text(pole.field[language])
        else:
            link = pole.website or pole.portal
            if pole.website is None:
                builder.text(self._t(language, "attribute_label.pole_portal") + " ")
            if link:
                builder.link(link, link)
        builder.paragraph()
        self._source_lines(builder, language, pole.sourced.sources[:1])
        return builder.build()

    def recommendation(
        self, language: Language, fits: list[ClusterFit], *, asked: str | None = None
    ) -> Reply:
        """The best cluster for an activity; `asked` is a cluster the user wondered about."""
        builder = ReplyBuilder()
        if asked is not None and fits and self._kb.has_cluster(asked):
            name = self._kb.cluster(asked).name
            fitting = {f.cluster_id for f in fits[:2]}
            key = "recommend.asked_fits" if asked in fitting else "recommend.asked_other"
            builder.paragraph(self._t(language, key, name=name))
        if not fits:
            builder.paragraph(self._t(language, "recommend.none"))
            self._cluster_buttons(builder, list(self._kb.clusters))
            return builder.build()
        best = self._kb.cluster(fits[0].cluster_id)
        builder.paragraph(
            self._t(language, "recommend.best", name=best.name, tagline=best.tagline[language])
        )
        keywords = ", ".join(fits[0].keywords[:REASON_KEYWORDS])
        builder.italic(self._t(language, "recommend.because", keywords=keywords)).paragraph()
        buttons = [
            Button(self._t(language, "cluster_card.join", name=best.name), f"j:{best.id}"),
            Button(self._t(language, "recommend.see", name=best.name), f"c:{best.id}"),
        ]
        if len(fits) > 1:
            second = self._kb.cluster(fits[1].cluster_id)
            builder.paragraph(
                self._t(
                    language, "recommend.also", name=second.name, tagline=second.tagline[language]
                )
            )
            buttons.append(
                Button(self._t(language, "recommend.see", name=second.name), f"c:{second.id}")
            )
        builder.button_column(buttons)
        return tagged(builder.build(), "recommend_cluster", best.id)

    def language_menu(self, language: Language) -> Reply:
        builder = ReplyBuilder().paragraph(self._t(language, "language.prompt"))
        builder.buttons(
            Button(self._t(language, "language.french"), "l:fr"),
            Button(self._t(language, "language.english"), "l:en"),
        )
        return builder.build()

    def language_set(self, language: Language) -> Reply:
        builder = ReplyBuilder().paragraph(self._t(language, "language.set"))
        self._menu_buttons(builder, language)
        return builder.build()

    def cancelled(self, language: Language, had_something: bool) -> Reply:
        builder = ReplyBuilder().paragraph(
            self._t(language, "cancel.done" if had_something else "cancel.nothing")
        )
        self._menu_buttons(builder, language)
        return builder.build()

    def paused_join(self, language: Language) -> Reply:
        builder = ReplyBuilder().paragraph(self._t(language, "join.paused"))
        builder.buttons(
            Button(self._t(language, "join.continue"), "jr"),
            Button(self._t(language, "join.cancel"), "jx"),
        )
        return builder.build()

    def forget_confirmation(self, language: Language) -> Reply:
        builder = ReplyBuilder().paragraph(self._t(language, "forget.ask"))
        builder.buttons(
            Button(self._t(language, "forget.erase"), "fy"),
            Button(self._t(language, "forget.keep"), "fn"),
        )
        return builder.build()

    def my_data(self, language: Language, data: UserData) -> Reply:
        """Everything we hold about the user, field by field (GDPR right of access)."""
        builder = ReplyBuilder()
        if data.is_empty:
            return builder.paragraph(self._t(language, "mydata.empty")).build()
        builder.bold(self._t(language, "mydata.title")).paragraph()
        if data.language:
            builder.paragraph(self._t(language, "mydata.language", choice=data.language))
        for lead in data.leads:
            consent_time = lead.consent_given_at.isoformat(timespec="minutes")
            builder.bold(self._t(language, "mydata.lead", reference=lead.reference)).paragraph()
            rows = [
                *lead_fields(lead, self._kb, self._catalogue, language),
                (
                    self._label(language, "mydata.status"),
                    status_label(lead, self._catalogue, language),
                ),
                (
                    self._label(language, "mydata.created"),
                    lead.created_at.isoformat(timespec="minutes"),
                ),
                (
                    self._label(language, "mydata.consent"),
                    f"{lead.consent_version}, {consent_time}",
                ),
            ]
            for name, value in rows:
                builder.text(name + " ").text(value).line()
            builder.paragraph()
        if data.consents:
            builder.paragraph(self._t(language, "mydata.consents", count=len(data.consents)))
        if data.unanswered_questions:
            builder.bold(self._t(language, "mydata.questions")).paragraph()
            for question in data.unanswered_questions:
                builder.text(f"{question.created_at.date().isoformat()} — ").text(question.text)
                builder.paragraph()
        if data.bot_state:
            builder.paragraph(self._t(language, "mydata.state"))
        builder.italic(self._t(language, "mydata.erase_hint")).paragraph()
        return builder.build()
