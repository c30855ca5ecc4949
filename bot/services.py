"""The assistant's core services, opened once and shared by every front end.

`Services.open` is where the database, every store, the matcher, the dialogue and the staff
workspace are built, each exactly once; the Telegram composition root (`bot/app.py`) and the
terminal chat both start here, so they run the same engine on the same data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.conversation.dialogue import ConversationState, Dialogue, UserRef
from bot.conversation.join_flow import JoinFlow, LeadCreated
from bot.conversation.request_followup import RequestCorrected
from bot.handoff.hook import NO_HANDOFF, HandoffHook
from bot.handoff.service import HandoffService
from bot.handoff.store import HandoffStore
from bot.matching.matcher import Matcher
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Reply
from bot.settings import DEFAULT_LEAD_RETENTION_DAYS, Settings
from bot.staff.notes import PendingNotes
from bot.staff.notifications import StaffNotifier
from bot.staff.workspace import StaffWorkspace
from bot.storage.conversation_store import ConversationStore
from bot.storage.database import Database, utc_now
from bot.storage.lead_store import LeadStore
from bot.storage.learned_example_store import LearnedExampleStore
from bot.storage.privacy_store import PrivacyStore
from bot.storage.question_log_store import QuestionLogStore
from bot.storage.unanswered_question_store import UnansweredQuestionStore
from bot.storage.user_settings_store import UserSettingsStore
from knowledge.model import LANGUAGES, KnowledgeBase, Language

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Stores:
    """Every store over one database, each built once."""

    leads: LeadStore
    user_settings: UserSettingsStore
    unanswered: UnansweredQuestionStore
    question_log: QuestionLogStore
    learned: LearnedExampleStore
    privacy: PrivacyStore
    conversations: ConversationStore

    @classmethod
    def over(
        cls,
        database: Database,
        *,
        clock: Callable[[], datetime] = utc_now,
        after_forget: Callable[[int], None] | None = None,
    ) -> Stores:
        """The stores of `database`; `after_forget` is told of each user /forget erased."""
        return cls(
            leads=LeadStore(database, clock),
            user_settings=UserSettingsStore(database, clock),
            unanswered=UnansweredQuestionStore(database, clock),
            question_log=QuestionLogStore(database, clock),
            learned=LearnedExampleStore(database, clock),
            privacy=PrivacyStore(database, after_forget=after_forget),
            conversations=ConversationStore(database),
        )


def dialogue_over(
    knowledge: KnowledgeBase,
    matcher: Matcher,
    catalogue: Catalogue,
    stores: Stores,
    *,
    default_language: Language = "fr",
    clock: Callable[[], datetime] = utc_now,
    on_lead_created: LeadCreated | None = None,
    on_request_corrected: RequestCorrected | None = None,
    retention_days: int = DEFAULT_LEAD_RETENTION_DAYS,
    handoff: HandoffHook = NO_HANDOFF,
) -> Dialogue:
    """The dialogue engine with its join flow, over `stores` (and `handoff`, to reach a
    person)."""
    join_flow = JoinFlow(
        knowledge,
        matcher,
        catalogue,
        stores.leads,
        on_lead_created=on_lead_created,
        clock=clock,
        retention_days=retention_days,
    )
    return Dialogue(
        knowledge,
        matcher,
        catalogue,
        unanswered=stores.unanswered,
        preferences=stores.user_settings,
        join_flow=join_flow,
        privacy=stores.privacy,
        question_log=stores.question_log,
        default_language=default_language,
        on_request_corrected=on_request_corrected,
        retention_days=retention_days,
        handoff=handoff,
    )


def build_dialogue(
    knowledge: KnowledgeBase,
    matcher: Matcher,
    catalogue: Catalogue,
    database: Database,
    *,
    default_language: Language = "fr",
    clock: Callable[[], datetime] | None = None,
) -> Dialogue:
    """The dialogue engine over fresh stores of `database` (tests and benchmarks)."""
    return dialogue_over(
        knowledge,
        matcher,
        catalogue,
        Stores.over(database),
        default_language=default_language,
        clock=clock or utc_now,
    )


@dataclass(slots=True)
class Services:
    settings: Settings
    knowledge: KnowledgeBase
    catalogue: Catalogue
    database: Database
    stores: Stores
    matcher: Matcher
    dialogue: Dialogue
    notifier: StaffNotifier
    pending_notes: PendingNotes
    workspace: StaffWorkspace
    handoff: HandoffService

    @classmethod
    async def open(
        cls,
        settings: Settings,
        knowledge: KnowledgeBase,
        *,
        on_lead_created: LeadCreated | None = None,
        on_request_corrected: RequestCorrected | None = None,
    ) -> Services:
        """Open the database (applying migrations) and build everything on top of it, once.

        `on_lead_created` is called with each lead the join flow stores, and
        `on_request_corrected` with each correction an applicant sends afterwards (Telegram
        uses them to tell staff at once).
        """
        database = await Database.open(settings.database_path)
        try:
            catalogue = Catalogue.load()
            pending_notes = await PendingNotes.load(database, settings.staff_user_ids)
            # Off until the Telegram side attaches its channel (handlers/handoff.py).
            handoff = await HandoffService.load(
                HandoffStore(database),
                knowledge,
                catalogue,
                staff_user_ids=settings.staff_user_ids,
                staff_language=settings.default_language,
                idle=timedelta(minutes=settings.handoff_idle_minutes),
            )

            def erased(user_id: int) -> None:
                # /forget erased the rows; the copies in memory must go with them.
                pending_notes.erased(user_id)
                handoff.erased(user_id)

            stores = Stores.over(database, after_forget=erased)
            examples: list[tuple[str, str, Language]] = [
                (e.intent_id, e.text, e.language)
                for e in await stores.learned.all()
                if knowledge.has_intent(e.intent_id) and e.language in LANGUAGES
            ]
            matcher = Matcher(knowledge, learned=examples)
            dialogue = dialogue_over(
                knowledge,
                matcher,
                catalogue,
                stores,
                default_language=settings.default_language,
                on_lead_created=on_lead_created,
                on_request_corrected=on_request_corrected,
                retention_days=settings.lead_retention_days,
                handoff=handoff,
            )
        except BaseException:
            await database.close()
            raise
        return cls(
            settings=settings,
            knowledge=knowledge,
            catalogue=catalogue,
            database=database,
            stores=stores,
            matcher=matcher,
            dialogue=dialogue,
            pending_notes=pending_notes,
            handoff=handoff,
            notifier=StaffNotifier(stores.leads, knowledge, catalogue, settings.default_language),
            workspace=StaffWorkspace(
                leads=stores.leads,
                unanswered=stores.unanswered,
                learned=stores.learned,
                notes=pending_notes,
                matcher=matcher,
                knowledge=knowledge,
                catalogue=catalogue,
            ),
        )

    # The stores by name, as callers used them before they were grouped in `Stores`.
    @property
    def leads(self) -> LeadStore:
        return self.stores.leads

    @property
    def user_settings(self) -> UserSettingsStore:
        return self.stores.user_settings

    @property
    def unanswered(self) -> UnansweredQuestionStore:
        return self.stores.unanswered

    @property
    def question_log(self) -> QuestionLogStore:
        return self.stores.question_log

    @property
    def learned(self) -> LearnedExampleStore:
        return self.stores.learned

    @property
    def privacy(self) -> PrivacyStore:
        return self.stores.privacy

    @property
    def conversations(self) -> ConversationStore:
        return self.stores.conversations

    async def expire_idle_join_flows(self) -> list[tuple[int, Reply]]:
        """End the join flows left alone past the idle limit; return, for each user whose
        flow ended, the notice telling them the answers are gone (in their language)."""
        flow = self.dialogue.join_flow
        notices: list[tuple[int, Reply]] = []
        for user_id, _stale in await self.conversations.with_join_flow():
            # Read again right before deciding: the user may have answered since the scan.
            state = await self.conversations.load(user_id)
            if state.join is None or not flow.is_idle(state.join):
                continue
            state.join = None
            await self.conversations.save(user_id, state)
            # No app language here (no update): their choice, their last question's, or ours.
            language = self.dialogue.fallback_language(UserRef(user_id), state)
            notices.append((user_id, flow.expired_notice(language)))
        return notices

    async def language_of(self, user: UserRef) -> Language:
        """The language to answer `user` in, read only (nothing is saved)."""
        return await self.dialogue.language_for(user, await self.conversations.load(user.id))

    async def apology_language(self, user: UserRef) -> Language:
        """The language of an apology after a failure: as `language_of`, but without the
        stored state when reading it fails too (the failure may be that very storage)."""
        try:
            return await self.language_of(user)
        except Exception:
            _LOGGER.warning("apologising in the app's language: the stored one cannot be read")
            return self.dialogue.fallback_language(user, ConversationState())

    async def close(self) -> None:
        await self.database.close()
