"""Turns a `Reply` into what a channel can show: Telegram HTML messages or terminal text."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass

from bot.messages.reply import Button, Reply, Span, Style

TELEGRAM_TEXT_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class HtmlMessage:
    text: str
    buttons: tuple[tuple[Button, ...], ...]


def _utf16_length(text: str) -> int:
    # Telegram counts message length in UTF-16 code units (an emoji can count for two).
    return len(text.encode("utf-16-le")) // 2


def _span_html(span: Span) -> str:
    text = html.escape(span.text, quote=False)
    if span.style is Style.BOLD:
        return f"<b>{text}</b>"
    if span.style is Style.ITALIC:
        return f"<i>{text}</i>"
    if span.style is Style.LINK and span.url:
        return f'<a href="{html.escape(span.url, quote=True)}">{text}</a>'
    return text


def _cut(text: str, limit: int) -> Iterator[str]:
    """Cut a text longer than `limit` at line or word boundaries where possible."""
    while _utf16_length(text) > limit:
        cut = limit
        while _utf16_length(text[:cut]) > limit:
            cut -= 1
        boundary = max(text.rfind("\n", 0, cut), text.rfind(" ", 0, cut))
        if boundary > cut // 2:
            cut = boundary
        yield text[:cut]
        text = text[cut:].lstrip()
    if text:
        yield text


def _pieces(reply: Reply, limit: int) -> Iterator[tuple[Span, ...]]:
    """Paragraphs, with any paragraph longer than `limit` cut into several.

    Blank pieces are dropped: Telegram refuses a message with nothing visible, and cutting a
    long paragraph span by span can leave one holding only a space.
    """
    for paragraph in reply.paragraphs:
        text = "".join(s.text for s in paragraph)
        if not text.strip():
            continue
        if _utf16_length(text) <= limit:
            yield paragraph
            continue
        for span in paragraph:
            for part in _cut(span.text, limit):
                if part.strip():
                    yield (Span(part, span.style, span.url),)


def to_html_messages(reply: Reply, limit: int = TELEGRAM_TEXT_LIMIT) -> list[HtmlMessage]:
    """Render a reply as one or more HTML messages, split on paragraph boundaries.

    Lengths are counted on the visible text (what Telegram counts after parsing entities);
    the buttons go under the last message, where the user's thumb is.
    """
    chunks: list[list[str]] = [[]]
    visible = 0
    for paragraph in _pieces(reply, limit):
        length = _utf16_length("".join(s.text for s in paragraph))
        separator = 2 if chunks[-1] else 0
        if chunks[-1] and visible + separator + length > limit:
            chunks.append([])
            visible, separator = 0, 0
        chunks[-1].append("".join(_span_html(s) for s in paragraph))
        visible += separator + length
    texts = ["\n\n".join(c) for c in chunks if c]
    if not texts:
        texts = ["…"]
    return [
        HtmlMessage(text, reply.buttons if i == len(texts) - 1 else ())
        for i, text in enumerate(texts)
    ]


def to_terminal(reply: Reply, first_choice: int = 1) -> tuple[str, list[Button]]:
    """Plain text for a terminal, with buttons shown as numbered choices."""
    lines = []
    for paragraph in reply.paragraphs:
        parts = []
        for span in paragraph:
            if span.style is Style.LINK and span.url and span.url != span.text:
                parts.append(f"{span.text} <{span.url}>")
            else:
                parts.append(span.text)
        lines.append("".join(parts))
    choices = [button for row in reply.buttons for button in row]
    text = "\n\n".join(lines)
    if choices:
        numbered = "\n".join(
            f"  [{first_choice + i}] {button.label}" for i, button in enumerate(choices)
        )
        text = f"{text}\n{numbered}" if text else numbered
    return text, choices
