"""How clusters read: the list, a card (short, then details), one attribute, a pôle's attribute,
a recommendation."""

from __future__ import annotations

from bot.matching.matcher import ClusterFit
from bot.messages.answer_base import (
    MORE_CLUSTER_ACTION,
    MORE_INTENT_ACTION,
    REASON_KEYWORDS,
    AnswerBase,
    tagged,
)
from bot.messages.reply import Button, Reply, ReplyBuilder
from knowledge.model import CLUSTER_ATTRIBUTES, Cluster, Intent, Language


class ClusterAnswers(AnswerBase):
    """Cluster cards, lists, attributes and recommendations."""

    def cluster_list(self, language: Language, intent: Intent, *, detailed: bool = False) -> Reply:
        builder = ReplyBuilder().paragraphs(intent.answer[language])
        sources = self._details(
            builder, language, intent.details, intent.sourced, detailed=detailed
        )
        self._source_lines(builder, language, sources)
        self._cluster_buttons(builder, list(self._kb.clusters))
        builder.buttons(Button(self._t(language, "menu.recommend"), "r"))
        if intent.details is not None and not detailed:
            self._more_button(builder, language, f"{MORE_INTENT_ACTION}:{intent.id}")
        return tagged(builder.build(), intent.id)

    def pole_list(self, language: Language) -> Reply:
        """The pôles de compétitivité, each with its field and site ("et les pôles, lesquels ?"),
        with the sources they all share."""
        poles = self._kb.competitiveness_clusters
        builder = ReplyBuilder().paragraph(self._t(language, "pole.list", count=len(poles)))
        for pole in poles:
            builder.text("• ").bold(pole.name).text(f" — {pole.field[language]} ")
            link = pole.website or pole.portal
            if link:
                builder.link(link, link)
            builder.line()
        builder.paragraph()
        shared = [
            s for s in poles[0].sourced.sources if all(s in p.sourced.sources for p in poles)
        ]
        self._source_lines(builder, language, tuple(shared or poles[0].sourced.sources[:1]))
        intent = "cluster_vs_competitiveness"
        builder.buttons(self.intent_button(language, intent, None))
        return tagged(builder.build(), intent)

    def cluster_card(
        self, language: Language, cluster: Cluster, *, detailed: bool = False
    ) -> Reply:
        """The short card, with a "More" button (`mc:<cluster>`); `detailed=True` adds the
        details (figures with their years, disagreements between sources)."""
        builder = ReplyBuilder().bold(cluster.name).text(" — ").text(cluster.tagline[language])
        builder.paragraph().paragraphs(cluster.description[language])
        sources = self._details(
            builder, language, cluster.details, cluster.sourced, detailed=detailed
        )
        self._website_line(builder, language, cluster)
        self._source_lines(builder, language, sources)
        builder.buttons(
            Button(self._t(language, "cluster_card.join", name=cluster.name), f"j:{cluster.id}")
        )
        if cluster.details is not None and not detailed:
            self._more_button(builder, language, f"{MORE_CLUSTER_ACTION}:{cluster.id}")
        builder.buttons(Button(self._t(language, "cluster_card.back"), "cl"))
        return tagged(builder.build(), "cluster_info", cluster.id)

    def comparison(self, language: Language, clusters: list[Cluster]) -> Reply:
        """Two clusters or more side by side ("what's the difference between TWEED and CAP
        2020?"): each one's field in a line, a button to read more about each."""
        builder = ReplyBuilder().paragraph(self._t(language, "cluster_card.compare"))
        for cluster in clusters:
            builder.text("• ").bold(cluster.name).text(" — ").text(cluster.tagline[language])
            builder.line()
        sources = tuple(dict.fromkeys(s for c in clusters for s in c.sourced.sources[:1]))
        self._source_lines(builder, language, sources)
        about = [
            Button(self._t(language, "cluster_card.about", name=c.name), f"c:{c.id}")
            for c in clusters
        ]
        builder.button_column(about)
        return tagged(builder.build(), "cluster_info")

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
            return tagged(builder.build(), "recommend_cluster")
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
