"""What the join flow shows at each step: one function per step, in a table.

Kept apart from the flow's rules (`join_flow.py`) so that each reads on its own: the rules say
where the request goes next, this module says how each step looks.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation.actions import JoinAction, encode
from bot.conversation.state import JoinRequest, Step
from bot.leads.model import CompanyType, Location
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Button, Reply, ReplyBuilder
from knowledge.model import KnowledgeBase, Language

# Bump when the consent text changes: each lead stores the version its contact agreed to.
CONSENT_VERSION = "2026-12-01"

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
# After this many wrong answers in a row, the prompt offers a way out.
MISSES_BEFORE_WAY_OUT = 3


def _button(label: str, kind: str, value: str = "") -> Button:
    return Button(label, encode(JoinAction(kind, value)))


class JoinPrompts:
    """Builds the question of each step, the summary and the small notices of the flow."""

    def __init__(
        self, knowledge: KnowledgeBase, catalogue: Catalogue, *, retention_days: int
    ) -> None:
        self._kb = knowledge
        self._catalogue = catalogue
        self._retention_days = retention_days
        self._by_step: dict[Step, Callable[[ReplyBuilder, JoinRequest, Language], None]] = {
            Step.CLUSTER: self._cluster,
            Step.DESCRIBE_ACTIVITY: self._describe,
            Step.COMPANY_TYPE: self._company_type,
            Step.LOCATION: self._location,
            Step.CONSENT: self._consent,
            Step.SUMMARY: self._summary,
            Step.EDIT: self._edit,
        }

    def t(self, language: Language, key: str, **values: object) -> str:
        return self._catalogue.text(language, key, **values)

    def prompt(self, request: JoinRequest, language: Language, error: str | None = None) -> Reply:
        """The question of the current step (with `error` above it after a wrong answer)."""
        builder = ReplyBuilder()
        if error:
            builder.bold(error).paragraph()
        self._by_step.get(request.step, self._free_text)(builder, request, language)
        if request.step not in (Step.SUMMARY, Step.EDIT):
            self._controls(builder, request, language)
        return builder.build()

    def _controls(self, builder: ReplyBuilder, request: JoinRequest, language: Language) -> None:
        if request.misses >= MISSES_BEFORE_WAY_OUT:
            # Dialogflow's re-prompt rule: after a few misses, offer a way out.
            builder.paragraph(self.t(language, "join.way_out"))
            builder.buttons(Button(self.t(language, "menu.contact"), "i:contact_human"))
        row = []
        if request.history or request.editing:
            row.append(_button(self.t(language, "join.back"), "jb"))
        row.append(_button(self.t(language, "join.cancel"), "jx"))
        builder.buttons(*row)

    def _cluster(self, builder: ReplyBuilder, _request: JoinRequest, language: Language) -> None:
        builder.paragraph(self.t(language, "join.ask.cluster"))
        clusters = list(self._kb.clusters)
        for index in range(0, len(clusters), 2):
            builder.buttons(*(_button(c.name, "jc", c.id) for c in clusters[index : index + 2]))
        builder.buttons(_button(self.t(language, "join.not_sure"), "jc", "?"))

    def _describe(self, builder: ReplyBuilder, _request: JoinRequest, language: Language) -> None:
        builder.paragraph(self.t(language, "join.ask.describe"))

    def _free_text(self, builder: ReplyBuilder, request: JoinRequest, language: Language) -> None:
        cluster_id = request.answers.cluster
        if request.step is Step.COMPANY_NAME and cluster_id and not request.editing:
            name = self._kb.cluster(cluster_id).name if self._kb.has_cluster(cluster_id) else "?"
            builder.paragraph(self.t(language, "join.chosen", name=name))
        builder.paragraph(self.t(language, f"join.ask.{FIELD_OF_STEP[request.step]}"))
        if request.step in OPTIONAL_STEPS:
            builder.buttons(_button(self.t(language, "join.skip"), "js"))

    def _company_type(
        self, builder: ReplyBuilder, _request: JoinRequest, language: Language
    ) -> None:
        builder.paragraph(self.t(language, "join.ask.company_type"))
        builder.button_column(
            [_button(self.t(language, f"join.type.{t.value}"), "jt", t.value) for t in CompanyType]
        )

    def _location(self, builder: ReplyBuilder, _request: JoinRequest, language: Language) -> None:
        builder.paragraph(self.t(language, "join.ask.location"))
        builder.button_column(
            [
                _button(self.t(language, f"join.location.{p.value}"), "jl", p.value)
                for p in Location
            ]
        )

    def _consent(self, builder: ReplyBuilder, request: JoinRequest, language: Language) -> None:
        if request.declined:
            builder.paragraph(self.t(language, "join.declined"))
            builder.buttons(_button(self.t(language, "join.agree_now"), "jy"))
            builder.buttons(_button(self.t(language, "join.review"), "jed"))
            return
        builder.paragraph(self.t(language, "join.ask.consent"))
        builder.italic(self.consent_text(language)).paragraph()
        builder.paragraph(self.t(language, "join.consent_version", version=CONSENT_VERSION))
        builder.buttons(
            _button(self.t(language, "join.agree"), "jy"),
            _button(self.t(language, "join.disagree"), "jn"),
        )

    def consent_text(self, language: Language) -> str:
        """The words the user agrees to, with the retention period actually configured."""
        return self.t(language, "join.consent_text", days=self._retention_days)

    def display(self, request: JoinRequest, field: str, language: Language) -> str:
        """An answer as the summary shows it."""
        value = request.answers.get(field)
        if not value:
            return self.t(language, "join.not_given")
        if field == "cluster":
            return self._kb.cluster(value).name if self._kb.has_cluster(value) else "?"
        if field == "company_type":
            return self.t(language, f"join.type.{value}")
        if field == "location":
            return self.t(language, f"join.location.{value}")
        return value

    def _summary(self, builder: ReplyBuilder, request: JoinRequest, language: Language) -> None:
        builder.paragraph(self.t(language, "join.ask.summary"))
        for field in FIELD_OF_STEP.values():
            label = self.t(language, "join.label", field=self.t(language, f"join.field.{field}"))
            builder.bold(label + " ").text(self.display(request, field, language)).line()
        builder.buttons(_button(self.t(language, "join.confirm"), "jok", request.key))
        builder.buttons(
            _button(self.t(language, "join.edit"), "jed"),
            _button(self.t(language, "join.cancel"), "jx"),
        )

    def _edit(self, builder: ReplyBuilder, _request: JoinRequest, language: Language) -> None:
        builder.paragraph(self.t(language, "join.ask.edit"))
        builder.button_column(
            [
                _button(self.t(language, f"join.field.{field}"), "je", field)
                for field in FIELD_OF_STEP.values()
            ]
        )
        builder.buttons(_button(self.t(language, "join.back"), "jb"))

    def with_menu(self, language: Language, key: str, **values: object) -> Reply:
        """A closing notice with the way back in and the main menu."""
        builder = ReplyBuilder().paragraph(self.t(language, key, **values))
        builder.buttons(
            Button(self.t(language, "menu.join"), "j"),
            Button(self.t(language, "menu.main"), "m"),
        )
        return builder.build()
