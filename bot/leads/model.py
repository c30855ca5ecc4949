"""What a lead is: the company details a join request carries, and the follow-up workflow.

Pure data, no storage and no Telegram: the join flow builds a `NewLead`, `LeadStore` persists it
and hands back `Lead` rows, staff tools move it through `LeadStatus`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class LeadStatus(StrEnum):
    """Follow-up workflow: new → contacted → qualified → member, or rejected at any point."""

    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    MEMBER = "member"
    REJECTED = "rejected"


class CompanyType(StrEnum):
    MICRO = "micro"
    SME = "sme"
    LARGE = "large"
    RESEARCH_CENTRE = "research_centre"
    TRAINING_CENTRE = "training_centre"
    OTHER = "other"


class Location(StrEnum):
    WALLONIA = "wallonia"
    BELGIUM_ELSEWHERE = "belgium"
    ABROAD = "abroad"


@dataclass(frozen=True, slots=True)
class Consent:
    """The consent a user gave before a lead is stored: which text, which version, when."""

    version: str
    text: str
    given_at: datetime


@dataclass(frozen=True, slots=True)
class NewLead:
    """A join request as the user confirmed it, before it is stored."""

    user_id: int
    cluster_id: str
    company_name: str
    enterprise_number: str | None  # normalised "0123.456.789", or None when skipped
    activity: str
    company_type: CompanyType
    location: Location
    contact_name: str
    email: str
    phone: str | None  # E.164 ("+32471123456"), or None when skipped
    language: str  # "fr" | "en"
    consent: Consent


@dataclass(frozen=True, slots=True)
class Lead:
    """A stored lead, as staff see it."""

    id: int
    reference: str  # "W-000123"
    status: LeadStatus
    user_id: int
    cluster_id: str
    company_name: str
    enterprise_number: str | None
    activity: str
    company_type: CompanyType
    location: Location
    contact_name: str
    email: str
    phone: str | None
    language: str
    consent_version: str
    consent_given_at: datetime
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One line of a lead's history: a status change or a note, by whom and when."""

    lead_id: int
    old_status: LeadStatus | None
    new_status: LeadStatus | None  # None for a note without a status change
    changed_by: int | None  # staff Telegram user ID; None for the system (creation)
    note: str | None
    changed_at: datetime


def lead_reference(lead_id: int) -> str:
    """The reference a user and staff quote: `W-000123`."""
    return f"W-{lead_id:06d}"
