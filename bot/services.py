"""The assistant's core services, opened once and shared by every front end.

`Services.open` is where the database, the stores, the matcher and the dialogue are put
together; the Telegram composition root (`bot/app.py`) and the terminal chat both start here,
so they run the same engine on the same data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.conversation.dialogue import Dialogue
from bot.conversation.join_flow import JoinFlow
from bot.handoff.hook import HandoffHook
from bot.handoff.service import HandoffService
from bot.handoff.store import HandoffStore
from bot.matching.matcher import Matcher
from bot.messages.catalogue import Catalogue
from bot.settings import Settings
from bot.staff.notes import PendingNotes
from bot.staff.notifications import StaffNotifier
from bot.storage.conversation_store import ConversationStore
from bot.storage.database import Database
from bot.storage.lead_store import LeadStore
from bot.storage.user_store import (
    LearnedExampleStore,
    PrivacyStore,
    QuestionLogStore,
    UnansweredQuestionStore,
    UserSettingsStore,
)
from knowledge.model import LANGUAGES, KnowledgeBase, Language


def build_dialogue(
    knowledge: KnowledgeBase,
    matcher: Matcher,
    catalogue: Catalogue,
    database: Database,
    *,
    default_language: Language = "fr",
    clock: Callable[[], datetime] | None = None,
    privacy: PrivacyStore | None = None,
    handoff: HandoffHook | None = None,
) -> Dialogue:
    """The dialogue engine with its join flow, over the stores of `database` (and `privacy`,
    when /forget must also reach what is kept in memory; `handoff`, to reach a person)."""
    leads = LeadStore(database)
    join_flow = (
        JoinFlow(knowledge, matcher, catalogue, leads)
        if clock is None
        else JoinFlow(knowledge, matcher, catalogue, leads, clock=clock)
    )
    return Dialogue(
        knowledge,
        matcher,
        catalogue,
        unanswered=UnansweredQuestionStore(database),
        preferences=UserSettingsStore(database),
        join_flow=join_flow,
        privacy=privacy or PrivacyStore(database),
        question_log=QuestionLogStore(database),
        default_language=default_language,
        handoff=handoff,
    )


@dataclass(slots=True)
class Services:
    settings: Settings
    knowledge: KnowledgeBase
    catalogue: Catalogue
    database: Database
    leads: LeadStore
    user_settings: UserSettingsStore
    unanswered: UnansweredQuestionStore
    question_log: QuestionLogStore
    learned: LearnedExampleStore
    privacy: PrivacyStore
    matcher: Matcher
    dialogue: Dialogue
    notifier: StaffNotifier
    conversations: ConversationStore
    pending_notes: PendingNotes
    handoff: HandoffService

    @classmethod
    async def open(cls, settings: Settings, knowledge: KnowledgeBase) -> Services:
        """Open the database (applying migrations) and build everything on top of it."""
        database = await Database.open(settings.database_path)
        try:
            learned = LearnedExampleStore(database)
            examples: list[tuple[str, str, Language]] = [
                (e.intent_id, e.text, e.language)
                for e in await learned.all()
                if knowledge.has_intent(e.intent_id) and e.language in LANGUAGES
            ]
            catalogue = Catalogue.load()
            matcher = Matcher(knowledge, learned=examples)
            pending_notes = await PendingNotes.load(database, settings.staff_user_ids)
            # Off until the Telegram side attaches its channel (bot/app.py).
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

            privacy = PrivacyStore(database, after_forget=erased)
            dialogue = build_dialogue(
                knowledge,
                matcher,
                catalogue,
                database,
                default_language=settings.default_language,
                privacy=privacy,
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
            leads=dialogue.join_flow.leads,
            user_settings=UserSettingsStore(database),
            unanswered=UnansweredQuestionStore(database),
            question_log=QuestionLogStore(database),
            learned=learned,
            privacy=privacy,
            matcher=matcher,
            dialogue=dialogue,
            conversations=ConversationStore(database),
            pending_notes=pending_notes,
            handoff=handoff,
            notifier=StaffNotifier(
                dialogue.join_flow.leads, knowledge, catalogue, settings.default_language
            ),
        )

    async def close(self) -> None:
        await self.database.close()
