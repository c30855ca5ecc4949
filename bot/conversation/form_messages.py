"""What a message typed inside the join form is, read before it is validated as an answer
(conversation-design.md, "forms and interruptions"): cancel or back, another cluster, a
correction of an earlier answer, "why do you need this?", "I don't have one", a question to
answer before asking the step again, and only then the answer itself."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

from bot.conversation.actions import JoinAction
from bot.conversation.join_corrections import JoinCorrections
from bot.conversation.join_flow import JoinFlow
from bot.conversation.language import UserLanguage
from bot.conversation.message_cues import (
    asks_why,
    asks_why_we_ask,
    is_back,
    is_cancel,
    is_resume,
    keeps_choice,
    mentions_our_use_of_data,
    reads_as_correction,
    without_filler,
)
from bot.conversation.ports import UserRef
from bot.conversation.request_cues import (
    corrected_value,
    field_named,
    field_to_change,
    holds_no_activity,
)
from bot.conversation.state import ConversationState, JoinRequest, Step
from bot.conversation.subject_cues import small_talk
from bot.conversation.understanding import Understanding
from bot.leads.validation import (
    Valid,
    validate_email,
    validate_enterprise_number,
    validate_phone,
)
from bot.matching.matcher import CONFIDENT_SCORE, Match
from bot.messages.answers import AnswerBuilder
from bot.messages.reply import Reply
from knowledge.model import Language

# How the dialogue answers a question asked inside the form (its own `_question`).
AskQuestion = Callable[[UserRef, ConversationState, str, Language, Match], Awaitable[list[Reply]]]


# Fields whose value tells them apart, in the order they are tried ("sorry, the number is
# actually 0403.170.701": an enterprise number, whatever the words around it).
_SELF_EVIDENT_FIELDS = (
    ("email", validate_email),
    ("enterprise_number", validate_enterprise_number),
    ("phone", validate_phone),
)


def _field_of_new_value(text: str, *, bare: bool = False) -> tuple[str, str] | None:
    """The answer a correction replaces, and its new value, when only that value says which
    one; `bare`: the value alone is a correction too (typed where a button is expected)."""
    value = corrected_value(text) if reads_as_correction(text) else None
    if not value and bare:
        value = text.strip()
    if not value:
        return None
    field = next((f for f, valid in _SELF_EVIDENT_FIELDS if isinstance(valid(value), Valid)), None)
    return (field, value) if field is not None else None


class FormMessages:
    """Reads a message inside the join form and acts on it."""

    def __init__(
        self,
        join_flow: JoinFlow,
        corrections: JoinCorrections,
        understanding: Understanding,
        languages: UserLanguage,
        answers: AnswerBuilder,
        ask: AskQuestion,
    ) -> None:
        self._flow = join_flow
        self._corrections = corrections
        self._understanding = understanding
        self._languages = languages
        self._answers = answers
        self._ask = ask

    async def on_text(
        self,
        user: UserRef,
        state: ConversationState,
        request: JoinRequest,
        text: str,
        language: Language,
        match: Match,
    ) -> list[Reply]:
        answer = without_filler(text)  # "ok nevermind. GreenHabitat SRL": the name
        if is_cancel(text) and (answer == text or is_cancel(answer) or small_talk(answer)):
            state.join = None
            return [self._answers.cancelled(language, True)]
        text = answer
        if is_back(text):
            return await self._flow.on_action(request, JoinAction("jb"), language)
        if is_resume(text):
            return await self._flow.on_action(request, JoinAction("jr"), language)
        choosing = reads_as_correction(text) or keeps_choice(text) or request.step is Step.CLUSTER
        if choosing and not self._understanding.compared_clusters(text):
            chosen = self._understanding.chosen_cluster(text)
            if chosen is not None and request.step is Step.CLUSTER:
                return await self._flow.on_action(request, JoinAction("jc", chosen), language)
            if chosen is not None:
                return self._corrections.change_cluster(request, chosen, language)
        if asks_why(text) and field_named(text) is None and mentions_our_use_of_data(text):
            # "pk vous demandez tout ça, vous en faites koi": what we do with the data.
            match = dataclasses.replace(match, intent="privacy", score=CONFIDENT_SCORE)
        elif asks_why_we_ask(text) or (
            asks_why(text) and not (match.confident and match.intent not in (None, "privacy"))
        ):
            return self._corrections.why_asked(request, language, text)
        # An e-mail or enterprise number typed where a button is expected corrects that answer.
        bare = not self._flow.takes_free_text(request) and not self._flow.accepts(request, text)
        field, value = field_to_change(text, stated=True), corrected_value(text)
        if field is None and (new := _field_of_new_value(text, bare=bare)) is not None:
            field, value = new
        if field == "contact_name" and not request.answers.contact_name:
            field = "company_name"  # "wrong name" before any contact name: the company's
        if field is not None:
            return self._corrections.correct(request, field, value, language)
        if request.step is Step.ACTIVITY and holds_no_activity(text):
            return self._corrections.activity_hint(request, language)
        if self._flow.skips(request, text):
            return await self._flow.on_action(request, JoinAction("js"), language)
        if self._understanding.is_interjection(request, text, match):
            return await self._interjection(user, state, request, text, match)
        return await self._flow.on_text(request, text, language, user.id)

    async def _interjection(
        self,
        user: UserRef,
        state: ConversationState,
        request: JoinRequest,
        text: str,
        match: Match,
    ) -> list[Reply]:
        """A question or small talk inside the form: answered, then the step asked again."""
        # A question is evidence of the user's language; a name or an e-mail is not.
        language = self._languages.follow(user, state, text, match)
        if match.intent is None or not match.confident:
            # A question we cannot place, asked at this step, is about this step ("c'est quoi
            # le numéro BCE ?"): never "not about clusters" here, even when the matcher is sure.
            # Tried twice: in session 6, and in session 8 for messages sure to be off-topic and
            # naming nothing of ours ("what's the weather in Namur tomorrow"); both times it
            # called a question of ours off-topic in the held-out stories. One we
            # half-recognise ("what subsidies can we get?") gets "did you mean".
            if match.intent is None or field_named(text):
                return self._corrections.why_asked(request, language, text)
            choices = [match.intent, *match.alternatives][:3]
            unsure = self._answers.did_you_mean(language, choices, match.cluster)
            return [unsure, self._flow.prompt(request, language)]
        self._flow.touch(request)
        answer = await self._ask(user, state, text, language, match)
        return [*answer, self._flow.prompt(request, language)]
