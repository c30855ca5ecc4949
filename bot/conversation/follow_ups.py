"""Follow-ups that lean on the conversation so far: a recommendation from the activity described
(now or earlier: "Quel cluster correspond le mieux à nos travaux ?", "c'est plutôt TWEED ou un
autre ?"), and one attribute of the cluster under discussion ("site web ?", "members?")."""

from __future__ import annotations

from bot.conversation.message_cues import words
from bot.conversation.state import ConversationState
from bot.conversation.subject_cues import (
    asks_for_website,
    attribute_asked,
    describes_own_activity,
    names_another_body,
)
from bot.matching.matcher import Match, Matcher
from bot.matching.normalisation import content_words
from bot.messages.answers import AnswerBuilder
from bot.messages.reply import Reply
from knowledge.model import KnowledgeBase, Language

# A follow-up about one attribute of the cluster under discussion gets that attribute alone.
ATTRIBUTE_OF_INTENT = {
    "cluster_members": "members",
    "cluster_contact": "contact",
    "history": "founded",
    "sectors_covered": "field",
}

# A question about one attribute is short; dictated ones run longer ("et les membres d'eco
# construction c'est qui, plutôt des architectes ou des entrepreneurs ?").
ATTRIBUTE_MAX_WORDS = 20
# Words that point at the cluster under discussion rather than at us.
_THIRD_PERSON = frozenset("their they them its there leur leurs ils elles eux son sa ses".split())
# Confident guesses that an attribute asked about a cluster outranks.
_OVERRIDABLE = frozenset({"contact_human", "working_language", "cluster_info", "help"})
# ... but not a question about languages that names one ("do they speak english on the phone?").
_LANGUAGE_WORDS = frozenset(
    """
    english anglais french francais dutch neerlandais german allemand language languages langue
    langues speak speaks parle parlent parlez
    """.split()
)


# The frame of "which cluster would suit X?": what is left once these are gone is the activity.
_FRAME_WORDS = frozenset(
    """
    cluster clusters which what quel quelle quels lequel suit suits fit fits best right good
    convient conviendrait correspond adapte adaptee mieux bon would should could recommend
    recommander conseiller conseillez me moi us our nous notre pour for a an the le la les un
    une de des du est is are be etre choose choisir one activity activite company entreprise
    """.split()
)


def names_an_activity(text: str) -> bool:
    """Whether a question names an activity ("which cluster would suit industrial robotics?"),
    even one no cluster covers: then the answer is "none fits", not "describe your activity"."""
    return len([w for w in content_words(text) if w not in _FRAME_WORDS]) >= 2


class FollowUps:
    """Answers that depend on what the last turns were about."""

    def __init__(self, knowledge: KnowledgeBase, matcher: Matcher, answers: AnswerBuilder) -> None:
        self._kb = knowledge
        self._matcher = matcher
        self._answers = answers

    def attribute(
        self, state: ConversationState, text: str, match: Match, language: Language
    ) -> Reply | None:
        """One attribute of the cluster named or under discussion, in a line or two: "ils ont
        combien de membres ?", "site web ?", "and when was it founded?"."""
        if names_another_body(text):
            return None  # "How do I become a member of Agoria?" is not about theirs
        attribute = attribute_asked(text)
        cluster = match.cluster or state.last_cluster
        # "and their phone number?", "et twist ils ont un contact ?": the cluster's, not ours,
        # even when the matcher hears a wish to talk to a person or a question about languages.
        about_them = bool(match.cluster) or bool(set(words(text)) & _THIRD_PERSON)
        overridable = about_them and match.intent in _OVERRIDABLE
        if match.intent == "working_language" and set(words(text)) & _LANGUAGE_WORDS:
            overridable = False
        unsure = not match.confident or match.intent in ATTRIBUTE_OF_INTENT or overridable
        if (
            attribute is None
            or cluster is None
            or not unsure
            or len(words(text)) > ATTRIBUTE_MAX_WORDS
        ):
            return None
        if not self._kb.has_cluster(cluster):
            return None
        return self._attribute_reply(state, cluster, attribute, language)

    def _attribute_reply(
        self, state: ConversationState, cluster: str, attribute: str, language: Language
    ) -> Reply:
        state.about(cluster=cluster)
        reply = self._answers.cluster_attribute(language, self._kb.cluster(cluster), attribute)
        # "and TWIST?" next asks the same of another cluster.
        state.subject.discuss(reply.topic, attribute)
        return reply

    def recommend(
        self, state: ConversationState, language: Language, text: str, asked: str | None
    ) -> Reply:
        """A recommendation from this description, else from the one given earlier."""
        # "c'est plutôt TWEED ou un autre ?" weighs a cluster against an earlier recommendation;
        # a first description that happens to contain a cluster's keyword does not.
        asked = asked if state.recommended else None
        fits = self._matcher.recommend(text)
        if fits:
            state.activity = text
        elif state.activity:
            fits = self._matcher.recommend(state.activity)
        if (
            not fits
            and asked is None
            and not describes_own_activity(text)
            and not names_an_activity(text)
        ):
            # No activity to go on: ask for one (an activity described that fits no cluster's
            # keywords gets all the clusters instead, below, rather than the same question).
            state.awaiting_activity = True
            state.subject.discuss("recommend_cluster")
            intent = self._kb.intent("recommend_cluster")
            return self._answers.intent_answer(language, intent, None)
        if fits:
            state.recommended = tuple(f.cluster_id for f in fits)
            state.about(cluster=fits[0].cluster_id)
        return self._answers.recommendation(language, fits, asked=asked)

    def attribute_of_intent(
        self,
        state: ConversationState,
        text: str,
        match: Match,
        cluster: str | None,
        language: Language,
    ) -> Reply | None:
        """The attribute a confident intent asks about (cluster_members -> members…), for the
        cluster named or under discussion; None when the intent is not about one."""
        attribute = ATTRIBUTE_OF_INTENT.get(match.intent or "")
        same_again = (
            state.subject.attribute == "website"
            and match.intent == state.subject.intent
            and attribute_asked(text) is None
        )
        if attribute == "contact" and (asks_for_website(text) or same_again):
            # "et leur site ?" then "et pour CAP 2020 ?": that cluster's website too.
            attribute = "website"
        if attribute is None or cluster is None or not self._kb.has_cluster(cluster):
            return None
        if match.cluster is not None and match.intent == "sectors_covered":
            return None  # "which sectors does TWEED cover" is its card, not one line
        return self._attribute_reply(state, cluster, attribute, language)
