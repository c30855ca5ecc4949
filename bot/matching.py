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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from knowledge.model import KnowledgeBase, Language
from knowledge.text_folding import fold

# Function words: they say nothing about the intent. Interrogatives ("what", "how", "quoi",
# "comment") are deliberately *not* here: they separate "what is a cluster" from "how to join".
FRENCH_STOP_WORDS = frozenset(
    """
    a au aux avec ce ces cet cette dans de des du elle elles en et est etre il ils je la le
    les leur leurs lui ma mais me mes moi mon ne nos notre nous on ou par pas pour qu que
    qui sa se ses son sont sur ta te tes toi ton tu un une vos votre vous y ai as avons avez
    ont suis es sommes etes etait ete sera serait peux peut pouvez pouvons puis veux veut
    voulons voulez ca cela ceci ici tres bien aussi alors donc svp stp
    """.split()
)
ENGLISH_STOP_WORDS = frozenset(
    """
    a an the and or of to in on at for with by from is are was were be been being am it its
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
    produce specialised specialized agency office cluster clusters reseau network fit suits
    conviendrait convient correspond quel quelle which rejoindre join
    """.split()
)

CLUSTER_TOKEN = "§cluster"  # noqa: S105 - a placeholder word, not a password
POLE_TOKEN = "§pole"  # noqa: S105 - a placeholder word, not a password
STEM_LENGTH = 6
MIN_TYPO_LENGTH = 4
# Below this, a question is out of scope; between it and CONFIDENT_SCORE the dialogue asks
# "did you mean…?". Calibrated on the knowledge base's own examples (leave-one-out) and checked
# against tests/data/labelled_questions.yaml by bench/accuracy.py.
REJECT_SCORE = 0.34
CONFIDENT_SCORE = 0.55
# How much a word the knowledge base has never seen weighs, relative to the rarest known word.
UNKNOWN_WORD_WEIGHT = 0.9
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
    words: list[str]  # corrected folded words, stop words removed, for keyword matching
    french_votes: float
    english_votes: float


@dataclass(slots=True)
class _Example:
    intent_index: int
    weights: dict[str, float] = field(default_factory=dict)
    norm: float = 1.0


