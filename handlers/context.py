"""The typed context every handler receives: `context.services` instead of `bot_data[...]`."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.conversation.dialogue import UserRef
from bot.conversation.flood_control import FloodGuard
from bot.services import Services
from knowledge.model import Language


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

    async def close_services(self) -> None:
        """Close the services if they were opened (post_shutdown; safe to call twice)."""
        services, self._services = self._services, None
        if services is not None:
            await services.close()


class AssistantContext(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]):
    """CallbackContext with typed access to the assistant's services."""

    @property
    def services(self) -> Services:
        return self.bot_data.services

    async def language(self, user: Any) -> Language:
        """The language to answer this Telegram user in, read only: saving here could
        overwrite a newer state written by an update of theirs in another chat."""
        return await self.services.language_of(user_ref(user))


CONTEXT_TYPES = ContextTypes(context=AssistantContext, bot_data=BotData)
AssistantApplication = Application[
    ExtBot[int], AssistantContext, dict[Any, Any], dict[Any, Any], BotData, Any
]


def user_ref(user: Any) -> UserRef:
    """The dialogue's view of a Telegram user."""
    return UserRef(user.id, getattr(user, "language_code", None))
