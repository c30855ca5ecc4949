"""Multi-turn conversation stories (Rasa-style) and the runner that checks them.

A story is a list of steps: a user message (`user:`) or a button press (`press:`), each with
what must hold after it (`expect:`). The format is documented in `tests/data/stories/README.md`.
The runner drives the real dialogue engine (the same one Telegram and the terminal use) over a
real SQLite file, and reads what each reply is about from the tags the dialogue puts on it.
`bench/stories.py` prints the share of turns right; `tests/test_stories.py` asserts floors and
replays the stories through Telegram.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.conversation.actions import ShowMore, StartJoin, parse_action
from bot.conversation.dialogue import Dialogue, UserRef
from bot.conversation.language import written_language
from bot.conversation.message_cues import has_domain_words, reads_as_question
from bot.conversation.state import ConversationState
from bot.messages.reply import Reply
from knowledge.text_folding import fold

STORIES_DIR = Path(__file__).resolve().parent / "data" / "stories"
PARTS = ("development", "heldout")
# The form's button kinds, by the names stories use.
_COMPANY_TYPES = {"startup": "micro", "research": "research_centre", "training": "training_centre"}


@dataclass(frozen=True, slots=True)
class StoryStep:
    user: str | None
    press: str | None
    expect: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Story:
    id: str
    part: str
    lang: str
    steps: tuple[StoryStep, ...]


@dataclass(slots=True)
class TurnResult:
    story: str
    part: str
    lang: str
    said: str
    failures: list[str] = field(default_factory=list)
    question_stored_as_answer: bool = False
    in_domain_called_off_topic: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures


def load_stories(part: str) -> list[Story]:
    """Every story of one part (`development` or `heldout`)."""
    stories = []
    for path in sorted((STORIES_DIR / part).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for raw in data["stories"]:
            steps = tuple(
                StoryStep(
                    user=None if s.get("user") is None else str(s["user"]),
                    press=s.get("press"),
                    expect=dict(s.get("expect") or {}),
                )
                for s in raw["steps"]
            )
            stories.append(Story(str(raw["id"]), part, str(raw["lang"]), steps))
    return stories


def press_data(press: str, previous: list[Reply]) -> str | None:
    """The callback data of the button a story presses, among those under the last replies."""
    return choose_button(
        press, [b.action for reply in previous for row in reply.buttons for b in row]
    )


def choose_button(press: str, shown: list[str]) -> str | None:
    """The callback data, among `shown`, of the button a story's `press:` names."""
    kind, _, value = press.partition(":")

    def wanted(action: str) -> bool:
        exact = {
            "cluster": f"jc:{value}",
            "type": f"jt:{_COMPANY_TYPES.get(value, value)}",
            "location": f"jl:{value}",
            "consent_yes": "jy",
            "consent_no": "jn",
            "cancel": "jx",
            "skip": "js",
        }
        if kind in exact:
            return action == exact[kind]
        if kind == "start_request":
            return isinstance(parse_action(action), StartJoin)
        if kind == "more":
            return isinstance(parse_action(action), ShowMore)
        if kind == "confirm":
            return action.startswith("jok:")
        if kind == "talk_to_team":
            return action == "i:contact_human" or action.startswith("h")
        return False

    return next((a for a in shown if wanted(a)), None)


def _same(expected: object, actual: object) -> bool:
    return fold(str(expected)) == fold(str(actual)) if actual is not None else expected is None


