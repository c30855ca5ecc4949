"""Off-topic or "I don't have that": a question of ours the sources cannot answer is told so
honestly, with where to look; a message about something else gets the polite refusal, even
when it uses a word every other subject uses too ("wallonia", "fees", "prime")."""

from __future__ import annotations

import pytest

from bot.conversation.dialogue import ConversationState, Dialogue, UserRef

FR = UserRef(31, "fr")
EN = UserRef(32, "en")


@pytest.mark.parametrize(
    ("user", "text"),
    [
        (EN, "what is the capital of Wallonia"),
        (EN, "where can i buy a harris tweed jacket in brussels"),
        (EN, "what's the fee for a schengen visa"),
        (FR, "primes renovation pour ma maison en wallonie ?"),
        (FR, "heures d'ouverture du guichet d'entreprises pr m'inscrire a la BCE"),
    ],
)
async def test_another_subject_with_a_shared_word_is_off_topic(
    dialogue: Dialogue, user: UserRef, text: str
) -> None:
    [reply] = await dialogue.on_text(user, ConversationState(), text)
    assert reply.topic == "off_topic"


@pytest.mark.parametrize(
    ("user", "text"),
    [
        (EN, "What grants can I apply for as a foreign founder setting up in Belgium?"),
        (EN, "membership fee for the Belgian chess federation?"),
    ],
)
async def test_words_of_ours_keep_an_unplaced_question_in_our_domain(
    dialogue: Dialogue, user: UserRef, text: str
) -> None:
    # Grants, memberships: what the assistant is about, so "I don't have that", not a refusal.
    [reply] = await dialogue.on_text(user, ConversationState(), text)
    assert reply.topic != "off_topic"


async def test_a_follow_up_after_a_cluster_leans_on_it(dialogue: Dialogue) -> None:
    state = ConversationState()
    await dialogue.on_text(FR, state, "parle moi de tweed")
    [reply] = await dialogue.on_text(FR, state, "et leur site ?")
    assert reply.topic != "off_topic"


@pytest.mark.parametrize(
    ("user", "text"),
    [
        (
            FR,
            "Bonjour, Je suis Paul Renard, gérant de Renard Bois. Je découvre le service.",
        ),
        (FR, "Bonjour à vous, je découvre votre service aujourd'hui."),
        (EN, "Good morning, I'm Tom, just having a look around for now."),
    ],
)
async def test_an_introduction_that_asks_nothing_is_greeted(
    dialogue: Dialogue, user: UserRef, text: str
) -> None:
    [reply] = await dialogue.on_text(user, ConversationState(), text)
    assert reply.topic == "greeting"
    # From the greeting, a request can be started at once.
    assert any(b.action == "j" for row in reply.buttons for b in row)


@pytest.mark.parametrize(
    ("user", "text"),
    [
        (FR, "je veux rejoindre l'uwe c possible?"),
        (FR, "slt tu connais la cci du hainaut? l'affiliation c cmb"),
        (EN, "How do I become a member of Agoria?"),
        (FR, "Bonjour, je cherche un plombier pour ma maison."),
    ],
)
async def test_another_bodys_membership_or_a_tradesman_for_a_home_is_not_ours(
    dialogue: Dialogue, user: UserRef, text: str
) -> None:
    state = ConversationState()
    [reply] = await dialogue.on_text(user, state, text)
    assert reply.topic == "off_topic"
    assert state.join is None


async def test_a_cluster_compared_with_another_body_is_ours(dialogue: Dialogue) -> None:
    [reply] = await dialogue.on_text(
        FR, ConversationState(), "c quoi la diff entre un cluster et une chambre de commerce"
    )
    assert reply.topic != "off_topic"


async def test_a_question_about_a_cluster_named_outranks_the_company_described(
    dialogue: Dialogue,
) -> None:
    text = (
        "Madame, Monsieur, Je vous contacte au nom de la société Durand Menuiserie, active "
        "dans la fabrication de châssis. Pourriez-vous m'indiquer les conditions d'adhésion "
        "au cluster CAP 2020 ? Bien cordialement."
    )
    [reply] = await dialogue.on_text(FR, ConversationState(), text)
    assert reply.topic != "recommend_cluster"
    shown = [b.action for row in reply.buttons for b in row]
    assert any("cap2020" in action for action in shown)


@pytest.mark.parametrize(
    ("user", "text"),
    [
        (FR, "avant de m'inscrire, vous faites quoi de mes coordonnées ?"),
        (EN, "before we sign up, what do you do with our data?"),
    ],
)
async def test_a_question_asked_before_joining_does_not_start_the_form(
    dialogue: Dialogue, user: UserRef, text: str
) -> None:
    state = ConversationState()
    [reply] = await dialogue.on_text(user, state, text)
    assert state.join is None
    # The privacy answer, or "did you mean" offering it first.
    shown = [b.action for row in reply.buttons for b in row]
    assert reply.topic == "privacy" or shown[0] == "i:privacy"
