"""What a user's button carries, as typed actions with one parser.

Telegram gives back a button's `callback_data` verbatim, and anybody can forge one, so every
press goes through `parse_action`: what it cannot read is None (a stale or forged button), and
what it reads is a small typed value the dialogue matches on. Values are checked against the
knowledge base by the dialogue, which knows it; here only the shape is checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.model import LANGUAGES, Language


@dataclass(frozen=True, slots=True)
class ShowMenu:
    data = "m"


@dataclass(frozen=True, slots=True)
class ShowClusterList:
    data = "cl"


@dataclass(frozen=True, slots=True)
class ShowCluster:
    cluster: str


@dataclass(frozen=True, slots=True)
class AskRecommendation:
    data = "r"


@dataclass(frozen=True, slots=True)
class ShowIntent:
    intent: str
    cluster: str | None = None


@dataclass(frozen=True, slots=True)
class ShowMore:
    """The details behind a short answer (`mo:intent[:cluster]`) or card (`mc:cluster`)."""

    intent: str
    cluster: str | None = None


@dataclass(frozen=True, slots=True)
class StartJoin:
    cluster: str | None = None


@dataclass(frozen=True, slots=True)
class ChooseLanguage:
    language: Language | None = None  # None: show the choice


@dataclass(frozen=True, slots=True)
class Forget:
    confirmed: bool


@dataclass(frozen=True, slots=True)
class RequestStatus:
    reference: str


@dataclass(frozen=True, slots=True)
class CorrectRequest:
    reference: str


@dataclass(frozen=True, slots=True)
class JoinAction:
    """A button of the join flow: its kind (`jc`, `jt`, `jok`…) and value, if any."""

    kind: str
    value: str = ""


UserAction = (
    ShowMenu
    | ShowClusterList
    | ShowCluster
    | AskRecommendation
    | ShowIntent
    | ShowMore
    | StartJoin
    | ChooseLanguage
    | Forget
    | RequestStatus
    | CorrectRequest
    | JoinAction
)

# Join flow buttons: kind -> whether it carries a value.
JOIN_KINDS = {
    "jc": True,  # choose a cluster (or "?" not sure, "!" another one)
    "jb": False,  # back
    "js": False,  # skip an optional step
    "jt": True,  # company type
    "jl": True,  # location
    "jy": False,  # consent given
    "jn": False,  # consent refused
    "jed": False,  # change an answer
    "je": True,  # the answer to change
    "jok": True,  # confirm, with the request's key
    "jx": False,  # cancel
    "jr": False,  # resume: ask the current step again
}


def parse_action(data: str) -> UserAction | None:
    """The action a button carries, or None when it is not one of ours."""
    kind, _, rest = data.partition(":")
    first, _, second = rest.partition(":")
    if kind in JOIN_KINDS:
        carries_value = JOIN_KINDS[kind]
        if carries_value == bool(rest) and ":" not in rest:
            return JoinAction(kind, rest)
        return None
    if ":" in second:
        return None
    simple: dict[str, UserAction] = {
        "m": ShowMenu(),
        "cl": ShowClusterList(),
        "r": AskRecommendation(),
        "fy": Forget(confirmed=True),
        "fn": Forget(confirmed=False),
        "j": StartJoin(),
        "l": ChooseLanguage(),
    }
    if not rest:
        return simple.get(kind)
    if kind == "c" and not second:
        return ShowCluster(first)
    if kind == "mc" and not second:
        return ShowMore("cluster_info", first)
    if kind == "i":
        return ShowIntent(first, second or None)
    if kind == "mo":
        return ShowMore(first, second or None)
    if kind == "j" and not second:
        return StartJoin(first)
    if kind == "l" and not second and first in LANGUAGES:
        return ChooseLanguage("fr" if first == "fr" else "en")
    if kind == "rs" and not second:
        return RequestStatus(first)
    if kind == "rc" and not second:
        return CorrectRequest(first)
    return None


def encode(action: UserAction) -> str:
    """The `callback_data` that `parse_action` reads back as `action`."""
    match action:
        case ShowMenu() | ShowClusterList() | AskRecommendation():
            return action.data
        case ShowCluster(cluster):
            return f"c:{cluster}"
        case ShowIntent(intent, cluster):
            return f"i:{intent}:{cluster}" if cluster else f"i:{intent}"
        case ShowMore("cluster_info", cluster) if cluster:
            return f"mc:{cluster}"
        case ShowMore(intent, cluster):
            return f"mo:{intent}:{cluster}" if cluster else f"mo:{intent}"
        case StartJoin(cluster):
            return f"j:{cluster}" if cluster else "j"
        case ChooseLanguage(language):
            return f"l:{language}" if language else "l"
        case Forget(confirmed):
            return "fy" if confirmed else "fn"
        case RequestStatus(reference):
            return f"rs:{reference}"
        case CorrectRequest(reference):
            return f"rc:{reference}"
        case JoinAction(kind, value):
            return f"{kind}:{value}" if value else kind
