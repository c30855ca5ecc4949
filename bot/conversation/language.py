"""The language of a user's replies, decided in one place.

Their explicit choice (/language, remembered across restarts) wins; else the language they
have been writing in, followed message by message but not switched by one borrowed term
("whats a pole de competitivite" stays English) nor by a name or an e-mail inside the form;
else their Telegram app's language; else the assistant's default.
"""

from __future__ import annotations

from bot.conversation.message_cues import QUESTION_STARTS, words
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


# Words that say which language a message is in. A word both languages use ("a": French "à"
# and "a", "an": French "un an", "me", "on") is in both lists, so it says nothing: with "a"
# English only, "jprefere parler a qqn en vrai" was answered in English.
_FRENCH = frozenset(
    "le la les un une des du de et est sont je j tu il ils elle nous vous on c ca ce cette mon ma"
    " mes notre nos votre vos quoi comment pourquoi combien quel quelle quels qui ou avec pour"
    " dans sur pas peut faut suis ai avez sommes etre avoir jveux veux voudrais bonjour salut"
    " merci oui non svp stp slt bjr cc mrc aussi mais donc alors tres bien koi kel"
    " a an en au aux me moi ne se te plus tout tous faire fait parler qqn quelqu vrai vraie"
    " personne prefere jprefere jpeux peux pouvez besoin".split()
)
_ENGLISH = frozenset(
    "the a an is are was be i we you they it my our your what whats how who which where when why"
    " can could do does did with for to of in on and or not about there this that these those"
    " have has want would should hi hello thanks thank please pls thx yes no tell me us".split()
)


def written_language(text: str, *, strong: bool = False) -> Language | None:
    """The language `text` is written in, or None when it does not say (one borrowed term,
    a name, a number). A question word counts double: "whats a pole de competitivite" is
    English with a French term in it. With `strong`, one word is not enough evidence (to
    switch away from a language already in use)."""
    found = words(text)
    french = english = 0.0
    for position, word in enumerate(found):
        weight = 2.0 if position == 0 and word in QUESTION_STARTS else 1.0
        french += weight if word in _FRENCH else 0.0
        english += weight if word in _ENGLISH else 0.0
    if french + english < 1 or abs(french - english) < (2 if strong else 1):
        return None
    return "fr" if french > english else "en"
