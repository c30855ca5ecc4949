"""Our own work per question, without Telegram: what `bench/end_to_end.py`'s CPU per update
would be if sending cost nothing.

    python bench/dialogue_cost.py

The same 1,000 questions from 100 users as the end-to-end benchmark go through the core in
this process, as the Telegram handler drives it: load the user's conversation state, the
dialogue (matcher, rules, the anonymous question tally, unanswered questions kept for review,
SQLite through aiosqlite's thread), save the state, render the replies to Telegram HTML.
CPU time (process_time: every thread, aiosqlite's included) is split into the matcher alone
(the same questions matched once more, on their own) and the rest.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.end_to_end import (
    FIRST_USER_ID,
    QUESTIONS_PER_USER,
    USERS,
    make_conversations,
    print_machine,
    question_pool,
)
from bot.conversation.dialogue import UserRef
from bot.messages.rendering import to_html_messages
from bot.services import Services
from bot.settings import Settings
from knowledge.loader import load_knowledge_base


async def run() -> int:
    print_machine()
    with tempfile.TemporaryDirectory(prefix="bench-dialogue-") as directory:
        settings = Settings(database_path=Path(directory) / "assistant.sqlite3")
        services = await Services.open(settings, load_knowledge_base())
        try:
            pool, _in_scope, _out_of_scope = await question_pool(services)
            conversations = make_conversations(pool, USERS, QUESTIONS_PER_USER, FIRST_USER_ID)
            questions = [q for c in conversations for q in c.questions]

            started = time.process_time()
            for conversation in conversations:
                user = UserRef(conversation.user_id, conversation.language_code)
                for text in conversation.questions:
                    state = await services.conversations.load(user.id)
                    replies = await services.dialogue.on_text(user, state, text)
                    await services.conversations.save(user.id, state)
                    for reply in replies:
                        to_html_messages(reply)
            total = time.process_time() - started

            started = time.process_time()
            for text in questions:
                services.matcher.match(text)
            matching = time.process_time() - started
        finally:
            await services.close()
    count = len(questions)
    print(f"{count} questions from {len(conversations)} users, through the core as on Telegram")
    rows = (
        ("CPU per question, all of our work", total),
        ("  of which the matcher", matching),
        ("  the rest (rules, SQLite, rendering)", total - matching),
    )
    for label, seconds in rows:
        print(f"{label:40}{1000 * seconds / count:>8.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(run()))
