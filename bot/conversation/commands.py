"""The commands every user has (/start, /help, /join, /mydata, /forget, /cancel…).

Kept apart from the dialogue's rules for texts and buttons; they share its answers and its
join flow.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING

from bot.conversation.ports import UserRef
from bot.conversation.state import ConversationState
from bot.messages.reply import Reply
from bot.storage.privacy_store import PrivacyStore
from knowledge.model import Language

if TYPE_CHECKING:
    from bot.conversation.dialogue import Dialogue

_LOGGER = logging.getLogger(__name__)
# A cluster's name is a few words: the rest of a long /join argument is not read.
MAX_ARGUMENT_CHARS = 100


class Commands:
    """Answers the user commands for a dialogue."""

    def __init__(self, dialogue: Dialogue, privacy: PrivacyStore) -> None:
        self._dialogue = dialogue
        self._privacy = privacy

    async def start(
        self, user: UserRef, state: ConversationState, payload: str | None
    ) -> list[Reply]:
        """/start, with an optional deep-link payload: `cluster-<id>`, `join`, `join-<id>`."""
        d = self._dialogue
        language = await d.language_for(user, state)
        state.awaiting_activity = False
        payload = (payload or "").strip()
        if payload.startswith("cluster-") and d.knowledge.has_cluster(payload[8:]):
            return [d.answer_intent(state, language, "cluster_info", payload[8:])]
        if payload == "join":
            return d.start_join(state, language, None)
        if payload.startswith("join-") and d.knowledge.has_cluster(payload[5:]):
            return d.start_join(state, language, payload[5:])
        welcome = d.answers.welcome(language)
        if state.join is not None and not d.join_flow.is_idle(state.join):
            # /start in the middle of the flow keeps the answers: the user may just be lost.
            return [welcome, d.answers.paused_join(language)]
        return [welcome]

    async def run(
        self, user: UserRef, state: ConversationState, command: str, argument: str = ""
    ) -> list[Reply]:
        """The commands every user has."""
        d = self._dialogue
        language = await d.language_for(user, state)
        # /done, and /cancel in a conversation with the team, belong to the handoff.
        if (handed_off := await d.handoff.on_command(user, language, command)) is not None:
            return handed_off
        simple = {"help": "help", "clusters": "list_clusters", "privacy": "privacy"}
        if command == "start":
            return await self.start(user, state, argument)
        if command in simple:
            return [d.answer_intent(state, language, simple[command], None)]
        if command == "language":
            return [d.answers.language_menu(language)]
        if command == "join":
            # Its id or its name as people type it: "/join eco construction", "/join Plastiwin".
            named = d.understanding.chosen_cluster(argument[:MAX_ARGUMENT_CHARS])
            return d.start_join(state, language, named)
        if command == "mydata":
            return [await self.my_data(user, language)]
        if command == "forget":
            return [d.answers.forget_confirmation(language)]
        if command == "cancel":
            had_something = (
                state.awaiting_activity or state.join is not None or state.correcting is not None
            )
            state.awaiting_activity = False
            state.join = None
            state.correcting = None
            return [d.answers.cancelled(language, had_something)]
        return [d.unknown_command(language)]

    async def my_data(self, user: UserRef, language: Language) -> Reply:
        """Everything stored about the user (/mydata)."""
        d = self._dialogue
        try:
            data = await self._privacy.export_user(user.id)
        except sqlite3.Error:
            _LOGGER.warning("could not read a user's data", exc_info=True)
            return d.answers.notice(language, "try_later")
        return d.answers.my_data(language, data)

    async def forget(
        self, user: UserRef, state: ConversationState, language: Language, *, confirmed: bool
    ) -> list[Reply]:
        """/forget's confirmation pressed: erase everything, or keep it."""
        d = self._dialogue
        if not confirmed:
            return [d.answers.notice_with_menu(language, "forget.kept")]
        try:
            report = await self._privacy.forget_user(user.id)
        except sqlite3.Error:
            _LOGGER.warning("could not erase a user's data", exc_info=True)
            return [d.answers.notice(language, "try_later")]
        # Nothing of the conversation is kept either: back to a blank state.
        fresh = ConversationState(language_loaded=True)
        for name in ConversationState.__slots__:
            setattr(state, name, getattr(fresh, name))
        return [d.answers.notice_with_menu(language, "forget.done", count=report.total)]
