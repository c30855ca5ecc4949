"""How questions and knowledge-base text are folded before they are compared.

People type on phones: no accents, no capitals, French elisions glued to the next word,
typographic apostrophes. Folding removes all of that so "Qu’est-ce qu’un CLUSTER ?" and
"quest ce qu un cluster" meet. rapidfuzz 3 neither lowercases nor folds accents, so it is done
here, once, for the loader's duplicate check and for the matcher alike.
"""

from __future__ import annotations

import re
import unicodedata

# Typed instead of "'" by phones and keyboards. Replaced one by one (str.replace): a translate
# table costs a dictionary lookup per character, 40 µs for a long question.
_APOSTROPHES = "’‘`´ʼ"
# French elided particles: "l'", "d'", "qu'", "jusqu'"… The particle carries no meaning for
# matching, and leaving it glued ("ladhesion") would hide the word behind it.
_ELISION = re.compile(r"\b(?:jusqu|lorsqu|puisqu|quoiqu|qu|[ldjnmtsc])'", re.IGNORECASE)
# A word: a run of letters and digits (the underscore counts as a separator).
_WORD = re.compile(r"[^\W_]+")
_DIACRITICAL_MARKS = re.compile("[\u0300-\u034e\u0350-\u036f]+")  # U+034F is not a mark


def strip_accents(text: str) -> str:
    """Remove combining marks: "é" → "e", "ç" → "c", while keeping every other character."""
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed.isascii():  # most questions: nothing to remove, skip the per-letter loop
        return decomposed
    # French and most Latin accents are the Combining Diacritical Marks block: one regex pass
    # removes them; only what is then still not ASCII (œ, emoji, other scripts) is checked
    # letter by letter.
    decomposed = _DIACRITICAL_MARKS.sub("", decomposed)
    if decomposed.isascii():
        return decomposed
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of `text`, words separated by one space."""
    # Every text the matcher sees passes here (examples at start-up, each question after):
    # each step is skipped when the text cannot hold what it removes.
    text = unicodedata.normalize("NFKC", text)
    for apostrophe in _APOSTROPHES:
        if apostrophe in text:
            text = text.replace(apostrophe, "'")
    if "'" in text:
        text = _ELISION.sub(" ", text)
    text = strip_accents(text.casefold())
    return " ".join(_WORD.findall(text))


def words(text: str) -> list[str]:
    """The folded words of `text`."""
    return fold(text).split()
