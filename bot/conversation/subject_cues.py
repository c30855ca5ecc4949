"""What a question is about beyond its topic: which cluster fits us, one attribute of a
cluster, a person to talk to, our own activity told in passing, and plain thanks or goodbye."""

from __future__ import annotations

import re

from bot.conversation.message_cues import SENTENCE_BREAK, phrase_in, reads_as_question, words

_WHICH_CLUSTER = (
    "quel cluster",
    "kel cluster",
    "quel pole",
    "dans quel",
    "lequel",
    "laquelle",
    "ou un autre",
    "ou bien",
    "which cluster",
    "what cluster",
    "which one",
    "or another",
    "or something else",
    "best fit",
    "fits best",
    "the best",
    "most appropriate",
    "most suitable",
    "le plus adapte",
    "le mieu",
    "le mieux",
    "correspond le mieux",
    "lequel pour",
    "c est lequel",
    "is there a cluster",
    "any cluster",
    "a cluster that",
    "a cluster for",
    "ya un cluster",
    "y a un cluster",
    "y a t il un cluster",
    "existe t il un cluster",
    "un cluster qui",
    "un cluster pour",
)


def asks_which_cluster(text: str) -> bool:
    """Which cluster fits: "ça irait dans quel cluster ?", "plutôt TWEED ou un autre ?"."""
    return phrase_in(words(text), _WHICH_CLUSTER)


_FITS_PHRASES = (
    "pour nous",
    "pour moi",
    "for us",
    "for me",
    "worth it",
    "vaut le coup",
    "good for",
    "right for",
    "suitable",
    "adapte",
    "interessant pour",
    "fait pour",
)


def asks_if_it_fits(text: str) -> bool:
    """Whether the cluster discussed suits us: "c bien pour nous ?", "is it right for me?"."""
    return reads_as_question(text) and phrase_in(words(text), _FITS_PHRASES)


_OWN_ACTIVITY = (
    "we make",
    "we do",
    "we produce",
    "we build",
    "we develop",
    "we sell",
    "we design",
    "we are a",
    "we re a",
    "i run",
    "i own",
    "i represent",
    "we specialise",
    "we specialize",
    "specialising in",
    "specializing in",
    "specialisee dans",
    "specialises dans",
    "nous fabriquons",
    "nous faisons",
    "nous produisons",
    "nous developpons",
    "nous sommes une",
    "on fait",
    "on fabrique",
    "on produit",
    "on developpe",
    "je fais",
    "je fabrique",
    "j ai une",
    "jai une",
    "je fonde",
    "je lance",
    "on lance",
    "nous lancons",
    "une startup qui",
    "on produit",
    "we re building",
    "we are building",
    "i m starting",
    "i m founding",
)


# "ma boite fait de la plasturgie" tells what the company does; "un prêt pour ma boite" does
# not: these count as the subject only, not after a preposition.
_OWN_COMPANY = (
    "our company",
    "my company",
    "notre entreprise",
    "notre societe",
    "ma societe",
    "mon entreprise",
    "ma boite",
)
_PREPOSITIONS = frozenset("pour pr for de d du des to with avec a au aux dans in sur on".split())


def _own_company_as_subject(found: list[str]) -> bool:
    return any(
        f"{found[start]} {found[start + 1]}" in _OWN_COMPANY
        and (start == 0 or found[start - 1] not in _PREPOSITIONS)
        for start in range(len(found) - 1)
    )


def describes_own_activity(text: str) -> bool:
    """The user telling what their company does ("we make bio-based packaging"): our domain,
    since that is how a cluster is recommended, even when no cluster's keyword is in it."""
    # "we're a dutch startup doing water sensors, can we join?": the clause before the question
    # is a statement too.
    parts = re.split(r"(?<=[.!?])\s+|,\s+", text)
    statements = [words(s)[:8] for s in parts if not reads_as_question(s)]
    return any(phrase_in(s, _OWN_ACTIVITY) or _own_company_as_subject(s) for s in statements)


_A_PERSON = (
    "parler a quelqu",
    "parler a qqn",
    "parler a qq",
    "parler a un humain",
    "parler a une personne",
    "parler a un conseiller",
    "parler avec quelqu",
    "parler avec qqn",
    "mettre en contact",
    "mettre en relation",
    "talk to someone",
    "talk to somebody",
    "talk to a human",
    "talk to a person",
    "speak to someone",
    "speak with someone",
    "speak to a person",
    "put me in touch",
    "real person",
    "vraie personne",
)


def asks_for_a_person(text: str) -> bool:
    """ "jpeux parler a qqn ?", "put me in touch with someone": a person, whoever's team."""
    return phrase_in(words(text), _A_PERSON)


_THANKS = frozenset("merci mrc thanks thank thx ty cheers".split())


_GOODBYE = (
    "au revoir",
    "bye",
    "goodbye",
    "a plus",
    "bonne journee",
    "bonne soiree",
    "ciao",
    "see you",
    "a bientot",
)


