"""How each kind of answer looks: knowledge-base text and catalogue strings laid out as replies.

The dialogue decides *what* to answer; this module decides how it reads (order, emphasis,
buttons, source line). Keeping it apart keeps the dialogue's rules short and readable.
"""

from __future__ import annotations

import dataclasses
import re

from bot.leads.display import lead_fields, status_label
from bot.matching.matcher import ClusterFit
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Button, Reply, ReplyBuilder
from bot.storage.privacy_store import UserData
from knowledge.model import Cluster, Intent, KnowledgeBase, Language, Sourced

# Intents for which "it" can mean the cluster discussed just before ("how do I join it?").
CONTEXTUAL_INTENTS = frozenset({"cluster_info", "how_to_join"})
# How many keywords to quote back when explaining a recommendation.
REASON_KEYWORDS = 3
# A phone screen: the short part of an answer stays under this; the rest is behind "More".
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

    def __init__(self, knowledge: KnowledgeBase, catalogue: Catalogue) -> None:
        self._kb = knowledge
        self._catalogue = catalogue

    def _t(self, language: Language, key: str, **values: object) -> str:
        return self._catalogue.text(language, key, **values)

    def _label(self, language: Language, key: str) -> str:
        return self._t(language, "join.label", field=self._t(language, key))

    # -- pieces ---------------------------------------------------------------------------------

    def _source(self, builder: ReplyBuilder, language: Language, sourced: Sourced) -> None:
        if sourced.source and sourced.reviewed:
            line = self._t(
                language, "source_line", source="{source}", reviewed=sourced.reviewed.isoformat()
            )
            before, _, after = line.partition("{source}")
            builder.italic(before).link(sourced.source, sourced.source).italic(after).paragraph()

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

    def _more_button(self, language: Language, action: str) -> Button:
        return Button(self._t(language, "more"), action)

    def intent_answer(
        self,
        language: Language,
        intent: Intent,
        cluster: Cluster | None,
        *,
        detailed: bool = False,
    ) -> Reply:
        """The answer, short first: the details are behind "More" unless `detailed`."""
        builder = ReplyBuilder()
        if cluster is not None and intent.id in ("how_to_join", "cluster_info"):
            builder.bold(cluster.name).text(" — ").text(cluster.tagline[language]).paragraph()
        full = intent.answer[language]
        text, cut = (full, False) if detailed else short_part(full)
        builder.paragraphs(text)
        self._source(builder, language, intent.sourced)
        if cut:
            more = f"mo:{intent.id}:{cluster.id}" if cluster else f"mo:{intent.id}"
            builder.buttons(self._more_button(language, more))
        if intent.id == "how_to_join":
            # The form starts only when the user asks for it, from here or in words.
            start = f"j:{cluster.id}" if cluster else "j"
            builder.buttons(Button(self._t(language, "join.start"), start))
        if intent.id == "cluster_info":
            self._cluster_buttons(builder, list(self._kb.clusters))
        builder.button_column([self.intent_button(language, r, None) for r in intent.related])
        return tagged(builder.build(), intent.id, cluster.id if cluster else None)

    def cluster_attribute(self, language: Language, cluster: Cluster, attribute: str) -> Reply:
        """One attribute of a cluster in a line or two, for a follow-up ("site web ?")."""
        builder = ReplyBuilder()
        if attribute in ("contact", "website") and cluster.website:
            builder.text(self._t(language, "attribute.website", name=cluster.name) + " ")
            builder.link(cluster.website, cluster.website).paragraph()
        else:
            what = self._t(language, f"attribute.{attribute}")
            builder.paragraph(self._t(language, "attribute.unknown", what=what, name=cluster.name))
            if cluster.website:
                builder.text(self._t(language, "attribute.look_there") + " ")
                builder.link(cluster.website, cluster.website).paragraph()
        self._source(builder, language, cluster.sourced)
        about = self._t(language, "cluster_card.about", name=cluster.name)
        builder.buttons(Button(about, f"c:{cluster.id}"))
        builder.buttons(Button(self._t(language, "handoff.offer"), "i:contact_human"))
        intent = {"members": "cluster_members", "founded": "history", "field": "sectors_covered"}
        return tagged(builder.build(), intent.get(attribute, "cluster_contact"), cluster.id)

    def unknown(self, language: Language, cluster: Cluster | None, closest: list[str]) -> Reply:
        """An in-domain question the knowledge base cannot answer: say so, and where to look."""
        builder = ReplyBuilder()
        if cluster is not None:
            builder.paragraph(self._t(language, "unknown.about", name=cluster.name))
            if cluster.website:
                builder.text(self._t(language, "attribute.look_there") + " ")
                builder.link(cluster.website, cluster.website).paragraph()
        else:
            builder.paragraph(self._t(language, "unknown.general"))
        builder.paragraph(self._t(language, "unknown.team"))
        builder.button_column([self.intent_button(language, i, None) for i in closest])
        builder.buttons(Button(self._t(language, "handoff.offer"), "i:contact_human"))
        builder.buttons(Button(self._t(language, "menu.main"), "m"))
        return tagged(builder.build(), "unknown", cluster.id if cluster else None)

    def cluster_list(self, language: Language, intent: Intent) -> Reply:
        builder = ReplyBuilder().paragraphs(intent.answer[language])
        self._source(builder, language, intent.sourced)
        self._cluster_buttons(builder, list(self._kb.clusters))
        builder.buttons(Button(self._t(language, "menu.recommend"), "r"))
        return tagged(builder.build(), intent.id)

    def cluster_card(
        self, language: Language, cluster: Cluster, *, detailed: bool = False
    ) -> Reply:
        builder = ReplyBuilder().bold(cluster.name).text(" — ").text(cluster.tagline[language])
        full = cluster.description[language]
        # The name, the website and the buttons share the screen with the description.
        text, cut = (full, False) if detailed else short_part(full, SHORT_CHARS - 150)
        builder.paragraph().paragraphs(text)
        if cut:
            builder.buttons(self._more_button(language, f"mc:{cluster.id}"))
        if cluster.website:
            builder.text(self._t(language, "cluster_card.website") + " ")
            builder.link(cluster.website, cluster.website).paragraph()
        self._source(builder, language, cluster.sourced)
        builder.buttons(
            Button(self._t(language, "cluster_card.join", name=cluster.name), f"j:{cluster.id}")
        )
        builder.buttons(Button(self._t(language, "cluster_card.back"), "cl"))
        return tagged(builder.build(), "cluster_info", cluster.id)

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
