"""The typed context every handler receives: `context.services` instead of `bot_data[...]`."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.conversation.dialogue import ConversationState, UserRef
from bot.conversation.flood_control import FloodGuard
from bot.services import Services


class BotData:
    """Application-wide objects; not persisted (they are rebuilt at every start)."""

    def __init__(self) -> None:
        self._services: Services | None = None
        self.flood = FloodGuard()

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are attached in the composition root before start")
        return self._services

    @services.setter
    def services(self, services: Services) -> None:
        self._services = services


class AssistantContext(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]):
    """CallbackContext with typed access to the assistant's services and user state."""

    @property
    def services(self) -> Services:
        return self.bot_data.services

    async def conversation(self) -> ConversationState:
        """The state of the user this update is from (see bot/storage/conversation_store.py)."""
        user_id = self._user_id
        if user_id is None:
            return ConversationState()
        return await self.services.conversations.load(user_id)

    async def save_conversation(self, state: ConversationState) -> None:
        if self._user_id is not None:
            await self.services.conversations.save(self._user_id, state)


CONTEXT_TYPES = ContextTypes(context=AssistantContext, bot_data=BotData)
AssistantApplication = Application[
    ExtBot[int], AssistantContext, dict[Any, Any], dict[Any, Any], BotData, Any
]


def user_ref(user: Any) -> UserRef:
    """The dialogue's view of a Telegram user."""
    first, last = getattr(user, "first_name", None), getattr(user, "last_name", None)
    name = " ".join(part for part in (first, last) if part) or None
    return UserRef(
        user.id, getattr(user, "language_code", None), name, getattr(user, "username", None)
    )
