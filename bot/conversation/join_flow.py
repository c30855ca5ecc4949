"""The guided join request: one step per question, validated, resumable, stored with consent.

The flow is a small state machine (diagram: `join_flow.mmd` beside it). Its state is a plain dict
inside `ConversationState.join`, so it is persisted with the rest of the conversation and
survives a restart at the same step. It knows nothing of Telegram: the terminal chat runs the
very same steps. Buttons carry short actions (`jt:sme`, `jb`…) checked against the current
step, so a stale or forged button changes nothing.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

from bot.leads.model import CompanyType, Consent, Lead, Location, NewLead
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
from bot.storage.database import utc_now
from bot.storage.lead_store import LeadStore
from knowledge.model import KnowledgeBase, Language
from knowledge.text_folding import fold

_LOGGER = logging.getLogger(__name__)

# Bump when the consent text changes: each lead stores the version its contact agreed to.
CONSENT_VERSION = "2026-11-26"
IDLE_LIMIT = timedelta(minutes=30)
RECOMMENDATIONS_SHOWN = 2


class Step(IntEnum):
    """The steps, in the order they are asked."""

    CLUSTER = 1
    DESCRIBE_ACTIVITY = 2  # "Not sure": describe the activity, get the two best clusters
    COMPANY_NAME = 3
    ENTERPRISE_NUMBER = 4
    ACTIVITY = 5
    COMPANY_TYPE = 6
    LOCATION = 7
    CONTACT_NAME = 8
    EMAIL = 9
    PHONE = 10
    CONSENT = 11
    SUMMARY = 12
    EDIT = 13  # choosing which answer to change


# The answer each step fills in; the summary lists them in this order.
FIELD_OF_STEP: dict[Step, str] = {
    Step.CLUSTER: "cluster",
    Step.COMPANY_NAME: "company_name",
    Step.ENTERPRISE_NUMBER: "enterprise_number",
    Step.ACTIVITY: "activity",
    Step.COMPANY_TYPE: "company_type",
    Step.LOCATION: "location",
    Step.CONTACT_NAME: "contact_name",
    Step.EMAIL: "email",
    Step.PHONE: "phone",
}
STEP_OF_FIELD = {field: step for step, field in FIELD_OF_STEP.items()}
OPTIONAL_STEPS = frozenset({Step.ENTERPRISE_NUMBER, Step.PHONE})
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

LeadCreated = Callable[[Lead], Awaitable[None]]


class JoinFlow:
    """Runs the join flow on a state dict; every method returns the replies to show."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        matcher: Matcher,
        catalogue: Catalogue,
        leads: LeadStore,
        *,
        on_lead_created: LeadCreated | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._kb = knowledge
        self._matcher = matcher
        self._catalogue = catalogue
        self.leads = leads
        self.on_lead_created = on_lead_created
        self._clock = clock

    def _t(self, language: Language, key: str, **values: object) -> str:
        return self._catalogue.text(language, key, **values)

    # -- entering and leaving -------------------------------------------------------------------

    def start(self, cluster_id: str | None, language: Language) -> tuple[dict[str, Any], Reply]:
        """A fresh flow, at the company name when the cluster is known, else at the cluster."""
        flow: dict[str, Any] = {
            "step": int(Step.CLUSTER),
            "answers": {},
            "history": [],
            "editing": False,
            "key": secrets.token_hex(8),  # identifies this request's Confirm, see `confirm`
            "updated": self._clock().isoformat(),
        }
        if cluster_id and self._kb.has_cluster(cluster_id):
            flow["answers"]["cluster"] = cluster_id
            self._go(flow, Step.COMPANY_NAME)
        return flow, self.prompt(flow, language)

    def is_idle(self, flow: dict[str, Any]) -> bool:
        """Whether the user left the flow alone for longer than the idle limit."""
        try:
            updated = datetime.fromisoformat(str(flow.get("updated")))
        except ValueError:
            return True
        return self._clock() - updated > IDLE_LIMIT

    def expired_notice(self, language: Language) -> Reply:
        return self._with_menu(language, "join.expired")

    def _with_menu(self, language: Language, key: str, **values: object) -> Reply:
        builder = ReplyBuilder().paragraph(self._t(language, key, **values))
        builder.buttons(
            Button(self._t(language, "menu.join"), "j"),
            Button(self._t(language, "menu.main"), "m"),
        )
        return builder.build()

    # -- state helpers --------------------------------------------------------------------------

    @staticmethod
    def step_of(flow: dict[str, Any]) -> Step:
        try:
            return Step(int(flow.get("step", Step.CLUSTER)))
        except ValueError:
            return Step.CLUSTER

    def _go(self, flow: dict[str, Any], step: Step) -> None:
        current = self.step_of(flow)
        if current != step:
            flow["history"] = [*flow.get("history", []), int(current)][-20:]
        flow["step"] = int(step)

    def _next(self, flow: dict[str, Any]) -> None:
        """After an answer: back to the summary when editing, else the next unanswered step."""
        if flow.get("editing"):
            flow["editing"] = False
            self._go(flow, Step.SUMMARY)
            return
        current = self.step_of(flow)
        position = ORDER.index(current) if current in ORDER else 0
        answers = flow["answers"]
        for step in ORDER[position + 1 :]:
            # An activity given under "Not sure" is not asked again.
            if step is Step.ACTIVITY and answers.get("activity"):
                continue
            self._go(flow, step)
            return

    # -- prompts --------------------------------------------------------------------------------

    def _controls(self, builder: ReplyBuilder, language: Language, flow: dict[str, Any]) -> None:
        row = []
        if flow.get("history") or flow.get("editing"):
            row.append(Button(self._t(language, "join.back"), "jb"))
        row.append(Button(self._t(language, "join.cancel"), "jx"))
        builder.buttons(*row)

    def prompt(self, flow: dict[str, Any], language: Language, error: str | None = None) -> Reply:
        """The question of the current step (with `error` above it after a wrong answer)."""
        step = self.step_of(flow)
        builder = ReplyBuilder()
        if error:
            builder.bold(error).paragraph()
        answers = flow["answers"]
        cluster_id = answers.get("cluster")
        if step is Step.CLUSTER:
            builder.paragraph(self._t(language, "join.ask.cluster"))
            clusters = list(self._kb.clusters)
            for index in range(0, len(clusters), 2):
                builder.buttons(
                    *(Button(c.name, f"jc:{c.id}") for c in clusters[index : index + 2])
                )
            builder.buttons(Button(self._t(language, "join.not_sure"), "jc:?"))
            self._controls(builder, language, flow)  # Back too when changing it from the summary
            return builder.build()
        if step is Step.DESCRIBE_ACTIVITY:
            builder.paragraph(self._t(language, "join.ask.describe"))
        elif step is Step.SUMMARY:
            return self._summary(flow, language, builder)
        elif step is Step.EDIT:
            builder.paragraph(self._t(language, "join.ask.edit"))
            builder.button_column(
                [
                    Button(self._t(language, f"join.field.{field}"), f"je:{field}")
                    for field in FIELD_OF_STEP.values()
                ]
            )
            builder.buttons(Button(self._t(language, "join.back"), "jb"))
            return builder.build()
        elif step is Step.CONSENT:
            builder.paragraph(self._t(language, "join.ask.consent"))
            builder.italic(self._t(language, "join.consent_text")).paragraph()
            builder.paragraph(self._t(language, "join.consent_version", version=CONSENT_VERSION))
            builder.buttons(
                Button(self._t(language, "join.agree"), "jy"),
                Button(self._t(language, "join.disagree"), "jn"),
            )
        else:
            if step is Step.COMPANY_NAME and cluster_id and not flow.get("editing"):
                name = self._kb.cluster(cluster_id).name
                builder.paragraph(self._t(language, "join.chosen", name=name))
            builder.paragraph(self._t(language, f"join.ask.{FIELD_OF_STEP[step]}"))
            if step is Step.COMPANY_TYPE:
                builder.button_column(
                    [
                        Button(self._t(language, f"join.type.{t.value}"), f"jt:{t.value}")
                        for t in CompanyType
                    ]
                )
            if step is Step.LOCATION:
                builder.button_column(
                    [
                        Button(self._t(language, f"join.location.{p.value}"), f"jl:{p.value}")
                        for p in Location
                    ]
                )
            if step in OPTIONAL_STEPS:
                builder.buttons(Button(self._t(language, "join.skip"), "js"))
        self._controls(builder, language, flow)
        return builder.build()

    def _display(self, flow: dict[str, Any], field: str, language: Language) -> str:
        value = flow["answers"].get(field)
        if value is None or value == "":
            return self._t(language, "join.not_given")
        if field == "cluster":
            return str(self._kb.cluster(value).name) if self._kb.has_cluster(value) else "?"
        if field == "company_type":
            return self._t(language, f"join.type.{value}")
        if field == "location":
            return self._t(language, f"join.location.{value}")
        return str(value)

    def _summary(self, flow: dict[str, Any], language: Language, builder: ReplyBuilder) -> Reply:
        builder.paragraph(self._t(language, "join.ask.summary"))
        for field in FIELD_OF_STEP.values():
            label = self._t(language, "join.label", field=self._t(language, f"join.field.{field}"))
            builder.bold(label + " ").text(self._display(flow, field, language)).line()
        builder.buttons(Button(self._t(language, "join.confirm"), f"jok:{flow['key']}"))
        builder.buttons(
            Button(self._t(language, "join.edit"), "jed"),
            Button(self._t(language, "join.cancel"), "jx"),
        )
        return builder.build()

    # -- answers --------------------------------------------------------------------------------

    def _error(self, language: Language, step: Step, error: FieldError) -> str:
        if error is FieldError.TOO_LONG and step in FREE_TEXT_LIMITS:
            return self._t(language, "join.error.too_long", limit=FREE_TEXT_LIMITS[step])
        if error is FieldError.NOT_TEXT:
            return self._t(language, "join.error.not_text")
        if error is FieldError.EMPTY:
            return self._t(language, "join.error.empty")
        if step is Step.ENTERPRISE_NUMBER:
            return self._t(language, "join.error.enterprise_number")
        if step is Step.EMAIL:
            return self._t(language, "join.error.email")
        if step is Step.PHONE:
            return self._t(language, "join.error.phone")
        return self._t(language, "join.error.invalid_characters")

    def _validate(self, step: Step, text: str | None) -> Validation:
        if step in FREE_TEXT_LIMITS:
            return validate_free_text(text, max_length=FREE_TEXT_LIMITS[step])
        if step is Step.ENTERPRISE_NUMBER:
            return validate_enterprise_number(text)
        if step is Step.EMAIL:
            return validate_email(text)
        if step is Step.PHONE:
            return validate_phone(text)
        return Invalid(FieldError.NOT_TEXT)

    def _choice_from_text(self, step: Step, text: str, language: Language) -> str | None:
        """A typed answer to a button step: "SME", "pme", "Wallonie" also work."""
        folded = fold(text)
        if step is Step.COMPANY_TYPE:
            options = {
                fold(self._t(language, f"join.type.{t.value}")): t.value for t in CompanyType
            }
        elif step is Step.LOCATION:
            options = {
                fold(self._t(language, f"join.location.{p.value}")): p.value for p in Location
            }
        else:
            return None
        return options.get(folded)

    async def on_text(
        self, flow: dict[str, Any], text: str | None, language: Language, user_id: int
    ) -> list[Reply]:
        """An answer typed (or a sticker sent) at the current step."""
        flow["updated"] = self._clock().isoformat()
        step = self.step_of(flow)
        if step is Step.CLUSTER:
            named = self._matcher.match(text or "").cluster if text else None
            if named is not None:
                return self._choose_cluster(flow, named, language)
            return [self.prompt(flow, language, self._t(language, "join.error.pick_cluster"))]
        if step is Step.DESCRIBE_ACTIVITY:
            return self._recommend(flow, text, language)
        if step in (Step.COMPANY_TYPE, Step.LOCATION):
            choice = self._choice_from_text(step, text or "", language)
            if choice is None:
                return [self.prompt(flow, language, self._t(language, "join.error.use_buttons"))]
            return await self.on_action(
                flow, f"{'jt' if step is Step.COMPANY_TYPE else 'jl'}:{choice}", language, user_id
            )
        if step in (Step.CONSENT, Step.SUMMARY, Step.EDIT):
            return [self.prompt(flow, language, self._t(language, "join.error.use_buttons"))]
        result = self._validate(step, text)
        if isinstance(result, Invalid):
            return [self.prompt(flow, language, self._error(language, step, result.error))]
        assert isinstance(result, Valid)
        flow["answers"][FIELD_OF_STEP[step]] = result.value
        self._next(flow)
        return [self.prompt(flow, language)]

    def _choose_cluster(
        self, flow: dict[str, Any], cluster_id: str, language: Language
    ) -> list[Reply]:
        flow["answers"]["cluster"] = cluster_id
        self._next(flow) if flow.get("editing") else self._go(flow, Step.COMPANY_NAME)
        return [self.prompt(flow, language)]

    def _recommend(
        self, flow: dict[str, Any], text: str | None, language: Language
    ) -> list[Reply]:
        result = validate_free_text(text, max_length=ACTIVITY_MAX_LENGTH)
        if isinstance(result, Invalid):
            return [
                self.prompt(flow, language, self._error(language, Step.ACTIVITY, result.error))
            ]
        assert isinstance(result, Valid)
        if not flow["answers"].get("activity"):
            # The description doubles as the activity, but never replaces one already given.
            flow["answers"]["activity"] = result.value
        fits = self._matcher.recommend(result.value)[:RECOMMENDATIONS_SHOWN]
        self._go(flow, Step.CLUSTER)
        builder = ReplyBuilder()
        if not fits:
            builder.paragraph(self._t(language, "join.no_recommendation"))
            return [builder.build(), self.prompt(flow, language)]
        builder.paragraph(self._t(language, "join.recommended"))
        for fit in fits:
            cluster = self._kb.cluster(fit.cluster_id)
            builder.bold(cluster.name).text(" — " + cluster.tagline[language]).paragraph()
            builder.italic(
                self._t(language, "recommend.because", keywords=", ".join(fit.keywords[:3]))
            ).paragraph()
            builder.buttons(
                Button(self._t(language, "join.choose", name=cluster.name), f"jc:{cluster.id}")
            )
        builder.buttons(Button(self._t(language, "join.other_cluster"), "jc:!"))
        builder.buttons(Button(self._t(language, "join.cancel"), "jx"))
        return [builder.build()]

    async def on_action(
        self, flow: dict[str, Any], action: str, language: Language, user_id: int
    ) -> list[Reply]:
        """A button pressed inside the flow. Returns [] when the action does not fit the step."""
        flow["updated"] = self._clock().isoformat()
        step = self.step_of(flow)
        kind, _, value = action.partition(":")
        answers = flow["answers"]
        if kind == "jb" and not value:
            return self._back(flow, language)
        if kind == "jc" and step in (Step.CLUSTER, Step.DESCRIBE_ACTIVITY):
            if value == "?":
                self._go(flow, Step.DESCRIBE_ACTIVITY)
                return [self.prompt(flow, language)]
            if value == "!":
                self._go(flow, Step.CLUSTER)
                return [self.prompt(flow, language)]
            if self._kb.has_cluster(value):
                return self._choose_cluster(flow, value, language)
        if kind == "js" and not value and step in OPTIONAL_STEPS:
            answers[FIELD_OF_STEP[step]] = None
            self._next(flow)
            return [self.prompt(flow, language)]
        if kind == "jt" and step is Step.COMPANY_TYPE and value in {t.value for t in CompanyType}:
            answers["company_type"] = value
            self._next(flow)
            return [self.prompt(flow, language)]
        if kind == "jl" and step is Step.LOCATION and value in {p.value for p in Location}:
            answers["location"] = value
            replies = []
            if value == Location.ABROAD.value:
                # Foreign companies are welcome: show what the knowledge base says about it.
                eligibility = self._kb.intent("eligibility")
                replies.append(
                    ReplyBuilder()
                    .paragraph(self._t(language, "join.abroad"))
                    .paragraphs(eligibility.answer[language])
                    .build()
                )
            self._next(flow)
            return [*replies, self.prompt(flow, language)]
        if kind == "jy" and not value and step is Step.CONSENT:
            answers["consent_at"] = self._clock().isoformat()
            answers["consent_language"] = language
            self._next(flow)
            return [self.prompt(flow, language)]
        if kind == "jn" and not value and step is Step.CONSENT:
            # No consent, no storage: the answers are dropped here and now.
            flow["done"] = True
            return [self._with_menu(language, "join.no_consent")]
        if kind == "jed" and not value and step is Step.SUMMARY:
            self._go(flow, Step.EDIT)
            return [self.prompt(flow, language)]
        if kind == "je" and step is Step.EDIT and value in STEP_OF_FIELD:
            flow["editing"] = True
            self._go(flow, STEP_OF_FIELD[value])
            return [self.prompt(flow, language)]
        return []

    def _back(self, flow: dict[str, Any], language: Language) -> list[Reply]:
        history = list(flow.get("history", []))
        if flow.get("editing") or self.step_of(flow) is Step.EDIT:
            flow["editing"] = False
            flow["step"] = int(Step.SUMMARY)
        elif history:
            flow["step"] = history.pop()
            flow["history"] = history
        return [self.prompt(flow, language)]

    # -- confirmation -------------------------------------------------------------------------

    async def confirm(
        self, flow: dict[str, Any] | None, key: str, language: Language, user_id: int
    ) -> tuple[bool, list[Reply]]:
        """Store the lead. Returns (flow finished, replies).

        The Confirm button carries the flow's key, which is also the lead's submission key:
        a second press, a replay after a crash, or a press on an old summary finds the lead
        already stored instead of creating another.
        """
        if flow is None or flow.get("key") != key or self.step_of(flow) is not Step.SUMMARY:
            existing = await self.leads.get_by_submission_key(key) if key else None
            if existing is not None:
                return False, [
                    self._with_menu(language, "join.already", reference=existing.reference)
                ]
            return False, []
        answers = flow["answers"]
        try:
            new = self._new_lead(answers, user_id, language)
        except (KeyError, ValueError):
            # An answer is missing (an old or hand-edited state): go over the summary again.
            return False, [self.prompt(flow, language, self._t(language, "join.error.incomplete"))]
        try:
            result = await self.leads.submit(new, key)
        except sqlite3.Error:
            _LOGGER.exception("could not store a lead")
            return False, [self.prompt(flow, language, self._t(language, "try_later"))]
        if not result.created:
            return True, [
                self._with_menu(language, "join.already", reference=result.lead.reference)
            ]
        if self.on_lead_created is not None:
            try:
                await self.on_lead_created(result.lead)
            except Exception:  # the lead is stored; notifying staff is retried later
                _LOGGER.exception("could not schedule the staff notification")
        cluster = self._kb.cluster(result.lead.cluster_id)
        return True, [
            self._with_menu(
                language, "join.done", reference=result.lead.reference, name=cluster.name
            )
        ]

    def _new_lead(self, answers: dict[str, Any], user_id: int, language: Language) -> NewLead:
        consent_language: Language = "fr" if answers.get("consent_language") == "fr" else "en"
        return NewLead(
            user_id=user_id,
            cluster_id=str(answers["cluster"]),
            company_name=str(answers["company_name"]),
            enterprise_number=answers.get("enterprise_number"),
            activity=str(answers["activity"]),
            company_type=CompanyType(answers["company_type"]),
            location=Location(answers["location"]),
            contact_name=str(answers["contact_name"]),
            email=str(answers["email"]),
            phone=answers.get("phone"),
            language=language,
            consent=Consent(
                version=CONSENT_VERSION,
                text=self._t(consent_language, "join.consent_text"),
                given_at=datetime.fromisoformat(str(answers["consent_at"])),
            ),
        )
