"""How the handoff's messages read: to the user in their language, to staff in the staff
chat's (the default language). Plain spans only: the renderer escapes everything, so a staff
reply or a user's name holding `<b>` shows as typed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.handoff.store import Handoff, HandoffMessage
from bot.messages.answer_base import tagged
from bot.messages.catalogue import Catalogue
from bot.messages.reply import Button, Reply, ReplyBuilder
from knowledge.model import LANGUAGES, Language

# What staff see of one of the user's recent questions the assistant could not answer.
CONTEXT_QUESTION_CHARS = 200
# The buttons a notice to the user may carry.
BUTTONS = {
    "close": ("handoff.close", "hx"),  # end the conversation with the team
    "talk": ("handoff.offer", "ho"),  # write to the team (again)
    "cancel": ("handoff.cancel", "hn"),  # no message for the team after all
}


def user_language(handoff: Handoff) -> Language:
    return handoff.language if handoff.language in LANGUAGES else "fr"


class HandoffReplies:
    """Builds the handoff's replies from the catalogue."""

    def __init__(self, catalogue: Catalogue, staff_language: Language) -> None:
        self._catalogue = catalogue
        self.staff_language: Language = staff_language

    def _t(self, lang: Language, key: str, **values: object) -> str:
        return self._catalogue.text(lang, key, **values)

    def notice(
        self,
        language: Language,
        *keys: str,
        button: str | None = None,
        values: dict[str, object] | None = None,
        topic: str | None = None,
    ) -> Reply:
        """One paragraph per catalogue key, at most one of `BUTTONS`, and what it is about."""
        builder = ReplyBuilder()
        for key in keys:
            builder.paragraph(self._t(language, key, **(values or {})))
        if button is not None:
            key, action = BUTTONS[button]
            builder.buttons(Button(self._t(language, key), action))
        return tagged(builder.build(), topic)

    def staff_notice(self, key: str, **values: object) -> Reply:
        return self.notice(self.staff_language, key, values=values)

    def offer(self, language: Language, question_id: int, text: str) -> Reply:
        """Shall I send the question you just asked?"""
        builder = ReplyBuilder().paragraph(self._t(language, "handoff.offer_question"))
        builder.italic(text).paragraph()
        builder.button_column(
            [
                Button(self._t(language, "handoff.send_it"), f"hy:{question_id}"),
                Button(self._t(language, "handoff.write_other"), "hw"),
                Button(self._t(language, "handoff.cancel"), "hn"),
            ]
        )
        return tagged(builder.build(), "contact_human")

    def first_post(
        self,
        handoff: Handoff,
        message: HandoffMessage,
        references: Sequence[str],
        questions: Sequence[str],
    ) -> Reply:
        """The conversation's first message in the staff chat: who wrote it, the context."""
        language = self.staff_language
        t = self._t
        builder = ReplyBuilder().bold(t(language, "handoff_staff.title", id=handoff.id))
        builder.paragraph()
        who = handoff.user_name + (f" (@{handoff.username})" if handoff.username else "")
        builder.text(t(language, "handoff_staff.from", name=who, user_id=handoff.user_id)).line()
        builder.text(t(language, "handoff_staff.language", code=handoff.language)).line()
        if references:
            builder.text(t(language, "handoff_staff.leads", references=", ".join(references)))
        builder.paragraph()
        if questions:
            builder.text(t(language, "handoff_staff.context"))
            for text in questions:
                if len(text) > CONTEXT_QUESTION_CHARS:
                    text = text[:CONTEXT_QUESTION_CHARS] + "…"
                builder.line().text(f"– {text}")
            builder.paragraph()
        builder.paragraphs(message.text)
        builder.italic(t(language, "handoff_staff.how_to_answer")).paragraph()
        close = t(language, "handoff_staff.close", id=handoff.id)
        builder.buttons(Button(close, f"hc:{handoff.id}"))
        return builder.build()

    def follow_up(self, handoff: Handoff, message: HandoffMessage) -> Reply:
        """A further message of the user, posted as a reply to the first."""
        title = self._t(
            self.staff_language, "handoff_staff.follow_up", id=handoff.id, name=handoff.user_name
        )
        return ReplyBuilder().bold(title).paragraph().paragraphs(message.text).build()

    def team_reply(self, handoff: Handoff, text: str, *, still_open: bool) -> Reply:
        """A staff member's answer, marked as the team's, in the user's language."""
        language = user_language(handoff)
        builder = ReplyBuilder().bold(self._t(language, "handoff.from_team")).paragraph()
        builder.paragraphs(text)
        key, action = BUTTONS["close" if still_open else "talk"]
        builder.buttons(Button(self._t(language, key), action))
        return builder.build()
