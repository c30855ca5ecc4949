"""Inside the join form: off-topic messages taken for no answer, answers stated
with their field taken as corrections, a change of cluster said in the negative, a follow-up
question at a free-text step, and a handoff asked where a number is expected."""

from __future__ import annotations

import pytest

from bot.conversation.dialogue import ConversationState, Dialogue, UserRef
from bot.conversation.state import Step

FR = UserRef(21, "fr")
EN = UserRef(22, "en")


async def in_form(
    dialogue: Dialogue, user: UserRef, cluster: str, *answers: str
) -> ConversationState:
    """A conversation with a join request for `cluster` (started with /join) and these answers
    typed; "skip" presses Skip."""
    state = ConversationState()
    await dialogue.on_command(user, state, "join", cluster)
    for answer in answers:
        if answer == "skip":
            await dialogue.on_action(user, state, "js")
        else:
            await dialogue.on_text(user, state, answer)
    return state


@pytest.mark.parametrize(
    ("user", "text"),
    [
        (EN, "what's the weather in Namur tomorrow"),
        (EN, "btw how do I register for VAT in Belgium"),
        (FR, "c quoi le taux de tva pr une renovation"),
        (FR, "il va pleuvoir demain a liege"),
    ],
)
async def test_an_off_topic_message_is_no_try_at_the_number(
    dialogue: Dialogue, user: UserRef, text: str
) -> None:
    # Not called off-topic either: inside the form that misfired on questions of ours.
    state = await in_form(dialogue, user, "plastiwin", "PolyCycle SRL")
    assert state.join is not None
    assert state.join.step is Step.ENTERPRISE_NUMBER
    replies = await dialogue.on_text(user, state, text)
    assert state.join.step is Step.ENTERPRISE_NUMBER
    assert state.join.answers.enterprise_number is None
    assert "BCE/KBO" in replies[-1].plain_text()
    said = " ".join(r.plain_text() for r in replies)
    assert "valid" not in said  # not told it is a wrong number ("valide" in French)


async def test_a_question_about_the_number_is_still_about_the_step(dialogue: Dialogue) -> None:
    state = await in_form(dialogue, FR, "tweed", "Dubois SRL")
    replies = await dialogue.on_text(FR, state, "c'est quoi le numero de tva ?")
    assert all(r.topic != "off_topic" for r in replies)
    assert state.join is not None
    assert state.join.step is Step.ENTERPRISE_NUMBER


async def test_an_answer_stated_with_its_field_corrects_it_at_any_step(
    dialogue: Dialogue,
) -> None:
    state = await in_form(dialogue, EN, "tweed", "GreenGrid SRL", "0403.170.701")
    await dialogue.on_text(EN, state, "sorry the company name is GreenGrid Solutions SRL")
    assert state.join is not None
    assert state.join.answers.company_name == "GreenGrid Solutions SRL"
    assert state.join.answers.activity is None
    assert state.join.step is Step.ACTIVITY


async def test_a_name_given_outside_the_form_is_no_change_to_a_request(
    dialogue: Dialogue,
) -> None:
    [reply] = await dialogue.on_text(
        EN,
        ConversationState(),
        "Good afternoon. My name is Klaus, I run a building automation company. What would a"
        " Walloon cluster bring us?",
    )
    assert reply.topic == "cluster_benefits"


@pytest.mark.parametrize(
    ("text", "cluster"),
    [
        ("non attends, c'est pas tweed c'est cap 2020", "cap2020"),
        ("it's not tweed it's twist", "twist"),
    ],
)
async def test_a_change_of_cluster_said_in_the_negative(
    dialogue: Dialogue, text: str, cluster: str
) -> None:
    state = await in_form(dialogue, FR, "tweed", "Solaris Energie SRL")
    await dialogue.on_text(FR, state, text)
    assert state.join is not None
    assert state.join.answers.cluster == cluster
    assert state.join.step is Step.ENTERPRISE_NUMBER


async def test_a_follow_up_question_at_the_activity_step_is_not_the_activity(
    dialogue: Dialogue,
) -> None:
    state = await in_form(dialogue, FR, "infopole", "Datalis SRL", "skip")
    assert state.join is not None
    assert state.join.step is Step.ACTIVITY
    replies = await dialogue.on_text(FR, state, "et ils bossent en anglais aussi")
    assert replies[0].topic == "working_language"
    assert state.join.answers.activity is None
    assert state.join.step is Step.ACTIVITY


async def test_asking_for_a_person_where_a_number_is_expected(dialogue: Dialogue) -> None:
    state = await in_form(dialogue, FR, "eco-construction", "Bati Vert SRL")
    replies = await dialogue.on_text(FR, state, "jprefere parler a qqn en vrai")
    assert replies[0].topic == "contact_human"
    assert state.join is not None
    assert state.join.answers.enterprise_number is None


async def test_a_conditional_wish_to_join_is_a_question(dialogue: Dialogue) -> None:
    replies = await dialogue.on_text(
        FR, ConversationState(), "en fait si jm'inscris qd est ce que qqn me repond"
    )
    assert replies[0].topic != "start_join"


@pytest.mark.parametrize(("user", "text"), [(FR, "ok on reprend"), (EN, "ok let's continue")])
async def test_going_on_with_the_form_is_no_answer(
    dialogue: Dialogue, user: UserRef, text: str
) -> None:
    state = await in_form(dialogue, user, "infopole", "Datalis SRL", "skip", "y a des events ?")
    assert state.join is not None
    assert state.join.step is Step.ACTIVITY
    [prompt] = await dialogue.on_text(user, state, text)
    assert (state.join.step, state.join.answers.activity) == (Step.ACTIVITY, None)
    [next_step] = await dialogue.on_text(user, state, "conseil et integration cloud")
    assert (state.join.step, state.join.answers.activity) == (
        Step.COMPANY_TYPE,
        "conseil et integration cloud",
    )
    assert prompt.plain_text() != next_step.plain_text()
