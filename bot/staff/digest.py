"""The daily digest for the staff chat: new leads of the last day, and leads still "new"
two days after arriving, each with a button that opens its card."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.leads.display import cluster_name, short_label
from bot.leads.model import Lead, LeadStatus
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Button, Reply, ReplyBuilder
from bot.storage.database import utc_now
from bot.storage.lead_store import LeadStore
from knowledge.model import KnowledgeBase, Language

# Leads still "new" this long after arriving are listed as waiting.
WAITING_AFTER = timedelta(days=2)
DIGEST_LIST_LIMIT = 10


class DailyDigest:
    """Builds the digest reply from the lead store."""

    def __init__(
        self,
        leads: LeadStore,
        knowledge: KnowledgeBase,
        catalogue: Catalogue,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._leads = leads
        self._kb = knowledge
        self._catalogue = catalogue
        self._clock = clock

    def _t(self, language: Language, key: str, **values: object) -> str:
        return self._catalogue.text(language, key, **values)

    async def digest(self, language: Language) -> Reply:
        """New leads of the last 24 hours, and leads still "new" two days after arriving."""
        now = self._clock()
        fresh = await self._leads.list(since=now - timedelta(days=1), limit=DIGEST_LIST_LIMIT)
        fresh_count = await self._leads.count(since=now - timedelta(days=1))
        waiting_count = await self._leads.count(LeadStatus.NEW, until=now - WAITING_AFTER)
        waiting = await self._leads.list(
            LeadStatus.NEW, until=now - WAITING_AFTER, limit=DIGEST_LIST_LIMIT
        )
        builder = ReplyBuilder().bold(self._t(language, "staff_ws.digest.title")).paragraph()
        if not fresh_count and not waiting_count:
            return builder.paragraph(self._t(language, "staff_ws.digest.nothing")).build()
        builder.paragraph(self._t(language, "staff_ws.digest.new_leads", count=fresh_count))
        self._digest_rows(builder, language, fresh)
        builder.paragraph(self._t(language, "staff_ws.digest.waiting", count=waiting_count))
        self._digest_rows(builder, language, waiting)
        builder.button_column(
            [
                Button(short_label(f"{lead.reference} · {lead.company_name}"), f"sl:{lead.id}")
                for lead in waiting
            ]
        )
        return builder.build()

    def _digest_rows(
        self, builder: ReplyBuilder, language: Language, leads: Sequence[Lead]
    ) -> None:
        for lead in leads:
            builder.paragraph(
                self._t(
                    language,
                    "staff_ws.digest.row",
                    reference=lead.reference,
                    company=lead.company_name,
                    cluster=cluster_name(self._kb, lead.cluster_id),
                )
            )
