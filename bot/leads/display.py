"""How a stored lead reads, field by field, wherever it is shown (staff chat, /mydata)."""

from __future__ import annotations

from datetime import datetime

from bot.leads.model import Lead
from bot.messages.catalogue import Catalogue
from knowledge.model import KnowledgeBase, Language


def lead_fields(
    lead: Lead, knowledge: KnowledgeBase, catalogue: Catalogue, language: Language
) -> list[tuple[str, str]]:
    """(label, value) for each field a company gave, in the order the join flow asks them."""

    def t(key: str) -> str:
        return catalogue.text(language, key)

    def label(field: str) -> str:
        return catalogue.text(language, "join.label", field=t(f"join.field.{field}"))

    cluster = (
        knowledge.cluster(lead.cluster_id).name
        if knowledge.has_cluster(lead.cluster_id)
        else lead.cluster_id
    )
    return [
        (label("cluster"), cluster),
        (label("company_name"), lead.company_name),
        (label("enterprise_number"), lead.enterprise_number or t("join.not_given")),
        (label("activity"), lead.activity),
        (label("company_type"), t(f"join.type.{lead.company_type.value}")),
        (label("location"), t(f"join.location.{lead.location.value}")),
        (label("contact_name"), lead.contact_name),
        (label("email"), lead.email),
        (label("phone"), lead.phone or t("join.not_given")),
    ]


def status_label(lead: Lead, catalogue: Catalogue, language: Language) -> str:
    return catalogue.text(language, f"staff.statuses.{lead.status.value}")


def cluster_name(knowledge: KnowledgeBase, cluster_id: str) -> str:
    """The cluster's name, or its id when the knowledge base no longer has it."""
    return knowledge.cluster(cluster_id).name if knowledge.has_cluster(cluster_id) else cluster_id


def utc_time(moment: datetime) -> str:
    """A moment as staff read it: "2026-03-02 09:00 UTC"."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def short_label(text: str, limit: int = 60) -> str:
    """`text` cut to one short button line (a company name can be 200 characters)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
