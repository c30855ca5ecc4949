"""Background jobs: staff notifications, idle join flows, and the retention purge."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import TelegramError

from bot.messages.reply import Reply
from handlers.context import AssistantContext
from handlers.sending import send_replies

_LOGGER = logging.getLogger(__name__)
# An announcement waiting longer than this for a slot in the staff group's 20 messages a minute
# ends the pass: the next minutely pass goes on. Stopping the bot waits for a running pass, and
# a pass waiting on a full window kept it waiting for most of a minute.
ANNOUNCEMENT_WAIT_S = 5.0


async def notify_staff(context: AssistantContext) -> None:
    """Post the leads not yet announced to STAFF_CHAT_ID (a batch a run); failures are retried
    next run."""
    services = context.services
    chat_id = services.settings.staff_chat_id
    if chat_id is None:
        return

    async def send(reply: Reply) -> None:
        # A timeout counts as a failure: the lead stays unannounced and is sent next pass
        # (announcements are at least once, so one cut off mid-request may come twice).
        await asyncio.wait_for(
            send_replies(context.bot, chat_id, [reply]), timeout=ANNOUNCEMENT_WAIT_S
        )

    await services.notifier.notify_pending(send)


async def notify_correction(context: AssistantContext) -> None:
    """Post an applicant's correction to STAFF_CHAT_ID (it is in the lead's history anyway)."""
    services = context.services
    chat_id = services.settings.staff_chat_id
    job = context.job
    if chat_id is None or job is None or not isinstance(job.data, tuple):
        return
    lead, text = job.data
    try:
        await send_replies(context.bot, chat_id, [services.notifier.correction(lead, text)])
    except TelegramError:
        _LOGGER.warning("could not tell staff of a correction; it is in the lead's history")


async def expire_idle_join_flows(context: AssistantContext) -> None:
    """End join flows left alone for 30 minutes, telling their users the answers are gone."""
    for user_id, notice in await context.services.expire_idle_join_flows():
        try:
            await send_replies(context.bot, user_id, [notice])
        except TelegramError:
            _LOGGER.info("could not tell a user of an expired join flow (blocked the bot?)")


async def purge_old_leads(context: AssistantContext) -> None:
    """Erase leads, unanswered questions and closed conversations with the team older than
    LEAD_RETENTION_DAYS (a daily job)."""
    services = context.services
    days = services.settings.lead_retention_days
    leads = await services.leads.purge_older_than(days)
    questions = await services.unanswered.purge_older_than(days)
    handoffs = await services.handoff.purge_older_than(days)
    if leads or questions or handoffs:
        _LOGGER.info(
            "retention: erased %d leads, %d questions and %d conversations with the team"
            " older than %d days",
            leads,
            questions,
            handoffs,
            days,
        )


def schedule_jobs(application: Any) -> None:
    """Register the repeating jobs on the application's job queue."""
    jobs = application.job_queue
    jobs.run_repeating(notify_staff, interval=60, first=1, name="notify-staff")
    jobs.run_repeating(expire_idle_join_flows, interval=60, first=60, name="expire-idle-flows")
    jobs.run_repeating(purge_old_leads, interval=24 * 3600, first=10, name="retention-purge")
