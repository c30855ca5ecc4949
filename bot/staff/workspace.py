"""The staff workspace: lead lists and cards, follow-up and export; the one object staff
commands and buttons talk to.

No Telegram here: `handlers/staff.py` checks that the person is staff, hands this module plain
ids and strings, and renders the `Reply` objects it returns. What a button carries is parsed in
`actions.py`; the unanswered questions are reviewed by `unanswered_review.py` and the daily
digest written by `digest.py`; a note asked for and not yet written is kept by `notes.py` (all
beside this module).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.leads.display import cluster_name, short_label, utc_time
from bot.leads.export import leads_to_csv
from bot.leads.model import Lead, LeadStatus, StatusChange
from bot.matching.matcher import Matcher
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Button, Reply, ReplyBuilder
from bot.staff.actions import (
    TARGET_STATUSES,
    AskNote,
    AssignQuestion,
    DismissQuestion,
    LeadFilter,
    OpenLead,
    PickIntent,
    SetStatus,
    ShowPage,
    StaffAction,
    page_action,
    parse_status,
)
from bot.staff.digest import DailyDigest
from bot.staff.notes import PendingNotes
from bot.staff.notifications import lead_summary
from bot.staff.unanswered_review import QuestionGroup, UnansweredReview
from bot.storage.database import utc_now
from bot.storage.lead_store import LeadNotFoundError, LeadStore
from bot.storage.learned_example_store import LearnedExampleStore
from bot.storage.unanswered_question_store import (
    UnansweredQuestionStore,
)
from knowledge.model import KnowledgeBase, Language

PAGE_SIZE = 10
NOTE_MAX_CHARS = 1000


@dataclass(frozen=True, slots=True)
class NoteRequest:
    """A staff member asked to add a note: their next text message is the note."""

    lead: Lead
    reply: Reply


@dataclass(frozen=True, slots=True)
class Export:
    """A CSV export and how many leads it holds."""

    data: bytes
    count: int
    filename: str


class StaffWorkspace:
    """What staff see and do, as replies; every change goes through `LeadStore` and the
    question stores, so the command line and Telegram follow the same rules."""

    def __init__(
        self,
        *,
        leads: LeadStore,
        unanswered: UnansweredQuestionStore,
        learned: LearnedExampleStore,
        notes: PendingNotes,
        matcher: Matcher,
        knowledge: KnowledgeBase,
        catalogue: Catalogue,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._leads = leads
        self._unanswered = unanswered
        self._learned = learned
        self._notes = notes
        self._matcher = matcher
        self._kb = knowledge
        self._catalogue = catalogue
        self._clock = clock
        self.questions = UnansweredReview(
            unanswered=unanswered,
            learned=learned,
            matcher=matcher,
            knowledge=knowledge,
            catalogue=catalogue,
        )
        self._digest = DailyDigest(leads, knowledge, catalogue, clock)

    def now(self) -> datetime:
        """The workspace's clock (UTC), so callers date things as it does."""
        return self._clock()

    def _t(self, language: Language, key: str, **values: object) -> str:
        return self._catalogue.text(language, key, **values)

    def _status_name(self, language: Language, status: LeadStatus) -> str:
        return self._t(language, f"staff.statuses.{status.value}")

    def _cluster_name(self, cluster_id: str) -> str:
        return cluster_name(self._kb, cluster_id)

    def _intent_name(self, language: Language, intent_id: str) -> str:
        key = f"intent.{intent_id}"
        return self._t(language, key) if self._catalogue.has(key) else intent_id

    def notice(self, language: Language, key: str, **values: object) -> Reply:
        return ReplyBuilder().paragraph(self._t(language, key, **values)).build()

    # -- lead list ----------------------------------------------------------------------------

    async def lead_page(
        self, language: Language, page: int = 0, lead_filter: LeadFilter | None = None
    ) -> Reply:
        """One page of leads, newest first, with ◀ ▶ and filter buttons; a row opens a lead.

        A page past the end (the list shrank since the button was drawn) shows the last page.
        """
        lead_filter = lead_filter or LeadFilter()
        total = await self._leads.count(lead_filter.status, lead_filter.cluster_id)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        leads = await self._leads.list(
            lead_filter.status, lead_filter.cluster_id, limit=PAGE_SIZE, offset=page * PAGE_SIZE
        )
        any_value = self._t(language, "staff_ws.list.any")
        builder = ReplyBuilder().bold(
            self._t(language, "staff_ws.list.title", total=total, page=page + 1, pages=pages)
        )
        builder.paragraph()
        builder.paragraph(
            self._t(
                language,
                "staff_ws.list.filters",
                status=self._status_name(language, lead_filter.status)
                if lead_filter.status
                else any_value,
                cluster=self._cluster_name(lead_filter.cluster_id)
                if lead_filter.cluster_id
                else any_value,
            )
        )
        if not leads:
            builder.paragraph(self._t(language, "staff_ws.list.empty"))
        for lead in leads:
            label = self._t(
                language,
                "staff_ws.list.row",
                reference=lead.reference,
                company=lead.company_name,
                status=self._status_name(language, lead.status),
            )
            builder.buttons(Button(short_label(label), f"sl:{lead.id}"))
        navigation = []
        if page > 0:
            navigation.append(
                Button(
                    self._t(language, "staff_ws.list.previous"), page_action(page - 1, lead_filter)
                )
            )
        if page < pages - 1:
            navigation.append(
                Button(self._t(language, "staff_ws.list.next"), page_action(page + 1, lead_filter))
            )
        builder.buttons(*navigation)
        self._filter_buttons(builder, language, lead_filter)
        return builder.build()

    def _filter_buttons(
        self, builder: ReplyBuilder, language: Language, lead_filter: LeadFilter
    ) -> None:
        def label(text: str, selected: bool) -> str:
            return self._t(language, "staff_ws.list.selected", label=text) if selected else text

        statuses = [
            Button(
                label(self._t(language, "staff_ws.list.all_statuses"), lead_filter.status is None),
                page_action(0, LeadFilter(None, lead_filter.cluster_id)),
            )
        ]
        statuses += [
            Button(
                label(self._status_name(language, status), lead_filter.status is status),
                page_action(0, LeadFilter(status, lead_filter.cluster_id)),
            )
            for status in LeadStatus
        ]
        for start in range(0, len(statuses), 3):
            builder.buttons(*statuses[start : start + 3])
        clusters = [
            Button(
                label(
                    self._t(language, "staff_ws.list.all_clusters"),
                    lead_filter.cluster_id is None,
                ),
                page_action(0, LeadFilter(lead_filter.status, None)),
            )
        ]
        clusters += [
            Button(
                label(cluster.name, lead_filter.cluster_id == cluster.id),
                page_action(0, LeadFilter(lead_filter.status, cluster.id)),
            )
            for cluster in self._kb.clusters
        ]
        for start in range(0, len(clusters), 3):
            builder.buttons(*clusters[start : start + 3])

    # -- lead card ----------------------------------------------------------------------------

    async def find_lead(self, text: str) -> Lead | None:
        """The lead a staff member quoted: an id ("123") or a reference ("W-000123")."""
        return await self._leads.get_by_reference(text)

    async def lead_card(self, language: Language, lead: Lead, headline: str = "") -> Reply:
        """The full lead, its history (status changes and notes, by whom, when), and buttons
        to move it on or add a note. `headline` (e.g. "status changed") goes first."""
        builder = ReplyBuilder()
        if headline:
            builder.paragraph(headline)
        builder.bold(self._t(language, "staff_ws.card.title", reference=lead.reference))
        builder.paragraph()
        builder.italic(self._t(language, "staff_ws.card.created", time=utc_time(lead.created_at)))
        builder.paragraph()
        builder.extend(lead_summary(lead, self._kb, self._catalogue, language).build())
        history = await self._leads.history(lead.id)
        if history:
            builder.bold(self._t(language, "staff_ws.card.history")).paragraph()
            for change in history:
                builder.paragraph(self._history_line(language, change))
        status_buttons = [
            Button(
                self._t(
                    language,
                    "staff_ws.card.set_status",
                    status=self._status_name(language, status),
                ),
                f"ss:{lead.id}:{status.value}",
            )
            for status in TARGET_STATUSES
            if status is not lead.status
        ]
        for start in range(0, len(status_buttons), 2):
            builder.buttons(*status_buttons[start : start + 2])
        builder.buttons(
            Button(self._t(language, "staff_ws.card.add_note"), f"sn:{lead.id}"),
            Button(self._t(language, "staff_ws.card.back"), page_action(0, LeadFilter())),
        )
        return builder.build()

    def _history_line(self, language: Language, change: StatusChange) -> str:
        time = utc_time(change.changed_at)
        who = (
            self._t(language, "staff_ws.card.system")
            if change.changed_by is None
            else self._t(language, "staff_ws.card.staff_member", user_id=change.changed_by)
        )
        if change.new_status is not None and change.old_status is None and change.note is None:
            return self._t(language, "staff_ws.card.history_created", time=time)
        if change.new_status is not None:
            line = self._t(
                language,
                "staff_ws.card.history_status",
                time=time,
                who=who,
                old=self._status_name(language, change.old_status) if change.old_status else "—",
                new=self._status_name(language, change.new_status),
            )
            return f"{line} — {change.note}" if change.note else line
        return self._t(
            language, "staff_ws.card.history_note", time=time, who=who, note=change.note or ""
        )

    async def open_lead(self, language: Language, lead_id: int) -> Reply:
        lead = await self._leads.get(lead_id)
        if lead is None:
            return self._not_found(language, str(lead_id))
        return await self.lead_card(language, lead)

    def _not_found(self, language: Language, quoted: str) -> Reply:
        return self.notice(language, "staff_ws.lead.not_found", reference=quoted)

    async def lead_command(self, language: Language, argument: str) -> Reply:
        """/lead <id or reference>."""
        if not argument.strip():
            return self.notice(language, "staff_ws.lead.usage")
        lead = await self.find_lead(argument)
        if lead is None:
            return self._not_found(language, argument.strip()[:40])
        return await self.lead_card(language, lead)

    async def set_status(
        self, language: Language, lead_id: int, status: LeadStatus, staff_id: int
    ) -> Reply:
        """Move a lead on, record who did it, and show the card again."""
        try:
            lead = await self._leads.set_status(lead_id, status, staff_id)
        except LeadNotFoundError:
            return self._not_found(language, str(lead_id))
        headline = self._t(
            language,
            "staff_ws.status_set",
            reference=lead.reference,
            status=self._status_name(language, status),
        )
        return await self.lead_card(language, lead, headline)

    async def ask_note(
        self, language: Language, lead_id: int, staff_id: int, chat_id: int
    ) -> NoteRequest | Reply:
        """Start a note: the staff member's next text message in `chat_id` within the timeout
        of bot/staff/notes.py is the note (see `take_note`); stored, so it survives a restart."""
        lead = await self._leads.get(lead_id)
        if lead is None:
            return self._not_found(language, str(lead_id))
        await self._notes.set(staff_id, chat_id, lead.id)
        return NoteRequest(
            lead, self.notice(language, "staff_ws.note.prompt", reference=lead.reference)
        )

    async def take_note(
        self, language: Language, staff_id: int, chat_id: int, text: str
    ) -> Reply | None:
        """`text` as the note awaited from the staff member in `chat_id`; None when none is.

        A note too long or empty leaves the request open, so it can be sent again.
        """
        lead_id = self._notes.awaited_lead(staff_id, chat_id)
        if lead_id is None:
            return None
        if 0 < len(text.strip()) <= NOTE_MAX_CHARS:
            await self._notes.clear(staff_id)
        return await self.add_note(language, lead_id, staff_id, text)

    async def cancel_note(self, language: Language, staff_id: int) -> Reply:
        """/cancel while a note is awaited: no note."""
        await self._notes.clear(staff_id)
        return self.notice(language, "staff_ws.note.cancelled")

    async def add_note(self, language: Language, lead_id: int, staff_id: int, text: str) -> Reply:
        """Store a note in the lead's history; the card shows it at once."""
        note = text.strip()
        lead = await self._leads.get(lead_id)
        if lead is None:
            return self._not_found(language, str(lead_id))
        if not note:
            return self.notice(language, "staff_ws.note.prompt", reference=lead.reference)
        if len(note) > NOTE_MAX_CHARS:
            return self.notice(language, "staff_ws.note.too_long", limit=NOTE_MAX_CHARS)
        try:
            await self._leads.add_note(lead_id, note, staff_id)
        except LeadNotFoundError:  # erased between the two calls (retention, /forget)
            return self._not_found(language, lead.reference)
        headline = self._t(language, "staff_ws.note.added", reference=lead.reference)
        return await self.lead_card(language, lead, headline)

    async def on_action(
        self, language: Language, staff_id: int, chat_id: int, action: StaffAction
    ) -> Reply | NoteRequest:
        """Carry out a staff button press in `chat_id` (the caller has checked it comes from
        staff, in a chat where staff tools answer)."""
        match action:
            case OpenLead(lead_id):
                return await self.open_lead(language, lead_id)
            case SetStatus(lead_id, status):
                return await self.set_status(language, lead_id, status, staff_id)
            case AskNote(lead_id):
                return await self.ask_note(language, lead_id, staff_id, chat_id)
            case ShowPage(page, lead_filter):
                return await self.lead_page(language, page, lead_filter)
            case PickIntent(question_id):
                return await self.pick_intent(language, question_id)
            case AssignQuestion(question_id, intent_id):
                return await self.assign(language, question_id, intent_id, staff_id)
            case DismissQuestion(question_id):
                return await self.dismiss(language, question_id)

    # -- export -------------------------------------------------------------------------------

    def parse_export_filter(self, argument: str) -> LeadFilter | None:
        """`/export [status] [cluster] [days]` (any order): e.g. "contacted twist 30d";
        None when a word is none of these."""
        status: LeadStatus | None = None
        cluster: str | None = None
        since: datetime | None = None
        for word in argument.lower().split():
            days = word.removesuffix("d").removesuffix("j")
            if parse_status(word) is not None and status is None:
                status = parse_status(word)
            elif self._kb.has_cluster(word) and cluster is None:
                cluster = word
            elif days.isascii() and days.isdigit() and 0 < len(days) <= 5 and since is None:
                since = self._clock() - timedelta(days=int(days))
            else:
                return None
        return LeadFilter(status, cluster, since)

    async def export(self, lead_filter: LeadFilter) -> Export:
        """Every lead matching the filter as CSV (the same file as `wallonia-bot leads export`)."""
        total = await self._leads.count(
            lead_filter.status, lead_filter.cluster_id, since=lead_filter.since
        )
        leads = await self._leads.list(
            lead_filter.status, lead_filter.cluster_id, since=lead_filter.since, limit=total
        )
        stamp = self._clock().strftime("%Y%m%d-%H%M")
        return Export(leads_to_csv(leads), len(leads), f"leads-{stamp}.csv")

    # -- unanswered questions -----------------------------------------------------------------

    async def unanswered_groups(self) -> list[QuestionGroup]:
        return await self.questions.unanswered_groups()

    async def unanswered(self, language: Language) -> list[Reply]:
        """A summary, then one message per group of alike questions with its buttons."""
        return await self.questions.unanswered(language)

    async def pick_intent(self, language: Language, question_id: int) -> Reply:
        return await self.questions.pick_intent(language, question_id)

    async def assign(
        self, language: Language, question_id: int, intent_id: str, staff_id: int
    ) -> Reply:
        """Teach the question and the alike ones as examples of `intent_id`."""
        return await self.questions.assign(language, question_id, intent_id, staff_id)

    async def dismiss(self, language: Language, question_id: int) -> Reply:
        return await self.questions.dismiss(language, question_id)

    # -- daily digest -------------------------------------------------------------------------

    async def digest(self, language: Language) -> Reply:
        """New leads of the last 24 hours, and leads still "new" two days after arriving."""
        return await self._digest.digest(language)
