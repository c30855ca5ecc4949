"""The dialogue engine: one place that decides what the assistant answers.

It knows nothing of Telegram or of the terminal. A front end hands it who is talking, their
conversation state and what they did (a text, a button, a command), and renders the `Reply`
objects it returns. Both `wallonia-bot chat` and the Telegram handlers use it, so the assistant
behaves the same everywhere.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Any, Protocol

from bot.conversation.join_flow import JoinFlow
from bot.handoff.hook import HandoffHook, NoHandoff
from bot.matching.matcher import ClusterFit, Match, Matcher
from bot.messages.answers import CONTEXTUAL_INTENTS, AnswerBuilder
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Reply
from bot.storage.user_store import PrivacyStore, QuestionOutcome
from knowledge.model import LANGUAGES, Cluster, Intent, KnowledgeBase, Language

# A question longer than this is cut before matching: nobody asks about clusters in a novel,
# and it bounds the matcher's work on hostile input.
MAX_QUESTION_CHARS = 1000
_LOGGER = logging.getLogger(__name__)
# Button actions that belong to the join flow (see bot/conversation/join_flow.py).
JOIN_ACTIONS = frozenset(
    {"jc", "jb", "js", "jt", "jl", "jy", "jn", "jed", "je", "jok", "jx", "jr"}
)


class UnansweredQuestions(Protocol):
    """Where questions the assistant could not answer are kept for staff review."""

    async def record(
        self, user_id: int, text: str, language: str, best_score: float, best_intent: str | None
    ) -> int: ...


class QuestionLog(Protocol):
    """An anonymous tally of questions and how they were understood, for staff statistics."""

    async def record(
        self, intent: str | None, language: str, outcome: QuestionOutcome
    ) -> None: ...


class LanguagePreferences(Protocol):
    """Where a user's explicit language choice is remembered across restarts."""

    async def get_language(self, user_id: int) -> str | None: ...

    async def set_language(self, user_id: int, language: str) -> None: ...


@dataclass(frozen=True, slots=True)
class UserRef:
    """Who is talking: an ID and the language their app is set to, if known (and, for the
    team when the user asks for a person, their name and @username)."""

    id: int
    client_language: str | None = None
    display_name: str | None = None
    username: str | None = None


@dataclass(slots=True)
class ConversationState:
    """What the assistant remembers of one user between messages (JSON-serialisable)."""

    language: Language | None = None  # chosen with /language; None until then
    language_loaded: bool = False  # whether the stored choice has been read yet
    last_language: Language | None = None  # language of the last question
    last_cluster: str | None = None  # cluster last discussed, for "how do I join it?"
    awaiting_activity: bool = False  # after "Which cluster for me?"
    join: dict[str, Any] | None = None  # the join flow's answers and step

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "language_loaded": self.language_loaded,
            "last_language": self.last_language,
            "last_cluster": self.last_cluster,
            "awaiting_activity": self.awaiting_activity,
            "join": self.join,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ConversationState:
        """Rebuild a state, ignoring anything malformed (old versions, hand-edited rows)."""
        if not isinstance(data, dict):
            return cls()

        def language(value: Any) -> Language | None:
            return value if value in LANGUAGES else None

        join = data.get("join")
        last_cluster = data.get("last_cluster")
        return cls(
            language=language(data.get("language")),
            language_loaded=data.get("language_loaded") is True,
            last_language=language(data.get("last_language")),
            last_cluster=last_cluster if isinstance(last_cluster, str) else None,
            awaiting_activity=data.get("awaiting_activity") is True,
            join=join if isinstance(join, dict) else None,
        )


