"""How each kind of answer looks: knowledge-base text and catalogue strings laid out as replies.

The dialogue decides *what* to answer; this module decides how it reads (order, emphasis,
buttons, source line). Keeping it apart keeps the dialogue's rules short and readable.
"""

from __future__ import annotations

from bot.leads.display import lead_fields, status_label
from bot.messages.answer_base import (
    CONTEXTUAL_INTENTS,
    INTENT_ATTRIBUTE,
    MORE_INTENT_ACTION,
    short_part,
    tagged,
)
from bot.messages.cluster_answers import ClusterAnswers
from bot.messages.reply import Button, Reply, ReplyBuilder
from bot.storage.privacy_store import UserData
from knowledge.model import (
    Cluster,
    CompetitivenessCluster,
    Intent,
    Language,
)

# Answers that end with the button starting a join request (the cluster list has its own
# buttons, one per cluster, in `cluster_list`).
_OFFERS_TO_JOIN = frozenset({"how_to_join", "start_join", "cluster_benefits", "greeting"})
# Practical questions whose honest answer is often "the sources do not say": a person may know.
ASK_A_PERSON = frozenset(
    {
        "membership_fees",
        "events",
        "multiple_clusters",
        "company_subsidies",
        "working_language",
        "response_time",
    }
)

__all__ = ["CONTEXTUAL_INTENTS", "AnswerBuilder", "short_part", "tagged"]


class AnswerBuilder(ClusterAnswers):
    """Builds the replies of the dialogue in one language or the other."""

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
        # Unsure of the question: a person may be the better answer.
        if "contact_human" not in intents:
            builder.buttons(Button(self._t(language, "handoff.offer"), "i:contact_human"))
        builder.buttons(Button(self._t(language, "menu.main"), "m"))
        return tagged(builder.build(), "did_you_mean")

    def intent_answer(
        self,
        language: Language,
        intent: Intent,
        cluster: Cluster | None,
        *,
        detailed: bool = False,
        pole: CompetitivenessCluster | None = None,
    ) -> Reply:
        """The short answer, with a "More" button (`mo:<intent>[:<cluster>]`) when the intent has
        details; `detailed=True` adds the details and drops the button. `pole`: the pôle named,
        told first in a line with its field and where to join it."""
        builder = ReplyBuilder()
        if pole is not None:
            builder.bold(pole.name).text(" — ")
            builder.text(self._t(language, "pole.line", field=pole.field[language]) + " ")
            link = pole.website or pole.portal
            if link:
                builder.link(link, link)
            builder.paragraph()
        if cluster is not None and intent.id in CONTEXTUAL_INTENTS:
            builder.bold(cluster.name).text(" — ").text(cluster.tagline[language]).paragraph()
        attribute = INTENT_ATTRIBUTE.get(intent.id)
        if cluster is not None and attribute is not None:
            self._attribute_lines(builder, language, cluster, attribute)
        builder.paragraphs(self._text(intent.answer[language]))
        sources = self._details(
            builder, language, intent.details, intent.sourced, detailed=detailed
        )
        if pole is not None:
            sources = (*pole.sourced.sources[:1], *sources)
        fact = cluster.attribute(attribute) if cluster is not None and attribute else None
        if fact is not None and fact.source is not None:
            # The attribute's line already cites its source: not twice in one reply.
            sources = tuple(s for s in sources if s.url != fact.source.url)
        self._source_lines(builder, language, sources)
        if intent.id in _OFFERS_TO_JOIN:
            # The form starts only when the user asks for it, from here or in words; these
            # answers are where people decide to.
            start = f"j:{cluster.id}" if cluster else "j"
            builder.buttons(Button(self._t(language, "join.start"), start))
        if intent.id in ("cluster_info", "cluster_contact", "cluster_members") and cluster is None:
            self._cluster_buttons(builder, list(self._kb.clusters))
        builder.button_column([self.intent_button(language, r, None) for r in intent.related])
        if intent.id in ASK_A_PERSON and "contact_human" not in intent.related:
            builder.buttons(Button(self._t(language, "handoff.offer"), "i:contact_human"))
        if intent.details is not None and not detailed:
            suffix = f":{cluster.id}" if cluster is not None else ""
            self._more_button(builder, language, f"{MORE_INTENT_ACTION}:{intent.id}{suffix}")
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

    def _my_handoffs(self, builder: ReplyBuilder, language: Language, data: UserData) -> None:
        builder.bold(self._t(language, "handoff.mydata_title")).paragraph()
        for handoff, messages in data.handoffs:
            status = self._t(language, f"handoff.status.{handoff.status.value}")
            opened = handoff.opened_at.isoformat(timespec="minutes")
            builder.italic(self._t(language, "handoff.mydata_thread", time=opened, status=status))
            for message in messages:
                who = self._t(
                    language,
                    "handoff.mydata_you" if message.direction == "user" else "handoff.mydata_team",
                )
                time = message.created_at.isoformat(timespec="minutes")
                builder.line().text(
                    self._t(language, "handoff.mydata_message", time=time, who=who)
                )
                builder.text(message.text)
            builder.paragraph()

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
        if data.handoffs:
            self._my_handoffs(builder, language, data)
        if data.bot_state:
            builder.paragraph(self._t(language, "mydata.state"))
        builder.italic(self._t(language, "mydata.erase_hint")).paragraph()
        return builder.build()
