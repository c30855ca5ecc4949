"""Staff review of the questions the assistant could not answer (`/unanswered`).

Alike questions are grouped, so staff review a question once however often it was asked
("quels sont les tarifs ?", "Quels sont les tarîfs", "tarifs quels sont les"): the grouping
functions are pure, and the statistics (bot/staff/stats.py) count the most frequent groups too.
`UnansweredReview` shows the groups and carries out their buttons: teach a group as examples of
an intent (stored, and used by the running matcher at once), or dismiss it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.leads.display import utc_time
from bot.matching.matcher import Matcher
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Button, Reply, ReplyBuilder
from bot.storage.learned_example_store import LearnedExampleStore
from bot.storage.unanswered_question_store import (
    QuestionNotFoundError,
    QuestionStatus,
    UnansweredQuestion,
    UnansweredQuestionStore,
)
from knowledge.model import LANGUAGES, KnowledgeBase, Language
from knowledge.text_folding import fold

# Two questions are "alike" when their folded words match this well (rapidfuzz, 0-100):
# word order and small typos do not split a group, a different topic does.
ALIKE_SCORE = 85.0
# How many open questions /unanswered reads and how many groups it shows at once.
UNANSWERED_WINDOW = 200
UNANSWERED_GROUPS = 5


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """Alike questions, newest first; the first one stands for the group."""

    questions: tuple[UnansweredQuestion, ...]

    @property
    def first(self) -> UnansweredQuestion:
        return self.questions[0]

    @property
    def size(self) -> int:
        return len(self.questions)


def alike(first: str, second: str) -> bool:
    """Whether two questions say the same thing (folded, word order ignored, typos tolerated)."""
    a, b = fold(first), fold(second)
    if a == b:
        return True
    return bool(a and b) and fuzz.token_sort_ratio(a, b) >= ALIKE_SCORE


def group_questions(questions: Iterable[UnansweredQuestion]) -> list[QuestionGroup]:
    """Alike questions grouped (each joins the first group whose lead question it is like),
    biggest groups first, then the most recently asked."""
    groups: list[list[UnansweredQuestion]] = []
    for question in questions:
        for group in groups:
            if alike(group[0].text, question.text):
                group.append(question)
                break
        else:
            groups.append([question])
    ordered = sorted(
        groups, key=lambda g: (-len(g), -max(q.created_at for q in g).timestamp(), g[0].id)
    )
    return [QuestionGroup(tuple(g)) for g in ordered]


class UnansweredReview:
    """The /unanswered screen and its buttons, as replies (no Telegram)."""

    def __init__(
        self,
        *,
        unanswered: UnansweredQuestionStore,
        learned: LearnedExampleStore,
        matcher: Matcher,
        knowledge: KnowledgeBase,
        catalogue: Catalogue,
    ) -> None:
        self._unanswered = unanswered
        self._learned = learned
        self._matcher = matcher
        self._kb = knowledge
        self._catalogue = catalogue

    def _t(self, language: Language, key: str, **values: object) -> str:
        return self._catalogue.text(language, key, **values)

    def notice(self, language: Language, key: str, **values: object) -> Reply:
        return ReplyBuilder().paragraph(self._t(language, key, **values)).build()

    def _intent_name(self, language: Language, intent_id: str) -> str:
        key = f"intent.{intent_id}"
        return self._t(language, key) if self._catalogue.has(key) else intent_id

    async def unanswered_groups(self) -> list[QuestionGroup]:
        return group_questions(await self._unanswered.recent(limit=UNANSWERED_WINDOW))

    async def unanswered(self, language: Language) -> list[Reply]:
        """A summary, then one message per group of alike questions with its buttons."""
        groups = await self.unanswered_groups()
        if not groups:
            return [self.notice(language, "staff_ws.unanswered.empty")]
        count = sum(group.size for group in groups)
        replies = [
            self.notice(language, "staff_ws.unanswered.title", count=count, groups=len(groups))
        ]
        replies += [self._group_reply(language, group) for group in groups[:UNANSWERED_GROUPS]]
        return replies

    def _group_reply(self, language: Language, group: QuestionGroup) -> Reply:
        newest = max(question.created_at for question in group.questions)
        builder = ReplyBuilder().italic(
            self._t(language, "staff_ws.unanswered.group", count=group.size, time=utc_time(newest))
        )
        builder.paragraph()
        for text in dict.fromkeys(question.text for question in group.questions[:5]):
            builder.bold(text).paragraph()
        guess = group.first.best_intent
        if guess and self._kb.has_intent(guess):
            builder.paragraph(
                self._t(
                    language,
                    "staff_ws.unanswered.best_guess",
                    intent=self._intent_name(language, guess),
                )
            )
            builder.buttons(
                Button(
                    self._t(
                        language,
                        "staff_ws.unanswered.assign",
                        intent=self._intent_name(language, guess),
                    ),
                    f"su:{group.first.id}:{guess}",
                )
            )
        builder.buttons(
            Button(self._t(language, "staff_ws.unanswered.other_intent"), f"sa:{group.first.id}"),
            Button(self._t(language, "staff_ws.unanswered.dismiss"), f"sd:{group.first.id}"),
        )
        return builder.build()

    async def _open_question(self, question_id: int) -> UnansweredQuestion | None:
        for question in await self._unanswered.recent(limit=UNANSWERED_WINDOW):
            if question.id == question_id:
                return question
        return None

    async def _alike_open(self, question: UnansweredQuestion) -> list[UnansweredQuestion]:
        """The open questions that are alike to `question` (itself included): the group it
        stood for when the button was drawn, plus any alike question asked since."""
        recent = await self._unanswered.recent(limit=UNANSWERED_WINDOW)
        return [q for q in recent if q.id == question.id or alike(question.text, q.text)]

    async def pick_intent(self, language: Language, question_id: int) -> Reply:
        question = await self._open_question(question_id)
        if question is None:
            return self.notice(language, "staff_ws.unanswered.gone")
        builder = ReplyBuilder().bold(question.text).paragraph()
        builder.paragraph(self._t(language, "staff_ws.unanswered.pick_intent"))
        buttons = [
            Button(self._intent_name(language, intent.id), f"su:{question.id}:{intent.id}")
            for intent in self._kb.intents
        ]
        for start in range(0, len(buttons), 2):
            builder.buttons(*buttons[start : start + 2])
        builder.buttons(
            Button(self._t(language, "staff_ws.unanswered.dismiss"), f"sd:{question.id}")
        )
        return builder.build()

    async def assign(
        self, language: Language, question_id: int, intent_id: str, staff_id: int
    ) -> Reply:
        """Teach the question (and the alike ones) as examples of `intent_id`: stored, so they
        survive a restart, and added to the running matcher, so they count at once."""
        question = await self._open_question(question_id)
        if question is None or not self._kb.has_intent(intent_id):
            return self.notice(language, "staff_ws.unanswered.gone")
        group = await self._alike_open(question)
        new_examples: list[tuple[str, str, Language]] = []
        for item in group:
            learned = await self._learned.add(intent_id, item.text, item.language, staff_id)
            example_language = _language(item.language)
            if learned and example_language is not None:
                new_examples.append((intent_id, item.text, example_language))
            await self._set_question_status(item.id, QuestionStatus.ASSIGNED, intent_id)
        # One rebuild for the whole group: the index is rebuilt on the event loop, so a group of
        # alike questions must not rebuild it once per question.
        self._matcher.add_examples(new_examples)
        return self.notice(
            language,
            "staff_ws.unanswered.assigned",
            count=len(group),
            intent=self._intent_name(language, intent_id),
        )

    async def dismiss(self, language: Language, question_id: int) -> Reply:
        question = await self._open_question(question_id)
        if question is None:
            return self.notice(language, "staff_ws.unanswered.gone")
        group = await self._alike_open(question)
        for item in group:
            await self._set_question_status(item.id, QuestionStatus.DISMISSED)
        return self.notice(language, "staff_ws.unanswered.dismissed", count=len(group))

    async def _set_question_status(
        self, question_id: int, status: QuestionStatus, intent_id: str | None = None
    ) -> None:
        # Erased by /forget meanwhile: nothing is left to triage.
        with contextlib.suppress(QuestionNotFoundError):
            await self._unanswered.set_status(question_id, status, intent_id)


def _language(text: str) -> Language | None:
    for language in LANGUAGES:
        if language == text:
            return language
    return None
