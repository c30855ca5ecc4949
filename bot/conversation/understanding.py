"""What a message means in this conversation, beyond the matcher's single best guess.

The matcher reads one text alone. Here the text meets its context: the clearest sentence of a
long message, the topic of the last turns for a follow-up, whether it is in our domain at all,
and, inside the join form, whether it is an answer or something else (a question, small talk,
a change of cluster). The dialogue asks; this module knows no state but what it is given.
"""

from __future__ import annotations

import dataclasses
import re

from bot.conversation.join_flow import JoinFlow
from bot.conversation.message_cues import (
    SENTENCE_BREAK,
    has_domain_words,
    narrows_last_question,
    reads_as_follow_up,
    reads_as_question,
    starts_as_follow_up,
    without_greeting,
    words,
)
from bot.conversation.request_cues import field_named, wants_to_join
from bot.conversation.state import SUBJECT_TURNS, ConversationState, JoinRequest, Step
from bot.conversation.subject_cues import describes_own_activity, names_another_body, small_talk
from bot.matching.business_cues import describes_a_business
from bot.matching.matcher import CONFIDENT_SCORE, SURE_OUT_OF_SCOPE, Match, Matcher
from bot.matching.normalisation import content_words
from knowledge.model import KnowledgeBase, Language

SMALL_TALK = frozenset({"greeting", "thanks", "goodbye"})
# Words of a membership: another organisation's ("a member of Agoria") is not ours, while a
# comparison with one ("is it like a chamber of commerce?") is.
_MEMBERSHIP = frozenset(
    "member members membre membres membership adherer adhesion affiliation cotisation fee fees"
    " join rejoindre devenir become".split()
)
# Questions about a membership: of a cluster, unless another organisation is named.
_MEMBERSHIP_INTENTS = frozenset(
    {"how_to_join", "start_join", "membership_fees", "eligibility", "multiple_clusters"}
)
# Questions that "and for a small company?" asks again, for that kind of company.
_NARROWED_TOPICS = frozenset(
    {"membership_fees", "company_subsidies", "how_to_join", "cluster_benefits"}
)
# Above this score, a valid-looking answer that uses our domain's words is taken as a question
# ("c payant" at the company-name step is not a company).
SURE_QUESTION_SCORE = 0.7
_NEGATIONS = frozenset({"non", "pas", "not", "no"})
_PREFERENCE = re.compile(r"plutot que|rather than|instead of|au lieu de")
# Questions answered beside the first one of a message: plain information, nothing that
# starts a request, a handoff or a recommendation.
_INFORMATIVE = frozenset(
    "what_is_a_cluster cluster_benefits cluster_vs_competitiveness history list_clusters"
    " eligibility how_to_join funding_and_support sectors_covered privacy membership_fees"
    " cluster_contact cluster_members events multiple_clusters company_subsidies"
    " working_language response_time".split()
)
MAX_FURTHER_QUESTIONS = 2
# What the first answer already says: "And MecaTech? Is that a cluster?" needs no definition.
_COVERED_BY = {
    "cluster_vs_competitiveness": ("what_is_a_cluster",),
    "cluster_info": ("what_is_a_cluster", "sectors_covered"),
    "recommend_cluster": ("list_clusters", "sectors_covered"),
}
# Topics one can ask again of another cluster by naming it alone ("and TWIST?").
_PER_CLUSTER_TOPICS = frozenset(
    {"cluster_members", "cluster_contact", "membership_fees", "how_to_join", "events", "history"}
)
_ELLIPSIS = frozenset(
    "and et what about how quid pour pr for de du chez le la les of the then alors ok sinon"
    " at in a".split()
)
# "c'est pas tweed c'est cap 2020", "it's not twist it's tweed": each "it is" starts a clause.
_CLAUSE_BREAK = re.compile(r"[,;.!?]|\bmais\b|\bbut\b|\bc['’ ]?est\b|\bit['’ ]?s\b|\bit is\b")


def _sure_and_unnamed(match: Match) -> bool:
    """Placed nowhere, sure to be off-topic, and no cluster or pôle of ours named."""
    return (
        match.intent is None
        and match.out_of_scope >= SURE_OUT_OF_SCOPE
        and match.cluster is None
        and match.competitiveness_cluster is None
    )