def _stem(word: str) -> str:
    return word[:STEM_LENGTH]


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
        self._raw_examples: list[tuple[int, str]] = [
            (self._intent_index[intent.id], text)
            for intent in knowledge.intents
            for _language, text in intent.examples.all()
        ]
        self._build_entities()
        self._build_vocabulary()
        self._build_language_votes()
        for intent_id, text, language in learned:
            self._raw_examples.append((self._intent_index[intent_id], text))
            self._learn_words(text, language)
        self._build_index()

    # -- construction -------------------------------------------------------------------------

    def _build_entities(self) -> None:
        """Name phrases of clusters and pôles, as folded word tuples, longest first."""
        phrases: list[tuple[tuple[str, ...], str, str]] = []
        for cluster in self._kb.clusters:
            names = [cluster.name, cluster.id, cluster.id.replace("-", " ")]
            names += list(cluster.aliases.fr + cluster.aliases.en)
            names += [cluster.tagline.fr, cluster.tagline.en]
            for name in names:
                phrases.append((self._phrase(name), cluster.id, CLUSTER_TOKEN))
        for pole in self._kb.competitiveness_clusters:
            for name in [pole.name, pole.id.replace("-", " "), *pole.aliases.fr, *pole.aliases.en]:
                phrases.append((self._phrase(name), pole.id, POLE_TOKEN))
        # Longest phrase first, so "eco construction cluster" wins over "construction cluster".
        unique = {(p, i, t) for p, i, t in phrases if p}
        self._entity_phrases = sorted(unique, key=lambda e: (-len(e[0]), e[0]))
        self._entity_first_words = {p[0] for p, _i, _t in self._entity_phrases}

    @staticmethod
    def _phrase(text: str) -> tuple[str, ...]:
        return tuple(w for w in fold(text).split() if w not in STOP_WORDS)

    def _build_vocabulary(self) -> None:
        vocabulary: set[str] = set()
        for _index, text in self._raw_examples:
            vocabulary.update(fold(text).split())
        for phrase, _id, _token in self._entity_phrases:
            vocabulary.update(phrase)
        self._keyword_phrases: list[tuple[tuple[str, ...], str, str]] = []
        for cluster in self._kb.clusters:
            for _language, keyword in cluster.keywords.all():
                phrase = self._phrase(keyword)
                if phrase:
                    vocabulary.update(phrase)
                    self._keyword_phrases.append((phrase, cluster.id, keyword))
        self._vocabulary = vocabulary - STOP_WORDS
        self._by_first_letter: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self._vocabulary):
            self._by_first_letter[word[0]].append(word)
        self._correct = lru_cache(maxsize=50_000)(self._correct_uncached)

    def _learn_words(self, text: str, language: Language) -> None:
        for word in fold(text).split():
            if word not in STOP_WORDS and word not in self._vocabulary:
                self._vocabulary.add(word)
                self._by_first_letter[word[0]].append(word)
                self._word_language.setdefault(word, language)
        self._correct.cache_clear()

    def _build_language_votes(self) -> None:
        """Which words only one language's examples use: they tell the question's language."""
        seen: dict[str, set[str]] = defaultdict(set)
        for intent in self._kb.intents:
            for language, text in intent.examples.all():
                for word in fold(text).split():
                    seen[word].add(language)
        for cluster in self._kb.clusters:
            for language, text in cluster.keywords.all() + cluster.aliases.all():
                for word in fold(text).split():
                    seen[word].add(language)
        self._word_language: dict[str, str] = {
            w: next(iter(langs)) for w, langs in seen.items() if len(langs) == 1
        }
        for word in FRENCH_STOP_WORDS - ENGLISH_STOP_WORDS:
            self._word_language[word] = "fr"
        for word in ENGLISH_STOP_WORDS - FRENCH_STOP_WORDS:
            self._word_language[word] = "en"

    def _build_index(self) -> None:
        """Inverse-intent-frequency weights and an inverted index over example stems."""
        example_stems = [
            (intent_index, set(self._analyse(text).stems))
            for intent_index, text in self._raw_examples
        ]
        intents_per_stem: dict[str, set[int]] = defaultdict(set)
        for intent_index, stems in example_stems:
            for stem in stems:
                intents_per_stem[stem].add(intent_index)
        count = len(self._intent_ids)
        self._idf = {s: math.log(1 + count / len(i)) for s, i in intents_per_stem.items()}
        self._unknown_weight = UNKNOWN_WORD_WEIGHT * math.log(1 + count)

        self._examples: list[_Example] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        bags: list[dict[str, float]] = [defaultdict(float) for _ in self._intent_ids]
        for intent_index, stems in example_stems:
            if not stems:
                continue
            example = _Example(intent_index, {s: self._idf[s] for s in stems})
            example.norm = math.sqrt(sum(w * w for w in example.weights.values()))
            self._postings_add(len(self._examples), example)
            self._examples.append(example)
            for stem in stems:
                bags[intent_index][stem] += 1.0
        # The bag of an intent: stem frequency across its examples, times the stem's weight.
        self._bags: list[dict[str, float]] = []
        self._bag_norms: list[float] = []
        for bag in bags:
            total = sum(bag.values()) or 1.0
            weighted = {s: (n / total) * self._idf[s] for s, n in bag.items()}
            self._bags.append(weighted)
            self._bag_norms.append(math.sqrt(sum(w * w for w in weighted.values())) or 1.0)

    def _postings_add(self, example_index: int, example: _Example) -> None:
        for stem in example.weights:
            self._postings[stem].append(example_index)

    def add_example(self, intent_id: str, text: str, language: Language) -> None:
        """Learn a new example at once (staff assigned an unanswered question to an intent)."""
        self._raw_examples.append((self._intent_index[intent_id], text))
        self._learn_words(text, language)
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
        raw_words = fold(text).split()
        french = sum(1 for ch in text if ch in "éèêàçùâîôûëïœ")
        english = 0.0
        corrected: list[tuple[str, bool]] = []  # (word, known)
        for word in raw_words:
            language = self._word_language.get(word)
            if language == "fr":
                french += 1
            elif language == "en":
                english += 1
            if word in STOP_WORDS:
                continue
            if word in self._vocabulary or word.isdigit():
                corrected.append((word, True))
                continue
            fixed = self._correct(word) if len(word) >= MIN_TYPO_LENGTH else None
            if fixed is not None:
                corrected.append((fixed, True))
            else:
                corrected.append((word, False))

        clusters: list[str] = []
        poles: list[str] = []
        stems: list[str] = []
        known: list[bool] = []
        i = 0
        words = [w for w, _k in corrected]
        while i < len(corrected):
            entity = self._entity_at(words, i) if words[i] in self._entity_first_words else None
            if entity is not None:
                length, entity_id, token = entity
                (clusters if token == CLUSTER_TOKEN else poles).append(entity_id)
                stems.append(token)
                known.append(True)
                i += length
                continue
            word, is_known = corrected[i]
            stems.append(_stem(word))
            known.append(is_known)
            i += 1
        return _Analysis(stems, known, clusters, poles, words, french, english)

    def _entity_at(self, words: Sequence[str], start: int) -> tuple[int, str, str] | None:
        for phrase, entity_id, token in self._entity_phrases:
            end = start + len(phrase)
            if end <= len(words) and tuple(words[start:end]) == phrase:
                return len(phrase), entity_id, token
        return None

    # -- scoring ------------------------------------------------------------------------------

    def _intent_scores(self, analysis: _Analysis) -> list[float]:
        query: dict[str, float] = {}
        for stem, is_known in zip(analysis.stems, analysis.known, strict=True):
            weight = self._idf.get(stem) if is_known else None
            query[stem] = weight if weight is not None else self._unknown_weight
        norm = math.sqrt(sum(w * w for w in query.values()))
        scores = [0.0] * len(self._intent_ids)
        if norm == 0:
            return scores
        dots: dict[int, float] = defaultdict(float)
        for stem, weight in query.items():
            for example_index in self._postings.get(stem, ()):
                dots[example_index] += weight * self._examples[example_index].weights[stem]
        nearest = [0.0] * len(self._intent_ids)
        for example_index, dot in dots.items():
            example = self._examples[example_index]
            cosine = dot / (norm * example.norm)
            if cosine > nearest[example.intent_index]:
                nearest[example.intent_index] = cosine
        for intent_index, bag in enumerate(self._bags):
            if nearest[intent_index] == 0.0:
                continue
            dot = sum(w * bag[s] for s, w in query.items() if s in bag)
            bag_cosine = dot / (norm * self._bag_norms[intent_index])
            scores[intent_index] = (
                NEAREST_SHARE * nearest[intent_index] + (1 - NEAREST_SHARE) * bag_cosine
            )
        return scores

    def recommend(self, text: str) -> list[ClusterFit]:
        """Clusters whose sector keywords the text mentions, best first."""
        return self._fits(self._analyse(text).words)

    def _fits(self, words: Sequence[str]) -> list[ClusterFit]:
        stems = {_stem(w) for w in words}
        scores: dict[str, float] = defaultdict(float)
        reasons: dict[str, list[str]] = defaultdict(list)
        for phrase, cluster_id, keyword in self._keyword_phrases:
            phrase_stems = [_stem(w) for w in phrase]
            found = sum(1 for s in phrase_stems if s in stems)
            if found == len(phrase_stems):
                scores[cluster_id] += 1.0 + 0.5 * (len(phrase_stems) - 1)
                reasons[cluster_id].append(keyword)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return [ClusterFit(c, s, tuple(dict.fromkeys(reasons[c]))) for c, s in ranked]

    def match(self, text: str, *, fallback_language: Language = "fr") -> Match:
        """Understand `text`. Never raises: any string gets an answer, maybe "out of scope"."""
        analysis = self._analyse(text)
        language: Language
        if analysis.french_votes > analysis.english_votes:
            language = "fr"
        elif analysis.english_votes > analysis.french_votes:
            language = "en"
        else:
            language = fallback_language
        scores = self._intent_scores(analysis)
        ranked = sorted(range(len(scores)), key=lambda i: -scores[i])
        best = ranked[0] if ranked else None
        intent = self._intent_ids[best] if best is not None else None
        score = scores[best] if best is not None else 0.0

        cluster = analysis.clusters[0] if analysis.clusters else None
        pole = analysis.poles[0] if analysis.poles else None
        only_entities = bool(analysis.stems) and all(
            s in (CLUSTER_TOKEN, POLE_TOKEN) for s in analysis.stems
        )
        if only_entities:
            # "TWEED ?" or "BioWin" alone: the user wants to know what that is.
            intent = "cluster_info" if cluster else "cluster_vs_competitiveness"
            score = 1.0
        if (
            pole is not None
            and cluster is None
            and intent not in (None, "cluster_vs_competitiveness")
        ):
            # A question about a pôle belongs with the cluster/pôle distinction, not elsewhere.
            if score < CONFIDENT_SCORE or intent in (
                "cluster_info",
                "how_to_join",
                "list_clusters",
            ):
                intent, score = "cluster_vs_competitiveness", max(score, CONFIDENT_SCORE)

        if cluster is None and pole is None:
            fits = self._fits(analysis.words)
            describes_business = any(w in BUSINESS_CUES for w in fold(text).split())
            if fits and describes_business:
                cluster = fits[0].cluster_id
                if intent not in ("how_to_join", "eligibility") or score < CONFIDENT_SCORE:
                    intent = "recommend_cluster"
                    score = max(score, min(1.0, 0.5 + 0.1 * fits[0].score))

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
