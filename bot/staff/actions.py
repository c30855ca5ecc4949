"""What a staff button carries: its callback data, parsed into a typed action, and back.

Button actions are short (`MAX_CALLBACK_BYTES`) and carry ids only, never personal data:

* `sl:<lead>` open a lead; `ss:<lead>:<status>` set its status; `sn:<lead>` add a note;
* `sp:<page>:<status|->:<cluster|->` a page of the list, with its filters;
* `sa:<question>` pick an intent; `su:<question>:<intent>` teach it; `sd:<question>` dismiss.

Anything else, or any of these with a malformed or unknown part, parses to None: the data
comes from the client and may be forged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.leads.model import LeadStatus
from knowledge.model import KnowledgeBase

# Statuses staff can move a lead to ("new" is where every lead starts).
TARGET_STATUSES = (
    LeadStatus.CONTACTED,
    LeadStatus.QUALIFIED,
    LeadStatus.MEMBER,
    LeadStatus.REJECTED,
)
NO_FILTER = "-"
ACTION_PREFIXES = frozenset({"sl", "ss", "sn", "sp", "sa", "su", "sd"})


@dataclass(frozen=True, slots=True)
class LeadFilter:
    """Which leads a list or an export shows; None means any."""

    status: LeadStatus | None = None
    cluster_id: str | None = None
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class OpenLead:
    lead_id: int


@dataclass(frozen=True, slots=True)
class SetStatus:
    lead_id: int
    status: LeadStatus


@dataclass(frozen=True, slots=True)
class AskNote:
    lead_id: int


@dataclass(frozen=True, slots=True)
class ShowPage:
    page: int
    filter: LeadFilter


@dataclass(frozen=True, slots=True)
class PickIntent:
    question_id: int


@dataclass(frozen=True, slots=True)
class AssignQuestion:
    question_id: int
    intent_id: str


@dataclass(frozen=True, slots=True)
class DismissQuestion:
    question_id: int


StaffAction = (
    OpenLead | SetStatus | AskNote | ShowPage | PickIntent | AssignQuestion | DismissQuestion
)


def is_staff_action(data: str) -> bool:
    """Whether a button's data belongs to the staff workspace (valid or not)."""
    return data.partition(":")[0] in ACTION_PREFIXES


def _positive(text: str) -> int | None:
    # ASCII digits only, bounded: forged data must not reach SQLite as a 10 000-digit number.
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        return None
    value = int(text)
    return value if value > 0 else None


def parse_action(data: str, knowledge: KnowledgeBase) -> StaffAction | None:
    """The staff action a button carries, or None for anything malformed or unknown."""
    kind, *parts = data.split(":")
    first = _positive(parts[0]) if parts else None
    if kind == "sp" and len(parts) == 3:
        page = int(parts[0]) if parts[0].isascii() and parts[0].isdigit() else None
        status = None if parts[1] == NO_FILTER else parse_status(parts[1])
        cluster = None if parts[2] == NO_FILTER else parts[2]
        if page is None or page > 10**6 or (parts[1] != NO_FILTER and status is None):
            return None
        if cluster is not None and not knowledge.has_cluster(cluster):
            return None
        return ShowPage(page, LeadFilter(status, cluster))
    if first is None:
        return None
    if len(parts) == 1:
        single: dict[str, StaffAction] = {
            "sl": OpenLead(first),
            "sn": AskNote(first),
            "sa": PickIntent(first),
            "sd": DismissQuestion(first),
        }
        return single.get(kind)
    if len(parts) == 2 and kind == "ss":
        status = parse_status(parts[1])
        return SetStatus(first, status) if status in TARGET_STATUSES else None
    if len(parts) == 2 and kind == "su" and knowledge.has_intent(parts[1]):
        return AssignQuestion(first, parts[1])
    return None


def parse_status(text: str) -> LeadStatus | None:
    """The lead status named exactly by `text` ("contacted"), or None."""
    try:
        return LeadStatus(text)
    except ValueError:
        return None


def page_action(page: int, lead_filter: LeadFilter) -> str:
    """The data of a button showing `page` of the list with `lead_filter`."""
    status = lead_filter.status.value if lead_filter.status else NO_FILTER
    return f"sp:{page}:{status}:{lead_filter.cluster_id or NO_FILTER}"
