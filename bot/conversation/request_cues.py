"""Cues about the join request in words: a wish to join now, no answer to give at an optional
step, which answer a "why" is about, and the user's own requests (status, corrections)."""

from __future__ import annotations

import re

from bot.conversation.message_cues import near, phrase_in, reads_as_question, words
from bot.matching.normalisation import content_words

_WANT = (
    "je veux",
    "jveux",
    "j veux",
    "je voudrais",
    "j voudrais",
    "j aimerais",
    "je souhaite",
    "on veut",
    "on voudrait",
    "nous voulons",
    "nous voudrions",
    "nous souhaitons",
    "i want to",
    "i wanna",
    "i d like to",
    "id like to",
    "i would like to",
    "we want to",
    "we d like to",
    "we would like to",
    "let s",
    "lets",
)
_JOIN_WORDS = frozenset(
    "adherer adhere adhesion rejoindre inscrire inscription inscris inscrivez membre devenir"
    " join apply application signup register member sign demande request candidature".split()
)


_JOIN_NOW = (
    "sign me up",
    "sign us up",
    "inscrivez moi",
    "inscris moi",
    "inscrivez nous",
    "faire une demande",
    "faire la demande",
    "faire ma demande",
    "fais la demande",
    "remplir la demande",
    "introduire une demande",
    "deposer une demande",
    "envoyer une demande",
    "je m inscris",
    "jm inscris",
    "m inscris",
    "on s inscrit",
    "je rejoins",
    "j adhere",
    "make a request",
    "submit a request",
    "send a request",
    "file a request",
)


# Said as an order, not asked: "join that one", but "how do I join it?" is a question.
_JOIN_ORDERS = (
    "join that one",
    "join this one",
    "join that cluster",
    "join it",
    "join them",
    "count me in",
    "sign up",
    "sign me up",
    "sign us up",
    "sign me in",
    "sign us in",
    "enrol me",
    "enrol us",
    "enroll me",
    "enroll us",
    "register me",
    "register us",
    "go for it",
    "rejoindre celui",
    "adherer a celui",
    "inscrire a celui",
    "je le prends",
    "on y va",
    "allons y",
    "on fait la demande",
    "faisons la demande",
    "lance la demande",
    "lancer la demande",
    "lancez la demande",
    "je postule",
    "on postule",
    "let s do it",
    "lets do it",
    "let s apply",
    "apply now",
    "i ll apply",
)


_HOW = frozenset("comment cmt how".split())
# "if I want to join again later, is it possible?" asks; it is no wish to join now.
_CONDITIONAL = (
    "if i want",
    "if we want",
    "if i wanted",
    "si je veux",
    "si on veut",
    "si nous voulons",
    "si je m inscris",
    "si jm inscris",
    "si on s inscrit",
    "si j adhere",
    "si on adhere",
    "si je rejoins",
    "if i join",
    "if we join",
    "if i sign up",
    "if we sign up",
    "if i apply",
    "if we apply",
    # "avant de m'inscrire, je voudrais m'assurer que…": a question asked first
    "avant de m inscrire",
    "avant de nous inscrire",
    "avant d adherer",
    "avant de rejoindre",
    "before joining",
    "before i join",
    "before we join",
    "before signing up",
    "before i sign up",
    "before we sign up",
    "before applying",
)


def wants_to_join(text: str) -> bool:
    """A wish to join now: "je veux adhérer", "je souhaite faire une demande", "sign me up"."""
    found = words(text)
    if set(found) & _CHANGE_WORDS or phrase_in(found, _CONDITIONAL):
        return False  # "je voudrais modifier ma demande" changes the one sent
    if phrase_in(found, _JOIN_NOW) and found[0] not in _HOW:
        return True  # "comment on s'inscrit ?" asks how: a question
    if phrase_in(found, _JOIN_ORDERS) and not reads_as_question(text):
        return True
    return phrase_in(found, _WANT) and any(near(w, _JOIN_WORDS) for w in found)


