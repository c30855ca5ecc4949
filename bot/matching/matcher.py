"""Understands a question: which intent, which cluster or pôle, which language, how sure.

The pieces, each in its own module:

* `normalisation` and `text_analysis`: folding, chat shorthand, typo correction against the
  knowledge base's vocabulary, names of clusters and pôles replaced by placeholders;
* `entities`: clusters and pôles named by name, alias (typos included) or description;
* `classifier`: a logistic regression over word and character n-grams, trained offline with
  scikit-learn (`train`) and scored here in pure Python from its exported weights;
* `nearest_examples`: the nearest-example + bag-of-words scorer, which needs no training;
* `recommender`: which cluster an activity description fits;
* `business_cues`: when sector words ask for a cluster (a business described, a cluster asked).

The default method is the ensemble of the classifier and the nearest-example scorer (see
README, "Accuracy", for the comparison that chose it). Examples that staff teach at run time
go to the nearest-example scorer and count at once, without retraining.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Literal

from bot.matching.business_cues import CLUSTER_WORDS, describes_a_business
from bot.matching.classifier import OUT_OF_SCOPE, IntentClassifier, training_hash
from bot.matching.entities import CLUSTER_TOKEN, POLE_TOKEN
from bot.matching.nearest_examples import NearestExampleScorer
from bot.matching.recommender import ClusterFit, SectorRecommender
from bot.matching.text_analysis import Analyser, Analysis
from knowledge.model import KnowledgeBase, Language
from knowledge.text_folding import fold

__all__ = [
    "CONFIDENT_SCORE",
    "LIKELY_OUT_OF_SCOPE",
    "REJECT_SCORE",
    "SECTOR_OUT_OF_SCOPE",
    "SURE_OUT_OF_SCOPE",
    "ClusterFit",
    "Match",
    "Matcher",
    "Method",
]

Method = Literal["nearest", "classifier", "ensemble"]

# Below REJECT_SCORE a question is out of scope; between it and CONFIDENT_SCORE the dialogue
# asks "did you mean…?". Each method's own cut-offs (METHOD_CUTOFFS) are mapped onto these two,
# so `Match.score` reads the same whichever method made it.
REJECT_SCORE = 0.34
CONFIDENT_SCORE = 0.45
# (reject below, confident from) on each method's own scale. The nearest-example cut-offs were
# calibrated on the knowledge base's examples (leave-one-out); the classifier's rejection
# threshold comes from its training (out-of-fold, stored with its weights).
METHOD_CUTOFFS: dict[Method, tuple[float, float]] = {
    "nearest": (0.34, 0.45),
    "classifier": (0.0, 0.45),  # the rejection cut-off is replaced by the trained one
    "ensemble": (0.25, 0.42),
}
# The ensemble: this share of the classifier's probability, the rest the nearest-example score.
CLASSIFIER_SHARE = 0.5
# Above this out-of-scope score (on the method's own scale) the model is sure a question is
# not about clusters: the dialogue then does not lean on the subject under discussion.
SURE_OUT_OF_SCOPE = 0.6
# From this out-of-scope score, a sector word in a question that does not ask for a cluster or
# a network in words does not make it a request for a cluster (from SURE_OUT_OF_SCOPE if it
# does). Measured on the development sets (session 7): such activity descriptions that really
# asked for a cluster scored at most 0.47; questions about something else in a cluster's field
# (soundproofing a home studio, recycling black trays, a game on Steam, a work visa for a civil
# engineer) 0.53-0.56, VAT on software or insurance for builders 0.69-0.88. Those that ask in
# words ("ya un cluster pr moi ?", "un groupe pour des gens comme moi ?") scored up to 0.52.
SECTOR_OUT_OF_SCOPE = 0.5
# Below this out-of-scope score, a text the scorers could not place is more likely an unclear
# question of ours than an off-topic one: on the development sets, 3 of 247 rejected
# off-topic questions scored below it, and 3 of 8 rejected questions of ours.
LIKELY_OUT_OF_SCOPE = 0.3
# A question naming TWEED or TWIST (names that out-of-scope examples also use in another
# sense) that the scorers reject is ours, if unclear, below this out-of-scope score: on the
# development sets such questions scored 0.29-0.33, while "twist" in another sense ("best twist
# hairstyles", "Oliver Twist en streaming") scored 0.45-0.50. Other names need no such check.
NAMED_OUT_OF_SCOPE = 0.4
# A question this close to an example staff taught at run time takes that example's intent.
LEARNED_EXAMPLE_COSINE = 0.8

# Intents that a question naming a pôle really means as "what is this pôle?".
POLE_INTENTS = frozenset(
    {"cluster_info", "how_to_join", "list_clusters", "what_is_a_cluster"}
    | {"cluster_vs_competitiveness"}
)
# Intents that a question naming both a pôle and a cluster really means as "what sets them
# apart?".
PAIR_AS_DISTINCTION = frozenset({"cluster_info", "what_is_a_cluster", "list_clusters"})
# Small talk must be most of the message to count as small talk.
SMALL_TALK = frozenset({"greeting", "thanks", "goodbye"})
SMALL_TALK_COVERAGE = 0.3
# A thank-you of which a goodbye example covers this much also takes leave.
TAKING_LEAVE_COVERAGE = 0.8
# A question of at most this many words that names a cluster is about that cluster.
SHORT_QUESTION = 3
# Intents that an activity description turns into a recommendation.
RECOMMENDATION_INTENTS = frozenset({"list_clusters", "cluster_info", "sectors_covered"})


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
    # The out-of-scope class's score: at SURE_OUT_OF_SCOPE or above, the model is sure the
    # text is not about clusters; below it, a rejected text may still be ours, unclear.
    out_of_scope: float = 0.0

    @property
    def confident(self) -> bool:
        return self.intent is not None and self.score >= CONFIDENT_SCORE

    @property
    def pole(self) -> str | None:
        """The pôle de compétitivité named, if any (same as `competitiveness_cluster`)."""
        return self.competitiveness_cluster


def _pole(analysis: Analysis, intent: str | None) -> str | None:
    """The pôle a text names, or describes by its field in a question the scorers place among
    ours ("our logistics company needs a VAT number" describes a business, not the pôle)."""
    if analysis.poles:
        return analysis.poles[0]
    return analysis.described_pole if intent is not None else None


def _common_scale(score: float, reject: float, confident: float) -> float:
    """Map a method's own score onto REJECT_SCORE/CONFIDENT_SCORE, piecewise linearly."""
    if score < reject:
        return REJECT_SCORE * score / reject if reject > 0 else REJECT_SCORE
    if score < confident:
        share = (score - reject) / (confident - reject)
        return REJECT_SCORE + share * (CONFIDENT_SCORE - REJECT_SCORE)
    share = (score - confident) / (1 - confident)
    return min(1.0, CONFIDENT_SCORE + share * (1 - CONFIDENT_SCORE))


