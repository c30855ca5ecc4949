"""Rendering replies: Telegram HTML that Telegram accepts, within its length limit, and text.

Every HTML message is checked with `parse_html` from the fake Bot API, which parses the way
Telegram does and raises on what Telegram would refuse.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.messages.rendering import TELEGRAM_TEXT_LIMIT, HtmlMessage, to_html_messages, to_terminal
from bot.messages.reply import Button, Reply, ReplyBuilder, Span, Style
from knowledge.model import LANGUAGES, KnowledgeBase
from tests.fake_bot_api import parse_html, utf16_len

NASTY = "a < b > c & d &amp; <b>not bold</b> &lt; \"quoted\" 'single'"
BUTTONS = ((Button("Yes", "yes"), Button("No", "no")), (Button("Back", "back"),))


def _visible(message: HtmlMessage) -> str:
    return parse_html(message.text).text


def _check_messages(messages: list[HtmlMessage], reply: Reply, limit: int) -> list[str]:
    """Checks shared by every split: returns the visible text of each message."""
    assert messages
    visible = [_visible(m) for m in messages]  # raises on malformed HTML
    for text in visible:
        assert text.strip(), "empty message"
        assert utf16_len(text) <= limit
    assert [m.buttons for m in messages[:-1]] == [()] * (len(messages) - 1)
    assert messages[-1].buttons == reply.buttons
    return visible


def test_every_style_is_escaped() -> None:
    url = 'https://example.org/?q=<x>&lang="fr"'
    reply = Reply(
        (
            (Span(NASTY), Span(NASTY, Style.BOLD)),
            (Span(NASTY, Style.ITALIC), Span(NASTY, Style.LINK, url)),
        )
    )
    (message,) = to_html_messages(reply)
    parsed = parse_html(message.text)
    assert parsed.text == reply.plain_text()
    n = len(NASTY)
    assert parsed.entities == [
        {"type": "bold", "offset": n, "length": n},
        {"type": "italic", "offset": 2 * n + 2, "length": n},
        {"type": "text_link", "url": url, "offset": 3 * n + 2, "length": n},
    ]


def test_short_reply_is_one_message_with_the_buttons() -> None:
    reply = (
        ReplyBuilder()
        .text("Hello ")
        .bold("you")
        .paragraph()
        .paragraph("Second")
        .buttons(*BUTTONS[0])
        .build()
    )
    (message,) = to_html_messages(reply)
    assert message.text == "Hello <b>you</b>\n\nSecond"
    assert message.buttons == (BUTTONS[0],)


def test_empty_reply_still_gives_one_non_empty_message() -> None:
    reply = Reply((), BUTTONS)
    (message,) = to_html_messages(reply)
    assert _visible(message).strip()
    assert message.buttons == BUTTONS


@pytest.mark.parametrize(
    "paragraph",
    [
        ("word " * 2000)[:10_000],  # a long paragraph with spaces to cut at
        "x" * 10_000,  # nowhere to cut but anywhere
        "😀é<&>" * 2000,  # emoji count 2 UTF-16 units; escaping makes the HTML longer still
    ],
)
def test_a_long_paragraph_is_split_within_the_limit(paragraph: str) -> None:
    reply = Reply(((Span(paragraph),),), BUTTONS)
    messages = to_html_messages(reply)
    visible = _check_messages(messages, reply, TELEGRAM_TEXT_LIMIT)
    assert len(messages) >= 3
    # Nothing but the white space at the cuts is lost.
    assert "".join(visible).replace(" ", "") == paragraph.replace(" ", "")


def test_many_paragraphs_are_split_on_paragraph_boundaries() -> None:
    paragraphs = [f"{n}: 😀 <tag> & {'blah ' * (n % 40)}" for n in range(400)]
    builder = ReplyBuilder()
    for n, text in enumerate(paragraphs):
        builder.bold(f"#{n} ").text(text).paragraph()
    reply = builder.button_column([Button("More", "more")]).build()
    messages = to_html_messages(reply)
    visible = _check_messages(messages, reply, TELEGRAM_TEXT_LIMIT)
    assert len(messages) > 1
    # Each paragraph whole in exactly one message, in order.
    rebuilt = [p for text in visible for p in text.split("\n\n")]
    assert rebuilt == [f"#{n} {text}" for n, text in enumerate(paragraphs)]
    # Messages are filled: the next paragraph would not have fitted.
    for text, following in itertools.pairwise(visible):
        assert utf16_len(text) + 2 + utf16_len(following.split("\n\n")[0]) > TELEGRAM_TEXT_LIMIT


def test_paragraphs_exactly_at_the_limit() -> None:
    half = "😀" * 1023 + "ab"  # 2048 UTF-16 units
    reply = Reply(((Span(half),), (Span(half),), (Span("z" * 4096),)))
    messages = to_html_messages(reply)
    assert [_visible(m) for m in messages] == [half, half, "z" * 4096]


def test_a_long_paragraph_cut_span_by_span_leaves_no_blank_message() -> None:
    # Found by hypothesis: the trailing space span became a message of its own.
    url = "https://e.org/?a=1&b=<2>"
    reply = Reply(((Span("0", Style.LINK, url), Span("00000𐀀", Style.LINK, url), Span(" ")),))
    messages = to_html_messages(reply, limit=8)
    assert [_visible(m) for m in messages] == ["0", "00000𐀀"]


def test_a_blank_paragraph_is_not_sent() -> None:
    reply = Reply(((Span("  "),), (Span("Bonjour"),), (Span("\n"),)))
    assert [_visible(m) for m in to_html_messages(reply)] == ["Bonjour"]


SPAN_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=60)
SPAN = st.builds(
    Span,
    SPAN_TEXT,
    st.sampled_from([Style.PLAIN, Style.BOLD, Style.ITALIC]),
) | st.builds(lambda t, u: Span(t, Style.LINK, u), SPAN_TEXT, st.just("https://e.org/?a=1&b=<2>"))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(SPAN, min_size=1, max_size=4).filter(
            lambda p: "".join(s.text for s in p).strip()
        ),
        min_size=1,
        max_size=12,
    ),
    st.integers(min_value=8, max_value=120),
)
def test_any_reply_renders_to_well_formed_messages(
    paragraphs: list[list[Span]], limit: int
) -> None:
    reply = Reply(tuple(tuple(p) for p in paragraphs), BUTTONS)
    messages = to_html_messages(reply, limit=limit)
    visible = _check_messages(messages, reply, limit)
    kept = "".join(ch for ch in "".join(visible) if not ch.isspace())
    assert kept == "".join(ch for ch in reply.plain_text() if not ch.isspace())


def test_every_knowledge_base_answer_renders(knowledge: KnowledgeBase) -> None:
    for intent in knowledge.intents:
        for language in LANGUAGES:
            reply = ReplyBuilder().paragraphs(intent.answer[language]).build()
            visible = [_visible(m) for m in to_html_messages(reply)]
            assert "\n\n".join(visible) == reply.plain_text()


def test_terminal_text() -> None:
    reply = (
        ReplyBuilder()
        .text("a < b & ")
        .bold("bold")
        .paragraph()
        .link("the site", "https://example.org")
        .text(" or ")
        .link("https://example.org", "https://example.org")
        .paragraph()
        .buttons(*BUTTONS[0])
        .buttons(*BUTTONS[1])
        .build()
    )
    text, choices = to_terminal(reply, first_choice=4)
    assert text == (
        "a < b & bold\n\n"
        "the site <https://example.org> or https://example.org\n"
        "  [4] Yes\n  [5] No\n  [6] Back"
    )
    assert choices == [*BUTTONS[0], *BUTTONS[1]]


def test_terminal_buttons_only() -> None:
    assert to_terminal(Reply((), BUTTONS[1:])) == ("  [1] Back", [BUTTONS[1][0]])
