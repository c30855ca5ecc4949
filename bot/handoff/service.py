"""The rules of talking to a person (issue #16). No Telegram here.

A user reaches the team from the menu, from "Talk to the team" under an answer the assistant
could not give, or by asking for a person. The bot offers to send the question it could not
answer (when there is one from the last half hour) or asks for a message; that message opens a
conversation and is posted to the staff chat with who wrote it and the context. A staff member
answers by replying to it there; the reply goes to the user, marked as the team's. Until the
user or staff close it, or it stays idle for `idle`, the user's messages go to the same
conversation.

Everything is stored first and sent second (`HandoffStore`): a user's message the staff chat
cannot take now stays 'pending' and `deliver_pending` (a job every minute, and the next message
of the conversation) posts it later, in order; a staff reply that cannot reach the user is
either retried the same way or, when the user blocked the bot, reported in the staff chat.

Conversations in progress are mirrored in memory (`_in_progress`, one entry each, gone when
it closes), so the dialogue's check on every message costs no I/O. The handoff is off (every
hook returns None) until the front end attaches a `HandoffChannel`.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.handoff.channel import (
    ChannelUnavailableError,
    HandoffChannel,
    RecipientBlockedError,
    StaffMessage,
)
from bot.handoff.hook import Person
from bot.handoff.replies import HandoffReplies, user_language
from bot.handoff.store import (
    ClosedBy,
    Delivery,
    Direction,
    Handoff,
    HandoffMessage,
    HandoffStatus,
    HandoffStore,
)
from bot.messages.answers import AnswerBuilder
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Reply
from knowledge.model import KnowledgeBase, Language

_LOGGER = logging.getLogger(__name__)

# A question the assistant could not answer this recently is "the one just written": the bot
# offers to send it rather than asking the user to type it again.
OFFER_WINDOW = timedelta(minutes=30)
# What staff see of the user's recent questions the assistant could not answer.
CONTEXT_WINDOW = timedelta(days=1)
CONTEXT_QUESTIONS = 3
# A message for the team is cut to this, so it fits one staff-chat message with its header
# (Telegram's limit is 4,096), and every message of a conversation maps to one message there.
MAX_MESSAGE_CHARS = 3000
DONE_COMMAND = "/done"
TOPIC = "contact_human"  # what the replies that start a conversation are about (statistics)


@dataclass(slots=True)
class _InProgress:
    handoff_id: int
    status: HandoffStatus
    last_activity: datetime


def _display_name(person: Person) -> str:
    name = " ".join((person.display_name or "").split())
    return name or (f"@{person.username}" if person.username else str(person.id))


class HandoffService:
    """Conversations between users and the team; also the dialogue's `HandoffHook`."""

    def __init__(
        self,
        store: HandoffStore,
        knowledge: KnowledgeBase,
        catalogue: Catalogue,
        *,
        staff_user_ids: Set[int],
        staff_language: Language,
        idle: timedelta,
    ) -> None:
        self._store = store
        self._answers = AnswerBuilder(knowledge, catalogue)
        self._replies = HandoffReplies(catalogue, staff_language)
        self._staff = frozenset(staff_user_ids)
        self._idle = idle
        self._channel: HandoffChannel | None = None
        self._in_progress: dict[int, _InProgress] = {}
        # One delivery pass at a time: the minutely job and a user's next message may overlap,
        # and each would otherwise post the same pending message.
        self._delivery = asyncio.Lock()

    @classmethod
    async def load(
        cls,
        store: HandoffStore,
        knowledge: KnowledgeBase,
        catalogue: Catalogue,
        *,
        staff_user_ids: Set[int],
        staff_language: Language,
        idle: timedelta,
    ) -> HandoffService:
        """The service, with the conversations in progress read into memory."""
        service = cls(
            store,
            knowledge,
            catalogue,
            staff_user_ids=staff_user_ids,
            staff_language=staff_language,
            idle=idle,
        )
        for handoff in await store.in_progress():
            service._in_progress[handoff.user_id] = _InProgress(
                handoff.id, handoff.status, handoff.last_activity_at
            )
        return service

    def attach(self, channel: HandoffChannel) -> None:
        """Turn the handoff on, sending through `channel`."""
        self._channel = channel

    def in_progress(self, user_id: int) -> bool:
        return user_id in self._in_progress

    def erased(self, user_id: int) -> None:
        """/forget erased the user's conversations (storage/user_store.py): forget them here."""
        self._in_progress.pop(user_id, None)

    # -- the dialogue's hook ---------------------------------------------------------------------

    async def start(self, person: Person, language: Language) -> list[Reply] | None:
        """The user asked for a person: offer to send the question just not understood, else
        ask for a message. None when the handoff is off (the dialogue answers as before)."""
        if self._channel is None:
            return None
        current = self._in_progress.get(person.id)
        if current is not None and current.status is HandoffStatus.OPEN:
            return [
                self._replies.notice(language, "handoff.already_open", button="close", topic=TOPIC)
            ]
        recent = await self._store.unanswered_questions(
            person.id, self._store.now() - OFFER_WINDOW, 1
        )
        if recent:
            question_id, text = recent[0]
            return [self._replies.offer(language, question_id, text)]
        return await self._ask(person, language)

    async def _ask(self, person: Person, language: Language) -> list[Reply]:
        current = self._in_progress.get(person.id)
        if current is not None and current.status is HandoffStatus.OPEN:
            return [
                self._replies.notice(language, "handoff.already_open", button="close", topic=TOPIC)
            ]
        if current is None:
            handoff = await self._store.begin(
                person.id, language, _display_name(person), person.username, HandoffStatus.ASKING
            )
            self._in_progress[person.id] = _InProgress(
                handoff.id, HandoffStatus.ASKING, handoff.last_activity_at
            )
        return [self._replies.notice(language, "handoff.ask", button="cancel", topic=TOPIC)]

    async def on_text(
        self, person: Person, language: Language, text: str | None
    ) -> list[Reply] | None:
        """A message while a conversation is in progress goes to the team; None otherwise."""
        current = self._in_progress.get(person.id)
        if current is None or self._channel is None:
            return None
        if self._store.now() - current.last_activity > self._idle:
            # The minutely job has not closed it yet; the user must not think it reached anyone.
            await self.expire_idle()
            if current.status is HandoffStatus.ASKING:
                return None
            return [self._replies.notice(language, "handoff.lapsed_unsent", button="talk")]
        if text is None:
            return [self._replies.notice(language, "handoff.not_text", button="close")]
        text = text.strip()
        if not text:
            return [self._replies.notice(language, "empty_message")]
        return await self._take(person, language, text)

    async def on_action(
        self, person: Person, language: Language, action: str
    ) -> list[Reply] | None:
        """Buttons `ho` (talk to the team; also `i:contact_human`), `hy:<question>` (send that
        question), `hw` (write another message), `hn` (cancel), `hx` (close the conversation)."""
        if self._channel is None:
            return None
        kind, _, argument = action.partition(":")
        if (kind == "ho" and not argument) or action == "i:contact_human":
            return await self.start(person, language)
        if kind == "hw" and not argument:
            return await self._ask(person, language)
        if kind == "hy" and argument.isdigit():
            text = await self._store.unanswered_question(int(argument), person.id)
            if text is not None:
                return await self._take(person, language, text)
        if kind in ("hn", "hx") and not argument:
            return await self._close_by_user(person, language)
        return [self._answers.stale(language)]

    async def on_command(
        self, person: Person, language: Language, command: str
    ) -> list[Reply] | None:
        """/done closes the conversation; /cancel too, when one is in progress."""
        if self._channel is None:
            return None
        if command == "done" or (command == "cancel" and person.id in self._in_progress):
            return await self._close_by_user(person, language)
        return None

    # -- the user's side -------------------------------------------------------------------------

    async def _take(self, person: Person, language: Language, text: str) -> list[Reply]:
        """The user's message for the team: open the conversation if need be, store, post."""
        keys: list[str] = []
        if len(text) > MAX_MESSAGE_CHARS:
            text = text[:MAX_MESSAGE_CHARS]
            keys.append("handoff.cut")
        current = self._in_progress.get(person.id)
        if current is None:
            handoff = await self._store.begin(
                person.id, language, _display_name(person), person.username, HandoffStatus.OPEN
            )
            handoff_id, opened = handoff.id, True
        else:
            handoff_id, opened = current.handoff_id, current.status is HandoffStatus.ASKING
            if opened:
                await self._store.set_open(handoff_id, _display_name(person), person.username)
        await self._store.add_user_message(handoff_id, person.id, text)
        self._in_progress[person.id] = _InProgress(
            handoff_id, HandoffStatus.OPEN, self._store.now()
        )
        async with self._delivery:
            delivered = await self._post_pending(handoff_id)
        keys.append("handoff.opened" if opened else "handoff.forwarded")
        if not delivered:
            keys.append("handoff.queued")
        return [
            self._replies.notice(
                language, *keys, button="close", values={"limit": MAX_MESSAGE_CHARS}
            )
        ]

    async def _close_by_user(self, person: Person, language: Language) -> list[Reply]:
        current = self._in_progress.pop(person.id, None)
        if current is None:
            return [self._answers.notice_with_menu(language, "handoff.none_open")]
        if current.status is HandoffStatus.ASKING:
            await self._store.delete(current.handoff_id)
            return [self._answers.notice_with_menu(language, "handoff.cancelled")]
        await self._store.close(current.handoff_id, ClosedBy.USER)
        await self._tell_staff_about(current.handoff_id, "handoff_staff.closed_by_user")
        return [self._answers.notice_with_menu(language, "handoff.closed_by_user")]

    # -- the staff chat ---------------------------------------------------------------------------

    async def _post_pending(self, handoff_id: int) -> bool:
        """Post the conversation's pending messages, in order; False at the first failure."""
        if self._channel is None:
            return False
        handoff = await self._store.get(handoff_id)
        if handoff is None:
            return True  # erased meanwhile: nothing left to post
        for message in await self._store.pending(Direction.USER, handoff_id):
            first_post = await self._store.first_post(handoff_id)
            if first_post is None:
                reply = await self._first_post(handoff, message)
            else:
                reply = self._replies.follow_up(handoff, message)
            try:
                chat_id, message_id = await self._channel.post_to_staff(reply, first_post)
            except ChannelUnavailableError:
                _LOGGER.warning(
                    "could not post handoff %s to the staff chat; will retry", handoff_id
                )
                return False
            await self._store.mark_posted(message.id, chat_id, message_id)
        return True

    async def _first_post(self, handoff: Handoff, message: HandoffMessage) -> Reply:
        """The first post, with the user's lead references and their recent questions the
        assistant could not answer (other than the one sent)."""
        references = await self._store.lead_references(handoff.user_id)
        recent = await self._store.unanswered_questions(
            handoff.user_id, self._store.now() - CONTEXT_WINDOW, CONTEXT_QUESTIONS + 1
        )
        questions = [question for _id, question in recent if question != message.text]
        return self._replies.first_post(
            handoff, message, references, questions[:CONTEXT_QUESTIONS]
        )

    async def _tell_staff(self, reply: Reply, reply_to: int | None) -> None:
        """A notice in the staff chat; best effort (the thread itself is safe in SQLite)."""
        if self._channel is None:
            return
        try:
            await self._channel.post_to_staff(reply, reply_to)
        except ChannelUnavailableError:
            _LOGGER.warning("could not post a handoff notice to the staff chat")

    async def _tell_staff_about(self, handoff_id: int, key: str, **values: object) -> None:
        notice = self._replies.staff_notice(key, id=handoff_id, **values)
        await self._tell_staff(notice, await self._store.first_post(handoff_id))

    async def tell_not_linked(self, message: StaffMessage) -> None:
        """A staff member replied to a message of ours that belongs to no conversation."""
        if message.author_id in self._staff:
            notice = self._replies.staff_notice("handoff_staff.not_linked")
            await self._tell_staff(notice, message.message_id)

    async def on_staff_reply(self, message: StaffMessage) -> bool:
        """A reply in the staff chat. When it answers a conversation's message and comes from
        staff, send it to the user (or close the conversation, for `/done`). False when the
        message replied to belongs to no conversation; True otherwise, even if it came from
        someone not in STAFF_USER_IDS, whose reply reaches nobody."""
        handoff = await self._store.thread_of(message.chat_id, message.reply_to_message_id)
        if handoff is None:
            return False
        if message.author_id not in self._staff:
            return True
        if message.text is None:
            notice = self._replies.staff_notice("handoff_staff.not_text")
            await self._tell_staff(notice, message.message_id)
            return True
        command = message.text.strip().split(maxsplit=1)[0].split("@", 1)[0].lower()
        if command == DONE_COMMAND:
            await self.close_by_staff(handoff.id, message.author_id)
            return True
        stored = await self._store.add_staff_reply(
            handoff.id, message.author_id, message.text, message.chat_id, message.message_id
        )
        if stored is None:
            return True  # that very message was already handled
        await self._send_reply(handoff, stored, message.text, message.message_id)
        return True

    async def _send_reply(
        self, handoff: Handoff, stored_id: int, text: str, staff_message_id: int | None
    ) -> bool:
        """Send a stored staff reply to the user; False when it must be tried again later."""
        if self._channel is None:
            return False
        try:
            still_open = handoff.user_id in self._in_progress
            reply = self._replies.team_reply(handoff, text, still_open=still_open)
            await self._channel.send_to_user(handoff.user_id, reply)
        except RecipientBlockedError:
            await self._store.set_delivery(stored_id, Delivery.FAILED)
            if await self._store.close(handoff.id, ClosedBy.BLOCKED):
                self._in_progress.pop(handoff.user_id, None)
            notice = self._replies.staff_notice("handoff_staff.blocked", id=handoff.id)
            await self._tell_staff(notice, staff_message_id)
            return True
        except ChannelUnavailableError:
            _LOGGER.warning("could not deliver a reply of handoff %s; will retry", handoff.id)
            return False
        await self._store.set_delivery(stored_id, Delivery.DELIVERED)
        current = self._in_progress.get(handoff.user_id)
        if current is not None and current.handoff_id == handoff.id:
            current.last_activity = self._store.now()
        return True

    async def close_by_staff(self, handoff_id: int, staff_id: int) -> bool:
        """A staff member closes a conversation; False if they are not staff (nothing done)."""
        if staff_id not in self._staff:
            return False
        handoff = await self._store.get(handoff_id)
        if handoff is None or not await self._store.close(handoff_id, ClosedBy.STAFF):
            notice = self._replies.staff_notice("handoff_staff.already_closed", id=handoff_id)
            await self._tell_staff(notice, None)
            return True
        self._in_progress.pop(handoff.user_id, None)
        await self._tell_user(handoff, "handoff.closed_by_staff")
        await self._tell_staff_about(
            handoff_id, "handoff_staff.closed_by_staff", staff_id=staff_id
        )
        return True

    async def _tell_user(self, handoff: Handoff, key: str, **values: object) -> None:
        if self._channel is None:
            return
        language = user_language(handoff)
        notice = self._replies.notice(language, key, button="talk", values=values)
        try:
            await self._channel.send_to_user(handoff.user_id, notice)
        except (RecipientBlockedError, ChannelUnavailableError):
            _LOGGER.info("could not tell a user their conversation with the team closed")

    # -- jobs ------------------------------------------------------------------------------------

    async def purge_older_than(self, days: int) -> int:
        """Erase closed conversations without activity for `days` (the retention period)."""
        return await self._store.purge_older_than(days)

    async def deliver_pending(self) -> None:
        """Post every pending user message (oldest conversation first) and resend every pending
        staff reply; stops at the first failure and tries again at the next call."""
        if self._channel is None:
            return
        async with self._delivery:
            done: set[int] = set()
            for message in await self._store.pending(Direction.USER):
                if message.handoff_id in done:
                    continue
                done.add(message.handoff_id)
                if not await self._post_pending(message.handoff_id):
                    return
            for message in await self._store.pending(Direction.STAFF):
                handoff = await self._store.get(message.handoff_id)
                if handoff is None:
                    continue
                if not await self._send_reply(
                    handoff, message.id, message.text, message.staff_message_id
                ):
                    return

    async def expire_idle(self) -> int:
        """Close the conversations idle for longer than `idle`, telling user and staff."""
        closed = 0
        for handoff in await self._store.idle_since(self._store.now() - self._idle):
            self._in_progress.pop(handoff.user_id, None)
            if handoff.status is HandoffStatus.ASKING:
                await self._store.delete(handoff.id)
                continue
            try:
                if not await self._store.close(handoff.id, ClosedBy.IDLE):
                    continue
            except sqlite3.Error:
                _LOGGER.warning("could not close an idle handoff", exc_info=True)
                continue
            closed += 1
            minutes = max(1, round(self._idle.total_seconds() / 60))
            await self._tell_user(handoff, "handoff.closed_idle", minutes=minutes)
            await self._tell_staff_about(handoff.id, "handoff_staff.closed_idle")
        return closed