class Understanding:
    """Reads a message against the knowledge base, the matcher and the join flow's steps."""

    def __init__(self, knowledge: KnowledgeBase, matcher: Matcher, join_flow: JoinFlow) -> None:
        self._kb = knowledge
        self._matcher = matcher
        self._join_flow = join_flow
        # Naming a cluster or a pôle puts a message in our domain, even when the matcher
        # cannot place it ("is TWIST based in Liège?").
        named = [c.name for c in knowledge.clusters] + [
            p.name for p in knowledge.competitiveness_clusters
        ]
        self._names = frozenset(" ".join(words(name)) for name in named)

    def best_match(self, text: str, language: Language) -> Match:
        """The match of the whole text, or of its clearest sentence when the whole is unclear:
        "sorry, do you speak english? what is a cluster?" asks what a cluster is. A cluster
        named in another sentence still counts ("Nous souhaitons adhérer au cluster
        Eco-Construction. Pourriez-vous nous préciser le coût ?")."""
        whole = self._matcher.match(text, fallback_language=language)
        found = self._best_sentence_match(text, language, whole)
        if found.cluster is None and whole.cluster is not None and found is not whole:
            return dataclasses.replace(found, cluster=whole.cluster)
        return found

    def _best_sentence_match(self, text: str, language: Language, whole: Match) -> Match:
        sentences = [s for s in SENTENCE_BREAK.split(text) if len(words(s)) >= 2]
        # "Thank you. Which cluster fits us?": manners around a question do not hide it.
        settled = whole.confident and whole.intent not in SMALL_TALK
        if len(sentences) < 2:
            return whole
        # "I represent a Canadian firm (...). Could you tell me whether (...)?": one question
        # among statements is what to answer.
        questions = [s for s in sentences if reads_as_question(s)]
        if questions:
            asked = self._matcher.match(questions[0], fallback_language=language)
            # Several questions are answered in the order asked (`further_questions` adds the
            # others), so the first one clear enough comes first.
            if asked.confident or (len(questions) == 1 and not settled):
                return asked
            if (
                whole.intent == "recommend_cluster"
                and asked.cluster is not None
                and asked.intent not in (None, "recommend_cluster")
            ):
                # "Durand Menuiserie fabrique des châssis. Quelles sont les conditions
                # d'adhésion à CAP 2020 ?": the company described is the introduction; the
                # question about a cluster named is what to answer.
                return asked
        if settled:
            return whole
        parts = [(self._matcher.match(s, fallback_language=language), s) for s in sentences]
        match, _sentence = max(
            parts,
            key=lambda p: (
                p[0].confident,
                p[0].intent not in SMALL_TALK,
                reads_as_question(p[1]),  # the question, not the introduction before it
                p[0].score,
            ),
        )
        return match if match.confident else whole

    def further_questions(self, text: str, language: Language, answered: Match) -> list[Match]:
        """The other questions of a message that asks several, each in its own sentence and
        clearly about something else than the one answered (at most MAX_FURTHER_QUESTIONS)."""
        sentences = [s for s in SENTENCE_BREAK.split(text) if reads_as_question(s)]
        if len(sentences) < 2 or answered.intent is None:
            return []
        found: list[Match] = []
        seen = {answered.intent, *_COVERED_BY.get(answered.intent, ())}
        for sentence in sentences:
            match = self._matcher.match(sentence, fallback_language=language)
            if match.confident and match.intent not in seen and match.intent in _INFORMATIVE:
                found.append(match)
                seen.add(match.intent)
        return found[:MAX_FURTHER_QUESTIONS]

    def in_context(self, state: ConversationState, text: str, match: Match) -> Match:
        """A follow-up keeps the topic of the last turns: another cluster named alone ("and
        TWIST?"), a kind of company ("and for a startup?"), or a question the matcher also
        reads as that topic, a close second ("and the difference with a cluster?")."""
        topic = state.subject.intent
        if (
            topic in _PER_CLUSTER_TOPICS
            and match.cluster is not None
            and (match.intent in (None, "cluster_info", topic) or not match.confident)
            and state.subject.age < SUBJECT_TURNS
            and self._only_names(text, match.cluster)
        ):
            # "how many members in TWEED?" then "and TWIST?": the same question, other cluster.
            others = tuple(i for i in match.alternatives if i != topic)
            score = max(match.score, CONFIDENT_SCORE)
            return dataclasses.replace(match, intent=topic, score=score, alternatives=others)
        if (
            topic in _NARROWED_TOPICS  # the last answer's topic, however long ago a cluster was
            and match.cluster is None
            and (match.intent in (None, "eligibility") or not match.confident)
            and narrows_last_question(text)
        ):
            # "c payant ?" then "pr une micro entreprise de 3 personnes": the fees, for such a
            # company (on its own, a kind of company reads as "may it join?").
            others = tuple(i for i in (match.intent, *match.alternatives) if i and i != topic)
            score = max(match.score, CONFIDENT_SCORE)
            return dataclasses.replace(match, intent=topic, score=score, alternatives=others)
        if (
            topic is not None
            and topic not in SMALL_TALK  # "merci bcp" after "au revoir" is thanks, not a topic
            and match.intent not in SMALL_TALK
            and state.subject.age < SUBJECT_TURNS
            and match.intent != topic
            and topic in match.alternatives[:2]
            and reads_as_follow_up(text)
            # "et cmb de membres" after the fees: a sure reading of a question in words of its
            # own stands ("tel ?", "et avec greenwin aussi ?" lean on the last turns).
            and (match.score < SURE_QUESTION_SCORE or len(content_words(text)) < 2)
        ):
            others = tuple(i for i in (match.intent, *match.alternatives) if i and i != topic)
            return dataclasses.replace(match, intent=topic, alternatives=others)
        return match

    def _only_names(self, text: str, cluster_id: str) -> bool:
        """Whether `text` is a cluster's name with nothing but "and / what about" around it."""
        cluster = self._kb.cluster(cluster_id)
        names = (cluster.name, *(alias for _language, alias in cluster.aliases.all()))
        named = {w for name in names for w in words(name)}
        found = set(words(text))
        # A bare name ("twist") asks what the cluster is; "and twist?" continues the question.
        linked = bool(found & _ELLIPSIS) or text.rstrip().endswith("?")
        return linked and bool(named & found) and found <= named | _ELLIPSIS

    def names(self, text: str, cluster_id: str | None) -> bool:
        """Whether `text` names this cluster (its name, not a keyword of its field)."""
        if cluster_id is None or not self._kb.has_cluster(cluster_id):
            return False
        name = " ".join(words(self._kb.cluster(cluster_id).name))
        return f" {name} " in " " + " ".join(words(text)) + " "

    def in_domain(self, text: str) -> bool:
        return has_domain_words(text, self._names)

    def greeted(self, text: str, match: Match) -> Match:
        """An introduction that asks nothing, read as a greeting: "Bonjour, je suis Paul
        Renard, gérant de Renard Bois. Je découvre votre service." is greeted, not refused
        ("Bonjour, je cherche un plombier pour ma maison." still is). `text` is the message
        with its greeting."""
        unplaced = match.intent is None or (not match.confident and match.intent in SMALL_TALK)
        if (
            unplaced
            and match.out_of_scope < SURE_OUT_OF_SCOPE
            and small_talk(text) == "greeting"
            # "bonjour, jai une pme de plomberie a mons": the clusters that fit, not a hello
            and not self.tells_an_activity(text, match)
        ):
            return dataclasses.replace(match, intent="greeting", score=CONFIDENT_SCORE)
        return match

    @staticmethod
    def _about_another_body(text: str, match: Match) -> bool:
        return (
            match.cluster is None
            and match.competitiveness_cluster is None
            and names_another_body(text)
        )

    def joins_another_body(self, text: str, match: Match, intent: str | None) -> bool:
        """A membership asked of another business organisation ("je veux rejoindre l'uwe",
        "l'affiliation à la CCI c cmb"), not of a cluster."""
        asks_membership = intent in _MEMBERSHIP_INTENTS or wants_to_join(text)
        return asks_membership and self._about_another_body(text, match)

    def tells_an_activity(self, text: str, match: Match) -> bool:
        """A statement of what the writer's company does, or one with words of a cluster's
        field that the matcher is not sure is off-topic."""
        if reads_as_question(text):
            return False
        if describes_own_activity(text):
            return True
        return match.out_of_scope < SURE_OUT_OF_SCOPE and bool(self._matcher.recommend(text))

    def surely_elsewhere(self, text: str, match: Match) -> bool:
        """The matcher is sure the text is not about clusters and names nothing of ours, and
        its only words of the domain are ones every other subject uses too ("wallonia",
        "site", "inscrire"), or a cluster's name in its everyday sense ("danser le twist");
        or it is about another business organisation ("How do I become a member of Agoria?")."""
        return (
            _sure_and_unnamed(match)
            and not has_domain_words(text, own_only=True)
            # "Je fais des enduits à la chaux. Y a un groupe pour des gens comme moi ?"
            and not (describes_a_business(text) and self._matcher.recommend(text))
        ) or (self._about_another_body(text, match) and bool(set(words(text)) & _MEMBERSHIP))

    def clearly_off_topic(self, text: str, match: Match) -> bool:
        """The matcher is sure the text is not about clusters, and it names nothing of ours: no
        cluster, pôle, form field or word of the domain."""
        return _sure_and_unnamed(match) and field_named(text) is None and not self.in_domain(text)

    # -- language: the user's choice, else what they have been writing, else their app's -------

    def is_interjection(self, request: JoinRequest, text: str, match: Match) -> bool:
        """Whether a message inside the form is a question or small talk, not an answer."""
        if match.confident and match.intent in SMALL_TALK and len(words(text)) <= 3:
            return request.step not in (Step.EMAIL, Step.PHONE, Step.ENTERPRISE_NUMBER)
        if request.step is Step.CLUSTER and self.compared_clusters(text):
            return True
        if self._join_flow.accepts(request, text):
            if request.step in (Step.EMAIL, Step.PHONE, Step.ENTERPRISE_NUMBER, Step.CLUSTER):
                return False  # a valid e-mail, number or cluster name is never a question
            if reads_as_question(without_greeting(text)) or wants_to_join(text):
                return True
            if starts_as_follow_up(text) and match.confident and match.intent not in SMALL_TALK:
                return True
            return (
                match.confident
                and match.score >= SURE_QUESTION_SCORE
                and match.intent not in SMALL_TALK
                and self.in_domain(text)
            )
        if reads_as_question(without_greeting(text)) or wants_to_join(text):
            return True
        if request.step in (Step.EMAIL, Step.PHONE, Step.ENTERPRISE_NUMBER):
            # "dana at gridmind dot io" is a try at the answer, to be told what is expected;
            # without a digit or an @, a message we place ("jprefere parler a qqn en vrai") or
            # are sure is off-topic ("il va pleuvoir demain") is none.
            if not any(c.isdigit() or c == "@" for c in text) and (
                self.clearly_off_topic(text, match)
                or (match.confident and match.intent not in SMALL_TALK)
            ):
                return True
            return match.confident and match.score >= SURE_QUESTION_SCORE and self.in_domain(text)
        return match.confident or (
            not self._join_flow.takes_free_text(request) and self.in_domain(text)
        )

    def compared_clusters(self, text: str) -> list[str]:
        """The clusters a question names, when it names two or more ("what's the difference
        between tweed and cap2020?"): asked, not a choice, even where one is to be chosen."""
        if not reads_as_question(text):
            return []
        named = list(dict.fromkeys(self._matcher.analyse(text).clusters))
        return named if len(named) > 1 else []

    def chosen_cluster(self, text: str) -> str | None:
        """The cluster a message settles on: "non pas twist, cap 2020" -> CAP 2020, "TWIST
        plutôt que TWEED" -> TWIST."""
        clauses = _CLAUSE_BREAK.split(text.casefold())
        # "X plutôt que Y": what follows is the one not wanted.
        kept = []
        for clause in clauses:
            head = _PREFERENCE.split(" ".join(words(clause)))
            kept.append(head[0])
            if len(head) > 1:
                break
        for chunk in reversed(kept):
            found = words(chunk)
            if found[:1] in (["non"], ["no"]):
                found = found[1:]  # "non, cap 2020" / "non cap 2020": no, I meant…
            if not found or found[0] in _NEGATIONS:
                continue  # "non pas twist", "not twist": the one not wanted
            named = self._matcher.analyse(" ".join(found)).clusters  # named, not described
            if named:
                return named[0]
        return None
