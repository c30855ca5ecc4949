"""A question as the scorers see it: corrected words, names of clusters and pôles set apart.

1. fold the text and expand chat shorthand (`normalisation`);
2. correct typos word by word against the knowledge base's own vocabulary (rapidfuzz, optimal
   string alignment distance, tighter for short words so "tweet" does not become "tweed" while
   "plastiwn" still becomes "plastiwin");
3. replace the names of clusters and pôles by placeholder words, so that "how do I join
   PLASTIWIN?" and "how do I join TWIST?" look alike to the intent scorers while the cluster is
   carried separately;
4. count the words only one language uses, to tell the question's language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.matching.entities import CLUSTER_TOKEN, EntityDetector
from bot.matching.normalisation import (
    ENGLISH_STOP_WORDS,
    FRENCH_LETTERS,
    FRENCH_STOP_WORDS,
    STOP_WORDS,
    singular,
    stem,
    text_words,
)
from knowledge.model import KnowledgeBase, Language

# Typo corrections already worked out; bounded, as every distinct unknown word adds one.
TYPO_CACHE_SIZE = 10_000
MIN_TYPO_LENGTH = 4


@dataclass(slots=True)
class Analysis:
    """One question, analysed."""

    tokens: list[str]  # every corrected word, names replaced by placeholders (classifier)
    stems: list[str]  # content words' stems, names replaced by placeholders (nearest example)
    known: list[bool]  # per stem: is it a word of the knowledge base?
    clusters: list[str]
    poles: list[str]
    words: list[str]  # corrected singular content words, for names and sector keywords
    described: str | None  # a cluster described ("the image and sound cluster"), maybe named
    # A pôle described by its field ("transport and logistics"), when none is named: weaker
    # evidence than a name, as the words may describe the writer's own business.
    described_pole: str | None
    french_votes: float
    english_votes: float

    def language(self, fallback: Language) -> Language:
        if self.french_votes > self.english_votes:
            return "fr"
        if self.english_votes > self.french_votes:
            return "en"
        return fallback


def _max_edits(word: str) -> int:
    # Short words tolerate one slip, long ones two: "clustr", "advantges", "plastiwn".
    return 1 if len(word) < 9 else 2


class Analyser:
    """Analyses questions against one knowledge base's vocabulary and names."""

    @classmethod
    def with_examples(
        cls, knowledge: KnowledgeBase, examples: Sequence[tuple[str, Language]]
    ) -> tuple[Analyser, Iterator[Analysis]]:
        """An analyser whose vocabulary holds `examples`, and their analyses, made one at a
        time as they are read.

        Each example is split into words once, for both: splitting thousands of examples
        twice cost a tenth of a second at start-up. The analyses are made lazily because all of
        them at once took 5 MB, and the few objects kept from each (its stems) then pinned the
        memory of the rest: the process stayed 9 MB larger once they were freed.
        """
        entities = EntityDetector(knowledge)
        # One string per example (the words joined by spaces) holds the split compactly.
        split = [
            (" ".join(text_words(text, entities.single_names)), language)
            for text, language in examples
        ]
        analyser = cls(
            knowledge, ((words.split(), language) for words, language in split), entities
        )
        analyses = (
            analyser.analyse_words(text, words.split())
            for (text, _language), (words, _l) in zip(examples, split, strict=True)
        )
        return analyser, analyses

    def __init__(
        self,
        knowledge: KnowledgeBase,
        examples: Iterable[tuple[Sequence[str], Language]],
        entities: EntityDetector | None = None,
    ) -> None:
        """`examples`: the words of each example (`text_words` with the names of
        `entities`) and its language."""
        self.entities = entities or EntityDetector(knowledge)
        languages: dict[str, set[str]] = defaultdict(set)
        for words, language in examples:
            for word in words:
                languages[word].add(language)
        # Examples written as people type hold misspelt names ("c koi twed"); such a word must
        # still be corrected to the name, not kept as a word of its own.
        names = sorted(self.entities.single_names)
        misspelt_names = {
            word
            for word in languages
            if len(word) >= MIN_TYPO_LENGTH
            and word not in self.entities.name_words
            and process.extractOne(word, names, scorer=OSA.distance, score_cutoff=_max_edits(word))
            is not None
        }
        for cluster in knowledge.clusters:
            for language, text in cluster.aliases.all() + cluster.keywords.all():
                for word in text_words(text):
                    languages[word].add(language)
            for text in (cluster.name, cluster.tagline.fr, cluster.tagline.en):
                for word in text_words(text):
                    languages[word].update(("fr", "en"))
        for pole in knowledge.competitiveness_clusters:
            for text in (pole.name, *pole.aliases.fr, *pole.aliases.en):
                for word in text_words(text):
                    languages[word].update(("fr", "en"))
        # A word used by one language only tells the question's language (a number does not,
        # whichever examples happen to hold it).
        self._word_language: dict[str, str] = {
            w: next(iter(langs))
            for w, langs in languages.items()
            if len(langs) == 1 and not w.isdigit()
        }
        for word in FRENCH_STOP_WORDS - ENGLISH_STOP_WORDS:
            self._word_language[word] = "fr"
        for word in ENGLISH_STOP_WORDS - FRENCH_STOP_WORDS:
            self._word_language[word] = "en"
        self.vocabulary = frozenset(set(languages) - STOP_WORDS - misspelt_names)
        self._by_first_letter: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self.vocabulary):
            self._by_first_letter[word[0]].append(word)
        self._names_by_first_letter: dict[str, list[str]] = defaultdict(list)
        for name in sorted(self.entities.single_names & self.vocabulary):
            self._names_by_first_letter[name[0]].append(name)
        self._correct = lru_cache(maxsize=TYPO_CACHE_SIZE)(self._correct_uncached)

    def _correct_uncached(self, word: str) -> str | None:
        candidates = self._by_first_letter.get(word[0])
        if not candidates:
            return None
        found = process.extractOne(
            word, candidates, scorer=OSA.distance, score_cutoff=_max_edits(word)
        )
        if found is None:
            return None
        # A name of ours wins a tie: "twed" is TWEED, not "tied" (an example's word).
        named = process.extractOne(
            word,
            self._names_by_first_letter.get(word[0], ()),
            scorer=OSA.distance,
            score_cutoff=found[1],
        )
        return str(named[0]) if named else str(found[0])

    def analyse(self, text: str) -> Analysis:
        return self.analyse_words(text, text_words(text, self.entities.single_names))

    def analyse_words(self, text: str, split: Sequence[str]) -> Analysis:
        """The analysis of `text`, already split into `split` (`text_words`)."""
        # Accented letters vote French (none in plain ASCII, most questions typed on phones).
        french = 0.0 if text.isascii() else float(sum(map(text.count, FRENCH_LETTERS)))
        english = 0.0
        known: list[bool] = []
        words: list[str] = []
        # (position in `words` or -1 for a stop word, the word as corrected)
        sequence: list[tuple[int, str]] = []
        for word in split:
            language = self._word_language.get(word)
            if language == "fr":
                french += 1
            elif language == "en":
                english += 1
            if word in STOP_WORDS or (len(word) == 1 and not word.isdigit()):
                sequence.append((-1, word))
                continue
            is_known = word in self.vocabulary or word.isdigit()
            if not is_known and len(word) >= MIN_TYPO_LENGTH:
                fixed = self._correct(word)
                if fixed is not None:
                    word, is_known = fixed, True
            sequence.append((len(words), word))
            words.append(singular(word))
            known.append(is_known)

        clusters: list[str] = []
        poles: list[str] = []
        stems: list[str] = []
        out_known: list[bool] = []
        # Where each content word goes: an entity's placeholder, or itself.
        replaced: dict[int, str | None] = {}
        i = 0
        while i < len(words):
            entity = self.entities.at(words, i)
            if entity is not None:
                (clusters if entity.token == CLUSTER_TOKEN else poles).append(entity.entity_id)
                stems.append(entity.token)
                out_known.append(True)
                replaced[i] = entity.token
                for j in range(i + 1, i + entity.length):
                    replaced[j] = None
                i += entity.length
                continue
            stems.append(stem(words[i]))
            out_known.append(known[i])
            i += 1
        described: str | None = None
        described_pole: str | None = None
        entity = self.entities.by_description(words)
        if entity is not None and entity.token == CLUSTER_TOKEN:
            described = entity.entity_id
        elif entity is not None and not clusters and not poles:
            described_pole = entity.entity_id
        tokens: list[str] = []
        for position, word in sequence:
            if position < 0 or position not in replaced:
                tokens.append(word)
            elif replaced[position] is not None:
                tokens.append(replaced[position] or "")
        return Analysis(
            tokens,
            *(stems, out_known, clusters, poles, words, described, described_pole),
            *(french, english),
        )
