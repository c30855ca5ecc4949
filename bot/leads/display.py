"""How a stored lead reads, field by field, wherever it is shown (staff chat, /mydata)."""

from __future__ import annotations

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
