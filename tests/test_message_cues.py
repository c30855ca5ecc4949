"""How a message reads, apart from its topic: cancel, question, correction, language, domain."""

from __future__ import annotations

import pytest

from bot.conversation.language import written_language
from bot.conversation.message_cues import (
    asks_why,
    has_domain_words,
    is_back,
    is_cancel,
    reads_as_correction,
    reads_as_question,
    without_greeting,
    words,
)
from bot.conversation.request_cues import about_my_request, lead_reference, wants_to_join
from bot.conversation.subject_cues import asks_which_cluster


@pytest.mark.parametrize(
    "text",
    [
        "annuler",
        "Annulé",
        "anuler stp",
        "STOP",
        "laisse tomber",
        "cancel pls",
        "never mind",
        "nvm",
        "cancle",
        # said in a sentence, not asked
        "en fait je dois check avec mon associé, on annule 🙈",
        "Je reviendrai vers vous ultérieurement, veuillez annuler la demande.",
        "cancel, I'll finish this later",
    ],
)
def test_cancel_words_with_typos_and_shorthand(text: str) -> None:
    assert is_cancel(text)


@pytest.mark.parametrize(
    "text",
    [
        "comment est-ce que je peux annuler ma demande une fois envoyée ?",
        "Stoppa SPRL",
        "Annie",
        "large company, about 300 staff",  # "about" is one letter from "abort"
        "Fabrication de panneaux stop et signalisation routière",
    ],
)
def test_a_cancel_word_in_a_longer_question_or_a_name_is_not_a_cancel(text: str) -> None:
    assert not is_cancel(text)


def test_back_words() -> None:
    assert is_back("retour")
    assert is_back("go back")
    assert not is_back("Back Office Solutions SPRL Namur")
    assert is_back("Je souhaiterais revenir à l'étape précédente.")
    assert is_back("oops wrong button, go back please")
    assert not is_back("je voudrais revenir sur le nom")  # a correction, not a step back


def test_fillers_before_a_question_are_left_out() -> None:
    assert without_greeting("Wait, is it free?") == "is it free?"
    assert without_greeting("ok attends, c combien deja") == "c combien deja"
    assert without_greeting("ok merci") == "ok merci"  # nothing would be left


@pytest.mark.parametrize(
    "text",
    [
        "et ça m'apporte quoi concrètement",
        "c koi un cluster",
        "who is the director of TWIST?",
        "est-ce que c'est payant",
        "how much does it cost",
    ],
)
def test_questions(text: str) -> None:
    assert reads_as_question(text)


@pytest.mark.parametrize("text", ["Menuiserie Dubois", "Plastiques Dupont & Fils", "Anne Lenoir"])
def test_answers_are_not_questions(text: str) -> None:
    assert not reads_as_question(text)


def test_why_questions() -> None:
    assert asks_why("pourquoi vous avez besoin de mon téléphone ?")
    assert asks_why("why do you need that?")
    assert not asks_why("what is a cluster")


def test_corrections() -> None:
    assert reads_as_correction("non pas twist, cap 2020")
    assert reads_as_correction("en fait c'est CAP 2020")
    assert reads_as_correction("actually TWIST instead")
    assert not reads_as_correction("Menuiserie Dubois")


@pytest.mark.parametrize(
    "text", ["je veux adhérer", "jveux adherer", "we'd like to join TWEED", "sign me up"]
)
def test_wishes_to_join(text: str) -> None:
    assert wants_to_join(text)


@pytest.mark.parametrize("text", ["comment adhérer ?", "how do I join?", "I want to know more"])
def test_questions_about_joining_are_not_wishes(text: str) -> None:
    assert not wants_to_join(text)


def test_references_are_normalised() -> None:
    assert lead_reference("où en est ma demande W-000001 ?") == "W-000001"
    assert lead_reference("status of w12 please") == "W-000012"
    assert lead_reference("what is a cluster") is None


