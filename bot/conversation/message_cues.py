"""How a message reads, apart from its topic: a question, a cancel, a correction, a wish to join,
words of our domain, the language it is written in.

The matcher says which topic a text is closest to; these cues say what the person is doing
with it, which the dialogue needs inside the join form ("a question is not an answer") and to
tell an in-domain question we cannot answer from a truly off-topic one. Everything works on
folded text (lower case, no accents), so "Annulé", "annule" and "ANNULER" read alike.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import OSA

from knowledge.text_folding import strip_accents

# Letters of any script and digits: "مريم" is a name, "🙂" and "?" are not words.
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """Lower-case words without accents; unlike the matcher's folding, elisions are kept as
    words of their own ("c'est quoi" -> c est quoi), since they carry the cues here."""
    return _WORD.findall(strip_accents(unicodedata.normalize("NFKC", text).casefold()))


def near(word: str, targets: frozenset[str]) -> bool:
    """`word` is one of `targets`, or one typo away from one of five letters or more."""
    if word in targets:
        return True
    if len(word) < 5:
        return False
    return any(abs(len(t) - len(word)) <= 1 and OSA.distance(word, t) <= 1 for t in targets)


# -- form control -------------------------------------------------------------------------------

_CANCEL_WORDS = frozenset(
    "annuler annule annulez annulation stop stopper arreter arrete arretez abandonner abandonne"
    " abandon oublie oubliez oublier cancel cancelled abort quit exit nvm nevermind anule anul"
    " arete cancle".split()
)
# Typos count only in longer words: "about" is one letter from "abort", "stat" from "stop".
_CANCEL_TYPO_MIN_LENGTH = 6
_CANCEL_PHRASES = (
    "laisse tomber",
    "laissez tomber",
    "laisse beton",
    "never mind",
    "forget it",
    "forget about it",
    "on arrete",
    "j arrete",
    "plus envie",
    "changed my mind",
    "let s stop",
    "stop here",
    "stop there",
    "on s arrete",
    "arretons la",
    "don t want to continue",
    "dont want to continue",
    "do not want to continue",
    "want to stop",
    "veux plus continuer",
    "veux pas continuer",
    "veux arreter",
)
_BACK_WORDS = frozenset("retour revenir precedent precedente back previous".split())
_CANCEL_VERBS = frozenset(
    "annuler annule annulez annulons arreter arretez abandonner abandonne abandonnons"
    " cancel".split()
)
_BACK_PHRASES = (
    "go back",
    "previous step",
    "previous question",
    "wrong button",
    "etape precedente",
    "question precedente",
    "retour en arriere",
    "revenir en arriere",
    "mauvais bouton",
)
# A control word only counts in a short message: "comment arrêter ma demande ?" is a question.
_CONTROL_MAX_WORDS = 5
# A longer message controls the form only with a clear verb or phrase, said and not asked.
_LONG_CONTROL_MAX_WORDS = 14


# Where a sentence ends inside a message: after ".", "!" or "?" and a space.
SENTENCE_BREAK = re.compile(r"(?<=[?!.])\s+")


# Words of a sentence that only acknowledges or dismisses ("ok good.", "laisse tomber.") before
# the answer itself: "ok good. SolarNord GmbH", "ok nevermind. GreenHabitat SRL".
_FILLER_WORDS = frozenset(
    "ok okay oki okey good great fine alright right sure yes yeah yep oui ouais bon bien parfait"
    " super nickel dac dacc daccord d accord sorry pardon desole desolee nevermind nvm never mind"
    " forget it laisse tomber pas grave oublie ca euh hmm ah oh well so alors ben bah".split()
)


def without_filler(text: str) -> str:
    """`text` without leading sentences that only acknowledge or dismiss ("ok good.", "never
    mind."), when something follows them."""
    sentences = SENTENCE_BREAK.split(text.strip())
    while len(sentences) > 1 and all(w in _FILLER_WORDS for w in words(sentences[0])):
        sentences.pop(0)
    return " ".join(sentences)


def phrase_in(folded_words: list[str], phrases: tuple[str, ...]) -> bool:
    joined = " " + " ".join(folded_words) + " "
    return any(f" {p} " in joined for p in phrases)


def is_cancel(text: str) -> bool:
    """A cancel word in a short message: "annuler", "stop", "laisse tomber", "anuler stp"; in
    a longer one, a cancel verb said, not asked: "on annule 🙈", "cancel, I'll finish later"."""
    found = words(text)
    if not found:
        return False
    if phrase_in(found, _CANCEL_PHRASES):
        return len(found) <= _CONTROL_MAX_WORDS or not reads_as_question(text)
    if len(found) <= _CONTROL_MAX_WORDS:
        return any(
            w in _CANCEL_WORDS or (len(w) >= _CANCEL_TYPO_MIN_LENGTH and near(w, _CANCEL_WORDS))
            for w in found
        )
    # "stop" or "exit" inside a long answer may be part of it ("panneaux stop"): verbs only,
    # in a message short enough or in a sentence of its own ("Non attendez, je dois d'abord en
    # parler à ma femme. Annulez pour l'instant.").
    if reads_as_question(text):
        return False
    sentences = [words(s) for s in SENTENCE_BREAK.split(text)]
    return any(
        len(sentence) <= _LONG_CONTROL_MAX_WORDS and any(w in _CANCEL_VERBS for w in sentence)
        for sentence in ([found] if len(found) <= _LONG_CONTROL_MAX_WORDS else sentences)
    )


_KEEP_WORDS = frozenset("reste restons garde gardons garder keep stay stick".split())


def keeps_choice(text: str) -> bool:
    """A short message keeping a choice: "ok on reste sur twist", "let's stick with TWEED"."""
    found = words(text)
    return 0 < len(found) <= 8 and bool(set(found) & _KEEP_WORDS)


def is_back(text: str) -> bool:
    """A back word in a short message: "retour", "back", "go back"; or a longer wish to go
    back: "je souhaiterais revenir à l'étape précédente", "oops wrong button, go back"."""
    found = words(text)
    if 0 < len(found) <= 3 and any(w in _BACK_WORDS for w in found):
        return True
    long_wish = len(found) <= _LONG_CONTROL_MAX_WORDS and not reads_as_question(text)
    return long_wish and phrase_in(found, _BACK_PHRASES)


# "ok on reprend" after a question or two inside the form: ask the current step again, and do
# not take the words for its answer.
_RESUME_PHRASES = (
    "on reprend",
    "reprenons",
    "reprendre",
    "continuons",
    "continuer",
    "on en etait ou",
    "ou en etions nous",
    "continue",  # also "on continue", "let's continue"
    "go on",
    "carry on",
    "back to the form",
    "where were we",
)
_RESUME_MAX_WORDS = 5


def is_resume(text: str) -> bool:
    """A short wish to go on with the form: "ok on reprend", "let's continue"."""
    found = words(text)
    return 0 < len(found) <= _RESUME_MAX_WORDS and phrase_in(found, _RESUME_PHRASES)


# -- questions ----------------------------------------------------------------------------------

QUESTION_STARTS = frozenset(
    "quoi comment pourquoi combien quand qui quel quelle quels quelles ou est ce koi kel kelle"
    " pk pq cmt cmb"
    " what whats how why who whom which where when can could do does did is are will would should"
    " may wat wut y".split()
)
_QUESTION_ENDS = frozenset("combien cmb quoi koi ou quand pourquoi pk comment cmt".split())
_SHORT_QUESTION_WORDS = 6
_QUESTION_PHRASES = (
    "c est quoi",
    "c quoi",
    "c koi",
    "c combien",
    "c est combien",
    "c ou",
    "c est ou",
    "c quand",
    "c est quand",
    "c qui",
    "c est qui",
    "ca coute",
    "est ce que",
    "est ce qu",
    "ca sert a quoi",
    "a quoi ca sert",
    "ca m apporte quoi",
    "ca apporte quoi",
    "y a t il",
    "il y a",
    "ya t il",
    "on peut",
    "je peux",
    "peut on",
    "puis je",
    "tell me",
    "voudrais savoir",
    "voudrions savoir",
    "aimerais savoir",
    "souhaite savoir",
    "souhaiterais savoir",
    "souhaiterions savoir",
    "souhaiterais connaitre",
    "souhaiterions connaitre",
    "je me demande",
    "would like to know",
    "d like to know",
    "want to know",
    "wondering",
    "explain",
    "expliquez",
    "explique",
)


def reads_as_question(text: str) -> bool:
    """A question mark, a question word first, or a question phrase anywhere."""
    if "?" in text or "¿" in text:
        return True
    found = words(text)
    if not found:
        return False
    if found[-1] in _QUESTION_ENDS and len(found) <= _SHORT_QUESTION_WORDS:
        return True  # "ca coute cmb", "c ou", "c quand": SMS French puts it last
    return found[0] in QUESTION_STARTS or phrase_in(found, _QUESTION_PHRASES)


_WHY_PHRASES = (
    "a quoi sert",
    "a quoi ca sert",
    "a quoi serviront",
    "a quoi vont servir",
    "what for",
    "why do you need",
    "why you need",
    "what will you use",
)


_DATA_WORDS = frozenset(
    "donnees informations infos info data information details personal personnelles".split()
)
_DATA_USE = ("tout ca", "vous en faites", "en faire", "serviront", "all this", "do with")


def mentions_our_use_of_data(text: str) -> bool:
    """A question about what we do with what we ask: "vous en faites koi", "à quoi serviront
    ces informations ?", "what do you do with my data?"."""
    found = words(text)
    return bool(set(found) & _DATA_WORDS) or phrase_in(found, _DATA_USE)


def asks_why(text: str) -> bool:
    """Why a question is asked: "pourquoi vous avez besoin de mon téléphone ?"."""
    found = words(text)
    return bool(found) and (
        found[0] in ("pourquoi", "pk", "pq", "why") or phrase_in(found, _WHY_PHRASES)
    )


# Words that point at our asking itself: "pk vous demandez ca", "why are you asking this?".
_OUR_ASKING = (
    "vous demandez",
    "tu demandes",
    "vous me demandez",
    "tu me demandes",
    "vous avez besoin",
    "t as besoin",
    "you ask",
    "you re asking",
    "you are asking",
    "you need",
    "do you want to know",
)


def asks_why_we_ask(text: str) -> bool:
    """Why we ask for this answer ("pk vous demandez ca"), whatever else it sounds like."""
    return asks_why(text) and phrase_in(words(text), _OUR_ASKING)


# -- corrections and wishes ---------------------------------------------------------------------

_CORRECTION_WORDS = frozenset(
    "non pas plutot finalement erreur trompe trompee tromper corriger corrige correction modifier"
    " changer change actually instead rather wrong mistake correct not no".split()
)
_CORRECTION_PHRASES = ("en fait", "je me suis trompe", "je me suis trompee", "i meant")


def reads_as_correction(text: str) -> bool:
    """A correction: "non pas twist, cap 2020", "en fait c'est CAP 2020", "TWIST instead"."""
    found = words(text)
    return any(w in _CORRECTION_WORDS for w in found) or phrase_in(found, _CORRECTION_PHRASES)


_FOLLOW_UP_STARTS = frozenset(
    "and et also aussi plus what about et pour sinon so donc alors".split()
)


def reads_as_follow_up(text: str) -> bool:
    """A question that leans on the previous one: "and the difference with a cluster?"."""
    found = words(text)
    return bool(found) and (found[0] in _FOLLOW_UP_STARTS or len(found) <= 3)


# "pr une micro entreprise de 3 personnes", "and for a startup?": the last question again, for
# this case.
_FOR_WORDS = frozenset("pour pr for".split())


def narrows_last_question(text: str) -> bool:
    """Opens with "for" (after "and" at most) and goes on: the last question, narrowed."""
    found = words(text)
    if found[:1] in (["et"], ["and"]):
        found = found[1:]
    return len(found) >= 2 and found[0] in _FOR_WORDS


def starts_as_follow_up(text: str) -> bool:
    """Opens as a follow-up does ("et ils bossent en anglais aussi", "and the fees"): no
    answer to a form's question opens so."""
    found = words(text)
    return bool(found) and found[0] in _FOLLOW_UP_OPENERS


# The narrower set: words that open no activity, company name or other answer.
_FOLLOW_UP_OPENERS = frozenset("and et also aussi sinon".split())


# Greetings and fillers before a question: "slt", "wait,", "attends", "euh", "ok so".
_OPENERS = frozenset(
    "slt salut bonjour bjr bonsoir coucou cc hello hi hey hiya yo wait attends attendez euh heu"
    " hmm hum ah oh oups oops ok okay bon ben bah tiens sorry pardon cool super great nice"
    " parfait top alright dac dacc daccord btw sinon alors dis dites also so anyway".split()
)


# After a greeting, this many words say something even without a question ("Bonjour, je suis
# menuisier à Namur"); fewer are part of the greeting.
_STATEMENT_WORDS = 4

_SPOKEN_QUESTION_MARK = re.compile(r"\s*\bpoint d['’ ]?interrogation\b|\s*\bquestion mark\b", re.I)


def written_punctuation(text: str) -> str:
    """A dictated message's punctuation as written: "… pour nous point d'interrogation"."""
    return _SPOKEN_QUESTION_MARK.sub(" ?", text)


def without_greeting(text: str) -> str:
    """The text without a greeting or a filler before it ("slt c koi un cluster" -> "c koi un
    cluster", "Wait, is it free?" -> "is it free?"): manners and hesitation, the question is
    what to answer. Unchanged when fewer than two words would be left, or a few words that
    ask nothing: "salut à vous", "bonsoir tout le monde" are the greeting itself."""
    for _opener in range(2):  # "ok wait, …"
        match = re.match(r"\s*([^\W\d_]+)[\s,.!]+", text)
        if match is None or match.group(1).casefold() not in _OPENERS:
            break
        rest = text[match.end() :]
        left = len(words(rest))
        if left < 2 or (left < _STATEMENT_WORDS and not reads_as_question(rest)):
            break
        text = rest
    return text


_DOMAIN_WORDS = frozenset(
    "cluster clusters pole poles competitivite competitiveness adhesion adherer adherent adherents"
    " membre membres member members membership cotisation cotisations fee fees tarif tarifs"
    " payant gratuit subside subsides subvention subventions subsidy subsidies grant grants"
    " funding financement financements wallonie wallonia walloon wallon wallonne wallons"
    " directeur directrice director manager contact contacts site website adresse address"
    " evenement evenements event events agenda rejoindre join inscription decret decree"
    " spw reconnaissance recognition demande request patron ceo boss president presidente"
    " dirigeant responsable groupement inscrire aide aides prime primes".split()
)
# "cluster" in the computing (or medical) sense is not ours: "c'est quoi un cluster
# kubernetes", "des céphalées en cluster".
_COMPUTING_WORDS = frozenset(
    "kubernetes k8s hadoop spark serveur serveurs server servers kmeans k means hpc node nodes"
    " noeud noeuds docker gpu redis elasticsearch calcul computing database mongodb cephalee"
    " cephalees migraine migraines headache headaches".split()
)


# Domain words that every other body, service or website uses as well: alone, in a message
# the matcher is sure is off-topic, they do not make it ours ("what is the capital of
# wallonia", "combien coute un site web pr une pme", "inscrire mon entreprise à la BCE").
_SHARED_DOMAIN_WORDS = frozenset(
    "wallonie wallonia walloon wallon wallonne wallons site website adresse address contact"
    " contacts directeur directrice director manager patron ceo boss president presidente"
    " dirigeant responsable evenement evenements event events agenda inscription inscrire"
    " demande request tarif tarifs payant gratuit fee fees aide aides prime primes".split()
)
_OWN_DOMAIN_WORDS = _DOMAIN_WORDS - _SHARED_DOMAIN_WORDS


def has_domain_words(
    text: str, names: frozenset[str] = frozenset(), *, own_only: bool = False
) -> bool:
    """Words of our domain (cluster, pôle, cotisation, subsides…, or one of `names`, the
    clusters' and pôles' names), not in the computing sense; with `own_only`, only the words
    no other subject shares."""
    found = words(text)
    if set(found) & _COMPUTING_WORDS:
        return False
    joined = " " + " ".join(found) + " "
    if any(f" {name} " in joined for name in names):
        return True
    domain = _OWN_DOMAIN_WORDS if own_only else _DOMAIN_WORDS
    return bool(set(found) & domain) or any(near(w, domain) for w in found if len(w) > 6)
