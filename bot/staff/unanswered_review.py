"""Grouping alike unanswered questions, so staff review a question once however often it
was asked ("quels sont les tarifs ?", "Quels sont les tarîfs", "tarifs quels sont les").

Pure functions over `UnansweredQuestion`: `/unanswered` (bot/staff/workspace.py) shows the
groups, and the statistics (bot/staff/stats.py) count the most frequent ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.storage.user_store import UnansweredQuestion
from knowledge.text_folding import fold

# Two questions are "alike" when their folded words match this well (rapidfuzz, 0-100):
# word order and small typos do not split a group, a different topic does.
ALIKE_SCORE = 85.0


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
