"""Transitional: the five stores this module held now live in one module per table group
(user_settings_store, unanswered_question_store, question_log_store, learned_example_store,
privacy_store). bot/conversation/dialogue.py and bot/messages/answers.py, being edited on other
branches right now, still import from here; switch them and delete this file when they land."""

from bot.storage.privacy_store import ForgetReport, PersistedState, PrivacyStore, UserData
from bot.storage.question_log_store import QuestionOutcome

__all__ = ["ForgetReport", "PersistedState", "PrivacyStore", "QuestionOutcome", "UserData"]
