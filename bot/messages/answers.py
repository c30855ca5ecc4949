"""How each kind of answer looks: knowledge-base text and catalogue strings laid out as replies.

The dialogue decides *what* to answer; this module decides how it reads (order, emphasis,
buttons, source line). Keeping it apart keeps the dialogue's rules short and readable.
"""

from __future__ import annotations

from bot.leads.display import lead_fields, status_label
from bot.matching.matcher import ClusterFit
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Button, Reply, ReplyBuilder
from bot.storage.user_store import UserData
from knowledge.model import Cluster, Intent, KnowledgeBase, Language, Sourced

# Intents for which "it" can mean the cluster discussed just before ("how do I join it?").
CONTEXTUAL_INTENTS = frozenset({"cluster_info", "how_to_join"})
# How many keywords to quote back when explaining a recommendation.
REASON_KEYWORDS = 3


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

    def _menu_buttons(
        self, builder: ReplyBuilder, language: Language, *, contact: bool = True
    ) -> None:
        builder.buttons(Button(self._t(language, "menu.what_is"), "i:what_is_a_cluster"))
        builder.buttons(
            Button(self._t(language, "menu.clusters"), "cl"),
            Button(self._t(language, "menu.recommend"), "r"),
        )
        builder.buttons(
            Button(self._t(language, "menu.join"), "j"),
            *([Button(self._t(language, "menu.contact"), "i:contact_human")] if contact else []),
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
        # A person may know what the assistant does not (bot/handoff/).
        builder.buttons(Button(self._t(language, "handoff.talk"), "ho"))
        self._menu_buttons(builder, language, contact=False)
        return builder.build()

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
        return builder.build()

    def intent_answer(self, language: Language, intent: Intent, cluster: Cluster | None) -> Reply:
        builder = ReplyBuilder()
        if cluster is not None and intent.id in ("how_to_join", "cluster_info"):
            builder.bold(cluster.name).text(" — ").text(cluster.tagline[language]).paragraph()
        builder.paragraphs(intent.answer[language])
        self._source(builder, language, intent.sourced)
        if intent.id == "how_to_join":
            join = self._t(language, "cluster_card.join", name=cluster.name) if cluster else None
            builder.buttons(
                Button(
                    join or self._t(language, "menu.join"), f"j:{cluster.id}" if cluster else "j"
                )
            )
        if intent.id == "cluster_info":
            self._cluster_buttons(builder, list(self._kb.clusters))
        builder.button_column([self.intent_button(language, r, None) for r in intent.related])
        return builder.build()

    def cluster_list(self, language: Language, intent: Intent) -> Reply:
        builder = ReplyBuilder().paragraphs(intent.answer[language])
        self._source(builder, language, intent.sourced)
        self._cluster_buttons(builder, list(self._kb.clusters))
        builder.buttons(Button(self._t(language, "menu.recommend"), "r"))
        return builder.build()

    def cluster_card(self, language: Language, cluster: Cluster) -> Reply:
        builder = ReplyBuilder().bold(cluster.name).text(" — ").text(cluster.tagline[language])
        builder.paragraph().paragraphs(cluster.description[language])
        if cluster.website:
            builder.text(self._t(language, "cluster_card.website") + " ")
            builder.link(cluster.website, cluster.website).paragraph()
        self._source(builder, language, cluster.sourced)
        builder.buttons(
            Button(self._t(language, "cluster_card.join", name=cluster.name), f"j:{cluster.id}")
        )
        builder.buttons(Button(self._t(language, "cluster_card.back"), "cl"))
        return builder.build()

    def recommendation(self, language: Language, fits: list[ClusterFit]) -> Reply:
        builder = ReplyBuilder()
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
        return builder.build()

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
