"""The rules of talking to a person (bot/handoff/service.py), without Telegram: a real SQLite
file, a hand-moved clock and a channel that records what would be sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from bot.conversation.dialogue import UserRef
from bot.handoff.channel import ChannelUnavailableError, RecipientBlockedError, StaffMessage
from bot.handoff.service import CONTEXT_QUESTIONS, MAX_MESSAGE_CHARS, OFFER_WINDOW, HandoffService
from bot.handoff.store import ClosedBy, Delivery, HandoffStatus, HandoffStore
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Reply
from bot.storage.database import Database
from bot.storage.lead_store import LeadStore
from bot.storage.privacy_store import PrivacyStore
from bot.storage.unanswered_question_store import UnansweredQuestionStore
from knowledge.model import KnowledgeBase
from tests.helpers import START, FakeClock, new_lead

STAFF = 900_001
STAFF_CHAT = -100_500
USER = UserRef(4242, "fr", "Marie Dupont", "marie_d")
OTHER = UserRef(4343, "en", None, None)
IDLE = timedelta(hours=2)


@dataclass
class RecordingChannel:
    """Posts get ids 1, 2, 3…; `down` makes the staff chat unreachable, `blocked` the users."""

    posts: list[tuple[Reply, int | None]] = field(default_factory=list)
    sent: list[tuple[int, Reply]] = field(default_factory=list)
    down: bool = False
    blocked: set[int] = field(default_factory=set)

    async def post_to_staff(self, reply: Reply, reply_to: int | None) -> tuple[int, int]:
        if self.down:
            raise ChannelUnavailableError
        self.posts.append((reply, reply_to))
        return STAFF_CHAT, len(self.posts)

    async def send_to_user(self, user_id: int, reply: Reply) -> None:
        if user_id in self.blocked:
            raise RecipientBlockedError
        if self.down:
            raise ChannelUnavailableError
        self.sent.append((user_id, reply))


@dataclass
class Setup:
    clock: FakeClock
    database: Database
    store: HandoffStore
    channel: RecordingChannel
    service: HandoffService
    service_args: tuple[KnowledgeBase, Catalogue]

    async def reload(self) -> HandoffService:
        """The service as a restart builds it."""
        service = await _service(self.store, self.service_args)
        service.attach(self.channel)
        return service


async def _service(store: HandoffStore, args: tuple[KnowledgeBase, Catalogue]) -> HandoffService:
    knowledge, catalogue = args
    return await HandoffService.load(
        store,
        knowledge,
        catalogue,
        staff_user_ids={STAFF},
        staff_language="fr",
        idle=IDLE,
    )


@pytest.fixture
async def setup(tmp_path: Path, knowledge: KnowledgeBase) -> AsyncIterator[Setup]:
    clock = FakeClock(START)
    async with await Database.open(tmp_path / "a.sqlite3", clock=clock) as database:
        store = HandoffStore(database, clock)
        args = (knowledge, Catalogue.load())
        service = await _service(store, args)
        channel = RecordingChannel()
        service.attach(channel)
        yield Setup(clock, database, store, channel, service, args)


def text(reply: Reply) -> str:
    return reply.plain_text()


def actions(reply: Reply) -> list[str]:
    return [b.action for row in reply.buttons for b in row]


async def open_thread(setup: Setup, person: UserRef = USER, message: str = "Bonjour") -> int:
    service = setup.service
    [ask] = await service.start(person, "fr") or []
    assert actions(ask) == ["hn"]
    [opened] = await service.on_text(person, "fr", message) or []
    assert actions(opened) == ["hx"]
    return len(setup.channel.posts)


def staff_reply(
    post_id: int, text: str | None, author: int = STAFF, message_id: int = 100
) -> StaffMessage:
    return StaffMessage(STAFF_CHAT, message_id, post_id, author, text)


async def test_off_until_a_channel_is_attached(setup: Setup, knowledge: KnowledgeBase) -> None:
    service = await _service(setup.store, setup.service_args)
    assert await service.start(USER, "fr") is None
    assert await service.on_action(USER, "fr", "ho") is None
    assert await service.on_command(USER, "fr", "done") is None
    assert await service.on_text(USER, "fr", "Bonjour") is None


async def test_the_first_post_carries_who_and_the_context(setup: Setup) -> None:
    database = setup.database
    await LeadStore(database).submit(new_lead(user_id=USER.id), "key-1")
    unanswered = UnansweredQuestionStore(database, setup.clock)
    for number in range(CONTEXT_QUESTIONS + 1):
        await unanswered.record(USER.id, f"question {number}", "fr", 0.2, None)
    await unanswered.record(OTHER.id, "someone else's question", "en", 0.2, None)
    setup.clock.advance(OFFER_WINDOW + timedelta(minutes=1))  # too old to be offered
    await open_thread(setup, message="Qui dirige TWIST ?")
    [(post, reply_to)] = setup.channel.posts
    assert reply_to is None
    body = text(post)
    assert "Message pour l'équipe · n° 1" in body
    assert "Marie Dupont (@marie_d) · utilisateur 4242" in body
    assert "Langue : fr" in body
    assert "Demandes d'adhésion : W-000001" in body
    # The newest questions, no more than CONTEXT_QUESTIONS, and nobody else's.
    assert [f"question {n}" in body for n in range(CONTEXT_QUESTIONS + 1)] == [False] + [
        True
    ] * CONTEXT_QUESTIONS
    assert "someone else's" not in body
    assert "Qui dirige TWIST ?" in body
    assert actions(post) == ["hc:1"]


async def test_the_question_just_not_understood_is_offered(setup: Setup) -> None:
    unanswered = UnansweredQuestionStore(setup.database, setup.clock)
    question_id = await unanswered.record(USER.id, "Combien coûte l'adhésion ?", "fr", 0.3, None)
    [offer] = await setup.service.start(USER, "fr") or []
    assert "Combien coûte l'adhésion ?" in text(offer)
    assert actions(offer) == [f"hy:{question_id}", "hw", "hn"]
    # Another user's question id is not theirs to send.
    [stale] = await setup.service.on_action(OTHER, "en", f"hy:{question_id}") or []
    assert "hy:" not in " ".join(actions(stale))
    assert setup.channel.posts == []
    [opened] = await setup.service.on_action(USER, "fr", f"hy:{question_id}") or []
    assert "Leur réponse arrivera ici" in text(opened)
    [(post, _)] = setup.channel.posts
    assert "Combien coûte l'adhésion ?" in text(post)
    [handoff] = await setup.store.in_progress()
    assert handoff.status is HandoffStatus.OPEN


async def test_cancel_before_writing_leaves_nothing(setup: Setup) -> None:
    await setup.service.start(USER, "fr")
    assert setup.service.in_progress(USER.id)
    [cancelled] = await setup.service.on_command(USER, "fr", "cancel") or []
    assert "Rien n'a été envoyé" in text(cancelled)
    assert not setup.service.in_progress(USER.id)
    assert await setup.store.in_progress() == []
    assert await setup.service.on_text(USER, "fr", "Bonjour") is None
    [nothing] = await setup.service.on_command(USER, "fr", "done") or []
    assert "Aucune conversation" in text(nothing)


async def test_follow_ups_reply_to_the_first_post_and_a_long_message_is_cut(setup: Setup) -> None:
    await open_thread(setup)
    [ack] = await setup.service.on_text(USER, "fr", "x" * (MAX_MESSAGE_CHARS + 50)) or []
    assert "seuls ses 3000 premiers caractères" in text(ack)
    [_first, (follow_up, reply_to)] = setup.channel.posts
    assert reply_to == 1
    assert text(follow_up).count("x") == MAX_MESSAGE_CHARS
    [not_text] = await setup.service.on_text(USER, "fr", None) or []
    assert "que du texte" in text(not_text)
    assert len(setup.channel.posts) == 2


async def test_unreachable_staff_chat_keeps_messages_and_retries_in_order(setup: Setup) -> None:
    setup.channel.down = True
    await setup.service.start(USER, "fr")
    [queued] = await setup.service.on_text(USER, "fr", "un") or []
    assert "ne peut pas être jointe" in text(queued)
    await setup.service.on_text(USER, "fr", "deux")
    await setup.service.deliver_pending()  # still down: nothing lost, nothing posted
    assert setup.channel.posts == []
    setup.channel.down = False
    await setup.service.deliver_pending()
    [(first, none), (second, reply_to)] = setup.channel.posts
    assert "un" in text(first).split("\n\n")
    assert none is None
    assert text(second).endswith("deux")
    assert reply_to == 1
    await setup.service.deliver_pending()
    assert len(setup.channel.posts) == 2  # nothing twice


async def test_staff_replies_reach_the_user_others_reach_nobody(setup: Setup) -> None:
    post = await open_thread(setup)
    service = setup.service
    assert await service.on_staff_reply(staff_reply(post, "Pas staff", author=777)) is True
    assert setup.channel.sent == []
    assert await service.on_staff_reply(staff_reply(999, "À rien")) is False
    setup.clock.advance(timedelta(minutes=12))
    assert await service.on_staff_reply(staff_reply(post, "Bonjour <b>Marie</b>")) is True
    [(user_id, reply)] = setup.channel.sent
    assert user_id == USER.id
    assert text(reply) == "Réponse de l'équipe :\n\nBonjour <b>Marie</b>"
    # The same staff message handled twice (a replayed update) is sent once.
    await service.on_staff_reply(staff_reply(post, "Bonjour <b>Marie</b>"))
    assert len(setup.channel.sent) == 1
    # A reply to the staff member's own reply finds the thread too.
    await service.on_staff_reply(staff_reply(100, "Autre chose", message_id=101))
    assert len(setup.channel.sent) == 2
    [handoff] = await setup.store.in_progress()
    assert handoff.first_answered_by == STAFF
    stats = await setup.store.stats(START - timedelta(days=1))
    assert (stats.opened, stats.answered) == (1, 1)
    assert stats.median_first_answer == timedelta(minutes=12)


async def test_a_user_who_blocked_the_bot_closes_the_thread_and_staff_are_told(
    setup: Setup,
) -> None:
    post = await open_thread(setup)
    setup.channel.blocked.add(USER.id)
    await setup.service.on_staff_reply(staff_reply(post, "Réponse"))
    notice, reply_to = setup.channel.posts[-1]
    assert "la personne a bloqué l'assistant" in text(notice)
    assert reply_to == 100  # under the staff member's reply
    assert not setup.service.in_progress(USER.id)
    handoff = await setup.store.get(1)
    assert handoff is not None
    assert handoff.closed_by is ClosedBy.BLOCKED
    assert [m.delivery for m in await setup.store.messages(1)] == [
        Delivery.DELIVERED,
        Delivery.FAILED,
    ]


async def test_a_reply_that_cannot_leave_now_is_retried(setup: Setup) -> None:
    post = await open_thread(setup)
    setup.channel.down = True
    await setup.service.on_staff_reply(staff_reply(post, "Réponse"))
    assert setup.channel.sent == []
    setup.channel.down = False
    await setup.service.deliver_pending()
    [(_user, reply)] = setup.channel.sent
    assert "Réponse" in text(reply)


async def test_idle_threads_lapse_and_both_sides_are_told(setup: Setup) -> None:
    await open_thread(setup)
    await setup.service.start(OTHER, "en")  # asked, never written: dropped silently
    setup.clock.advance(IDLE - timedelta(minutes=1))
    assert await setup.service.expire_idle() == 0
    setup.clock.advance(timedelta(minutes=2))
    assert await setup.service.expire_idle() == 1
    [(user_id, lapsed)] = setup.channel.sent
    assert user_id == USER.id
    assert "après 120 minutes sans message" in text(lapsed)
    assert "fermée faute de messages" in text(setup.channel.posts[-1][0])
    assert await setup.store.in_progress() == []
    assert not setup.service.in_progress(OTHER.id)


async def test_a_message_after_the_idle_time_is_not_sent_even_before_the_job(
    setup: Setup,
) -> None:
    await open_thread(setup)
    setup.clock.advance(IDLE + timedelta(minutes=1))
    [lapsed] = await setup.service.on_text(USER, "fr", "Toujours là ?") or []
    assert "ne leur a pas été transmis" in text(lapsed)
    assert len(setup.channel.posts) == 2  # the first post and the idle notice, not the text
    assert await setup.service.on_text(USER, "fr", "Bonjour") is None


async def test_a_restart_keeps_threads_in_progress(setup: Setup) -> None:
    post = await open_thread(setup)
    service = await setup.reload()
    assert service.in_progress(USER.id)
    await service.on_staff_reply(staff_reply(post, "Après redémarrage"))
    assert "Après redémarrage" in text(setup.channel.sent[-1][1])


async def test_mydata_shows_and_forget_erases_threads(setup: Setup) -> None:
    post = await open_thread(setup)
    await open_thread(setup, OTHER)
    await setup.service.on_staff_reply(staff_reply(post, "Réponse"))
    privacy = PrivacyStore(setup.database, after_forget=setup.service.erased)
    data = await privacy.export_user(USER.id)
    [(handoff, messages)] = data.handoffs
    assert handoff.user_name == "Marie Dupont"
    assert [m.text for m in messages] == ["Bonjour", "Réponse"]
    report = await privacy.forget_user(USER.id)
    assert (report.handoffs, report.handoff_messages) == (1, 2)
    assert not setup.service.in_progress(USER.id)
    assert (await privacy.export_user(USER.id)).handoffs == []
    assert len((await privacy.export_user(OTHER.id)).handoffs) == 1  # others untouched
    assert await setup.service.on_staff_reply(staff_reply(post, "Encore", message_id=102)) is False


async def test_retention_purges_closed_threads_only(setup: Setup) -> None:
    await open_thread(setup)
    await setup.service.on_command(USER, "fr", "done")
    await open_thread(setup, OTHER)
    setup.clock.advance(timedelta(days=31))
    assert await setup.service.purge_older_than(30) == 1
    assert [h.user_id for h in await setup.store.in_progress()] == [OTHER.id]