def check(
    expect: dict[str, Any],
    story_lang: str,
    replies: list[Reply],
    state: ConversationState,
    stored_leads: int,
) -> list[str]:
    """What does not hold of `expect` after a turn (empty when the turn is right)."""
    failures = []
    topics = [r.topic for r in replies if r.topic]
    if "topic" in expect and expect["topic"] not in topics:
        failures.append(f"topic {expect['topic']!r}, got {topics}")
    if "not_topic" in expect and expect["not_topic"] in topics:
        failures.append(f"not topic {expect['not_topic']!r}, got {topics}")
    if "cluster" in expect:
        clusters = {r.cluster for r in replies} | {state.subject.cluster}
        if state.join is not None:
            clusters.add(state.join.answers.cluster)
        if expect["cluster"] not in clusters:
            failures.append(f"cluster {expect['cluster']!r}, got {sorted(map(str, clusters))}")
    request = state.join
    if "form_asks" in expect:
        step = request.step.name.lower() if request else None
        if step != expect["form_asks"]:
            failures.append(f"form asks {expect['form_asks']!r}, got {step!r}")
    form = expect.get("form")
    if form in ("cancelled", "none") and request is not None:
        failures.append(f"form {form}, but a request is in progress at {request.step.name}")
    if form == "paused" and request is None:
        failures.append("form paused, but no request is in progress")
    if form == "stored" and stored_leads < 1:
        failures.append("form stored, but no lead was stored")
    for name, value in (expect.get("stored") or {}).items():
        actual = request.answers.get(name) if request else None
        if not _same(value, actual):
            failures.append(f"stored {name}={value!r}, got {actual!r}")
    lang = expect.get("lang", story_lang)
    # Source lines quote pages' titles in their own language, and addresses are no language.
    said = [
        line
        for r in replies
        for line in r.plain_text().splitlines()
        if not line.startswith(("Source", "http"))
    ]
    written = written_language(URL.sub(" ", " ".join(said)))
    if written is not None and written != lang:
        failures.append(f"replied in {written}, expected {lang}")
    limit = expect.get("max_chars")
    longest = max((len(r.plain_text()) for r in replies), default=0)
    if limit is not None and longest > int(limit):
        failures.append(f"reply of {longest} characters, limit {limit}")
    return failures


async def play_step(
    dialogue: Dialogue,
    user: UserRef,
    state: ConversationState,
    step: StoryStep,
    previous: list[Reply],
) -> list[Reply] | None:
    """One step as the user takes it: a button under `previous` (None when it is not there),
    a command, or a text."""
    if step.press is not None:
        data = press_data(step.press, previous)
        return None if data is None else await dialogue.on_action(user, state, data)
    if step.user is not None and re.match(r"/[a-z]", step.user):
        command, _, argument = step.user[1:].partition(" ")
        return await dialogue.on_command(user, state, command.lower(), argument)
    return await dialogue.on_text(user, state, step.user)


async def run_story(dialogue: Dialogue, story: Story, user_id: int) -> list[TurnResult]:
    """Play one story as a new user; one result per step."""
    user = UserRef(user_id, story.lang)
    state = ConversationState()
    previous: list[Reply] = []
    results = []
    leads = dialogue.join_flow.leads
    for step in story.steps:
        before = len(await leads.for_user(user_id))
        result = TurnResult(story.id, story.part, story.lang, step.user or f"[{step.press}]")
        answers_before = state.join.answers.to_dict() if state.join else {}
        played = await play_step(dialogue, user, state, step, previous)
        if played is None:
            result.failures.append(f"no {step.press!r} button under the last reply")
            results.append(result)
            continue
        replies = played
        stored = len(await leads.for_user(user_id)) - before
        result.failures = check(step.expect, story.lang, replies, state, stored)
        if step.user and state.join is not None and reads_as_question(step.user):
            new = set(state.join.answers.to_dict().items()) - set(answers_before.items())
            result.question_stored_as_answer = any(v == step.user.strip() for _, v in new)
        topics = {r.topic for r in replies}
        expected = step.expect.get("topic")
        result.in_domain_called_off_topic = "off_topic" in topics and (
            (expected is not None and expected != "off_topic")
            or (expected is None and step.user is not None and has_domain_words(step.user))
        )
        previous = replies
        results.append(result)
    return results


@dataclass(frozen=True, slots=True)
class Figures:
    turns: int
    right: int
    questions_stored: int
    in_domain_off_topic: int

    @property
    def share(self) -> float:
        return self.right / self.turns if self.turns else 0.0


def figures(results: Iterable[TurnResult]) -> Figures:
    listed = list(results)
    return Figures(
        turns=len(listed),
        right=sum(r.ok for r in listed),
        questions_stored=sum(r.question_stored_as_answer for r in listed),
        in_domain_off_topic=sum(r.in_domain_called_off_topic for r in listed),
    )


REFERENCE = re.compile(r"W-\d{6}")
URL = re.compile(r"<?https?://\S+")


def comparable(text: str) -> str:
    """A reply's text with what differs between two runs (request numbers, spaces) evened."""
    return " ".join(REFERENCE.sub("W-#", text).split())
