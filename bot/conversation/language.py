"""The language of a user's replies, decided in one place.

Their explicit choice (/language, remembered across restarts) wins; else the language they
have been writing in, followed message by message but not switched by one borrowed term
("whats a pole de competitivite" stays English) nor by a name or an e-mail inside the form;
else their Telegram app's language; else the assistant's default.
"""

from __future__ import annotations

from bot.conversation.message_cues import words, written_language
from bot.conversation.ports import LanguagePreferences, UserRef
from bot.conversation.state import ConversationState
from bot.matching.matcher import Match
from knowledge.model import LANGUAGES, Language


class UserLanguage:
    """Reads, follows and stores the language of each user's conversation state."""

    def __init__(self, preferences: LanguagePreferences, default_language: Language) -> None:
        self._preferences = preferences
        self._default: Language = default_language

    async def load(self, user: UserRef, state: ConversationState) -> None:
        """Read the stored choice once per state."""
        if not state.language_loaded:
            stored = await self._preferences.get_language(user.id)
            if stored in LANGUAGES:
                state.language = stored
            state.language_loaded = True

    def current(self, user: UserRef, state: ConversationState) -> Language:
        """The user's choice, else the language they write in, else their app's, else ours."""
        if state.language:
            return state.language
        if state.last_language:
            return state.last_language
        client = (user.client_language or "").split("-")[0].lower()
        if client in LANGUAGES:
            return client
        return self._default

    async def for_reply(self, user: UserRef, state: ConversationState) -> Language:
        """The language of a reply that does not answer a text (buttons, commands)."""
        await self.load(user, state)
        return self.current(user, state)

    def follow(self, user: UserRef, state: ConversationState, text: str, match: Match) -> Language:
        """The language after this message: one that says nothing keeps the current one."""
        written = written_language(text, strong=state.last_language is not None)
        if written is None and state.last_language is None and len(words(text)) >= 2:
            written = match.language
        if written is not None:
            state.last_language = written
        return self.current(user, state)

    async def choose(self, user: UserRef, state: ConversationState, language: Language) -> None:
        """/language: the user's explicit choice, stored."""
        state.language = language
        state.language_loaded = True
        await self._preferences.set_language(user.id, language)
