"""New leads reach the staff chat once each, even when two notification passes overlap; a
backlog goes out in batches, and a pass never waits long on Telegram's group limit."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.messages.catalogue import Catalogue
from bot.messages.reply import Reply
from bot.staff.notifications import ANNOUNCEMENTS_PER_PASS, StaffNotifier
from bot.storage.database import Database
from bot.storage.lead_store import LeadStore
from handlers import jobs
from knowledge.model import KnowledgeBase
from tests.helpers import new_lead


async def test_overlapping_passes_announce_each_lead_once(
    tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    database = await Database.open(tmp_path / "n.sqlite3")
    try:
        leads = LeadStore(database)
        for number in range(3):
            await leads.submit(new_lead(company_name=f"Company {number}"), f"key-{number}")
        notifier = StaffNotifier(leads, knowledge, Catalogue.load(), "fr")
        sent: list[str] = []

        async def slow_send(reply: Reply) -> None:
            await asyncio.sleep(0.05)  # the Bot API takes a while; the other pass runs meanwhile
            sent.append(reply.plain_text().splitlines()[0])

        await asyncio.gather(
            notifier.notify_pending(slow_send), notifier.notify_pending(slow_send)
        )
        assert len(sent) == 3
        assert len(set(sent)) == 3
        assert await leads.unnotified() == []
    finally:
        await database.close()


async def test_a_failed_announcement_is_retried_later(
    tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    database = await Database.open(tmp_path / "n.sqlite3")
    try:
        leads = LeadStore(database)
        await leads.submit(new_lead(), "key")
        notifier = StaffNotifier(leads, knowledge, Catalogue.load(), "fr")

        async def failing(_reply: Reply) -> None:
            raise ConnectionError("staff chat unreachable")

        assert await notifier.notify_pending(failing) == 0
        assert len(await leads.unnotified()) == 1

        sent: list[Reply] = []

        async def working(reply: Reply) -> None:
            sent.append(reply)

        assert await notifier.notify_pending(working) == 1
        assert "W-000001" in sent[0].plain_text()
        assert await leads.unnotified() == []
    finally:
        await database.close()


async def test_a_backlog_goes_out_a_batch_per_pass(
    tmp_path: Path, knowledge: KnowledgeBase
) -> None:
    # A pass over a long backlog to a group (20 messages a minute) kept shutdown waiting.
    database = await Database.open(tmp_path / "n.sqlite3")
    try:
        leads = LeadStore(database)
        backlog = ANNOUNCEMENTS_PER_PASS + 3
        for number in range(backlog):
            await leads.submit(new_lead(company_name=f"Company {number}"), f"key-{number}")
        notifier = StaffNotifier(leads, knowledge, Catalogue.load(), "fr")
        sent: list[Reply] = []

        async def working(reply: Reply) -> None:
            sent.append(reply)

        assert await notifier.notify_pending(working) == ANNOUNCEMENTS_PER_PASS
        assert len(await leads.unnotified()) == 3
        assert await notifier.notify_pending(working) == 3
        assert "W-000001" in sent[0].plain_text()  # oldest first
        assert await leads.unnotified() == []
    finally:
        await database.close()


async def test_a_pass_stuck_waiting_to_send_gives_up_and_keeps_the_lead(
    tmp_path: Path, knowledge: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A send waiting for a slot in the staff group's window must not hold up shutdown.
    monkeypatch.setattr(jobs, "ANNOUNCEMENT_WAIT_S", 0.05)
    database = await Database.open(tmp_path / "n.sqlite3")
    try:
        leads = LeadStore(database)
        await leads.submit(new_lead(), "key")
        notifier = StaffNotifier(leads, knowledge, Catalogue.load(), "fr")

        async def waits_for_a_slot(*_args: object, **_kwargs: object) -> None:
            await asyncio.sleep(60)

        context = SimpleNamespace(
            services=SimpleNamespace(
                settings=SimpleNamespace(staff_chat_id=-100), notifier=notifier
            ),
            bot=SimpleNamespace(send_message=waits_for_a_slot),
        )
        await asyncio.wait_for(jobs.notify_staff(context), timeout=5)  # type: ignore[arg-type]
        assert len(await leads.unnotified()) == 1  # announced by a later pass
    finally:
        await database.close()