_SKIP_PHRASES = (
    "pas sous la main",
    "par coeur",
    "plus tard",
    "le donner apres",
    "connais pas",
    "je l ai plus",
    "later",
    "not at hand",
    "don t remember",
    "dont remember",
    "don t know it",
    "l ai pas",
    "prefere ne pas",
    "rather not",
    "prefer not",
    "don t have it",
    "je sais pas",
    "je ne sais pas",
    "sais pas",
    "jsp",
    "jsais pas",
    "pas de numero",
    "pas encore",
    "j en ai pas",
    "on en a pas",
    "nous n en avons pas",
    "aucun",
    "pas de telephone",
    "pas de tel",
    "passer",
    "passe",
    "skip",
    "don t have",
    "dont have",
    "do not have",
    "don t know",
    "dont know",
    "not yet",
    "no number",
    "none",
    "n a",
    "prefer not",
    "rather not",
    "pas envie",
    "prefere ne pas",
    "prefere pas",
    "ne pas donner",
    "pas donner",
    "sans telephone",
    "no phone",
    "not give",
    "not share",
    "on a pas",
    "j ai pas",
    "jai pas",
    "pas de num",
    "n avons pas",
    "personne physique",
    "haven t got",
    "havent got",
)


# Which answer a "why do you need…" question is about, when it names one.
_FIELD_WORDS = {
    "telephone": "phone",
    "tel": "phone",
    "phone": "phone",
    "gsm": "phone",
    "portable": "phone",
    "mobile": "phone",
    "email": "email",
    "mail": "email",
    "courriel": "email",
    "adresse": "email",  # the form asks no postal address
    "address": "email",
    "bce": "enterprise_number",
    "kbo": "enterprise_number",
    "tva": "enterprise_number",
    "vat": "enterprise_number",
    "activite": "activity",
    "activity": "activity",
    "nom": "contact_name",
    "name": "contact_name",
}


# Words that make "TVA"/"VAT" the tax rather than the number the form asks for.
_TAX_WORDS = frozenset(
    "taux rate rates assujetti assujettie declaration declarer register registration return"
    " returns payer pay rembourser refund recuperer reclaim deductible deduire".split()
)

_COMPANY_NAME_PHRASES = (
    "nom de l entreprise",
    "nom de la boite",
    "nom de la societe",
    "nom de ma boite",
    "nom de notre entreprise",
    "nom de la firme",
    "company name",
    "company s name",
    "name of the company",
    "business name",
    "nom exact de la societe",
    "nom exact de l entreprise",
    "exact company name",
    "correct company name",
)
_ENTERPRISE_NUMBER_PHRASES = (
    "numero d entreprise",
    "numero de l entreprise",
    "numero de societe",
    "numero de tva",
    "numero tva",
    "vat number",
    "vat registration number",
    "enterprise number",
    "company number",
    "company registration number",
)
_CHANGE_WORDS = frozenset(
    "changer change modifier modifie corriger corrige correct correction edit update remplacer"
    " wrong trompe trompee erreur mistake typo faute errone erronee incorrect incorrecte".split()
)
# "le nom exact de la société est …", "the correct name is …": a correction too.
_CHANGE_PHRASES = (
    "nom exact",
    "exact name",
    "correct name",
    "bon nom",
    "vrai nom",
    "right name",
    "en fait",
    "actually",
)
# "sorry the company name is GreenGrid Solutions SRL", "le numéro c'est 0123…": an answer
# stated with its field is a correction too, whatever step the form is at.
_FIELD_STATED = (
    r"\b(?:name|nom|number|num[eé]ro|e-?mail|mail|phone|t[eé]l[eé]phone|gsm)"
    r"\s+(?:is|est|c'?est|=)"
)
_STATES_A_FIELD = re.compile(_FIELD_STATED, re.IGNORECASE)
# The new value a correction carries, most explicit wording first: "…, il s'agit de X",
# "wrong name, it's X", "le nom exact est X", "change the email to X", "… : X".
_NEW_VALUE = tuple(
    re.compile(pattern + r"\s+(.+?)[\s.!]*$", re.IGNORECASE)
    for pattern in (
        r"(?:\bil s'agit de|\bit'?s actually|\bis actually|\bshould be|\bdevrait être|\bplutôt)",
        _FIELD_STATED,
        r"(?:\bit'?s|\bit is|\bc'?est)",
        r"\bexact\w*\b.*?\b(?:est|is)",
        r"\b(?:change|changer|update|modifier|corriger|replace|remplacer)\b.*?\b(?:to|en|par)",
        r"\bc\b",  # SMS: "le nom de la societe c Wind Meuse SA"
        r":",
    )
)


