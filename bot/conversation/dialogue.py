"""The dialogue engine: one place that decides what the assistant answers.

It knows nothing of Telegram or of the terminal. A front end hands it who is talking, their
conversation state and what they did (a text, a button, a command), and renders the `Reply`
objects it returns. Both `wallonia-bot chat` and the Telegram handlers use it, so the assistant
behaves the same everywhere.

Inside the join form a message is first read for what it is (conversation-design.md, "forms
meet people"): a cancel or back word acts, a correction changes an earlier answer, a question
is answered and the step asked again; only then is it validated as the step's answer.
"""

from __future__ import annotations

import logging

from bot.conversation.actions import (
    AskRecommendation,
    ChooseLanguage,
    CorrectRequest,
    Forget,
    JoinAction,
    RequestStatus,
    ShowCluster,
    ShowClusterList,
    ShowIntent,
    ShowMenu,
    ShowMore,
    StartJoin,
    parse_action,
)
from bot.conversation.commands import Commands
from bot.conversation.follow_ups import ATTRIBUTE_OF_INTENT, FollowUps
from bot.conversation.form_messages import FormMessages
from bot.conversation.join_buttons import JoinButtons
from bot.conversation.join_corrections import JoinCorrections
from bot.conversation.join_flow import JoinFlow
from bot.conversation.language import UserLanguage
from bot.conversation.message_cues import (
    is_cancel,
    reads_as_correction,
    reads_as_follow_up,
    reads_as_question,
    without_greeting,
    words,
    written_punctuation,
)
from bot.conversation.ports import (
    LanguagePreferences,
    QuestionLog,
    QuestionRecords,
    UnansweredQuestions,
    UserRef,
)
from bot.conversation.request_cues import (
    about_my_request,
    wants_to_join,
)
from bot.conversation.request_followup import RequestCorrected, RequestFollowUp
from bot.conversation.state import SUBJECT_TURNS, ConversationState
from bot.conversation.subject_cues import (
    asks_for_a_person,
    asks_if_it_fits,
    asks_which_cluster,
    asks_which_poles,
    describes_own_activity,
    small_talk,
)
from bot.conversation.understanding import Understanding
from bot.handoff.hook import NO_HANDOFF, HandoffHook
from bot.matching.matcher import LIKELY_OUT_OF_SCOPE, SURE_OUT_OF_SCOPE, Match, Matcher
from bot.messages.answers import CONTEXTUAL_INTENTS, AnswerBuilder, tagged
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Reply
from bot.settings import DEFAULT_LEAD_RETENTION_DAYS
from bot.storage.privacy_store import PrivacyStore
from knowledge.model import KnowledgeBase, Language
from knowledge.text_folding import fold

__all__ = ["ConversationState", "Dialogue", "UserRef"]

