"""The guided join request: one step per question, validated, resumable, stored with consent.

The flow is a small state machine (diagram: `join_flow.mmd` beside it) over a typed
`JoinRequest` (`state.py`), persisted with the rest of the conversation so that it survives a
restart at the same step. Each step's typed answer and each button kind is handled by its own
function, found in a table. It knows nothing of Telegram: the terminal chat runs the very same
steps. Buttons carry short actions (`jt:sme`, `jb`…) checked against the current step, so a
stale or forged button changes nothing.

The dialogue decides first whether a message is an answer at all (a question, a cancel or a
correction is not); only then does it reach `on_text` here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.conversation.actions import JoinAction
from bot.conversation.join_prompts import (
    CONSENT_VERSION,
    FIELD_OF_STEP,
    OPTIONAL_STEPS,
    STEP_OF_FIELD,
    JoinPrompts,
)
from bot.conversation.join_submission import JoinSubmission, LeadCreated
from bot.conversation.message_cues import reads_as_question, words
from bot.conversation.request_cues import field_named, means_skip
from bot.conversation.state import JoinRequest, Step
from bot.conversation.typed_answers import NO, YES, typed_choice
from bot.leads.model import CompanyType, Location
from bot.leads.validation import (
    ACTIVITY_MAX_LENGTH,
    COMPANY_NAME_MAX_LENGTH,
    CONTACT_NAME_MAX_LENGTH,
    FieldError,
    Invalid,
    Valid,
    Validation,
    validate_email,
    validate_enterprise_number,
    validate_free_text,
    validate_phone,
)
from bot.matching.matcher import Matcher
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Button, Reply, ReplyBuilder
from bot.settings import DEFAULT_LEAD_RETENTION_DAYS
from bot.storage.database import utc_now
from bot.storage.lead_store import LeadStore
from knowledge.model import KnowledgeBase, Language

__all__ = ["CONSENT_VERSION", "IDLE_LIMIT", "JoinFlow", "LeadCreated", "Step"]

_LOGGER = logging.getLogger(__name__)

IDLE_LIMIT = timedelta(minutes=30)
RECOMMENDATIONS_SHOWN = 2
VALIDATORS: dict[Step, Callable[[str | None], Validation]] = {
    Step.COMPANY_NAME: lambda t: validate_free_text(t, max_length=COMPANY_NAME_MAX_LENGTH),
    Step.ACTIVITY: lambda t: validate_free_text(t, max_length=ACTIVITY_MAX_LENGTH),
    Step.CONTACT_NAME: lambda t: validate_free_text(t, max_length=CONTACT_NAME_MAX_LENGTH),
    Step.ENTERPRISE_NUMBER: validate_enterprise_number,
    Step.EMAIL: validate_email,
    Step.PHONE: validate_phone,
}
FREE_TEXT_LIMITS = {
    Step.COMPANY_NAME: COMPANY_NAME_MAX_LENGTH,
    Step.ACTIVITY: ACTIVITY_MAX_LENGTH,
    Step.CONTACT_NAME: CONTACT_NAME_MAX_LENGTH,
}
ORDER = [
    Step.CLUSTER,
    Step.COMPANY_NAME,
    Step.ENTERPRISE_NUMBER,
    Step.ACTIVITY,
    Step.COMPANY_TYPE,
    Step.LOCATION,
    Step.CONTACT_NAME,
    Step.EMAIL,
    Step.PHONE,
    Step.CONSENT,
    Step.SUMMARY,
]

Replies = list[Reply]


class JoinFlow:
    """Runs the join flow on a `JoinRequest`; every method returns the replies to show."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        matcher: Matcher,
        catalogue: Catalogue,
        leads: LeadStore,
        *,
        on_lead_created: LeadCreated | None = None,
        clock: Callable[[], datetime] = utc_now,
        retention_days: int = DEFAULT_LEAD_RETENTION_DAYS,
    ) -> None:
        self._kb = knowledge
        self._matcher = matcher
        self.prompts = JoinPrompts(knowledge, catalogue, retention_days=retention_days)
        self.leads = leads
        self._clock = clock
        self.submission = JoinSubmission(
            knowledge, self.prompts, leads, on_lead_created=on_lead_created, clock=clock
        )
        self._text_steps: dict[Step, Callable[[JoinRequest, str, Language], Replies]] = {
            Step.CLUSTER: self._cluster_typed,
            Step.DESCRIBE_ACTIVITY: self._recommend,
            Step.COMPANY_TYPE: self._choice_typed,
            Step.LOCATION: self._choice_typed,
            Step.CONSENT: self._consent_typed,
        }
        self._buttons: dict[str, Callable[[JoinRequest, str, Language], Replies]] = {
            "jb": self._back,
            "jc": self._cluster_button,
            "js": self._skip,
            "jt": self._company_type,
            "jl": self._location,
            "jy": self._consent_given,
            "jn": self._consent_refused,
            "jed": self._edit,
            "je": self._edit_field,
            "jr": lambda request, _value, language: [self.prompt(request, language)],
        }

    def _t(self, language: Language, key: str, **values: object) -> str:
        return self.prompts.t(language, key, **values)

    def prompt(self, request: JoinRequest, language: Language, error: str | None = None) -> Reply:
        return self.prompts.prompt(request, language, error)

    # -- entering and leaving -------------------------------------------------------------------

    def start(self, cluster_id: str | None, language: Language) -> tuple[JoinRequest, Reply]:
        """A fresh request, at the company name when the cluster is known, else at the cluster."""
        request = JoinRequest(updated=self._clock())
        if cluster_id and self._kb.has_cluster(cluster_id):
            request.answers.cluster = cluster_id
            request.go(Step.COMPANY_NAME)
        return request, self.prompt(request, language)

    def is_idle(self, request: JoinRequest) -> bool:
        """Whether the user left the request alone for longer than the idle limit."""
        return self._clock() - request.updated > IDLE_LIMIT

    def touch(self, request: JoinRequest) -> None:
        request.updated = self._clock()

    def expired_notice(self, language: Language) -> Reply:
        return self.prompts.with_menu(language, "join.expired")

    def takes_free_text(self, request: JoinRequest) -> bool:
        """Whether the current step waits for typed text (not a button)."""
        return request.step in VALIDATORS or request.step is Step.DESCRIBE_ACTIVITY

    def accepts(self, request: JoinRequest, text: str) -> bool:
        """Whether `text` is a valid answer to the current step as it stands."""
        validator = VALIDATORS.get(request.step)
        if validator is not None:
            return isinstance(validator(text), Valid)
        if request.step is Step.DESCRIBE_ACTIVITY:
            return isinstance(validate_free_text(text, max_length=ACTIVITY_MAX_LENGTH), Valid)
        if request.step is Step.CLUSTER:
            return self._named_cluster(text) is not None or bool(self._matcher.recommend(text))
        if request.step in (Step.COMPANY_TYPE, Step.LOCATION):
            return self._typed_choice(request.step, text) is not None
        return False

    def skips(self, request: JoinRequest, text: str) -> bool:
        """No answer at an optional step ("jsp", "we don't have one"): the same as Skip."""
        optional = request.step in OPTIONAL_STEPS
        # "Je ne sais pas ce que c'est, le numéro d'entreprise ?" asks what it is.
        asks = reads_as_question(text) and field_named(text) is not None
        return optional and not asks and not self.accepts(request, text) and means_skip(text)

    def _next(self, request: JoinRequest) -> None:
        """After an answer: back to the summary when editing, else the next unanswered step."""
        if request.editing:
            request.editing = False
            if request.return_to is not None:  # changed mid-form: back to where we were
                request.go(request.return_to)
                request.return_to = None
                return
            # Consent comes before the summary: a request reviewed after a refusal asks again.
            request.go(Step.SUMMARY if request.answers.consent_at else Step.CONSENT)
            return
        position = ORDER.index(request.step) if request.step in ORDER else 0
        for step in ORDER[position + 1 :]:
            # An activity given under "Not sure" is not asked again.
            if step is Step.ACTIVITY and request.answers.activity:
                continue
            request.go(step)
            return

    # -- typed answers --------------------------------------------------------------------------

    def _error(self, language: Language, step: Step, error: FieldError) -> str:
        if error is FieldError.TOO_LONG and step in FREE_TEXT_LIMITS:
            return self._t(language, "join.error.too_long", limit=FREE_TEXT_LIMITS[step])
        if error is FieldError.NOT_TEXT:
            return self._t(language, "join.error.not_text")
        if error is FieldError.EMPTY:
            return self._t(language, "join.error.empty")
        specific = {
            Step.ENTERPRISE_NUMBER: "join.error.enterprise_number",
            Step.EMAIL: "join.error.email",
            Step.PHONE: "join.error.phone",
        }
        return self._t(language, specific.get(step, "join.error.invalid_characters"))

    def _miss(self, request: JoinRequest, language: Language, key: str) -> Replies:
        request.misses += 1
        return [self.prompt(request, language, self._t(language, key))]

    async def on_text(
        self, request: JoinRequest, text: str | None, language: Language, user_id: int
    ) -> Replies:
        """An answer typed (or a sticker sent) at the current step."""
        self.touch(request)
        if text is None and request.step not in VALIDATORS:
            return self._miss(request, language, "join.error.not_text")
        handler = self._text_steps.get(request.step)
        if handler is not None and text is not None:
            return handler(request, text, language)
        validator = VALIDATORS.get(request.step)
        if validator is None:
            return self._miss(request, language, "join.error.use_buttons")
        result = validator(text)
        if isinstance(result, Invalid) and result.shaped is not None:
            # Right shape, but failing a check (enterprise number's check digits, a phone range
            # unknown to libphonenumber): kept with a warning rather than blocking an optional
            # answer; the summary lets the user correct it.
            field = FIELD_OF_STEP[request.step]
            request.answers.set(field, result.shaped)
            self._next(request)
            warning = self._t(language, f"join.unchecked_{field}", number=result.shaped)
            return [self.prompt(request, language, warning)]
        if isinstance(result, Invalid):
            request.misses += 1
            return [
                self.prompt(request, language, self._error(language, request.step, result.error))
            ]
        assert isinstance(result, Valid)
        request.answers.set(FIELD_OF_STEP[request.step], result.value)
        self._next(request)
        return [self.prompt(request, language)]

    def _named_cluster(self, text: str) -> str | None:
        """The cluster named (by name or alias, typos included), not one whose field the text
        describes: "je fais des châssis bois" asks which one fits, it does not choose."""
        named = self._matcher.analyse(text).clusters if text.strip() else []
        return named[0] if named else None

    def _cluster_typed(self, request: JoinRequest, text: str, language: Language) -> Replies:
        named = self._named_cluster(text)
        if named is None and self._matcher.recommend(text):
            return self._recommend(request, text, language)
        if named is None:
            return self._miss(request, language, "join.error.pick_cluster")
        return self._choose_cluster(request, named, language)

    def _typed_choice(self, step: Step, text: str) -> str | None:
        """A typed answer to a button step: "SME", "pme", "startup", "Liège" also work."""
        group = "type" if step is Step.COMPANY_TYPE else "location"
        return typed_choice(group, text, self.prompts.t)

    def _choice_typed(self, request: JoinRequest, text: str, language: Language) -> Replies:
        choice = self._typed_choice(request.step, text)
        if choice is None:
            return self._miss(request, language, "join.error.use_buttons")
        if request.step is Step.COMPANY_TYPE:
            return self._company_type(request, choice, language)
        return self._location(request, choice, language)

    def _consent_typed(self, request: JoinRequest, text: str, language: Language) -> Replies:
        said = set(words(text))
        if said & YES and not said & NO:
            return self._consent_given(request, "", language)
        if said & NO and not said & YES:
            return self._consent_refused(request, "", language)
        return self._miss(request, language, "join.error.use_buttons")

    def _choose_cluster(
        self, request: JoinRequest, cluster_id: str, language: Language
    ) -> Replies:
        request.answers.cluster = cluster_id
        if request.editing:
            self._next(request)
        else:
            request.go(Step.COMPANY_NAME)
        return [self.prompt(request, language)]

    def suggest(self, request: JoinRequest, activity: str, language: Language) -> Replies:
        """The clusters that fit an activity described before the form, as its first step."""
        return self._recommend(request, activity, language)

    def _recommend(self, request: JoinRequest, text: str, language: Language) -> Replies:
        result = validate_free_text(text, max_length=ACTIVITY_MAX_LENGTH)
        if isinstance(result, Invalid):
            return [
                self.prompt(request, language, self._error(language, Step.ACTIVITY, result.error))
            ]
        assert isinstance(result, Valid)
        if not request.answers.activity and not reads_as_question(text):
            # The description doubles as the activity, but never replaces one already given,
            # and a question ("which one fits a smart-grid startup?") is not a description.
            request.answers.activity = result.value
        fits = self._matcher.recommend(result.value)[:RECOMMENDATIONS_SHOWN]
        request.go(Step.CLUSTER)
        if not fits:
            notice = ReplyBuilder().paragraph(self._t(language, "join.no_recommendation"))
            return [notice.build(), self.prompt(request, language)]
        builder = ReplyBuilder().paragraph(self._t(language, "join.recommended"))
        for fit in fits:
            cluster = self._kb.cluster(fit.cluster_id)
            builder.bold(cluster.name).text(" — " + cluster.tagline[language]).paragraph()
            keywords = ", ".join(fit.keywords[:3])
            builder.italic(self._t(language, "recommend.because", keywords=keywords)).paragraph()
            label = self._t(language, "join.choose", name=cluster.name)
            builder.buttons(Button(label, f"jc:{cluster.id}"))
        builder.buttons(Button(self._t(language, "join.other_cluster"), "jc:!"))
        builder.buttons(Button(self._t(language, "join.cancel"), "jx"))
        return [builder.build()]

    # -- buttons --------------------------------------------------------------------------------

    async def on_action(
        self, request: JoinRequest, action: JoinAction, language: Language
    ) -> Replies:
        """A button pressed inside the flow. Returns [] when the action does not fit the step."""
        handler = self._buttons.get(action.kind)
        if handler is None:
            return []
        self.touch(request)
        return handler(request, action.value, language)

    def _back(self, request: JoinRequest, value: str, language: Language) -> Replies:
        if value:
            return []
        if request.editing or request.step is Step.EDIT:
            request.editing = False
            request.step = Step.SUMMARY if request.answers.consent_at else Step.CONSENT
        elif request.history:
            request.step = request.history.pop()
            request.misses = 0
        return [self.prompt(request, language)]

    def _cluster_button(self, request: JoinRequest, value: str, language: Language) -> Replies:
        if request.step not in (Step.CLUSTER, Step.DESCRIBE_ACTIVITY):
            return []
        if value in ("?", "!"):
            request.go(Step.DESCRIBE_ACTIVITY if value == "?" else Step.CLUSTER)
            return [self.prompt(request, language)]
        if self._kb.has_cluster(value):
            return self._choose_cluster(request, value, language)
        return []

    def _skip(self, request: JoinRequest, value: str, language: Language) -> Replies:
        if value or request.step not in OPTIONAL_STEPS:
            return []
        request.answers.set(FIELD_OF_STEP[request.step], None)
        self._next(request)
        return [self.prompt(request, language)]

    def _company_type(self, request: JoinRequest, value: str, language: Language) -> Replies:
        if request.step is not Step.COMPANY_TYPE or value not in {t.value for t in CompanyType}:
            return []
        request.answers.company_type = value
        self._next(request)
        return [self.prompt(request, language)]

    def _location(self, request: JoinRequest, value: str, language: Language) -> Replies:
        if request.step is not Step.LOCATION or value not in {p.value for p in Location}:
            return []
        request.answers.location = value
        replies = []
        if value == Location.ABROAD.value:
            # The seed makes setting up in Wallonia the condition: say so before going on.
            eligibility = self._kb.intent("eligibility")
            replies.append(
                ReplyBuilder()
                .paragraph(self._t(language, "join.abroad"))
                .paragraphs(eligibility.answer[language])
                .build()
            )
        self._next(request)
        return [*replies, self.prompt(request, language)]

    def _consent_given(self, request: JoinRequest, value: str, language: Language) -> Replies:
        if value or request.step is not Step.CONSENT:
            return []
        request.answers.consent_at = self._clock().isoformat()
        request.answers.consent_language = language
        request.declined = False
        self._next(request)
        return [self.prompt(request, language)]

    def _consent_refused(self, request: JoinRequest, value: str, language: Language) -> Replies:
        if value or request.step is not Step.CONSENT:
            return []
        # Nothing is stored as a lead; the answers stay in this conversation for the idle
        # limit only, so that a refusal by mistake does not cost nine answers.
        request.declined = True
        return [self.prompt(request, language)]

    def _edit(self, request: JoinRequest, value: str, language: Language) -> Replies:
        allowed = request.step is Step.SUMMARY or (
            request.step is Step.CONSENT and request.declined
        )
        if value or not allowed:
            return []
        request.go(Step.EDIT)
        return [self.prompt(request, language)]

    def _edit_field(self, request: JoinRequest, value: str, language: Language) -> Replies:
        if request.step is not Step.EDIT or value not in STEP_OF_FIELD:
            return []
        request.editing = True
        request.go(STEP_OF_FIELD[value])
        return [self.prompt(request, language)]

    # -- confirmation (join_submission.py) -----------------------------------------------------

    async def confirm(
        self, request: JoinRequest | None, key: str, language: Language, user_id: int
    ) -> tuple[bool, Replies]:
        """Store the lead. Returns (request finished, replies)."""
        return await self.submission.confirm(request, key, language, user_id)
