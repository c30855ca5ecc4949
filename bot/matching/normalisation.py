"""From raw text to words: folding, chat shorthand, stop words, plural endings, stems.

Nothing here depends on the knowledge base; `text_analysis` adds what does (typo correction
against its vocabulary, names of clusters and pôles).
"""

from __future__ import annotations

import re

from knowledge.text_folding import fold

# Function words: they say little about the intent. Interrogatives ("what", "who", "how",
# "quoi", "qui", "comment") are deliberately *not* here: they separate "what is a cluster" from
# "how to join" and "who can join". Nor is the infinitive "be"/"être": unlike "is" or "sont", it
# asks what one can or must *be* ("qui peut être membre ?"), the mark of an eligibility
# question. The learned classifier sees stop words too (as word n-grams): only the
# nearest-example scorer and the cluster/keyword detection leave them out.
FRENCH_STOP_WORDS = frozenset(
    """
    a au aux avec ce ces cet cette dans de des du elle elles en et est il ils je la le
    les leur leurs lui ma mais me mes moi mon ne nos notre nous on ou par pas pour qu que
    sa se ses son sont sur ta te tes toi ton tu un une vos votre vous y ai as avons avez
    ont suis es sommes etes etait ete sera serait peux peut pouvez pouvons puis veux veut
    voulons voulez ca cela ceci ici tres bien aussi alors donc svp stp
    """.split()
)
ENGLISH_STOP_WORDS = frozenset(
    """
    a an the and or of to in on at for with by from is are was were been being am it its
    this that these those i me my we us our you your he she they them their his her do does
    did can could would should will shall may might there here so as if then than into about
    please just also very s t d ll re ve m
    """.split()
)
STOP_WORDS = FRENCH_STOP_WORDS | ENGLISH_STOP_WORDS

# Chat shorthand, expanded before matching: people type "slt", "c koi", "thx" on phones.
SHORTHAND = {
    "slt": "salut",
    "bjr": "bonjour",
    "bsr": "bonsoir",
    "mrc": "merci",
    "mci": "merci",
    "bcp": "beaucoup",
    "koi": "quoi",
    "kwa": "quoi",
    "c": "est",
    "pq": "pourquoi",
    "pk": "pourquoi",
    "cmt": "comment",
    "qd": "quand",
    "tjs": "toujours",
    "ty": "thank you",
    "thx": "thanks",
    "thanx": "thanks",
    "thnx": "thanks",
    "tysm": "thank you so much",
    "merssi": "merci",
    "mersi": "merci",
    "mrci": "merci",
    "conbien": "combien",
    "bxl": "bruxelles",
    "voudre": "voudrais",
    "minscrir": "m inscrire",
    "minscrire": "m inscrire",
    "ya": "il y a",
    "yen": "il y en",
    "tks": "thanks",
    "cya": "see you",
    "u": "you",
    "r": "are",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "wat": "what",
    "abt": "about",
    "info": "information",
    "infos": "informations",
    "dev": "developpement",
    "tel": "telephone",
    "num": "numero",
    "vs": "vous",
    "pr": "pour",
    "ds": "dans",
    "cmb": "combien",
    "jveux": "je veux",
    "chui": "je suis",
    "jsuis": "je suis",
    "sinscrire": "s inscrire",
    "qqn": "quelqu un",
    "qq1": "quelqu un",
    "mtn": "maintenant",
    "cest": "est",
    "ki": "qui",
    "kel": "quel",
    "kelle": "quelle",
    "prod": "production",
    "appli": "application",
    "app": "application",
    "apps": "applications",
    "cybersecu": "cybersecurite",
}

# "Qu'est-ce que/qui" is French for "what", but folding drops the elided "qu'" and leaves "est
# ce", two stop words: "Qu'est-ce qu'un cluster d'entreprises ?" would lose its question word.
# So "quoi" (as in "c'est quoi") is added before folding.
WHAT_IS_FRENCH = re.compile(r"\bqu\W*est\W*ce\b", re.IGNORECASE)
# "byeee", "merciiii", "slttt": letters drawn out for tone, three times or more.
DRAWN_OUT = re.compile(r"([^\W\d_])\1{2,}")
# "a+" and "@+" (French for "see you"): folding would drop the "+" and leave a stop word.
SEE_YOU_FRENCH = re.compile(r"(?:\ba|@)\s*\+(?!\w)", re.IGNORECASE)

STEM_LENGTH = 6
FRENCH_LETTERS = frozenset("éèêàçùâîôûëïœÉÈÊÀÇ")


# E-mail addresses and web addresses say nothing of the question ("…@menuiserie-dubois.be"
# is no activity): they are left out before matching.
ADDRESSES = re.compile(r"\S+@\S+|\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
# "IT" in capitals is information technology ("an IT company"), but folded it would be the stop
# word "it" and the sector would be lost. Only in text that is not all capitals ("IS IT FREE").
INFORMATION_TECHNOLOGY = re.compile(r"\bIT\b")


def text_words(text: str, names: frozenset[str] = frozenset()) -> list[str]:
    """Folded words with chat shorthand expanded and "qu'est-ce" marked as "quoi"; two words
    that together make one of `names` are joined ("info pole", "plasti win")."""
    # Each pattern runs only when the text holds what it looks for: this runs for every
    # example at start-up and for every question, and most hold none of these.
    lowered = text.lower()
    if "@" in text or "://" in text or "www." in lowered:
        text = ADDRESSES.sub(" ", text)
    if "IT" in text and text != text.upper():
        text = INFORMATION_TECHNOLOGY.sub(" informatique ", text)
    if "est" in lowered:
        text = WHAT_IS_FRENCH.sub(" quoi est ce ", text)
    if "+" in text:
        text = SEE_YOU_FRENCH.sub(" a plus ", text)
    text = DRAWN_OUT.sub(r"\1", text)
    words: list[str] = []
    folded = fold(text).split()
    i = 0
    while i < len(folded):
        word = folded[i]
        if i + 1 < len(folded) and word + folded[i + 1] in names:
            words.append(word + folded[i + 1])
            i += 2
            continue
        expansion = SHORTHAND.get(word)
        words.extend(expansion.split() if expansion else (word,))
        i += 1
    return words


def stem(word: str) -> str:
    """Stem by truncation, which also joins French and English cousins
    ("financement"/"financing")."""
    return word[:STEM_LENGTH]


def singular(word: str) -> str:
    """Drop a plural ending: names and sector keywords compare on whole words, not stems,
    because a six-letter stem would make "plastiques" a mention of PLASTIWIN."""
    if len(word) > 3 and word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


def content_words(text: str) -> tuple[str, ...]:
    """The singular words of `text` without stop words: how names and keywords compare."""
    return tuple(singular(w) for w in text_words(text) if w not in STOP_WORDS)
