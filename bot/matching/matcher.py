"""Understands a question: which intent, which cluster, which language, how sure.

The knowledge base is small (hundreds of examples) and questions are short, typed on phones,
in two languages. So instead of a trained model we use a transparent nearest-neighbour matcher:

1. fold the text (case, accents, elisions, punctuation — `knowledge.text_folding`);
2. correct typos word by word against the knowledge base's own vocabulary (rapidfuzz, optimal
   string alignment distance, tighter for short words so "tweet" does not become "tweed" while
   "plastiwn" still becomes "plastiwin");
3. replace the names of clusters and pôles by placeholder words, so that "how do I join
   PLASTIWIN?" and "how do I join TWIST?" look alike to the intent scorer while the cluster is
   carried separately;
4. stem by truncation (six characters), which also joins French and English cousins
   ("financement"/"financing", "avantages"/"advantages" stay close after typo correction);
5. weigh each word by inverse intent frequency — words that every intent uses ("cluster",
   "Wallonie") count little — and score each intent by the cosine similarity of the question to
   its closest example, blended with its whole bag of examples;
6. words the knowledge base has never seen weigh as much as rare ones: a question made of
   unknown words ("weather in Namur") scores low and is rejected instead of forced onto the
   nearest intent.

An activity description ("we make injected plastic parts") is scored separately against each
cluster's sector keywords; that picks the cluster for `recommend_cluster`.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from knowledge.model import KnowledgeBase, Language
from knowledge.text_folding import fold

# Function words: they say nothing about the intent. Interrogatives ("what", "who", "how",
# "quoi", "qui", "comment") are deliberately *not* here: they separate "what is a cluster" from
# "how to join" and "who can join". Nor is the infinitive "be"/"être": unlike "is" or "sont", it
# asks what one can or must *be* ("qui peut être membre ?", "can SMEs be members?"), the mark of
# an eligibility question; without it "qui peut être membre d'un cluster" reads "membre
# cluster", like "qui sont les membres de TWEED".
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

# Words that mark a sentence as describing one's own business; an activity keyword alone
# ("solar panels for my house") is not a request for a cluster recommendation.
BUSINESS_CUES = frozenset(
    """
    entreprise entreprises societe societes pme startup start up firme boite bureau atelier
    activite activites specialise specialisee specialises fabriquons produisons developpons
    concevons vendons installons travaillons sommes suis company companies firm business
    startup sme studio we our ourselves manufacture manufacturer make build develop design
    produce specialised specialized agency office fit suits conviendrait convient correspond
    on nous notre nos je i belong appartenir
    """.split()
)

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
}

# Words that show a question is about the cluster programme itself.
CLUSTER_WORDS = frozenset(
    """
    cluster clusters reseau reseaux network networks pole poles adherer rejoindre join membre
    member
    """.split()
)

# "Qu'est-ce que/qui" is French for "what", but folding drops the elided "qu'" and leaves "est
# ce", two stop words: "Qu'est-ce qu'un cluster d'entreprises ?" would lose its question word and
# read "cluster entreprises", like "quel cluster pour mon entreprise ?". So "quoi" (as in "c'est
# quoi") is added before folding, while "qu'est-ce" can still be told from the yes/no "est-ce".
WHAT_IS_FRENCH = re.compile(r"\bqu\W*est\W*ce\b", re.IGNORECASE)

CLUSTER_TOKEN = "§cluster"  # noqa: S105 - a placeholder word, not a password
POLE_TOKEN = "§pole"  # noqa: S105 - a placeholder word, not a password
STEM_LENGTH = 6
# Typo corrections already worked out; bounded, as every distinct unknown word adds one.
TYPO_CACHE_SIZE = 10_000
MIN_TYPO_LENGTH = 4
FRENCH_LETTERS = frozenset("éèêàçùâîôûëïœÉÈÊÀÇ")
# Names of clusters and pôles weigh this much at most for the intent (see `_build_index`).
ENTITY_WEIGHT = 1.0
# Intents that a question naming a pôle really means as "what is this pôle?".
POLE_INTENTS = frozenset(
    {
        "cluster_info",
        "how_to_join",
        "list_clusters",
        "what_is_a_cluster",
        "cluster_vs_competitiveness",
    }
)
# Small talk must be most of the message to count as small talk.
SMALL_TALK = frozenset({"greeting", "thanks", "goodbye"})
SMALL_TALK_COVERAGE = 0.5
# A question of at most this many words that names a cluster is about that cluster.
SHORT_QUESTION = 3
# Intents that an activity description turns into a recommendation.
RECOMMENDATION_INTENTS = frozenset({"list_clusters", "cluster_info", "sectors_covered"})
# A cluster fits an activity description when its keywords score at least this (about one
# word specific to that cluster); a whole multi-word keyword adds PHRASE_BONUS per extra word.
MIN_FIT_SCORE = 1.5
# A keyword word used by the examples of this many intents is an everyday word (see `_fits`).
EVERYDAY_WORD_INTENTS = 4
PHRASE_BONUS = 0.5
# Below this, a question is out of scope; between it and CONFIDENT_SCORE the dialogue asks
# "did you mean…?". Calibrated on the knowledge base's own examples (leave-one-out) and checked
# against tests/data/labelled_questions.yaml by bench/accuracy.py.
REJECT_SCORE = 0.34
CONFIDENT_SCORE = 0.45
# How much a word the knowledge base has never seen weighs, relative to the rarest known word.
UNKNOWN_WORD_WEIGHT = 1.1
# The score of an intent blends its closest example with its whole bag of examples: the closest
# example rewards a near-paraphrase, the bag rewards the right vocabulary in a new order.
NEAREST_SHARE = 0.7


@dataclass(frozen=True, slots=True)
class Match:
    """What the matcher understood of one text."""

    text: str
    intent: str | None
    cluster: str | None
    language: Language
    score: float
    alternatives: tuple[str, ...]
    competitiveness_cluster: str | None = None

    @property
    def confident(self) -> bool:
        return self.intent is not None and self.score >= CONFIDENT_SCORE


@dataclass(frozen=True, slots=True)
class ClusterFit:
    """How well an activity description fits a cluster, and the keywords that say why."""

    cluster_id: str
    score: float
    keywords: tuple[str, ...]


@dataclass(slots=True)
class _Analysis:
    stems: list[str]
    known: list[bool]
    clusters: list[str]
    poles: list[str]
    words: list[str]  # corrected singular words, stop words removed, for names and keywords
    french_votes: float
    english_votes: float


def _stem(word: str) -> str:
    return word[:STEM_LENGTH]


def _singular(word: str) -> str:
    """Drop a plural ending: names and sector keywords compare on whole words, not stems,
    because a six-letter stem would make "plastiques" a mention of PLASTIWIN."""
    if len(word) > 3 and word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


def _max_edits(word: str) -> int:
    # Short words tolerate one slip, long ones two: "clustr", "advantges", "plastiwn".
    return 1 if len(word) < 9 else 2


class Matcher:
    """Matches questions against a knowledge base (and examples learned at run time)."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        learned: Iterable[tuple[str, str, Language]] = (),
    ) -> None:
        self._kb = knowledge
        self._intent_ids = [intent.id for intent in knowledge.intents]
        self._intent_index = {intent_id: i for i, intent_id in enumerate(self._intent_ids)}
        # Out-of-scope examples form one more "intent" after the real ones.
        self._out_of_scope = len(self._intent_ids)
        self._raw_examples: list[tuple[int, str, Language]] = [
            (self._intent_index[intent.id], text, language)
            for intent in knowledge.intents
            for language, text in intent.examples.all()
        ]
        self._raw_examples += [
            (self._out_of_scope, text, language) for language, text in knowledge.out_of_scope.all()
        ]
        self._raw_examples += [
            (self._intent_index[intent_id], text, language)
            for intent_id, text, language in learned
        ]
        self._build_entities()
        self._build_vocabulary()
        self._build_index()

    # -- construction -------------------------------------------------------------------------

    def _build_entities(self) -> None:
        """Name phrases of clusters and pôles, as singular word tuples, longest first."""
        phrases: list[tuple[tuple[str, ...], str, str]] = []
        for cluster in self._kb.clusters:
            names = [cluster.name, cluster.id, cluster.id.replace("-", " ")]
            names += list(cluster.aliases.fr + cluster.aliases.en)
            names += [cluster.tagline.fr, cluster.tagline.en]
            for name in names:
                phrases.append((self._singulars(name), cluster.id, CLUSTER_TOKEN))
        for pole in self._kb.competitiveness_clusters:
            for name in [pole.name, pole.id.replace("-", " "), *pole.aliases.fr, *pole.aliases.en]:
                phrases.append((self._singulars(name), pole.id, POLE_TOKEN))
        # Longest phrase first, so "eco construction cluster" wins over "construction cluster".
        unique = {(p, i, t) for p, i, t in phrases if p}
        self._entity_phrases = sorted(unique, key=lambda e: (-len(e[0]), e[0]))
        # The same phrases by first word, longest first, so a word only tries its own phrases.
        self._entities_by_first_word: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        for entity in self._entity_phrases:
            self._entities_by_first_word.setdefault(entity[0][0], []).append(entity)

    @staticmethod
    def _words(text: str) -> list[str]:
        """Folded words with chat shorthand expanded and "qu'est-ce" marked as "quoi"."""
        words: list[str] = []
        for word in fold(WHAT_IS_FRENCH.sub(" quoi est ce ", text)).split():
            expansion = SHORTHAND.get(word)
            words.extend(expansion.split() if expansion else (word,))
        return words

    @classmethod
    def _singulars(cls, text: str) -> tuple[str, ...]:
        return tuple(_singular(w) for w in cls._words(text) if w not in STOP_WORDS)

    def _build_vocabulary(self) -> None:
        """Every word the knowledge base uses (for typo correction) and its language."""
        languages: dict[str, set[str]] = defaultdict(set)
        for _index, text, language in self._raw_examples:
            for word in self._words(text):
                languages[word].add(language)
        for cluster in self._kb.clusters:
            for language, text in cluster.aliases.all() + cluster.keywords.all():
                for word in self._words(text):
                    languages[word].add(language)
            for word in self._words(cluster.name):
                languages[word].update(("fr", "en"))
        for pole in self._kb.competitiveness_clusters:
            for text in (pole.name, *pole.aliases.fr, *pole.aliases.en):
                for word in self._words(text):
                    languages[word].update(("fr", "en"))
        self._keyword_phrases: list[tuple[tuple[str, ...], str, str]] = []
        for cluster in self._kb.clusters:
            for _language, keyword in cluster.keywords.all():
                phrase = self._singulars(keyword)
                if phrase:
                    self._keyword_phrases.append((phrase, cluster.id, keyword))
        clusters_per_word: dict[str, set[str]] = defaultdict(set)
        # word -> the keyword phrases holding it, so a question only visits its own keywords
        self._phrases_with_word: dict[str, list[int]] = defaultdict(list)
        for index, (phrase, cluster_id, _keyword) in enumerate(self._keyword_phrases):
            for word in phrase:
                clusters_per_word[word].add(cluster_id)
                self._phrases_with_word[word].append(index)
        self._keyword_word_clusters = {w: tuple(sorted(c)) for w, c in clusters_per_word.items()}
        cluster_count = len(self._kb.clusters)
        self._keyword_word_weight = {
            w: math.log(1 + cluster_count / len(c)) for w, c in clusters_per_word.items()
        }
        # A word used by one language only tells the question's language.
        self._word_language: dict[str, str] = {
            w: next(iter(langs)) for w, langs in languages.items() if len(langs) == 1
        }
        for word in FRENCH_STOP_WORDS - ENGLISH_STOP_WORDS:
            self._word_language[word] = "fr"
        for word in ENGLISH_STOP_WORDS - FRENCH_STOP_WORDS:
            self._word_language[word] = "en"
        self._vocabulary = set(languages) - STOP_WORDS
        self._by_first_letter: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self._vocabulary):
            self._by_first_letter[word[0]].append(word)
        self._correct = lru_cache(maxsize=TYPO_CACHE_SIZE)(self._correct_uncached)

    def _build_index(self) -> None:
        """Inverse-intent-frequency weights and an inverted index over example stems."""
        example_stems = [
            (intent_index, set(self._analyse(text).stems))
            for intent_index, text, _language in self._raw_examples
        ]
        intents_per_stem: dict[str, set[int]] = defaultdict(set)
        for intent_index, stems in example_stems:
            for stem in stems:
                intents_per_stem[stem].add(intent_index)
        count = len(self._intent_ids) + 1
        self._idf = {s: math.log(1 + count / len(i)) for s, i in intents_per_stem.items()}
        # Names count for the cluster, not for the intent: "join PLASTIWIN" is about joining.
        for token in (CLUSTER_TOKEN, POLE_TOKEN):
            if token in self._idf:
                self._idf[token] = min(self._idf[token], ENTITY_WEIGHT)
        self._unknown_weight = UNKNOWN_WORD_WEIGHT * math.log(1 + count)

        # Examples as parallel lists, indexed by example number: the scoring loop below runs
        # once per (question word, example holding it), so it reads plain lists, not objects.
        # An example weighs each of its stems by the stem's idf alone (a set, no counts).
        self._example_intents: list[int] = []
        self._example_norms: list[float] = []
        self._example_stems: list[frozenset[str]] = []
        postings: dict[str, list[int]] = defaultdict(list)
        bags: list[dict[str, float]] = [defaultdict(float) for _ in range(count)]
        for intent_index, stems in example_stems:
            if not stems:
                continue
            for stem in stems:
                postings[stem].append(len(self._example_intents))
                bags[intent_index][stem] += 1.0
            self._example_intents.append(intent_index)
            self._example_stems.append(frozenset(stems))
            weights = [self._idf[s] for s in stems]
            self._example_norms.append(math.sqrt(sum(w * w for w in weights)))
        self._postings: dict[str, tuple[int, ...]] = {s: tuple(p) for s, p in postings.items()}
        # Keyword words that many intents' examples use ("entreprise", "company", "service")
        # are everyday words, not sector words.
        self._everyday_words = {
            w
            for w in self._keyword_word_clusters
            if len(intents_per_stem.get(_stem(w), ())) >= EVERYDAY_WORD_INTENTS
        }
        # The bag of an intent: stem frequency across its examples, times the stem's weight.
        self._bags: list[dict[str, float]] = []
        self._bag_norms: list[float] = []
        for bag in bags:
            total = sum(bag.values()) or 1.0
            weighted = {s: (n / total) * self._idf[s] for s, n in bag.items()}
            self._bags.append(weighted)
            self._bag_norms.append(math.sqrt(sum(w * w for w in weighted.values())) or 1.0)

    def add_example(self, intent_id: str, text: str, language: Language) -> None:
        """Learn a new example at once (staff assigned an unanswered question to an intent)."""
        self.add_examples([(intent_id, text, language)])

    def add_examples(self, examples: Iterable[tuple[str, str, Language]]) -> None:
        """Learn several examples with one rebuild of the index (tens of milliseconds)."""
        added = [(self._intent_index[i], text, language) for i, text, language in examples]
        if not added:
            return
        self._raw_examples.extend(added)
        self._build_vocabulary()
        self._build_index()

    # -- analysis -----------------------------------------------------------------------------

    def _correct_uncached(self, word: str) -> str | None:
        candidates = self._by_first_letter.get(word[0])
        if not candidates:
            return None
        found = process.extractOne(
            word, candidates, scorer=OSA.distance, score_cutoff=_max_edits(word)
        )
        return found[0] if found else None

    def _analyse(self, text: str) -> _Analysis:
        french = float(sum(1 for ch in text if ch in FRENCH_LETTERS))
        english = 0.0
        known: list[bool] = []
        words: list[str] = []
        for word in self._words(text):
            language = self._word_language.get(word)
            if language == "fr":
                french += 1
            elif language == "en":
                english += 1
            if word in STOP_WORDS or (len(word) == 1 and not word.isdigit()):
                continue
            is_known = word in self._vocabulary or word.isdigit()
            if not is_known and len(word) >= MIN_TYPO_LENGTH:
                fixed = self._correct(word)
                if fixed is not None:
                    word, is_known = fixed, True
            words.append(_singular(word))
            known.append(is_known)

        clusters: list[str] = []
        poles: list[str] = []
        out_stems: list[str] = []
        out_known: list[bool] = []
        i = 0
        while i < len(words):
            entity = self._entity_at(words, i)
            if entity is not None:
                length, entity_id, token = entity
                (clusters if token == CLUSTER_TOKEN else poles).append(entity_id)
                out_stems.append(token)
                out_known.append(True)
                i += length
                continue
            out_stems.append(_stem(words[i]))
            out_known.append(known[i])
            i += 1
        return _Analysis(out_stems, out_known, clusters, poles, words, french, english)

    def _entity_at(self, words: Sequence[str], start: int) -> tuple[int, str, str] | None:
        for phrase, entity_id, token in self._entities_by_first_word.get(words[start], ()):
            end = start + len(phrase)
            if end <= len(words) and tuple(words[start:end]) == phrase:
                return len(phrase), entity_id, token
        return None

    # -- scoring ------------------------------------------------------------------------------

    def _intent_scores(self, analysis: _Analysis) -> tuple[list[float], list[float]]:
        """Per intent (the out-of-scope pseudo-intent last): its score, and how much of the
        question's weight its closest example covers."""
        query: dict[str, float] = {}
        for stem, is_known in zip(analysis.stems, analysis.known, strict=True):
            weight = self._idf.get(stem) if is_known else None
            query[stem] = weight if weight is not None else self._unknown_weight
        squared = sum(w * w for w in query.values())
        norm = math.sqrt(squared)
        scores = [0.0] * len(self._bags)
        coverage = [0.0] * len(self._bags)
        if norm == 0:
            return scores, coverage
        # The hot loop of the matcher (~1,000 examples, common stems in hundreds of them):
        # flat lists and one multiplication per stem, not per example.
        dots = [0.0] * len(self._example_intents)
        touched: dict[int, None] = {}  # examples sharing a stem, in the order first reached
        for stem, weight in query.items():
            examples = self._postings.get(stem)
            if examples is None:
                continue
            contribution = weight * self._idf[stem]
            for example_index in examples:
                dots[example_index] += contribution
            touched.update(dict.fromkeys(examples))
        nearest = [0.0] * len(self._bags)
        nearest_example = [-1] * len(self._bags)
        intents, norms = self._example_intents, self._example_norms
        for example_index in touched:
            intent_index = intents[example_index]
            cosine = dots[example_index] / (norm * norms[example_index])
            if cosine > nearest[intent_index]:
                nearest[intent_index] = cosine
                nearest_example[intent_index] = example_index
        # Coverage only for each intent's nearest example, not for every example reached.
        for intent_index, example_index in enumerate(nearest_example):
            if example_index >= 0:
                stems = self._example_stems[example_index]
                covered = sum(w * w for s, w in query.items() if s in stems)
                coverage[intent_index] = covered / squared
        for intent_index, bag in enumerate(self._bags):
            if nearest[intent_index] == 0.0:
                continue
            dot = sum(w * bag[s] for s, w in query.items() if s in bag)
            bag_cosine = dot / (norm * self._bag_norms[intent_index])
            scores[intent_index] = (
                NEAREST_SHARE * nearest[intent_index] + (1 - NEAREST_SHARE) * bag_cosine
            )
        return scores, coverage

    def recommend(self, text: str) -> list[ClusterFit]:
        """Clusters whose sector keywords the text mentions, best first."""
        return self._fits(self._analyse(text).words)

    def _fits(self, words: Sequence[str]) -> list[ClusterFit]:
        """Score clusters by the sector words the text uses.

        Each keyword word counts by how specific it is to one cluster ("injection" more than
        "production"), so "animated films" still points to TWIST although no keyword is
        "animated films"; a whole multi-word keyword found adds a bonus.
        """
        present = set(words)
        # credit[cluster][word]: the best share of a keyword of that cluster the text covers
        # with this word; "big" alone covers half of "big data" and earns half its weight.
        credit: dict[str, dict[str, float]] = defaultdict(dict)
        scores: dict[str, float] = defaultdict(float)
        reasons: dict[str, list[str]] = defaultdict(list)
        candidates = sorted(
            {index for word in present for index in self._phrases_with_word.get(word, ())}
        )
        for phrase, cluster_id, keyword in (self._keyword_phrases[i] for i in candidates):
            found = [w for w in phrase if w in present]
            complete = len(found) == len(phrase)
            share = len(found) / len(phrase)
            for word in found:
                # An everyday word ("entreprise") counts only inside its whole keyword.
                if complete or word not in self._everyday_words:
                    previous = credit[cluster_id].get(word, 0.0)
                    credit[cluster_id][word] = max(previous, share)
            if complete:
                scores[cluster_id] += PHRASE_BONUS * (len(phrase) - 1)
                reasons[cluster_id].insert(0, keyword)
            elif any(w not in self._everyday_words for w in found):
                reasons[cluster_id].append(keyword)
        for cluster_id, words_credit in credit.items():
            scores[cluster_id] += sum(
                self._keyword_word_weight[w] * share for w, share in words_credit.items()
            )
        ranked = sorted(
            ((c, s) for c, s in scores.items() if s >= MIN_FIT_SCORE),
            key=lambda item: (-item[1], item[0]),
        )
        return [ClusterFit(c, round(s, 3), tuple(dict.fromkeys(reasons[c]))) for c, s in ranked]

    def match(self, text: str, *, fallback_language: Language = "fr") -> Match:
        """Understand `text`. Never raises: any string gets an answer, maybe "out of scope"."""
        analysis = self._analyse(text)
        language: Language = fallback_language
        if analysis.french_votes > analysis.english_votes:
            language = "fr"
        elif analysis.english_votes > analysis.french_votes:
            language = "en"
        scores, coverage = self._intent_scores(analysis)
        out_of_scope_score = scores.pop()
        ranked = sorted(range(len(scores)), key=lambda i: -scores[i])
        intent: str | None = self._intent_ids[ranked[0]] if ranked else None
        score = scores[ranked[0]] if ranked else 0.0
        if out_of_scope_score > score:
            intent = None
        elif intent in SMALL_TALK and coverage[ranked[0]] < SMALL_TALK_COVERAGE:
            # "translate 'thank you' into Dutch" holds a thank-you but is not one.
            intent = None

        cluster = analysis.clusters[0] if analysis.clusters else None
        pole = analysis.poles[0] if analysis.poles else None
        if analysis.stems and all(s in (CLUSTER_TOKEN, POLE_TOKEN) for s in analysis.stems):
            # "TWEED ?" or "BioWin" alone: the user wants to know what that is.
            intent = "cluster_info" if cluster else "cluster_vs_competitiveness"
            score = 1.0
        elif cluster is not None and intent == "what_is_a_cluster":
            # "What is the plastics cluster?" is about that cluster, not clusters in general.
            intent = "cluster_info"
        elif (
            pole is not None
            and cluster is None
            and (intent is None or intent in POLE_INTENTS or score < CONFIDENT_SCORE)
        ):
            # A question about a pôle belongs with the cluster/pôle distinction.
            intent, score = "cluster_vs_competitiveness", max(score, CONFIDENT_SCORE)
        elif cluster is not None and intent is None and len(analysis.stems) <= SHORT_QUESTION:
            # "wagralim c koi", "tweed svp": naming one of ours is never out of scope.
            intent, score = "cluster_info", max(score, CONFIDENT_SCORE)

        fits = self._fits(analysis.words) if cluster is None and pole is None else []
        if fits:
            # Sector words alone ("cheap solar panels for my house") are not a request for a
            # cluster: the text must describe a business or ask about clusters.
            folded = set(fold(text).split())
            business = bool(folded & BUSINESS_CUES)
            relevant = business or bool(folded & CLUSTER_WORDS)
            if not business and intent in ("cluster_info", "what_is_a_cluster"):
                # "the digital image and sound cluster": a cluster named by its field.
                intent, cluster = "cluster_info", fits[0].cluster_id
                score = max(score, CONFIDENT_SCORE)
            elif relevant and (
                intent in (None, "recommend_cluster", *RECOMMENDATION_INTENTS)
                or score < CONFIDENT_SCORE
            ):
                intent, cluster = "recommend_cluster", fits[0].cluster_id
                score = max(score, min(1.0, 0.5 + 0.05 * fits[0].score))
            elif relevant and intent == "how_to_join":
                cluster = fits[0].cluster_id
            elif not relevant and intent == "recommend_cluster":
                intent = None

        if intent is None or score < REJECT_SCORE:
            return Match(text, None, None, language, round(score, 4), (), pole)
        alternatives = tuple(
            self._intent_ids[i]
            for i in ranked
            if self._intent_ids[i] != intent and scores[i] >= REJECT_SCORE / 2
        )[:3]
        return Match(
            text, intent, cluster, language, round(min(score, 1.0), 4), alternatives, pole
        )
