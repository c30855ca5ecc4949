"""The join request's last step: the lead stored once, with the consent the user gave.

The Confirm button carries the request's key, which is also the lead's submission key, so a
second press, a replay after a crash, or a press on an old summary finds the lead already
stored instead of creating another.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.conversation.join_prompts import CONSENT_VERSION, JoinPrompts
from bot.conversation.state import JoinRequest, Step
from bot.leads.model import CompanyType, Consent, Lead, Location, NewLead
from bot.messages.reply import Reply
from bot.storage.database import utc_now
from bot.storage.lead_store import LeadStore
from knowledge.model import KnowledgeBase, Language

_LOGGER = logging.getLogger(__name__)

LeadCreated = Callable[[Lead], Awaitable[None]]


class JoinSubmission:
    """Stores a confirmed request as a lead and tells staff through `on_lead_created`."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        prompts: JoinPrompts,
        leads: LeadStore,
        *,
        on_lead_created: LeadCreated | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._kb = knowledge
        self._prompts = prompts
        self._leads = leads
        self.on_lead_created = on_lead_created
        self._clock = clock

    async def confirm(
        self, request: JoinRequest | None, key: str, language: Language, user_id: int
    ) -> tuple[bool, list[Reply]]:
        """Store the lead. Returns (request finished, replies).

        The Confirm button carries the request's key, which is also the lead's submission key:
        a second press, a replay after a crash, or a press on an old summary finds the lead
        already stored instead of creating another.
        """
        if request is None or request.key != key or request.step is not Step.SUMMARY:
            existing = await self._leads.get_by_submission_key(key) if key else None
            if existing is not None:
                reference = existing.reference
                return False, [
                    self._prompts.with_menu(language, "join.already", reference=reference)
                ]
            return False, []
        try:
            new = self._new_lead(request, user_id, language)
        except (TypeError, ValueError):
            # An answer is missing (an old or hand-edited state): go over the summary again.
            return False, [
                self._prompts.prompt(
                    request, language, self._prompts.t(language, "join.error.incomplete")
                )
            ]
        try:
            result = await self._leads.submit(new, key)
        except sqlite3.Error:
            _LOGGER.exception("could not store a lead")
            return False, [
                self._prompts.prompt(request, language, self._prompts.t(language, "try_later"))
            ]
        reference = result.lead.reference
        if not result.created:
            return True, [self._prompts.with_menu(language, "join.already", reference=reference)]
        if self.on_lead_created is not None:
            try:
                await self.on_lead_created(result.lead)
            except Exception:  # the lead is stored; notifying staff is retried later
                _LOGGER.exception("could not schedule the staff notification")
        name = self._kb.cluster(result.lead.cluster_id).name
        return True, [
            self._prompts.with_menu(language, "join.done", reference=reference, name=name)
        ]

    def _new_lead(self, request: JoinRequest, user_id: int, language: Language) -> NewLead:
        answers = request.answers
        required = (answers.cluster, answers.company_name, answers.activity, answers.contact_name)
        if not all(required) or not answers.email or not answers.consent_at:
            raise ValueError("incomplete request")
        consent_language: Language = answers.consent_language or language
        return NewLead(
            user_id=user_id,
            cluster_id=str(answers.cluster),
            company_name=str(answers.company_name),
            enterprise_number=answers.enterprise_number,
            activity=str(answers.activity),
            company_type=CompanyType(str(answers.company_type)),
            location=Location(str(answers.location)),
            contact_name=str(answers.contact_name),
            email=answers.email,
            phone=answers.phone,
            language=language,
            consent=Consent(
                version=CONSENT_VERSION,
                text=self._prompts.consent_text(consent_language),
                given_at=datetime.fromisoformat(answers.consent_at),
            ),
        )