def test_my_request_needs_a_status_or_change_word() -> None:
    assert about_my_request("je me suis trompée, je peux modifier ma demande ?")
    assert about_my_request("où en est ma demande ?")
    assert not about_my_request("comment faire ma demande d'adhésion ?")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("whats a pole de competitivite", "en"),
        ("c'est quoi un pôle de compétitivité", "fr"),
        ("how much does it cost to join", "en"),
        ("combien ça coûte", "fr"),
        ("TWIST", None),
        ("0203.201.340", None),
    ],
)
def test_written_language_ignores_borrowed_terms(text: str, language: str | None) -> None:
    assert written_language(text) == language


def test_one_word_does_not_switch_a_language_in_use() -> None:
    assert written_language("the", strong=True) is None
    assert written_language("what is the fee", strong=True) == "en"


def test_domain_words() -> None:
    assert has_domain_words("c payant ?")
    assert has_domain_words("ya des subsides ?")
    assert has_domain_words("is TWIST based in Liege?", frozenset({"twist"}))
    assert not has_domain_words("quel temps fait-il à Liège ?")
    assert not has_domain_words("comment installer un cluster kubernetes")


def test_which_cluster_questions() -> None:
    assert asks_which_cluster("mobilier en bois massif, ça irait dans quel cluster ?")
    assert asks_which_cluster("c'est plutôt TWEED ou un autre ?")
    assert not asks_which_cluster("c'est quoi un cluster")


def test_greeting_before_a_question_is_dropped() -> None:
    assert without_greeting("slt c koi un cluster") == "c koi un cluster"
    assert without_greeting("Bonjour, comment adhérer ?") == "comment adhérer ?"
    assert without_greeting("bonjour") == "bonjour"
    assert without_greeting("Salut toi") == "Salut toi"
    assert without_greeting("salut a vous") == "salut a vous"
    assert without_greeting("Bonsoir tout le monde !") == "Bonsoir tout le monde !"
    assert without_greeting("Bonjour, je suis menuisier à Namur") == "je suis menuisier à Namur"


def test_places_typed_at_the_location_step() -> None:
    from bot.conversation.places import place_of

    assert place_of(words("on est à Seraing")) == "wallonia"
    assert place_of(words("Louvain-la-Neuve")) == "wallonia"
    assert place_of(words("Leuven")) == "belgium"
    assert place_of(words("Tel Aviv")) == "abroad"
    assert place_of(words("Liège et Bruxelles")) is None  # two kinds: the buttons decide
    assert place_of(words("Menuiserie Dubois")) is None


def test_dictated_punctuation_and_how_questions() -> None:
    from bot.conversation.message_cues import written_punctuation

    text = "quel cluster serait le mieux pour nous point d'interrogation"
    assert written_punctuation(text).endswith("?")
    assert not wants_to_join("comment on s'inscrit")
    assert wants_to_join("ok on s'inscrit")


@pytest.mark.parametrize(
    "text",
    [
        "jsp",
        "Je ne le connais pas par coeur, je peux le donner plus tard ?",
        "I'll send it later",
        "Je ne l'ai pas sous la main, désolé.",
        "we don't have a belgian number yet",
    ],
)
def test_ways_of_saying_i_have_none_now(text: str) -> None:
    from bot.conversation.request_cues import means_skip

    assert means_skip(text)


def test_a_cancel_said_in_a_sentence_of_its_own_in_a_long_message() -> None:
    assert is_cancel("Non attendez, je dois d'abord en parler à ma femme. Annulez pour l'instant.")
    # A long answer that merely tells of cancelling, or a name with "stop", is no cancel.
    assert not is_cancel(
        "Nous fabriquons des châssis et nous avons dû annuler deux commandes cette année à "
        "cause des retards de livraison des fournisseurs."
    )
    assert not is_cancel("Menuiserie Stop. Rue de la Gare 5.")
