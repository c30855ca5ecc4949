"""Test data shared by the storage and flow tests: a hand-moved clock and a valid join request."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.leads.model import CompanyType, Consent, Location, NewLead

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


class FakeClock:
    """A clock the tests move by hand, for the stores and flows that take a `clock`."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def new_lead(**changes: Any) -> NewLead:
    """A valid join request; keyword arguments replace fields."""
    lead = NewLead(
        user_id=1001,
        cluster_id="greenwin",
        company_name="Acme Solar",
        enterprise_number="0123.456.789",
        activity="Solar panels",
        company_type=CompanyType.SME,
        location=Location.WALLONIA,
        contact_name="Jeanne Dupont",
        email="jeanne@example.com",
        phone="+32471123456",
        language="fr",
        consent=Consent(version="2026-01", text="I agree.", given_at=START),
    )
    return dataclasses.replace(lead, **changes)