# Other business organisations, whose membership people ask us about too: joining them is not
# joining a cluster ("je veux rejoindre l'uwe", "how do I become a member of Agoria?").
_OTHER_BODIES = (
    "uwe",
    "union wallonne des entreprises",
    "chambre de commerce",
    "chambres de commerce",
    "cci",
    "chamber of commerce",
    "agoria",
    "beci",
    "voka",
    "unizo",
    "ucm",
    "reseau entreprendre",
    "bni",
    "rotary",
    "lions club",
    "jeune chambre",
)


def names_another_body(text: str) -> bool:
    """Whether the text names another business organisation (a chamber of commerce, UWE…)
    and no cluster or pôle ("cluster ou chambre de commerce ?" compares them)."""
    found = words(text)
    return phrase_in(found, _OTHER_BODIES) and not set(found) & (_POLE_WORDS | _CLUSTER_WORDS)


# A message opening so and asking nothing is a greeting, however long the introduction after
# it ("Bonjour, je suis Paul Renard, gérant de Renard Bois. Je découvre votre service.").
_GREETING_WORDS = frozenset(
    "bonjour bonsoir salut slt bjr coucou cc hello hi hey hiya madame monsieur dear".split()
)
_GREETING_PHRASES = ("good morning", "good afternoon", "good evening", "good day")


def _greets_and_asks_nothing(text: str, found: list[str]) -> bool:
    opens = bool(found) and (
        found[0] in _GREETING_WORDS or " ".join(found[:2]) in _GREETING_PHRASES
    )
    return opens and not any(reads_as_question(s) for s in SENTENCE_BREAK.split(text))


def small_talk(text: str) -> str | None:
    """Thanks, goodbye or a greeting in a message the matcher could not place ("Merci pour ces
    informations, au revoir.", "Bonjour, je me permets de vous écrire."): small talk is
    answered, never refused."""
    found = words(text)
    if _greets_and_asks_nothing(text, found):
        return "greeting"
    if len(found) > 10:
        return None
    if phrase_in(found, _GOODBYE):
        return "goodbye"
    return "thanks" if set(found) & _THANKS else None


_FIRST_PERSON = frozenset("je j jai i we nous my our mon ma notre".split())
_WEBSITE_WORDS = frozenset("site sites website web url internet www".split())


_ATTRIBUTE_PHRASES = {
    "members": (
        "membres",
        "membre",
        "members",
        "member",
        "adherents",
        "combien d entreprises",
        "how many companies",
        "how big",
        "ils sont combien",
        "ils sont cmb",
        "sont combien",
        "sont cmb",
        "combien sont ils",
        "how many are they",
        "how many of them",
    ),
    "founded": (
        "fonde",
        "fondee",
        "cree",
        "creee",
        "creation",
        "founded",
        "created",
        "since when",
        "depuis quand",
        "quelle annee",
        "what year",
        "started",
        "lance",
    ),
    "website": ("site", "website", "web", "url", "internet"),
    "contact": (
        "contact",
        "contacter",
        "joindre",
        "email",
        "mail",
        "telephone",
        "tel",
        "gsm",
        "phone",
        "leur numero",
        "their number",
        "coordonnees",
        "directeur",
        "directrice",
        "director",
        "manager",
        "qui dirige",
        "who runs",
        "adresse",
        "address",
        "bureaux",
        "offices",
        "based in",
        "located",
        "c ou",
        "c est ou",
        "se trouve",
        "se trouvent",
        "situe",
        "situee",
        "where is",
        "where are",
        "patron",
        "ceo",
        "boss",
        # "can I talk to someone from TWIST?": the cluster's people, not ours.
        "someone from",
        "someone at",
        "somebody from",
        "quelqu un de",
        "quelqu un chez",
        "quelqu un du",
    ),
}


def attribute_asked(text: str) -> str | None:
    """The one attribute of a cluster a question is about ("ils ont combien de membres ?" ->
    members, "site web ?" -> website, "when was it founded?" -> founded), if exactly one."""
    found = words(text)
    asked = {name for name, phrases in _ATTRIBUTE_PHRASES.items() if phrase_in(found, phrases)}
    if set(found) & _FIRST_PERSON:
        asked.discard("founded")  # "comment je crée une SRL": the writer's company, not theirs
    if "website" in asked:
        asked.discard("contact")  # "le site de contact" is about the website
    return asked.pop() if len(asked) == 1 else None


def asks_for_website(text: str) -> bool:
    """A question about a website: "site web ?", "et ils ont un site ?"."""
    return bool(set(words(text)) & _WEBSITE_WORDS)


_POLE_WORDS = frozenset("pole poles competitiveness competitivite".split())
_CLUSTER_WORDS = frozenset("cluster clusters".split())
_WHICH_WORDS = frozenset(
    "lesquels lesquelles quels quelles liste list which what names noms combien many existe"
    " exist".split()
)
_COMPARING = frozenset(
    "difference diff differences vs versus compare comparer entre between".split()
)


def asks_which_poles(text: str) -> bool:
    """A question for the list of pôles ("et les pôles ya lesquels ?", "which poles exist?"),
    not for how they differ from clusters."""
    found = set(words(text))
    return bool(found & _POLE_WORDS and found & _WHICH_WORDS and not found & _COMPARING)
