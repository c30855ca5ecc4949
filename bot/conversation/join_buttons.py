"""The join flow's buttons as the conversation sees them: Confirm ends the request, Cancel drops
it, and a stale or forged button shows where the user is rather than doing anything."""

from __future__ import annotations

from bot.conversation.actions import JoinAction
from bot.conversation.join_flow import JoinFlow
from bot.conversation.state import ConversationState
from bot.messages.answers import AnswerBuilder
from bot.messages.reply import Reply
from knowledge.model import Language


class JoinButtons:
    """Handles the `j…` buttons for the dialogue."""

    def __init__(self, join_flow: JoinFlow, answers: AnswerBuilder) -> None:
        self._join_flow = join_flow
        self._answers = answers

    def stale(self, state: ConversationState, language: Language) -> list[Reply]:
        """A stale or forged button: inside the form, where the user is; else the menu."""
        request = state.join
        if request is not None and not self._join_flow.is_idle(request):
            notice = self._answers.notice(language, "stale_button_flow")
            return [notice, self._join_flow.prompt(request, language)]
        return [self._answers.stale(language)]

    async def press(
        self, user_id: int, state: ConversationState, language: Language, action: JoinAction
    ) -> list[Reply]:
        """A join-flow button: Confirm and Cancel act on the conversation, the others on the
        request in progress; one that does not fit gets where the user is."""
        if action.kind == "jok":
            finished, replies = await self._join_flow.confirm(
                state.join, action.value, language, user_id
            )
            if finished:
                state.join = None
            return replies or self.stale(state, language)
        request = state.join
        if request is None or self._join_flow.is_idle(request):
            state.join = None
            return [self._answers.stale(language)]
        if action.kind == "jx":
            state.join = None
            return [self._answers.cancelled(language, True)]
        replies = await self._join_flow.on_action(request, action, language)
        if not replies:
            # A button from an earlier step: say so, and ask the current question again.
            return [
                self._answers.notice(language, "stale_button_flow"),
                self._join_flow.prompt(request, language),
            ]
        return replies
