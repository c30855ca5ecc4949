"""Typed answers to the join form's button steps: people type "pme", "startup", "Liège" or
"oui" instead of tapping, and that must work as well as the button."""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation.message_cues import words
from bot.conversation.places import place_of
from bot.leads.model import CompanyType, Location
from knowledge.model import Language
from knowledge.text_folding import fold

# Typed company types, beyond the buttons' own labels ("startup", "PME"); places typed at the
# location step are in places.py.
TYPE_WORDS: dict[str, str] = {
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
}
YES = frozenset("oui yes ok okay accepte agree daccord".split())
NO = frozenset("non no refuse disagree".split())


def typed_choice(group: str, text: str, label: Callable[[Language, str], str]) -> str | None:
    """The value of a `group` ("type" or "location") that `text` names: a button's label in
    either language, a place (`places.py`), one word of `TYPE_WORDS` or a head count (a
    sentence is a question, not a choice)."""
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
    if group == "location":
        return place_of(said)
    found = {TYPE_WORDS[w] for w in said if w in TYPE_WORDS}
    if not found:
        return _size_class(said)
    return found.pop() if len(found) == 1 else None


# "on est 4", "about 300 staff", "une vingtaine de personnes": the European size classes
# (under 10 people: micro; under 250: SME; else large).
_HEADCOUNT_WORDS = frozenset(
    "on est nous sommes we are personnes people staff employees salaries employes about environ"
    " around une vingtaine trentaine quarantaine cinquantaine centaine de d of".split()
)
_ROUGH_COUNTS = {"vingtaine": 20, "trentaine": 30, "quarantaine": 40, "cinquantaine": 50}
_ROUGH_COUNTS |= {"centaine": 100}
MICRO_BELOW = 10
SME_BELOW = 250


def _size_class(said: list[str]) -> str | None:
    """The company type a head count typed alone says, if the message is only that."""
    numbers = [int(w) for w in said if w.isdigit()] + [
        _ROUGH_COUNTS[w] for w in said if w in _ROUGH_COUNTS
    ]
    if len(numbers) != 1 or not set(said) - {str(numbers[0])} <= _HEADCOUNT_WORDS:
        return None
    count = numbers[0]
    return "micro" if count < MICRO_BELOW else "sme" if count < SME_BELOW else "large"