class Dialogue:
    """Answers texts, button actions and commands with `Reply` objects."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        matcher: Matcher,
        catalogue: Catalogue,
        *,
        unanswered: UnansweredQuestions,
        preferences: LanguagePreferences,
        join_flow: JoinFlow,
        privacy: PrivacyStore,
        question_log: QuestionLog,
        default_language: Language = "fr",
        handoff: HandoffHook | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.matcher = matcher
        self.catalogue = catalogue
        self.join_flow = join_flow
        self._unanswered = unanswered
        self._preferences = preferences
        self._privacy = privacy
        self._question_log = question_log
        self._default_language: Language = default_language
        self.answers = AnswerBuilder(knowledge, catalogue)
        # Talking to a person (bot/handoff/); NoHandoff answers None everywhere.
        self._handoff: HandoffHook = handoff or NoHandoff()

    # -- language -------------------------------------------------------------------------------

    async def _load_language(self, user: UserRef, state: ConversationState) -> None:
        if not state.language_loaded:
            stored = await self._preferences.get_language(user.id)
            if stored in LANGUAGES:
                state.language = stored
            state.language_loaded = True

    def fallback_language(self, user: UserRef, state: ConversationState) -> Language:
        """The user's choice, else their last question's language, else their app's, else ours."""
        if state.language:
            return state.language
        if state.last_language:
            return state.last_language
        client = (user.client_language or "").split("-")[0].lower()
        if client in LANGUAGES:
            return client
        return self._default_language

    async def language_for(self, user: UserRef, state: ConversationState) -> Language:
        """The language to use for a reply that does not answer a text (buttons, commands)."""
        await self._load_language(user, state)
        return self.fallback_language(user, state)

    async def set_language(
        self, user: UserRef, state: ConversationState, language: Language
    ) -> Reply:
        state.language = language
        state.language_loaded = True
        await self._preferences.set_language(user.id, language)
        return self.answers.language_set(language)

    # -- texts ----------------------------------------------------------------------------------

    async def on_text(
        self, user: UserRef, state: ConversationState, text: str | None
    ) -> list[Reply]:
        """Answer a message. `text` is None for a sticker, photo or voice message."""
        await self._load_language(user, state)
        fallback = self.fallback_language(user, state)
        # -- handoff hook: while a conversation with the team is in progress, the message goes
        # to the team (bot/handoff/service.py), whatever else is going on.
        handed_off = await self._handoff.on_text(user, fallback, text)
        if handed_off is not None:
            return handed_off
        # -- end of the handoff hook
        replies: list[Reply] = []
        if state.join is not None:
            if not self.join_flow.is_idle(state.join):
                # Inside the join flow, a message answers the current step.
                replies = await self.join_flow.on_text(state.join, text, fallback, user.id)
                return self._after_flow(state, replies)
            state.join = None
            replies.append(self.join_flow.expired_notice(fallback))
        if text is None:
            return [*replies, self.answers.notice(fallback, "not_text")]
        text = text.strip()
        if not text:
            return [*replies, self.answers.notice(fallback, "empty_message")]
        if len(text) > MAX_QUESTION_CHARS:
            text = text[:MAX_QUESTION_CHARS]
            replies.append(self.answers.notice(fallback, "too_long", limit=MAX_QUESTION_CHARS))

        match = self.matcher.match(text, fallback_language=fallback)
        if state.language is None:
            state.last_language = match.language
        language = state.language or match.language

        if state.awaiting_activity:
            state.awaiting_activity = False
            fits = self.matcher.recommend(text)
            if fits or match.intent in (None, "recommend_cluster"):
                replies.append(self._recommendation(state, language, fits))
                return replies

        replies.extend(await self._answer_match(user, state, language, match))
        return replies

    def _after_flow(self, state: ConversationState, replies: list[Reply]) -> list[Reply]:
        if state.join is not None and state.join.get("done"):
            state.join = None
        return replies

    async def _record_unanswered(self, user: UserRef, match: Match) -> None:
        try:
            await self._unanswered.record(
                user.id, match.text, match.language, match.score, match.intent
            )
        except sqlite3.Error:
            # Losing a review item must not cost the user their answer.
            _LOGGER.warning("could not store an unanswered question", exc_info=True)

    async def _log_question(self, match: Match) -> None:
        if match.intent is None:
            outcome = QuestionOutcome.NOT_UNDERSTOOD
        elif match.confident:
            outcome = QuestionOutcome.ANSWERED
        else:
            outcome = QuestionOutcome.UNSURE
        try:
            await self._question_log.record(match.intent, match.language, outcome)
        except sqlite3.Error:
            _LOGGER.warning("could not count a question", exc_info=True)

    async def _answer_match(
        self, user: UserRef, state: ConversationState, language: Language, match: Match
    ) -> list[Reply]:
        await self._log_question(match)
        if match.intent is None:
            await self._record_unanswered(user, match)
            return [self.answers.fallback(language)]
        if not match.confident:
            await self._record_unanswered(user, match)
            choices = [match.intent, *match.alternatives][:3]
            return [self.answers.did_you_mean(language, choices, match.cluster)]
        if match.intent == "contact_human":  # handoff hook: asking for a person starts it
            started = await self._handoff.start(user, language)
            if started is not None:
                return started
        cluster = match.cluster
        if cluster is None and match.intent in CONTEXTUAL_INTENTS:
            cluster = state.last_cluster
        if match.intent == "recommend_cluster" and match.cluster is not None:
            return [self._recommendation(state, language, self.matcher.recommend(match.text))]
        if match.intent == "how_to_join":
            # Asking how to join is the moment to offer it: the answer, then the first step.
            answer = self.answer_intent(state, language, "how_to_join", cluster)
            return [answer, *self.start_join(state, language, cluster)]
        return [self.answer_intent(state, language, match.intent, cluster)]

    def _recommendation(
        self, state: ConversationState, language: Language, fits: list[ClusterFit]
    ) -> Reply:
        if fits:
            state.last_cluster = fits[0].cluster_id
        return self.answers.recommendation(language, fits)

    def answer_intent(
        self, state: ConversationState, language: Language, intent_id: str, cluster_id: str | None
    ) -> Reply:
        """The answer to an intent, with the cluster it is about when there is one."""
        cluster: Cluster | None = (
            self.knowledge.cluster(cluster_id)
            if cluster_id and self.knowledge.has_cluster(cluster_id)
            else None
        )
        intent: Intent = self.knowledge.intent(intent_id)
        if cluster is not None:
            state.last_cluster = cluster.id
        if intent_id == "cluster_info" and cluster is not None:
            return self.answers.cluster_card(language, cluster)
        if intent_id == "list_clusters":
            return self.answers.cluster_list(language, intent)
        if intent_id == "recommend_cluster":
            state.awaiting_activity = True
        return self.answers.intent_answer(language, intent, cluster)

    # -- buttons --------------------------------------------------------------------------------

    async def on_action(self, user: UserRef, state: ConversationState, action: str) -> list[Reply]:
        """Answer a button press. Unknown or forged actions get a short notice and the menu."""
        language = await self.language_for(user, state)
        kind, _, rest = action.partition(":")
        argument, _, extra = rest.partition(":")
        if kind in JOIN_ACTIONS:
            return await self._join_action(user, state, language, action)
        if kind.startswith("h") or action == "i:contact_human":  # handoff hook (bot/handoff/)
            handed_off = await self._handoff.on_action(user, language, action)
            if handed_off is not None:
                return handed_off
            if kind.startswith("h"):  # no handoff here: what the team does instead
                return [self.answer_intent(state, language, "contact_human", None)]
        if kind in ("fy", "fn") and not rest:
            return await self._forget(user, state, language, confirmed=kind == "fy")
        if kind == "m" and not rest:
            return [self.answers.main_menu(language)]
        if kind == "cl" and not rest:
            return [self.answer_intent(state, language, "list_clusters", None)]
        if kind == "c" and self.knowledge.has_cluster(argument) and not extra:
            return [self.answer_intent(state, language, "cluster_info", argument)]
        if kind == "r" and not rest:
            return [self.answer_intent(state, language, "recommend_cluster", None)]
        if kind == "i" and self.knowledge.has_intent(argument):
            if extra and not self.knowledge.has_cluster(extra):
                return [self.answers.stale(language)]
            if argument == "how_to_join":
                return [
                    self.answer_intent(state, language, argument, extra or None),
                    *self.start_join(state, language, extra or state.last_cluster),
                ]
            return [self.answer_intent(state, language, argument, extra or None)]
        if kind == "j" and (not argument or self.knowledge.has_cluster(argument)) and not extra:
            return self.start_join(state, language, argument or state.last_cluster)
        if kind == "l" and not rest:
            return [self.answers.language_menu(language)]
        if kind == "l" and argument in LANGUAGES and not extra:
            return [await self.set_language(user, state, argument)]
        return [self.answers.stale(language)]

    async def _join_action(
        self, user: UserRef, state: ConversationState, language: Language, action: str
    ) -> list[Reply]:
        kind, _, value = action.partition(":")
        if kind == "jok":
            finished, replies = await self.join_flow.confirm(state.join, value, language, user.id)
            if finished:
                state.join = None
            return replies or [self.answers.stale(language)]
        if state.join is None or self.join_flow.is_idle(state.join):
            state.join = None
            return [self.answers.stale(language)]
        if kind == "jx":
            state.join = None
            return [self.answers.cancelled(language, True)]
        if kind == "jr":
            return [self.join_flow.prompt(state.join, language)]
        replies = await self.join_flow.on_action(state.join, action, language, user.id)
        if not replies:
            # A button from an earlier step: say so, and ask the current question again.
            return [
                self.answers.notice(language, "stale_button_flow"),
                self.join_flow.prompt(state.join, language),
            ]
        return self._after_flow(state, replies)

    def start_join(
        self, state: ConversationState, language: Language, cluster_id: str | None
    ) -> list[Reply]:
        """Enter the join flow, or resume the one in progress."""
        state.awaiting_activity = False
        if state.join is not None and not self.join_flow.is_idle(state.join):
            return [
                self.answers.notice(language, "join.resume"),
                self.join_flow.prompt(state.join, language),
            ]
        cluster = cluster_id if cluster_id and self.knowledge.has_cluster(cluster_id) else None
        if cluster is not None:
            state.last_cluster = cluster
        state.join, prompt = self.join_flow.start(cluster, language)
        return [prompt]

    # -- commands -------------------------------------------------------------------------------

    async def on_start(
        self, user: UserRef, state: ConversationState, payload: str | None
    ) -> list[Reply]:
        """/start, with an optional deep-link payload: `cluster-<id>`, `join`, `join-<id>`."""
        language = await self.language_for(user, state)
        state.awaiting_activity = False
        payload = (payload or "").strip()
        if payload.startswith("cluster-") and self.knowledge.has_cluster(payload[8:]):
            return [self.answer_intent(state, language, "cluster_info", payload[8:])]
        if payload == "join":
            return self.start_join(state, language, None)
        if payload.startswith("join-") and self.knowledge.has_cluster(payload[5:]):
            return self.start_join(state, language, payload[5:])
        welcome = self.answers.welcome(language)
        if state.join is not None and not self.join_flow.is_idle(state.join):
            # /start in the middle of the flow keeps the answers: the user may just be lost.
            return [welcome, self.answers.paused_join(language)]
        return [welcome]

    async def on_command(
        self, user: UserRef, state: ConversationState, command: str, argument: str = ""
    ) -> list[Reply]:
        """The commands every user has."""
        language = await self.language_for(user, state)
        handed_off = await self._handoff.on_command(user, language, command)  # handoff hook
        if handed_off is not None:  # /done, and /cancel in a conversation with the team
            return handed_off
        if command == "start":
            return await self.on_start(user, state, argument)
        if command == "help":
            return [self.answer_intent(state, language, "help", None)]
        if command == "clusters":
            return [self.answer_intent(state, language, "list_clusters", None)]
        if command == "language":
            return [self.answers.language_menu(language)]
        if command == "privacy":
            return [self.answer_intent(state, language, "privacy", None)]
        if command == "join":
            return self.start_join(state, language, argument.strip().lower() or None)
        if command == "mydata":
            return [await self._my_data(user, language)]
        if command == "forget":
            return [self.answers.forget_confirmation(language)]
        if command == "cancel":
            had_something = state.awaiting_activity or state.join is not None
            state.awaiting_activity = False
            state.join = None
            return [self.answers.cancelled(language, had_something)]
        return [self.unknown_command(language)]

    def unknown_command(self, language: Language) -> Reply:
        """What any command we do not know gets, whoever sends it."""
        return self.answers.notice_with_menu(language, "unknown_command")

    # -- privacy --------------------------------------------------------------------------------

    async def _my_data(self, user: UserRef, language: Language) -> Reply:
        try:
            data = await self._privacy.export_user(user.id)
        except sqlite3.Error:
            _LOGGER.warning("could not read a user's data", exc_info=True)
            return self.answers.notice(language, "try_later")
        return self.answers.my_data(language, data)

    async def _forget(
        self, user: UserRef, state: ConversationState, language: Language, *, confirmed: bool
    ) -> list[Reply]:
        if not confirmed:
            return [self.answers.notice_with_menu(language, "forget.kept")]
        try:
            report = await self._privacy.forget_user(user.id)
        except sqlite3.Error:
            _LOGGER.warning("could not erase a user's data", exc_info=True)
            return [self.answers.notice(language, "try_later")]
        # Nothing of the conversation is kept either: back to a blank state.
        fresh = ConversationState(language_loaded=True)
        for name in ConversationState.__slots__:
            setattr(state, name, getattr(fresh, name))
        return [self.answers.notice_with_menu(language, "forget.done", count=report.total)]
