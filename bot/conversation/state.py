"""What the assistant remembers of one user between messages, as typed data.

The state is stored as JSON (`bot/storage/conversation_store.py`), so every class here reads
itself back from a dict and ignores what is malformed: an old version's row, or a hand-edited
one, must never crash a conversation.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import IntEnum
from typing import Any

from knowledge.model import LANGUAGES, Language

# A follow-up ("and how many members?") refers to the subject of the last few turns only.
SUBJECT_TURNS = 4


class Step(IntEnum):
    """The join request's steps, in the order they are asked (diagram: join_flow.mmd)."""

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


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _language(value: Any) -> Language | None:
    return value if value in LANGUAGES else None


def _step(value: Any, default: Step | None) -> Step | None:
    try:
        return Step(int(value))
    except (TypeError, ValueError):
        return default


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


@dataclass(slots=True)
class JoinAnswers:
    """The answers given so far; None means not given (or skipped, for optional steps)."""

    cluster: str | None = None
    company_name: str | None = None
    enterprise_number: str | None = None
    activity: str | None = None
    company_type: str | None = None
    location: str | None = None
    contact_name: str | None = None
    email: str | None = None
    phone: str | None = None
    consent_at: str | None = None
    consent_language: Language | None = None

    def get(self, name: str) -> str | None:
        value: str | None = getattr(self, name)
        return value

    def set(self, name: str, value: str | None) -> None:
        if name not in _ANSWER_FIELDS:
            raise KeyError(name)
        setattr(self, name, value)

    def to_dict(self) -> dict[str, str]:
        return {name: value for name in _ANSWER_FIELDS if (value := getattr(self, name))}

    @classmethod
    def from_dict(cls, data: Any) -> JoinAnswers:
        if not isinstance(data, dict):
            return cls()
        answers = cls()
        for name in _ANSWER_FIELDS:
            if name != "consent_language":
                answers.set(name, _text(data.get(name)))
        answers.consent_language = _language(data.get("consent_language"))
        return answers


_ANSWER_FIELDS = tuple(f.name for f in fields(JoinAnswers))


@dataclass(slots=True)
class JoinRequest:
    """A join request in progress: where the user is, what they answered, since when."""

    updated: datetime
    step: Step = Step.CLUSTER
    answers: JoinAnswers = field(default_factory=JoinAnswers)
    history: list[Step] = field(default_factory=list)  # steps to go Back to, newest last
    editing: bool = False  # changing one answer from the summary
    # Identifies this request's Confirm: a second press finds the stored lead.
    key: str = field(default_factory=lambda: secrets.token_hex(8))
    declined: bool = False  # consent refused: answers kept a little while to review or cancel
    misses: int = 0  # wrong answers in a row at this step, to offer a way out
    # Where to go back to after changing an earlier answer mid-form (None: the summary).
    return_to: Step | None = None

    def go(self, step: Step) -> None:
        """Move to `step`, remembering where we were for Back."""
        if self.step != step:
            self.history = [*self.history, self.step][-20:]
            self.misses = 0
        self.step = step

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": int(self.step),
            "answers": self.answers.to_dict(),
            "history": [int(s) for s in self.history],
            "editing": self.editing,
            "key": self.key,
            "updated": self.updated.isoformat(),
            "declined": self.declined,
            "misses": self.misses,
            "return_to": int(self.return_to) if self.return_to else None,
        }

    @classmethod
    def from_dict(cls, data: Any) -> JoinRequest | None:
        """A stored request, or None when it cannot be one (it is then simply dropped)."""
        if not isinstance(data, dict) or data.get("done"):
            return None
        updated = _moment(data.get("updated"))
        key = _text(data.get("key"))
        step = _step(data.get("step"), None)
        if updated is None or not key or step is None:
            return None
        history = data.get("history")
        misses = data.get("misses")
        return cls(
            updated=updated,
            step=step,
            answers=JoinAnswers.from_dict(data.get("answers")),
            history=[s for v in history if (s := _step(v, None))]
            if isinstance(history, list)
            else [],
            editing=data.get("editing") is True,
            key=key,
            declined=data.get("declined") is True,
            misses=misses if isinstance(misses, int) and misses >= 0 else 0,
            return_to=_step(data.get("return_to"), None),
        )


@dataclass(slots=True)
class Subject:
    """What the last turns were about, so that a follow-up can leave it out."""

    cluster: str | None = None
    pole: str | None = None
    intent: str | None = None
    # The one attribute last answered ("website" for "et leur site ?"), so that "and for CAP
    # 2020?" asks for the same attribute, not for the whole contact card.
    attribute: str | None = None
    age: int = 0  # turns since it was last named

    def discuss(self, intent: str | None, attribute: str | None = None) -> None:
        """The topic of the last answer, and the one attribute it gave if it gave one."""
        self.intent, self.attribute = intent, attribute

    def to_dict(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "pole": self.pole,
            "intent": self.intent,
            "attribute": self.attribute,
            "age": self.age,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Subject:
        if not isinstance(data, dict):
            return cls()
        age = data.get("age")
        return cls(
            cluster=_text(data.get("cluster")),
            pole=_text(data.get("pole")),
            intent=_text(data.get("intent")),
            attribute=_text(data.get("attribute")),
            age=age if isinstance(age, int) and age >= 0 else SUBJECT_TURNS,
        )


@dataclass(slots=True)
class ConversationState:
    """What the assistant remembers of one user between messages."""

    language: Language | None = None  # chosen with /language; None until then
    language_loaded: bool = False  # whether the stored choice has been read yet
    last_language: Language | None = None  # the language the user has been writing in
    subject: Subject = field(default_factory=Subject)
    recommended: tuple[str, ...] = ()  # the clusters of the last recommendation, best first
    activity: str | None = None  # the activity described for that recommendation
    awaiting_activity: bool = False  # after "Which cluster for me?"
    correcting: str | None = None  # a lead reference whose correction the user is writing
    join: JoinRequest | None = None

    @property
    def last_cluster(self) -> str | None:
        """The cluster of the last turns, if they were about one."""
        return self.subject.cluster if self.subject.age < SUBJECT_TURNS else None

    def about(self, *, cluster: str | None = None, pole: str | None = None) -> None:
        """The conversation is now about this cluster (or pôle)."""
        if cluster or pole:
            self.subject.cluster = cluster
            self.subject.pole = pole
            self.subject.age = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "language_loaded": self.language_loaded,
            "last_language": self.last_language,
            "subject": self.subject.to_dict(),
            "recommended": list(self.recommended),
            "activity": self.activity,
            "awaiting_activity": self.awaiting_activity,
            "correcting": self.correcting,
            "join": self.join.to_dict() if self.join else None,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ConversationState:
        """Rebuild a state, ignoring anything malformed (old versions, hand-edited rows)."""
        if not isinstance(data, dict):
            return cls()
        subject = Subject.from_dict(data.get("subject"))
        if "subject" not in data and isinstance(data.get("last_cluster"), str):
            subject = Subject(cluster=data["last_cluster"])  # rows written before subjects
        recommended = data.get("recommended")
        return cls(
            language=_language(data.get("language")),
            language_loaded=data.get("language_loaded") is True,
            last_language=_language(data.get("last_language")),
            subject=subject,
            recommended=tuple(c for c in recommended if isinstance(c, str))
            if isinstance(recommended, list)
            else (),
            activity=_text(data.get("activity")),
            awaiting_activity=data.get("awaiting_activity") is True,
            correcting=_text(data.get("correcting")),
            join=JoinRequest.from_dict(data.get("join")),
        )
