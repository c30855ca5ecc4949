"""What the assistant says, independent of where it is shown.

A `Reply` is plain text spans with a style, plus buttons. Nothing here is HTML: the Telegram
renderer escapes every span (so user text, knowledge-base text and catalogue text are all safe
by construction) and the terminal renderer prints them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MAX_CALLBACK_BYTES = 64  # Telegram's limit on callback_data


class Style(StrEnum):
    PLAIN = "plain"
    BOLD = "bold"
    ITALIC = "italic"
    LINK = "link"


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    style: Style = Style.PLAIN
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered to the user; `action` comes back verbatim when it is chosen."""

    label: str
    action: str

    def __post_init__(self) -> None:
        if not 1 <= len(self.action.encode()) <= MAX_CALLBACK_BYTES:
            raise ValueError(
                f"button action must be 1-{MAX_CALLBACK_BYTES} bytes: {self.action!r}"
            )


@dataclass(frozen=True, slots=True)
class Reply:
    """One message: paragraphs of spans, and rows of buttons under it."""

    paragraphs: tuple[tuple[Span, ...], ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    # What the reply is about, for statistics and conversation tests; never shown. `topic` is
    # an intent ID or one of "off_topic", "unknown", "did_you_mean".
    topic: str | None = None
    cluster: str | None = None

    def plain_text(self) -> str:
        return "\n\n".join("".join(s.text for s in p) for p in self.paragraphs)


@dataclass(slots=True)
class ReplyBuilder:
    """Builds a `Reply` paragraph by paragraph: `b.text("Hi ").bold(name).paragraph()`."""

    _paragraphs: list[tuple[Span, ...]] = field(default_factory=list)
    _current: list[Span] = field(default_factory=list)
    _buttons: list[tuple[Button, ...]] = field(default_factory=list)

    def text(self, text: str) -> ReplyBuilder:
        if text:
            self._current.append(Span(text))
        return self

    def bold(self, text: str) -> ReplyBuilder:
        if text:
            self._current.append(Span(text, Style.BOLD))
        return self

    def italic(self, text: str) -> ReplyBuilder:
        if text:
            self._current.append(Span(text, Style.ITALIC))
        return self

    def link(self, text: str, url: str) -> ReplyBuilder:
        self._current.append(Span(text, Style.LINK, url))
        return self

    def line(self) -> ReplyBuilder:
        """Start a new line inside the current paragraph."""
        self._current.append(Span("\n"))
        return self

    def paragraph(self, text: str | None = None) -> ReplyBuilder:
        """Close the current paragraph (after adding `text`, if given)."""
        if text:
            self.text(text)
        while self._current and self._current[-1].text == "\n":
            self._current.pop()  # a paragraph never ends on a line break
        if self._current:
            self._paragraphs.append(tuple(self._current))
            self._current = []
        return self

    def paragraphs(self, text: str) -> ReplyBuilder:
        """Add a multi-paragraph plain text (blank lines separate paragraphs)."""
        for chunk in text.strip().split("\n\n"):
            self.paragraph(chunk.strip())
        return self

    def extend(self, reply: Reply) -> ReplyBuilder:
        """Add another reply's paragraphs (not its buttons)."""
        self.paragraph()
        self._paragraphs.extend(reply.paragraphs)
        return self

    def buttons(self, *row: Button) -> ReplyBuilder:
        if row:
            self._buttons.append(tuple(row))
        return self

    def button_column(self, buttons: list[Button]) -> ReplyBuilder:
        for button in buttons:
            self._buttons.append((button,))
        return self

    def build(self) -> Reply:
        self.paragraph()
        return Reply(tuple(self._paragraphs), tuple(self._buttons))
