"""Which cluster or pôle a question names: by name, alias, or the words of its description.

Names compare on singular content words (`normalisation.content_words`) after typo
correction, so "PLASTIWN", "twiist" and "infopol" are found as well as "Plastiwin". A cluster
can also be named by what it covers rather than by its name ("cluster énergie environnement
développement durable" is TWEED, "the image, sound and text cluster" is TWIST): that is a soft
match of the question against each alias and tagline, weighed by how specific each word is.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.matching.normalisation import content_words
from knowledge.model import KnowledgeBase

CLUSTER_TOKEN = "§cluster"  # noqa: S105 - a placeholder word, not a password
POLE_TOKEN = "§pole"  # noqa: S105 - a placeholder word, not a password
# A description phrase names its entity when the question covers this share of its weight...
MIN_DESCRIPTION_COVERAGE = 0.6
# ... with at least this many of its words, none of them a word every entity uses ("cluster").
MIN_DESCRIPTION_WORDS = 2
GENERIC_WORD_WEIGHT = 0.35


@dataclass(frozen=True, slots=True)
class Entity:
    """A cluster or a pôle found in a question."""

    entity_id: str
    token: str  # CLUSTER_TOKEN or POLE_TOKEN
    length: int  # how many words of the question name it


class EntityDetector:
    """Finds clusters and pôles in a question's words (singular, typo-corrected, no stop
    words)."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        phrases: list[tuple[tuple[str, ...], str, str]] = []
        descriptions: list[tuple[tuple[str, ...], str, str]] = []
        for cluster in knowledge.clusters:
            names = [cluster.name, cluster.id, cluster.id.replace("-", " ")]
            names += [*cluster.aliases.fr, *cluster.aliases.en]
            names += [cluster.tagline.fr, cluster.tagline.en]
            for name in names:
                phrases.append((content_words(name), cluster.id, CLUSTER_TOKEN))
            for text in [
                *cluster.aliases.fr,
                *cluster.aliases.en,
                cluster.tagline.fr,
                cluster.tagline.en,
            ]:
                descriptions.append((content_words(text), cluster.id, CLUSTER_TOKEN))
        for pole in knowledge.competitiveness_clusters:
            for name in [pole.name, pole.id.replace("-", " "), *pole.aliases.fr, *pole.aliases.en]:
                phrases.append((content_words(name), pole.id, POLE_TOKEN))
                descriptions.append((content_words(name), pole.id, POLE_TOKEN))
            for text in (pole.field.fr, pole.field.en):
                descriptions.append((content_words(text), pole.id, POLE_TOKEN))
        # Longest phrase first, so "eco construction cluster" wins over "construction cluster".
        unique = sorted({p for p in phrases if p[0]}, key=lambda e: (-len(e[0]), e[0]))
        self._by_first_word: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        for entity in unique:
            self._by_first_word.setdefault(entity[0][0], []).append(entity)
        self.name_words = frozenset(w for phrase, _i, _t in unique for w in phrase)
        # Names that are one word of their own ("plastiwin", "tweed"): what a typo of a name
        # is measured against.
        self.single_names = frozenset(
            phrase[0] for phrase, _i, _t in unique if len(phrase) == 1 and len(phrase[0]) >= 5
        )

        # Description phrases: a word's weight says how few entities use it.
        self._descriptions = [d for d in dict.fromkeys(descriptions) if len(d[0]) >= 2]
        entities_per_word: dict[str, set[str]] = defaultdict(set)
        for phrase, entity_id, _token in self._descriptions:
            for word in phrase:
                entities_per_word[word].add(entity_id)
        count = len(knowledge.clusters) + len(knowledge.competitiveness_clusters)
        self._weight = {w: math.log(1 + count / len(ids)) for w, ids in entities_per_word.items()}
        generic = GENERIC_WORD_WEIGHT * math.log(1 + count)
        self._generic = frozenset(w for w, weight in self._weight.items() if weight < generic)
        self._descriptions_with_word: dict[str, list[int]] = defaultdict(list)
        for index, (phrase, _entity_id, _token) in enumerate(self._descriptions):
            for word in set(phrase):
                if word not in self._generic:
                    self._descriptions_with_word[word].append(index)

    def at(self, words: Sequence[str], start: int) -> Entity | None:
        """The cluster or pôle whose name starts at `words[start]`, if any."""
        for phrase, entity_id, token in self._by_first_word.get(words[start], ()):
            end = start + len(phrase)
            if end <= len(words) and tuple(words[start:end]) == phrase:
                return Entity(entity_id, token, len(phrase))
        return None

    def by_description(self, words: Sequence[str]) -> Entity | None:
        """The one entity whose alias or tagline the words cover best, if they cover enough of
        it and no other entity as well."""
        present = set(words)
        candidates = {i for w in present for i in self._descriptions_with_word.get(w, ())}
        best: dict[str, tuple[float, str]] = {}
        for index in candidates:
            phrase, entity_id, token = self._descriptions[index]
            unique = set(phrase)
            found = [w for w in unique if w in present]
            if sum(w not in self._generic for w in found) < MIN_DESCRIPTION_WORDS:
                continue
            total = sum(self._weight[w] for w in unique)
            coverage = sum(self._weight[w] for w in found) / total
            if coverage >= MIN_DESCRIPTION_COVERAGE and coverage > best.get(entity_id, (0, ""))[0]:
                best[entity_id] = (coverage, token)
        if not best:
            return None
        ranked = sorted(best.items(), key=lambda item: -item[1][0])
        if len(ranked) > 1 and ranked[1][1][0] >= ranked[0][1][0]:
            return None  # two entities fit as well: name neither
        entity_id, (_coverage, token) = ranked[0]
        return Entity(entity_id, token, 0)
