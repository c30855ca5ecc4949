"""How lead rows read back: the columns every lead query selects, and their mapping to
`Lead` and `StatusChange`. Shared by the lead store and the privacy store (which exports a
user's leads), so a lead has one shape wherever it is read."""

from __future__ import annotations

import sqlite3

from bot.leads.model import CompanyType, Lead, LeadStatus, Location, StatusChange
from bot.storage.database import parse_timestamp

# Every query that returns a `Lead` selects these columns, so `lead_from_row` has one shape.
LEAD_SELECT = """
    SELECT leads.id, leads.reference, leads.status, leads.user_id, leads.cluster_id,
        leads.company_name, leads.enterprise_number, leads.activity, leads.company_type,
        leads.location, leads.contact_name, leads.email, leads.phone, leads.language,
        consents.version AS consent_version, consents.given_at AS consent_given_at,
        leads.created_at, leads.updated_at
    FROM leads JOIN consents ON consents.id = leads.consent_id
"""

HISTORY_SELECT = (
    "SELECT lead_id, old_status, new_status, changed_by, note, changed_at FROM lead_history"
)


def lead_from_row(row: sqlite3.Row) -> Lead:
    """A `Lead` from a row selected with `LEAD_SELECT`."""
    return Lead(
        id=int(row["id"]),
        reference=str(row["reference"]),
        status=LeadStatus(row["status"]),
        user_id=int(row["user_id"]),
        cluster_id=str(row["cluster_id"]),
        company_name=str(row["company_name"]),
        enterprise_number=row["enterprise_number"],
        activity=str(row["activity"]),
        company_type=CompanyType(row["company_type"]),
        location=Location(row["location"]),
        contact_name=str(row["contact_name"]),
        email=str(row["email"]),
        phone=row["phone"],
        language=str(row["language"]),
        consent_version=str(row["consent_version"]),
        consent_given_at=parse_timestamp(row["consent_given_at"]),
        created_at=parse_timestamp(row["created_at"]),
        updated_at=parse_timestamp(row["updated_at"]),
    )


def status_change_from_row(row: sqlite3.Row) -> StatusChange:
    """A `StatusChange` from a row selected with `HISTORY_SELECT`."""
    return StatusChange(
        lead_id=int(row["lead_id"]),
        old_status=None if row["old_status"] is None else LeadStatus(row["old_status"]),
        new_status=None if row["new_status"] is None else LeadStatus(row["new_status"]),
        changed_by=None if row["changed_by"] is None else int(row["changed_by"]),
        note=row["note"],
        changed_at=parse_timestamp(row["changed_at"]),
    )
