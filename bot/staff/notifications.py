"""New leads announced to the staff chat, at least once, even across failures and restarts.

A lead is stored first and announced second. Each announcement that succeeds marks the lead as
notified; one that fails leaves it unmarked, and the next pass (right after the next lead, and
every minute) tries again. So a Telegram outage delays a notification but never loses it.

A pass announces at most ANNOUNCEMENTS_PER_PASS leads: Telegram lets a bot post 20 messages a
minute to a group, so a backlog (after an outage) goes out over the next minutely passes. One
pass over a backlog of 50 took minutes, and stopping the bot waited for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.leads.display import lead_fields, status_label
from bot.leads.model import Lead
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Button, Reply, ReplyBuilder
from bot.storage.lead_store import LeadStore
from knowledge.model import KnowledgeBase, Language

_LOGGER = logging.getLogger(__name__)
# Within the 20 messages a minute Telegram allows a bot in one group, with room for the rest.
ANNOUNCEMENTS_PER_PASS = 10

Send = Callable[[Reply], Awaitable[None]]


def lead_summary(
    lead: Lead, knowledge: KnowledgeBase, catalogue: Catalogue, language: Language
) -> ReplyBuilder:
    """The lead's fields, one per line, ready for more paragraphs or buttons."""

    def label(key: str) -> str:
        return catalogue.text(language, "join.label", field=catalogue.text(language, key))

    rows = [
        *lead_fields(lead, knowledge, catalogue, language),
        (label("staff.language"), lead.language),
        (label("staff.status"), status_label(lead, catalogue, language)),
    ]
    builder = ReplyBuilder()
    for name, value in rows:
        builder.bold(name + " ").text(value).line()
    return builder


class StaffNotifier:
    """Announces stored leads that are not yet marked as notified."""

    def __init__(
        self,
        leads: LeadStore,
        knowledge: KnowledgeBase,
        catalogue: Catalogue,
        language: Language,
    ) -> None:
        self._leads = leads
        self._knowledge = knowledge
        self._catalogue = catalogue
        self._language = language
        self._lock = asyncio.Lock()

    def announcement(self, lead: Lead) -> Reply:
        t = self._catalogue.text
        builder = (
            ReplyBuilder()
            .bold(t(self._language, "staff.new_lead", reference=lead.reference))
            .paragraph()
        )
        builder.extend(
            lead_summary(lead, self._knowledge, self._catalogue, self._language).build()
        )
        builder.buttons(Button(t(self._language, "staff.open"), f"sl:{lead.id}"))
        return builder.build()

    def correction(self, lead: Lead, text: str) -> Reply:
        """A correction the applicant sent after their request (also kept in its history)."""
        t = self._catalogue.text
        builder = ReplyBuilder().bold(
            t(self._language, "staff.correction", reference=lead.reference)
        )
        builder.paragraph().paragraph(text)
        builder.buttons(Button(t(self._language, "staff.open"), f"sl:{lead.id}"))
        return builder.build()

    async def notify_pending(self, send: Send) -> int:
        """Announce the unnotified leads, oldest first and at most ANNOUNCEMENTS_PER_PASS;
        stop at the first failure.

        One pass at a time: the job after a new lead and the minutely job may overlap, and
        each would otherwise read the same unnotified lead and announce it twice.
        """
        async with self._lock:
            return await self._notify_pending(send)

    async def _notify_pending(self, send: Send) -> int:
        sent = 0
        for lead in (await self._leads.unnotified())[:ANNOUNCEMENTS_PER_PASS]:
            try:
                await send(self.announcement(lead))
            except Exception:  # the lead stays unnotified and is tried again next pass
                _LOGGER.warning("could not announce lead %s; will retry", lead.id, exc_info=True)
                return sent
            await self._leads.mark_notified(lead.id)
            sent += 1
        return sent