class Matcher:
    """Matches questions against a knowledge base (and examples learned at run time)."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        learned: Iterable[tuple[str, str, Language]] = (),
        *,
        method: Method = "ensemble",
        classifier: IntentClassifier | None = None,
    ) -> None:
        self._kb = knowledge
        self._intent_ids = [intent.id for intent in knowledge.intents]
        self._intent_index = {intent_id: i for i, intent_id in enumerate(self._intent_ids)}
        # Out-of-scope examples form one more class after the intents.
        self._out_of_scope = len(self._intent_ids)
        self._examples: list[tuple[int, str, Language]] = [
            (self._intent_index[intent.id], text, language)
            for intent in knowledge.intents
            for language, text in intent.examples.all()
        ]
        self._examples += [
            (self._out_of_scope, text, language) for language, text in knowledge.out_of_scope.all()
        ]
        self._learned: list[tuple[int, str, Language]] = []
        self._classifier, self._classifier_columns = self._usable_classifier(
            classifier if classifier is not None else IntentClassifier.load()
        )
        # Without weights trained on this very knowledge base, only the nearest examples.
        self.method: Method = method if self._classifier is not None else "nearest"
        self._build([(self._intent_index[i], t, lang) for i, t, lang in learned])

    def _usable_classifier(
        self, classifier: IntentClassifier | None
    ) -> tuple[IntentClassifier | None, list[int]]:
        if classifier is None or classifier.training_hash != training_hash(self._kb):
            return None, []
        # Classifier column of each class of ours (intents, then out of scope).
        columns = {name: i for i, name in enumerate(classifier.classes)}
        return classifier, [columns[i] for i in (*self._intent_ids, OUT_OF_SCOPE)]

    @property
    def classifier_in_use(self) -> bool:
        """False when the exported weights do not match this knowledge base."""
        return self._classifier is not None

    def _build(self, learned: list[tuple[int, str, Language]]) -> None:
        self._learned.extend(learned)
        examples = self._examples + self._learned
        self._analyser, analyses = Analyser.with_examples(
            self._kb, [(text, lang) for _i, text, lang in examples]
        )
        # Clusters whose name an out-of-scope example uses in another sense ("a tweed jacket",
        # "Oliver Twist"): naming them is weaker evidence that a question is ours.
        self._everyday_names = set[str]()

        def analysed() -> Iterator[tuple[int, Analysis]]:
            # The scorer reads each analysis once: they are made and dropped one at a time.
            for (index, _text, _language), analysis in zip(examples, analyses, strict=True):
                if index == self._out_of_scope:
                    self._everyday_names.update(analysis.clusters)
                yield index, analysis

        self._nearest = NearestExampleScorer(self._out_of_scope + 1, analysed())
        learned_analyses = [(i, self._analyser.analyse(text)) for i, text, _l in self._learned]
        self._learned_nearest = (
            NearestExampleScorer(self._out_of_scope + 1, learned_analyses)
            if learned_analyses
            else None
        )
        self._recommender = SectorRecommender(self._kb, self._nearest.is_everyday_word)

    def add_example(self, intent_id: str, text: str, language: Language) -> None:
        """Learn a new example at once (staff assigned an unanswered question to an intent)."""
        self.add_examples([(intent_id, text, language)])

    def add_examples(self, examples: Iterable[tuple[str, str, Language]]) -> None:
        """Learn several examples with one rebuild of the index (about half a second with the
        shipped knowledge base: every example is analysed again against the new vocabulary)."""
        added = [(self._intent_index[i], text, language) for i, text, language in examples]
        if added:
            self._build(added)

    # -- scoring ------------------------------------------------------------------------------

    def _class_scores(self, analysis: Analysis) -> tuple[list[float], list[float]]:
        """Per class (intents, then out of scope): the method's score, and how much of the
        question the nearest example covers."""
        nearest_scores, _cosines, coverage = self._nearest.scores(analysis)
        if self.method == "nearest" or self._classifier is None:
            return nearest_scores, coverage
        probabilities = self._classifier.probabilities(analysis.tokens)
        learned = [probabilities[c] for c in self._classifier_columns]
        if self.method == "classifier":
            return learned, [1.0] * len(learned)
        return [
            CLASSIFIER_SHARE * p + (1 - CLASSIFIER_SHARE) * n
            for p, n in zip(learned, nearest_scores, strict=True)
        ], coverage

    def _names_ours(self, cluster: str, out_of_scope_score: float) -> bool:
        """Whether naming `cluster` makes a rejected question ours: always, unless the name is
        an everyday word ("twist", "tweed") and the model leans off-topic."""
        return out_of_scope_score < NAMED_OUT_OF_SCOPE or cluster not in self._everyday_names

    def _takes_leave(self, coverage: list[float], thanks: int) -> bool:
        """Whether a goodbye example covers much of the text, and a thank-you little of it
        ("Merci pour ces informations, au revoir", not "Bon. Merci.")."""
        goodbye = self._intent_index.get("goodbye")
        return (
            goodbye is not None
            and coverage[goodbye] >= TAKING_LEAVE_COVERAGE
            and coverage[thanks] < TAKING_LEAVE_COVERAGE / 2
        )

    def _cutoffs(self) -> tuple[float, float]:
        reject, confident = METHOD_CUTOFFS[self.method]
        if self.method == "classifier" and self._classifier is not None:
            reject = self._classifier.threshold
        return reject, confident

    def analyse(self, text: str) -> Analysis:
        """What the scorers see of `text` (corrected words, names set apart)."""
        return self._analyser.analyse(text)

    def recommend(self, text: str) -> list[ClusterFit]:
        """Clusters whose sector keywords the text mentions, best first."""
        return self._recommender.fits(self._analyser.analyse(text).words)

    def match(self, text: str, *, fallback_language: Language = "fr") -> Match:
        """Understand `text`. Never raises: any string gets an answer, maybe "out of scope"."""
        analysis = self._analyser.analyse(text)
        language = analysis.language(fallback_language)
        scores, coverage = self._class_scores(analysis)
        out_of_scope_score = scores.pop()
        ranked = sorted(range(len(scores)), key=lambda i: -scores[i])
        intent: str | None = self._intent_ids[ranked[0]] if ranked else None
        reject, confident = self._cutoffs()
        score = _common_scale(scores[ranked[0]], reject, confident) if ranked else 0.0
        if out_of_scope_score > scores[ranked[0]] if ranked else True:
            intent = None
        elif (
            intent in SMALL_TALK
            and coverage[ranked[0]] < SMALL_TALK_COVERAGE
            and out_of_scope_score >= LIKELY_OUT_OF_SCOPE
        ):
            # "translate 'thank you' into Dutch" holds a thank-you but is not one; a long
            # formal thank-you ("je vous prie d'agréer…") is one, however little an example
            # covers of it.
            intent = None
        elif intent == "thanks" and self._takes_leave(coverage, ranked[0]):
            # "Merci pour ces informations, au revoir": thanks that take leave end the chat.
            intent = "goodbye"
        if self._learned_nearest is not None:
            # An example staff taught counts at once, whatever the trained model thinks.
            _scores, cosines, _coverage = self._learned_nearest.scores(analysis)
            best = max(range(len(scores)), key=lambda i: cosines[i])
            if cosines[best] >= LEARNED_EXAMPLE_COSINE:
                intent, score = self._intent_ids[best], max(score, CONFIDENT_SCORE)

        closest = self._intent_ids[ranked[0]] if ranked else None
        intent, cluster, score = self._entity_rules(
            text, analysis, intent, score, out_of_scope_score, closest
        )
        if intent is None or score < REJECT_SCORE:
            # Rejected, with the closest intents all the same (its own best guess among them):
            # where an unclear question of ours ("is that tax deductible?") may belong.
            intent = cluster = None
        alternatives = tuple(
            islice(
                (
                    self._intent_ids[i]
                    for i in ranked
                    if self._intent_ids[i] != intent
                    and _common_scale(scores[i], reject, confident) >= REJECT_SCORE / 2
                ),
                3,
            )
        )
        pole = _pole(analysis, intent)
        return Match(
            text,
            intent,
            cluster,
            language,
            round(min(score, 1.0), 4),
            alternatives,
            pole,
            round(out_of_scope_score, 4),
        )

    def _entity_rules(
        self,
        text: str,
        analysis: Analysis,
        intent: str | None,
        score: float,
        out_of_scope_score: float,
        closest: str | None,
    ) -> tuple[str | None, str | None, float]:
        """What naming a cluster or a pôle, or describing a business, changes."""
        cluster = analysis.clusters[0] if analysis.clusters else None
        pole = _pole(analysis, intent)
        if analysis.stems and all(s in (CLUSTER_TOKEN, POLE_TOKEN) for s in analysis.stems):
            # "TWEED ?" or "BioWin" alone: the user wants to know what that is.
            return ("cluster_info" if cluster else "cluster_vs_competitiveness"), cluster, 1.0
        if analysis.poles and cluster is not None and intent in PAIR_AS_DISTINCTION:
            # "GreenWin and TWEED, are they the same kind of organisation?": a pôle and a
            # cluster named together in a "what is it" question ask what sets them apart.
            intent = "cluster_vs_competitiveness"
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
        elif (
            cluster is not None
            and intent is None
            and len(analysis.stems) <= SHORT_QUESTION
            and self._names_ours(cluster, out_of_scope_score)
        ):
            # "plastiwin c koi", "tweed svp": naming one of ours is not out of scope, unless the
            # name is an everyday word the model reads in its other sense ("comment danser le
            # twist", "ou acheter du tissu tweed").
            intent, score = "cluster_info", max(score, CONFIDENT_SCORE)
        elif (
            cluster is not None
            and (
                intent is None
                or (score < CONFIDENT_SCORE and intent in ("recommend_cluster", *POLE_INTENTS))
            )
            and describes_a_business(text)
            and self._recommender.fits(analysis.words)
        ):
            # "Mon fils a une société de plasturgie, existe-t-il un groupement ?": a business
            # described with a word that also names a cluster asks which cluster fits (but "we
            # make plastic packaging, can we join PlastiWin if we are not Belgian?" asks who
            # may join).
            intent, score = "recommend_cluster", max(score, CONFIDENT_SCORE)
        elif (
            cluster is not None
            and (intent is None or score < REJECT_SCORE)
            # A pôle named beside it settles it: "Is Greenwin the same thing as TWEED?".
            and (self._names_ours(cluster, out_of_scope_score) or bool(analysis.poles))
        ):
            # A longer question naming one of ours that the scorers could not place ("does
            # Tweed cover water management too or only energy?", "cap2020 c pour les isolants
            # ou tt le batiment?") is ours, if unclear: its closest intent, to be confirmed
            # ("did you mean…?"). A name that is also an everyday word (tweed, twist) needs the
            # model not to lean off-topic.
            intent, score = closest, max(score, REJECT_SCORE)

        fits = self._recommender.fits(analysis.words) if cluster is None and pole is None else []
        if fits:
            # Sector words alone ("cheap solar panels for my house") are not a request for a
            # cluster: the text must describe a business or ask about clusters.
            folded = set(fold(text).split())
            business = describes_a_business(text)
            asks_for_one = bool(folded & CLUSTER_WORDS)
            relevant = business or asks_for_one
            if not business and intent in ("cluster_info", "what_is_a_cluster"):
                # "the digital image and sound cluster": a cluster named by its field.
                intent, cluster = "cluster_info", fits[0].cluster_id
                score = max(score, CONFIDENT_SCORE)
            elif (
                relevant
                and (
                    intent in (None, "recommend_cluster")
                    # An unsure "is he even eligible?" or "is it worth it?" from a business
                    # stays that question ("did you mean…?"), not a recommendation.
                    or (score < CONFIDENT_SCORE and intent in RECOMMENDATION_INTENTS)
                    # A sure "is there a cluster for agrifood or construction?" asks what is
                    # covered; only a business described turns it into a recommendation.
                    or (intent in RECOMMENDATION_INTENTS and business)
                )
                # "What insurance does a construction company need?" names a sector in a
                # question the model takes for something else; asking for a cluster or a
                # network in words takes more doubt to set aside.
                and out_of_scope_score
                < (SURE_OUT_OF_SCOPE if asks_for_one else SECTOR_OUT_OF_SCOPE)
            ):
                intent, cluster = "recommend_cluster", fits[0].cluster_id
                score = max(score, min(1.0, 0.5 + 0.05 * fits[0].score))
            elif relevant and intent == "how_to_join":
                cluster = fits[0].cluster_id
            elif not relevant and intent == "recommend_cluster" and score < CONFIDENT_SCORE:
                intent = None
        unsure = intent is None or score < REJECT_SCORE
        if analysis.described is not None and (intent != "recommend_cluster" or unsure):
            # A cluster named by what it covers ("cluster énergie environnement développement
            # durable"): about that cluster, and never out of scope.
            cluster = cluster or analysis.described
            if unsure or intent in ("what_is_a_cluster", "list_clusters"):
                intent, score = "cluster_info", max(score, CONFIDENT_SCORE)
        return intent, cluster, score
