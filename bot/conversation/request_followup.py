"""After the request: a user sees the status of their own requests and sends a correction.

"où en est ma demande W-000001 ?" shows that request (only if it is theirs); "je me suis
trompée de numéro, je peux modifier ma demande ?" asks for the correction, and the next message
is stored in the lead's history, where staff see it, and announced to the staff chat.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable

from bot.conversation.actions import CorrectRequest, encode
from bot.conversation.request_cues import corrected_value, lead_reference
from bot.conversation.state import ConversationState
from bot.leads.model import Lead
from bot.leads.validation import ACTIVITY_MAX_LENGTH, Invalid, Valid, validate_free_text
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Button, Reply, ReplyBuilder
from bot.storage.lead_store import LeadStore
from knowledge.model import KnowledgeBase, Language

_LOGGER = logging.getLogger(__name__)
# Requests listed when the user names none: the newest ones.
SHOWN = 3

RequestCorrected = Callable[[Lead, str], Awaitable[None]]


class RequestFollowUp:
    """Status and corrections of the requests a user has sent."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        catalogue: Catalogue,
        leads: LeadStore,
        *,
        on_corrected: RequestCorrected | None = None,
    ) -> None:
        self._kb = knowledge
        self._catalogue = catalogue
        self._leads = leads
        self.on_corrected = on_corrected

    def _t(self, language: Language, key: str, **values: object) -> str:
        return self._catalogue.text(language, key, **values)

    def _notice(self, language: Language, key: str, **values: object) -> Reply:
        return ReplyBuilder().paragraph(self._t(language, key, **values)).build()

    async def _own(self, user_id: int, reference: str | None) -> tuple[list[Lead], Lead | None]:
        leads = await self._leads.for_user(user_id)
        named = next((lead for lead in leads if lead.reference == reference), None)
        return leads, named

    async def status(
        self,
        user_id: int,
        state: ConversationState,
        text: str,
        language: Language,
        *,
        change: bool,
    ) -> list[Reply]:
        """The user's requests (or the one named), or the question for a correction."""
        reference = lead_reference(text)
        try:
            leads, named = await self._own(user_id, reference)
        except sqlite3.Error:
            _LOGGER.warning("could not read a user's requests", exc_info=True)
            return [self._notice(language, "try_later")]
        if not leads:
            return [self._notice(language, "status.none")]
        if reference and named is None:
            # Someone else's reference (or a typo): never show another person's request.
            return [
                self._notice(language, "status.not_yours", reference=reference),
                self._list(leads, language),
            ]
        if change:
            target = named or leads[-1]
            state.correcting = target.reference
            if corrected_value(text):
                # "je me suis trompé dans le mail, c'est …": the correction is already here.
                return await self.take_correction(user_id, state, text, language)
            return [self._notice(language, "status.correct_prompt", reference=target.reference)]
        return [self._list([named] if named else leads, language)]

    def _list(self, leads: list[Lead], language: Language) -> Reply:
        builder = ReplyBuilder().paragraph(self._t(language, "status.title"))
        for lead in leads[-SHOWN:]:
            name = (
                self._kb.cluster(lead.cluster_id).name
                if self._kb.has_cluster(lead.cluster_id)
                else lead.cluster_id
            )
            status = self._t(language, f"staff.statuses.{lead.status.value}")
            builder.bold(lead.reference).text(
                " "
                + self._t(
                    language,
                    "status.line",
                    cluster=name,
                    status=status,
                    date=lead.created_at.date().isoformat(),
                )
            ).paragraph()
            builder.buttons(
                Button(
                    self._t(language, "status.correct", reference=lead.reference),
                    encode(CorrectRequest(lead.reference)),
                )
            )
        builder.paragraph(self._t(language, "status.decides"))
        return builder.build()

    async def ask_correction(
        self, user_id: int, state: ConversationState, reference: str, language: Language
    ) -> list[Reply]:
        """The "Correct" button under a request."""
        _leads, named = await self._own(user_id, reference)
        if named is None:
            return []
        state.correcting = named.reference
        return [self._notice(language, "status.correct_prompt", reference=named.reference)]

    async def take_correction(
        self, user_id: int, state: ConversationState, text: str, language: Language
    ) -> list[Reply]:
        """The message after "what should be corrected?": stored in the lead's history."""
        reference = state.correcting
        result = validate_free_text(text, max_length=ACTIVITY_MAX_LENGTH)
        if isinstance(result, Invalid):
            return [self._notice(language, "status.correct_prompt", reference=reference)]
        assert isinstance(result, Valid)
        _leads, lead = await self._own(user_id, reference)
        state.correcting = None
        if lead is None:  # erased meanwhile (/forget, retention)
            return [self._notice(language, "status.none")]
        # Staff read the note in the language the request was made in.
        lead_language: Language = "fr" if lead.language == "fr" else "en"
        try:
            await self._leads.add_note(
                lead.id, self._t(lead_language, "status.note", text=result.value), user_id
            )
        except sqlite3.Error:
            _LOGGER.warning("could not store a correction", exc_info=True)
            state.correcting = reference
            return [self._notice(language, "try_later")]
        if self.on_corrected is not None:
            try:
                await self.on_corrected(lead, result.value)
            except Exception:  # stored in the history, where staff see it anyway
                _LOGGER.exception("could not announce a correction")
        return [self._notice(language, "status.corrected", reference=lead.reference)]