# A question longer than this is cut before matching: nobody asks about clusters in a novel,
# and it bounds the matcher's work on hostile input.
MAX_QUESTION_CHARS = 1000
_LOGGER = logging.getLogger(__name__)
# Intents that start or describe the join request: inside the form they only resume it.
JOIN_INTENTS = frozenset({"how_to_join", "start_join"})
# What an explicit wish to talk to a person outranks.
PERSON_OUTRANKS = frozenset({None, "recommend_cluster", "help", "cluster_info"})
# What a question naming two clusters may be heard as when it asks how they differ.
COMPARING_INTENTS = frozenset(
    {"cluster_vs_competitiveness", "cluster_info", "what_is_a_cluster", "sectors_covered"}
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
        on_request_corrected: RequestCorrected | None = None,
        retention_days: int = DEFAULT_LEAD_RETENTION_DAYS,
        handoff: HandoffHook = NO_HANDOFF,  # talking to a person (bot/handoff/hook.py)
    ) -> None:
        self.knowledge = knowledge
        self.matcher = matcher
        self.catalogue = catalogue
        self.join_flow = join_flow
        self._records = QuestionRecords(unanswered, question_log)
        self.answers = AnswerBuilder(knowledge, catalogue, retention_days=retention_days)
        self.requests = RequestFollowUp(
            knowledge, catalogue, join_flow.leads, on_corrected=on_request_corrected
        )
        self.understanding = Understanding(knowledge, matcher, join_flow)
        self.languages = UserLanguage(preferences, default_language)
        self.follow_ups = FollowUps(knowledge, matcher, self.answers)
        self.join_buttons = JoinButtons(join_flow, self.answers)
        self.join_corrections = JoinCorrections(knowledge, join_flow)
        self.commands = Commands(self, privacy)
        self.form_messages = FormMessages(
            join_flow,
            self.join_corrections,
            self.understanding,
            self.languages,
            self.answers,
            lambda user, state, text, language, match: self._question(
                user, state, text, language, match, in_form=True
            ),
        )
        self.handoff = handoff

    # -- language (bot/conversation/language.py) -----------------------------------------------

    def fallback_language(self, user: UserRef, state: ConversationState) -> Language:
        """The user's choice, else the language they write in, else their app's, else ours."""
        return self.languages.current(user, state)

    async def language_for(self, user: UserRef, state: ConversationState) -> Language:
        """The language to use for a reply that does not answer a text (buttons, commands)."""
        return await self.languages.for_reply(user, state)

    async def set_language(
        self, user: UserRef, state: ConversationState, language: Language
    ) -> Reply:
        await self.languages.choose(user, state, language)
        return self.answers.language_set(language)

    # -- texts ----------------------------------------------------------------------------------

    async def on_text(
        self, user: UserRef, state: ConversationState, text: str | None
    ) -> list[Reply]:
        """Answer a message. `text` is None for a sticker, photo or voice message."""
        await self.languages.load(user, state)
        language = self.fallback_language(user, state)
        if (handed_off := await self.handoff.on_text(user, language, text)) is not None:
            return handed_off  # a conversation with the team in progress takes the message
        replies: list[Reply] = []
        request = state.join
        if request is not None and self.join_flow.is_idle(request):
            state.join = request = None
            replies.append(self.join_flow.expired_notice(language))
        if text is None:
            if request is not None:
                return await self.join_flow.on_text(request, None, language, user.id)
            return [*replies, self.answers.notice(language, "not_text")]
        text = written_punctuation(text.strip())
        if not words(text):
            # Blank, "?", emoji alone: nothing to answer, and nothing to refuse either.
            if request is not None:
                return [*replies, self.join_flow.prompt(request, language)]
            return [*replies, self.answers.notice_with_menu(language, "empty_message")]
        if request is not None:
            # The form's own validation says what is too long for each answer.
            asked = without_greeting(text[:MAX_QUESTION_CHARS])
            match = self.matcher.match(asked, fallback_language=language)
            in_form = await self.form_messages.on_text(user, state, request, text, language, match)
            return [*replies, *in_form]
        if len(text) > MAX_QUESTION_CHARS:
            text = text[:MAX_QUESTION_CHARS]
            replies.append(self.answers.notice(language, "too_long", limit=MAX_QUESTION_CHARS))
        greeted, text = text, without_greeting(text)
        match = self.understanding.in_context(
            state, text, self.understanding.best_match(text, language)
        )
        match = self.understanding.greeted(greeted, match)
        language = self.languages.follow(user, state, text, match)
        if state.correcting is not None:
            if is_cancel(text):
                state.correcting = None
                return [*replies, self.answers.cancelled(language, True)]
            return [*replies, *await self.requests.take_correction(user.id, state, text, language)]
        replies += await self._question(user, state, text, language, match)
        # "Do the clusters hold events? And in what language?": each question gets its answer.
        for other in self.understanding.further_questions(text, language, match):
            replies.append(self.answer_intent(state, language, other.intent or "", other.cluster))
        return replies

    async def _question(
        self,
        user: UserRef,
        state: ConversationState,
        text: str,
        language: Language,
        match: Match,
        *,
        in_form: bool = False,
    ) -> list[Reply]:
        """A question (or small talk) outside the form, or inside it as an interjection."""
        await self._records.count(match)
        state.subject.age += 1
        state.about(cluster=match.cluster, pole=match.competitiveness_cluster)
        intent = match.intent if match.confident else None
        if describes_own_activity(text) and self.matcher.recommend(text):
            state.activity = text  # kept for "which cluster fits us?" later, whatever is asked now
        if asks_for_a_person(text) and match.cluster is None and intent in PERSON_OUTRANKS:
            # "jpeux parler a qqn ?", or a long story that ends "I'd rather talk to someone
            # from the team": a person, whoever's team, rather than a recommendation.
            intent = "contact_human"
        if intent is None and match.intent is None:
            intent = small_talk(text)  # "Merci pour ces informations, au revoir."
        if (
            not in_form
            and not wants_to_join(text)
            and (intent == "request_status" or about_my_request(text))
        ):
            change = reads_as_correction(text) or "modif" in fold(text)
            replies = await self.requests.status(user.id, state, text, language, change=change)
            return [tagged(r, "request_status") for r in replies]
        if self.understanding.joins_another_body(text, match, intent):
            return [self.answers.fallback(language)]  # "je veux rejoindre l'uwe"
        if wants_to_join(text) or intent in JOIN_INTENTS:
            if in_form:
                return [self.answers.notice(language, "join.resume")]
            if intent == "how_to_join" and not wants_to_join(text):
                return [
                    self.answer_intent(
                        state, language, "how_to_join", match.cluster or state.last_cluster
                    )
                ]
            recommended = state.recommended[0] if state.recommended else None
            return self.start_join(
                state, language, match.cluster or recommended or state.last_cluster
            )
        if state.awaiting_activity and not in_form:
            state.awaiting_activity = False
            if self.matcher.recommend(text) or intent in (None, "recommend_cluster"):
                return [self.follow_ups.recommend(state, language, text, match.cluster)]
        follow_up = self.follow_ups.attribute(state, text, match, language)
        if follow_up is not None:
            return [follow_up]
        fits_question = asks_if_it_fits(text) and intent in (
            None,
            "recommend_cluster",
            "cluster_info",
        )
        if fits_question and state.activity and state.last_cluster and not in_form:
            return [self.follow_ups.recommend(state, language, text, state.last_cluster)]
        # An activity told unasked ("je suis dans une PME de plasturgie à Charleroi") gets the
        # clusters that fit it rather than a refusal (not "je cherche un plombier pour ma
        # maison": sector words count only where the matcher is not sure it is off-topic).
        described = intent is None and self.understanding.tells_an_activity(text, match)
        # "which bank gives the best loan?" asks "which… the best", not about a cluster.
        which_cluster = asks_which_cluster(text) and match.out_of_scope < SURE_OUT_OF_SCOPE
        if intent is None and not which_cluster and not described:
            return await self._not_answered(user, state, language, match, text)
        if intent in (None, "recommend_cluster") or (
            which_cluster and not in_form and intent in ("cluster_info", "list_clusters")
        ):
            named = match.cluster if self.understanding.names(text, match.cluster) else None
            return [self.follow_ups.recommend(state, language, text, named)]
        if intent == "contact_human" and not in_form:  # asking for a person starts the handoff
            started = await self.handoff.start(user, language)
            return started or [self.answer_intent(state, language, intent, None)]
        cluster = match.cluster
        if cluster is None and (intent in CONTEXTUAL_INTENTS or intent in ATTRIBUTE_OF_INTENT):
            cluster = state.last_cluster
        compared = self.understanding.compared_clusters(text)
        if compared and intent in COMPARING_INTENTS and match.competitiveness_cluster is None:
            state.subject.cluster = None  # two clusters weighed: "join it" names neither
            return [
                self.answers.comparison(language, [self.knowledge.cluster(c) for c in compared])
            ]
        if intent == "cluster_vs_competitiveness" and asks_which_poles(text):
            return [self.answers.pole_list(language)]
        attribute = self.follow_ups.attribute_of_intent(state, text, match, cluster, language)
        return [attribute or self.answer_intent(state, language, intent, cluster)]

    async def _not_answered(
        self, user: UserRef, state: ConversationState, language: Language, match: Match, text: str
    ) -> list[Reply]:
        """Unsure: "did you mean"; in our domain but unknown: say so honestly; else off-topic."""
        await self._records.keep_unanswered(user, match)
        if match.intent is not None:
            choices = [match.intent, *match.alternatives][:3]
            return [self.answers.did_you_mean(language, choices, match.cluster)]
        if match.out_of_scope < LIKELY_OUT_OF_SCOPE and match.alternatives:
            # Not placed, yet unlike what is off-topic: an unclear message of ours ("Parce que
            # je suis tout seul avec mon fils"), so offer the closest themes.
            choices = list(match.alternatives[:3])
            return [self.answers.did_you_mean(language, choices, state.last_cluster)]
        subject = match.cluster or (
            state.last_cluster if match.competitiveness_cluster is None else None
        )
        # A short follow-up leans on the subject under discussion, and so does a message not
        # placed but not surely off-topic while a subject of ours is fresh ("What's the
        # difference between the two anyway?"): calling our domain off-topic is worse.
        follow_up = state.last_cluster is not None and reads_as_follow_up(text)
        leaning = follow_up or (
            state.subject.intent is not None
            and state.subject.age < SUBJECT_TURNS
            and match.out_of_scope < SURE_OUT_OF_SCOPE
        )
        surely_elsewhere = not follow_up and self.understanding.surely_elsewhere(text, match)
        if not surely_elsewhere and (
            match.cluster
            or match.competitiveness_cluster
            or self.understanding.in_domain(text)
            or (leaning and reads_as_question(text))
        ):
            cluster = (
                self.knowledge.cluster(subject)
                if subject and self.knowledge.has_cluster(subject)
                else None
            )
            return [self.answers.unknown(language, cluster, list(match.alternatives[:3]))]
        return [self.answers.fallback(language)]

    def answer_intent(
        self,
        state: ConversationState,
        language: Language,
        intent_id: str,
        cluster_id: str | None,
        *,
        detailed: bool = False,
    ) -> Reply:
        """The answer to an intent, with the cluster it is about when there is one."""
        cluster = (
            self.knowledge.cluster(cluster_id)
            if cluster_id and self.knowledge.has_cluster(cluster_id)
            else None
        )
        intent = self.knowledge.intent(intent_id)
        state.subject.discuss(intent_id)
        if cluster is not None:
            state.about(cluster=cluster.id)
        if intent_id == "cluster_info" and cluster is not None:
            return self.answers.cluster_card(language, cluster, detailed=detailed)
        if intent_id == "list_clusters":
            return self.answers.cluster_list(language, intent)
        if intent_id == "recommend_cluster":
            state.awaiting_activity = True
        # A pôle named in this very message is introduced first ("and Logistics in Wallonia?").
        named_now = state.subject.pole if state.subject.age == 0 else None
        about_poles = intent_id == "cluster_vs_competitiveness"
        pole = self.knowledge.pole(named_now) if about_poles else None
        return self.answers.intent_answer(language, intent, cluster, detailed=detailed, pole=pole)

    # -- buttons --------------------------------------------------------------------------------

    async def on_action(self, user: UserRef, state: ConversationState, data: str) -> list[Reply]:
        """Answer a button press. Unknown or forged actions get a short notice and the menu."""
        language = await self.language_for(user, state)
        kb = self.knowledge
        if data[:1] == "h" or data == "i:contact_human":  # talking to a person (bot/handoff/)
            handed_off = await self.handoff.on_action(user, language, data)
            return handed_off or [self.answer_intent(state, language, "contact_human", None)]
        match parse_action(data):
            case JoinAction() as action:
                return await self.join_buttons.press(user.id, state, language, action)
            case Forget(confirmed):
                return await self.commands.forget(user, state, language, confirmed=confirmed)
            case ShowMenu():
                return [self.answers.main_menu(language)]
            case ShowClusterList():
                return [self.answer_intent(state, language, "list_clusters", None)]
            case ShowCluster(cluster) if kb.has_cluster(cluster):
                return [self.answer_intent(state, language, "cluster_info", cluster)]
            case AskRecommendation():
                return [self.answer_intent(state, language, "recommend_cluster", None)]
            case ShowIntent(intent, cluster) | ShowMore(intent, cluster) as shown if kb.has_intent(
                intent
            ) and (cluster is None or kb.has_cluster(cluster)):
                detailed = isinstance(shown, ShowMore)
                return [self.answer_intent(state, language, intent, cluster, detailed=detailed)]
            case StartJoin(cluster) if cluster is None or kb.has_cluster(cluster):
                return self.start_join(state, language, cluster or state.last_cluster)
            case ChooseLanguage(None):
                return [self.answers.language_menu(language)]
            case ChooseLanguage(chosen) if chosen is not None:
                return [await self.set_language(user, state, chosen)]
            case RequestStatus(reference):
                return await self.requests.status(
                    user.id, state, reference, language, change=False
                )
            case CorrectRequest(reference):
                replies = await self.requests.ask_correction(user.id, state, reference, language)
                return replies or self.join_buttons.stale(state, language)
        return self.join_buttons.stale(state, language)

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
        state.about(cluster=cluster)
        state.join, prompt = self.join_flow.start(cluster, language)
        if cluster is None and state.activity and self.matcher.recommend(state.activity):
            # The activity told earlier already points to clusters: offer them at once.
            suggested = self.join_flow.suggest(state.join, state.activity, language)
            return [tagged(reply, "start_join") for reply in suggested]
        return [tagged(prompt, "start_join", cluster)]

    # -- commands (bot/conversation/commands.py) ------------------------------------------------

    async def on_start(
        self, user: UserRef, state: ConversationState, payload: str | None
    ) -> list[Reply]:
        """/start, with an optional deep-link payload: `cluster-<id>`, `join`, `join-<id>`."""
        return await self.commands.start(user, state, payload)

    async def on_command(
        self, user: UserRef, state: ConversationState, command: str, argument: str = ""
    ) -> list[Reply]:
        """The commands every user has."""
        return await self.commands.run(user, state, command, argument)

    def unknown_command(self, language: Language) -> Reply:
        """What any command we do not know gets, whoever sends it."""
        return self.answers.notice_with_menu(language, "unknown_command")