def corrected_value(text: str) -> str | None:
    """The value a correction gives ("sorry, wrong name, it's GreenSeats SRL"), if any."""
    for pattern in _NEW_VALUE:
        found = pattern.search(text)
        if found:
            return found.group(1).strip()
    return None


def field_named(text: str) -> str | None:
    """The form answer a message names ("pourquoi mon téléphone ?" -> phone), if exactly one."""
    found = words(text)
    if phrase_in(found, _COMPANY_NAME_PHRASES):
        return "company_name"
    if phrase_in(found, _ENTERPRISE_NUMBER_PHRASES):
        return "enterprise_number"
    named = {_FIELD_WORDS[w] for w in found if w in _FIELD_WORDS}
    if set(found) & _TAX_WORDS:
        # "c quoi le taux de tva", "how do I register for VAT": the tax, not the number.
        named -= {_FIELD_WORDS[w] for w in found if w in ("tva", "vat")}
    return named.pop() if len(named) == 1 else None


def field_to_change(text: str, *, stated: bool = False) -> str | None:
    """An earlier answer the user wants to change ("je veux changer le nom de la boite"); with
    `stated` (inside the form), also an answer stated with its field ("the company name is
    X"), which outside it is no request ("My name is Klaus, I run…")."""
    value = corrected_value(text)
    found = words(text.replace(value, " ") if value else text)  # a long new value is not talk
    asked = (
        set(found) & _CHANGE_WORDS
        or phrase_in(found, _CHANGE_PHRASES)
        or (stated and value and _STATES_A_FIELD.search(text))
    )
    return field_named(text) if asked and len(found) <= 14 else None


def means_skip(text: str) -> bool:
    """No answer to give: "jsp", "pas encore de numéro", "we don't have one yet", "skip"."""
    found = words(text)
    return 0 < len(found) <= 16 and phrase_in(found, _SKIP_PHRASES)


# Words of a message that hesitates instead of describing an activity ("euh c'est compliqué à
# expliquer", "hmm, hard to say", "un peu de tout"), as `content_words` gives them.
_HESITATION = frozenset(
    """
    euh heu hmm hum bah ben bof peu bit little complique compliquee complicated complexe complex
    expliquer explique explain describe decrire resumer summarise summarize facile easy difficile
    difficult dur hard dire say long tricky fait actually jsp jsais sais sait know idk dunno
    sure certain bonne good question voir see think pense reflechir attends attendez wait moment
    trop really vraiment lot thing truc tout everything plein chose stuff divers various quite
    assez
    """.split()
)


def holds_no_activity(text: str) -> bool:
    """A hesitation or "I don't know" where an activity is asked: no activity to store."""
    found = content_words(text)
    hesitates = bool(found) and all(word in _HESITATION for word in found)
    return hesitates or means_skip(text)


REFERENCE = re.compile(r"\bW-?\s?(\d{1,9})\b", re.IGNORECASE)


def lead_reference(text: str) -> str | None:
    """A request reference written in the text ("W-000012", "w12"), normalised."""
    found = REFERENCE.search(text)
    return f"W-{int(found.group(1)):06d}" if found else None


# -- domain -------------------------------------------------------------------------------------


_MY_REQUEST = (
    "ma demande",
    "notre demande",
    "mon dossier",
    "notre dossier",
    "mon inscription",
    "notre inscription",
    "my request",
    "our request",
    "my application",
    "our application",
)


_STATUS_PHRASES = (
    "ou en est",
    "statut",
    "status",
    "suivi",
    "reponse",
    "nouvelles",
    "news",
    "update",
    "modifier",
    "corriger",
    "changer",
    "change",
    "correct",
    "trompe",
    "trompee",
    "mistake",
    "wrong",
)


def about_my_request(text: str) -> bool:
    """The user's own request ("où en est ma demande", "W-000012"), not how to make one
    ("comment faire ma demande ?")."""
    found = words(text)
    mine = phrase_in(found, _MY_REQUEST) and phrase_in(found, _STATUS_PHRASES)
    # "je me suis trompé dans le mail, c'est …": outside the form, a correction of a request sent.
    return mine or lead_reference(text) is not None or field_to_change(text) is not None


# -- language -----------------------------------------------------------------------------------
