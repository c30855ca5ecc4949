"""Which cluster fits an activity description ("we make injected plastic parts")."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.matching.normalisation import content_words
from knowledge.model import KnowledgeBase

# A cluster fits an activity description when its keywords score at least this (about one
# word specific to that cluster); a whole multi-word keyword adds PHRASE_BONUS per extra word.
MIN_FIT_SCORE = 1.5
PHRASE_BONUS = 0.5


@dataclass(frozen=True, slots=True)
class ClusterFit:
    """How well an activity description fits a cluster, and the keywords that say why."""

    cluster_id: str
    score: float
    keywords: tuple[str, ...]


class SectorRecommender:
    """Scores clusters by the sector keywords (clusters.yaml `keywords`) a text uses."""

    def __init__(self, knowledge: KnowledgeBase, is_everyday_word: Callable[[str], bool]) -> None:
        self._keyword_phrases: list[tuple[tuple[str, ...], str, str]] = []
        for cluster in knowledge.clusters:
            for _language, keyword in cluster.keywords.all():
                phrase = content_words(keyword)
                if phrase:
                    self._keyword_phrases.append((phrase, cluster.id, keyword))
        clusters_per_word: dict[str, set[str]] = defaultdict(set)
        # word -> the keyword phrases holding it, so a question only visits its own keywords
        self._phrases_with_word: dict[str, list[int]] = defaultdict(list)
        for index, (phrase, cluster_id, _keyword) in enumerate(self._keyword_phrases):
            for word in phrase:
                clusters_per_word[word].add(cluster_id)
                self._phrases_with_word[word].append(index)
        cluster_count = len(knowledge.clusters)
        self._word_weight = {
            w: math.log(1 + cluster_count / len(c)) for w, c in clusters_per_word.items()
        }
        # Keyword words that many intents' examples use ("entreprise", "company", "service")
        # are everyday words, not sector words.
        self._everyday_words = frozenset(w for w in clusters_per_word if is_everyday_word(w))

    def fits(self, words: Sequence[str]) -> list[ClusterFit]:
        """Score clusters by the sector words the text uses, best first.

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
                self._word_weight[w] * share for w, share in words_credit.items()
            )
        ranked = sorted(
            ((c, s) for c, s in scores.items() if s >= MIN_FIT_SCORE),
            key=lambda item: (-item[1], item[0]),
        )
        return [ClusterFit(c, round(s, 3), tuple(dict.fromkeys(reasons[c]))) for c, s in ranked]
