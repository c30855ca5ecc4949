"""Typed answers to the join form's button steps: people type "pme", "startup", "Liège" or
"oui" instead of tapping, and that must work as well as the button."""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation.message_cues import words
from bot.leads.model import CompanyType, Location
from knowledge.model import Language
from knowledge.text_folding import fold

# Typed answers to the button steps, beyond the buttons' own labels ("startup", "PME", "Liège").
CHOICE_WORDS: dict[str, dict[str, str]] = {
    "type": {
        "startup": "micro",
        "start": "micro",
        "tpe": "micro",
        "micro": "micro",
        "freelance": "micro",
        "independant": "micro",
        "pme": "sme",
        "sme": "sme",
        "grande": "large",
        "large": "large",
        "big": "large",
        "universite": "research_centre",
        "university": "research_centre",
        "recherche": "research_centre",
        "research": "research_centre",
        "labo": "research_centre",
        "formation": "training_centre",
        "training": "training_centre",
        "ecole": "training_centre",
        "school": "training_centre",
    },
    "location": {
        "wallonie": "wallonia",
        "wallonia": "wallonia",
        "liege": "wallonia",
        "namur": "wallonia",
        "charleroi": "wallonia",
        "mons": "wallonia",
        "bruxelles": "belgium",
        "brussels": "belgium",
        "flandre": "belgium",
        "flanders": "belgium",
        "belgique": "belgium",
        "belgium": "belgium",
        "etranger": "abroad",
        "abroad": "abroad",
        "france": "abroad",
        "netherlands": "abroad",
        "germany": "abroad",
        "allemagne": "abroad",
        "luxembourg": "abroad",
    },
}
YES = frozenset("oui yes ok okay accepte agree daccord".split())
NO = frozenset("non no refuse disagree".split())


def typed_choice(group: str, text: str, label: Callable[[Language, str], str]) -> str | None:
    """The value of a `group` ("type" or "location") that `text` names: a button's label in
    either language, or one word of `CHOICE_WORDS` (a sentence is a question, not a choice)."""
    folded = fold(text).strip(" .!")
    values = [t.value for t in CompanyType] if group == "type" else [p.value for p in Location]
    languages: tuple[Language, ...] = ("fr", "en")
    for language in languages:
        for value in values:
            if fold(label(language, f"join.{group}.{value}")) == folded:
                return value
    said = words(text)
    if len(said) > 6:
        return None
    found = {CHOICE_WORDS[group][w] for w in said if w in CHOICE_WORDS[group]}
    return found.pop() if len(found) == 1 else None
