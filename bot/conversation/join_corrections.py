"""Changes to a join request in words, at any step: another cluster ("non pas twist, cap
2020"), an earlier answer with or without its new value ("wrong name, it's GreenSeats SRL",
"je veux changer le nom de la boite"), and why an answer is asked."""

from __future__ import annotations

from bot.conversation.join_flow import VALIDATORS, JoinFlow
from bot.conversation.join_prompts import FIELD_OF_STEP, STEP_OF_FIELD
from bot.conversation.request_cues import field_named
from bot.conversation.state import JoinRequest, Step
from bot.leads.validation import Valid
from bot.messages.reply import Reply, ReplyBuilder
from knowledge.model import KnowledgeBase, Language

Replies = list[Reply]


class JoinCorrections:
    """What the dialogue does with a correction or a "why" inside the join form."""

    def __init__(self, knowledge: KnowledgeBase, flow: JoinFlow) -> None:
        """`flow` keeps the request's rules; this class only decides what a change means."""
        self._kb = knowledge
        self._flow = flow

    def change_cluster(self, request: JoinRequest, cluster_id: str, language: Language) -> Replies:
        """A change of cluster at any step ("non pas twist, cap 2020"), or the same one kept
        ("ok on reste sur twist"); the step stays."""
        self._flow.touch(request)
        kept = cluster_id == request.answers.cluster
        key = "join.kept_cluster" if kept else "join.changed_cluster"
        request.answers.cluster = cluster_id
        name = self._kb.cluster(cluster_id).name
        notice = ReplyBuilder().paragraph(self._flow.prompts.t(language, key, name=name))
        return [notice.build(), self._flow.prompt(request, language)]

    def correct(
        self, request: JoinRequest, field: str, value: str | None, language: Language
    ) -> Replies:
        """A correction that gives the new value ("wrong name, it's GreenSeats SRL"): kept
        when valid, and the current step asked again; else that answer is asked again."""
        step = STEP_OF_FIELD[field]
        validator = VALIDATORS.get(step)
        result = validator(value) if validator is not None and value else None
        if not isinstance(result, Valid) or step is request.step:
            return self.change_answer(request, field, language)
        self._flow.touch(request)
        request.answers.set(field, result.value)
        label = self._flow.prompts.t(language, f"join.field.{field}")
        notice = self._flow.prompts.t(language, "join.corrected", field=label, value=result.value)
        return [ReplyBuilder().paragraph(notice).build(), self._flow.prompt(request, language)]

    def change_answer(self, request: JoinRequest, field: str, language: Language) -> Replies:
        """Change an earlier answer mid-form ("changer le nom de la boite"), then come back."""
        step = STEP_OF_FIELD[field]
        if step is request.step:
            return [self._flow.prompt(request, language)]
        self._flow.touch(request)
        if request.step not in (Step.SUMMARY, Step.EDIT, Step.CONSENT):
            request.return_to = request.step
        request.editing = True
        request.go(step)
        return [self._flow.prompt(request, language)]

    def activity_hint(self, request: JoinRequest, language: Language) -> Replies:
        """ "C'est compliqué à expliquer": a few words will do, with examples; the step again."""
        notice = ReplyBuilder().paragraph(self._flow.prompts.t(language, "join.hint.activity"))
        return [notice.build(), self._flow.prompt(request, language)]

    def why_asked(self, request: JoinRequest, language: Language, text: str = "") -> Replies:
        """Why an answer is asked ("why do you need my phone?"), then the step again."""
        field = field_named(text) or FIELD_OF_STEP.get(request.step, "other")
        notice = ReplyBuilder().paragraph(self._flow.prompts.t(language, f"join.why.{field}"))
        return [notice.build(), self._flow.prompt(request, language)]
