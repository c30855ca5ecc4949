"""Follow-ups that lean on the conversation: another cluster named alone ("and TWIST?"), an
attribute of "their" cluster, a pôle named, and an activity described at the cluster step."""

from __future__ import annotations

import pytest

from bot.conversation.dialogue import ConversationState, Dialogue, UserRef
from bot.conversation.state import Step

FR = UserRef(11, "fr")
EN = UserRef(12, "en")


async def test_naming_another_cluster_asks_it_the_same_question(dialogue: Dialogue) -> None:
    state = ConversationState()
    [members] = await dialogue.on_text(EN, state, "how many members in tweed")
    assert (members.topic, members.cluster) == ("cluster_members", "tweed")
    [again] = await dialogue.on_text(EN, state, "and twist?")
    assert (again.topic, again.cluster) == ("cluster_members", "twist")
    [website] = await dialogue.on_text(FR, state, "c koi le site de plastiwin")
    [other] = await dialogue.on_text(FR, state, "et pr cap 2020")
    assert (website.cluster, other.topic, other.cluster) == (
        "plastiwin",
        "cluster_contact",
        "cap2020",
    )
    # The website was asked, so the other cluster's website is what is wanted, not its card.
    assert "site web" in other.plain_text()
    assert "contact" not in other.plain_text()
    [contact] = await dialogue.on_text(FR, state, "et le contact de twist ?")
    assert "contact" in contact.plain_text().split("\n")[0]


async def test_their_contact_is_the_clusters_not_a_person_of_ours(dialogue: Dialogue) -> None:
    state = ConversationState()
    await dialogue.on_text(EN, state, "tell me about twist")
    [phone] = await dialogue.on_text(EN, state, "and their phone number?")
    assert (phone.topic, phone.cluster) == ("cluster_contact", "twist")
    # Without a cluster in the conversation, the same wish is for a person.
    [person] = await dialogue.on_text(EN, ConversationState(), "can I talk to someone?")
    assert person.topic == "contact_human"


async def test_a_pole_named_is_introduced_with_where_to_join_it(dialogue: Dialogue) -> None:
    [reply] = await dialogue.on_text(EN, ConversationState(), "and logistics in wallonia?")
    assert reply.topic == "cluster_vs_competitiveness"
    assert reply.plain_text().startswith("Logistics in Wallonia")
    [general] = await dialogue.on_text(EN, ConversationState(), "what is a competitiveness pole")
    assert not general.plain_text().startswith("Logistics in Wallonia")


async def test_an_activity_at_the_cluster_step_gets_suggestions(dialogue: Dialogue) -> None:
    state = ConversationState()
    await dialogue.on_text(FR, state, "je veux adherer")
    [suggested] = await dialogue.on_text(FR, state, "ben jsp lequel, je fais des chassis bois")
    assert state.join is not None
    assert state.join.step is Step.CLUSTER  # nothing chosen for the user
    assert "jc:cap2020" in [b.action for row in suggested.buttons for b in row]
    # A question is not stored as the activity.
    question = ConversationState()
    await dialogue.on_command(EN, question, "join", "")
    await dialogue.on_text(EN, question, "which one fits a smart grid software startup?")
    assert question.join is not None
    assert question.join.answers.activity is None


async def test_each_question_of_a_message_gets_its_answer(dialogue: Dialogue) -> None:
    text = (
        "Bonjour. Les clusters organisent-ils des événements ? Dans quelle langue se "
        "déroulent-ils ? Et faut-il payer une cotisation ?"
    )
    replies = await dialogue.on_text(FR, ConversationState(), text)
    assert [r.topic for r in replies] == ["events", "working_language", "membership_fees"]
    # One question in one sentence stays one answer.
    [single] = await dialogue.on_text(FR, ConversationState(), "c payant ?")
    assert single.topic == "membership_fees"


async def test_a_head_count_answers_the_company_type(dialogue: Dialogue) -> None:
    for said, kind in [("on est 4", "micro"), ("about 300 staff", "large")]:
        state = ConversationState()
        await dialogue.on_command(FR, state, "join", "twist")
        await dialogue.on_text(FR, state, "Pixel Lune")
        await dialogue.on_action(FR, state, "js")
        await dialogue.on_text(FR, state, "studio d'animation 3D")
        await dialogue.on_text(FR, state, said)
        assert state.join is not None
        assert state.join.answers.company_type == kind
        assert state.join.step is Step.LOCATION


async def test_an_activity_no_cluster_covers_gets_all_clusters_not_the_same_question(
    dialogue: Dialogue,
) -> None:
    text = "Which cluster would suit industrial automation and robotics?"
    [none] = await dialogue.on_text(EN, ConversationState(), text)
    assert none.topic == "recommend_cluster"
    assert "c:tweed" in [b.action for row in none.buttons for b in row]
    [ask] = await dialogue.on_text(EN, ConversationState(), "which cluster fits us?")
    assert "c:tweed" not in [b.action for row in ask.buttons for b in row]  # asks instead


async def test_which_poles_gets_their_list_and_the_difference_stays_the_difference(
    dialogue: Dialogue,
) -> None:
    [poles] = await dialogue.on_text(EN, ConversationState(), "which poles exist?")
    text = poles.plain_text()
    assert all(name in text for name in ("BioWin", "Skywin", "Wagralim", "MecaTech", "GreenWin"))
    [diff] = await dialogue.on_text(
        EN, ConversationState(), "difference between a cluster and a pole?"
    )
    assert "BioWin" not in diff.plain_text().split("\n")[0]


async def test_a_correction_whose_value_says_which_answer_it_replaces(
    dialogue: Dialogue,
) -> None:
    state = ConversationState()
    await dialogue.on_command(EN, state, "join", "tweed")
    await dialogue.on_text(EN, state, "EnerFlow NV")
    await dialogue.on_text(EN, state, "BE 0456.123.987")  # kept with a warning
    await dialogue.on_text(EN, state, "Sorry, the number is actually 0403.170.701")
    assert state.join is not None
    assert state.join.answers.enterprise_number == "0403.170.701"
    assert state.join.answers.activity is None  # not taken for the activity
    assert state.join.step is Step.ACTIVITY


async def test_a_correction_after_sending_is_taken_at_once_when_it_carries_its_value(
    dialogue: Dialogue,
) -> None:
    state = ConversationState()
    await dialogue.on_command(FR, state, "join", "cap2020")
    for text in ["Menuiserie Dubois", "0203.201.340", "châssis et portes en bois"]:
        await dialogue.on_text(FR, state, text)
    await dialogue.on_action(FR, state, "jt:sme")
    await dialogue.on_action(FR, state, "jl:wallonia")
    for text in ["Marc Dubois", "marc@menuiserie-dubois.be", "+32 471 12 34 56"]:
        await dialogue.on_text(FR, state, text)
    summary = await dialogue.on_action(FR, state, "jy")  # consent: the summary follows
    shown = [b.action for reply in summary for row in reply.buttons for b in row]
    await dialogue.on_action(FR, state, next(a for a in shown if a.startswith("jok")))
    assert state.join is None
    # The e-mail in the message is no activity to recommend a cluster for.
    text = "je me suis trompé dans le mail, c'est marc.dubois@menuiserie-dubois.be"
    [taken] = await dialogue.on_text(FR, state, text)
    assert taken.topic == "request_status"
    assert state.correcting is None  # nothing more asked
    [asked] = await dialogue.on_text(FR, state, "je voudrais modifier ma demande")
    assert state.join is None  # not a new request
    correcting: str | None = state.correcting  # mypy narrowed it to None above
    assert correcting is not None
    assert correcting in asked.plain_text()


async def test_a_question_after_a_filler_at_a_typed_step_is_answered(dialogue: Dialogue) -> None:
    state = ConversationState()
    await dialogue.on_command(FR, state, "join", "tweed")
    await dialogue.on_text(FR, state, "Solaris SRL")
    replies = await dialogue.on_text(FR, state, "attends c combien deja")
    assert replies[0].topic == "membership_fees"  # not "this number is not valid"
    assert state.join is not None
    assert state.join.step is Step.ENTERPRISE_NUMBER  # and the step is asked again


async def test_an_unclear_question_is_ours_not_off_topic(
    dialogue: Dialogue,
) -> None:
    state = ConversationState()
    [fees] = await dialogue.on_text(EN, state, "how much does membership cost?")
    assert fees.topic == "membership_fees"
    # The matcher cannot place it, and is not sure it is off-topic: right after a question of
    # ours, "I don't have that" (or "did you mean"), with the closest themes as buttons.
    [unclear] = await dialogue.on_text(EN, state, "is that tax deductible or subsidised?")
    assert unclear.topic in ("unknown", "did_you_mean")
    assert any(b.action.startswith("i:company_subsidies") for row in unclear.buttons for b in row)
    # Off-topic questions stay off-topic, even right after a question of ours.
    [weather] = await dialogue.on_text(EN, state, "what's the weather like in Namur today?")
    [vat] = await dialogue.on_text(EN, state, "what's the VAT rate on restaurant meals?")
    assert (weather.topic, vat.topic) == ("off_topic", "off_topic")


async def test_a_greeting_with_nothing_asked_stays_a_greeting(dialogue: Dialogue) -> None:
    [hello] = await dialogue.on_text(FR, ConversationState(), "salut a vous")
    [evening] = await dialogue.on_text(FR, ConversationState(), "Bonsoir tout le monde")
    assert (hello.topic, evening.topic) == ("greeting", "greeting")


@pytest.mark.parametrize(
    ("argument", "cluster"),
    [
        ("ecoconstruction", "eco-construction"),
        ("Eco Construction", "eco-construction"),
        ("PLASTIWIN", "plastiwin"),
        ("tweed", "tweed"),
        ("<b>nothing we know</b>", None),
    ],
)
async def test_join_takes_a_cluster_by_the_name_people_type(
    dialogue: Dialogue, argument: str, cluster: str | None
) -> None:
    state = ConversationState()
    await dialogue.on_command(FR, state, "join", argument)
    assert state.join is not None
    assert state.join.answers.cluster == cluster
    # Without a cluster it is asked for; with one, the company's name comes next.
    assert state.join.step == (Step.CLUSTER if cluster is None else Step.COMPANY_NAME)


async def test_a_clear_question_after_another_topic_is_not_bent_to_it(dialogue: Dialogue) -> None:
    # After the fees, "and how many members?" asks about members, typed fast or not ("cmb").
    state = ConversationState()
    await dialogue.on_text(
        FR, state, "jai une boite de chassis alu a namur, ya un cluster pr nous?"
    )
    [fees] = await dialogue.on_text(FR, state, "ok et ca coute cmb")
    [members] = await dialogue.on_text(FR, state, "et cmb de membres")
    assert (fees.topic, members.topic) == ("membership_fees", "cluster_members")
    # A word or two still leans on the last turns: "tel ?" after a contact is the cluster's.
    contact = ConversationState()
    await dialogue.on_text(FR, contact, "c quoi le contact de twist")
    [phone] = await dialogue.on_text(FR, contact, "tel ?")
    assert (phone.topic, phone.cluster) == ("cluster_contact", "twist")


async def test_someone_from_a_cluster_is_that_clusters_contact(dialogue: Dialogue) -> None:
    [reply] = await dialogue.on_text(EN, ConversationState(), "can I talk to someone from twist?")
    assert (reply.topic, reply.cluster) == ("cluster_contact", "twist")
    # An acknowledgement before the question does not hide it.
    [grants] = await dialogue.on_text(
        EN, ConversationState(), "ok cool. what about subsidies for opening an office in Liège?"
    )
    assert grants.topic == "company_subsidies"


async def test_two_clusters_named_in_a_question_are_shown_side_by_side(
    dialogue: Dialogue,
) -> None:
    state = ConversationState()
    [both] = await dialogue.on_text(EN, state, "what's the difference between tweed and cap2020?")
    assert both.topic == "cluster_info"
    assert [b.action for row in both.buttons for b in row] == ["c:tweed", "c:cap2020"]
    # Neither was chosen: joining next asks which one.
    await dialogue.on_text(EN, state, "I want to join a cluster")
    assert state.join is not None
    assert state.join.step is Step.CLUSTER
    # At the cluster step, the same question is a question, not a choice.
    [answer, _prompt] = await dialogue.on_text(
        EN, state, "what's the difference between tweed and cap2020?"
    )
    assert answer.topic == "cluster_info"
    assert state.join.step is Step.CLUSTER


async def test_which_and_best_in_an_off_topic_question_ask_for_no_cluster(
    dialogue: Dialogue,
) -> None:
    state = ConversationState()
    await dialogue.on_text(
        EN, state, "I run a plastics recycling company in Liège, any cluster for us?"
    )
    [bank] = await dialogue.on_text(
        EN, state, "which bank gives the best loan for machines in belgium"
    )
    assert bank.topic == "off_topic"


async def test_their_phone_in_shorthand_is_the_clusters(dialogue: Dialogue) -> None:
    state = ConversationState()
    await dialogue.on_text(FR, state, "slt c quoi tweed")
    [phone] = await dialogue.on_text(FR, state, "leur tel")
    assert (phone.topic, phone.cluster) == ("cluster_contact", "tweed")


@pytest.mark.parametrize(
    ("user", "first", "narrowed", "topic"),
    [
        (
            FR,
            "ok et cb coute l'adhesion",
            "pr une micro entreprise de 3 personnes",
            "membership_fees",
        ),
        (EN, "are there subsidies for companies", "and for a startup?", "company_subsidies"),
        (
            EN,
            "are there subsidies for companies",
            "for a company of 5 people",
            "company_subsidies",
        ),
    ],
)
async def test_a_kind_of_company_after_a_question_asks_it_again(
    dialogue: Dialogue, user: UserRef, first: str, narrowed: str, topic: str
) -> None:
    state = ConversationState()
    [answer] = await dialogue.on_text(user, state, first)
    assert answer.topic == topic
    [again] = await dialogue.on_text(user, state, narrowed)
    assert again.topic == topic  # on its own, a kind of company asks who may join
    [alone] = await dialogue.on_text(user, ConversationState(), narrowed)
    assert alone.topic != topic


async def test_the_writers_own_company_created_is_not_the_clusters_history(
    dialogue: Dialogue,
) -> None:
    state = ConversationState()
    [fits] = await dialogue.on_text(FR, state, "bonjour, jai une pme de plomberie a mons")
    assert (fits.topic, fits.cluster) == ("recommend_cluster", "cap2020")
    [srl] = await dialogue.on_text(FR, state, "comment je cree une srl")
    assert srl.topic == "off_topic"
    [loan] = await dialogue.on_text(FR, state, "et un pret bancaire pr ma boite")
    assert loan.topic == "off_topic"  # "pour ma boite" tells no activity
    [founded] = await dialogue.on_text(FR, state, "et cap 2020 a ete cree quand")
    assert (founded.topic, founded.cluster) == ("history", "cap2020")


async def test_a_french_request_for_a_person_is_answered_in_french(dialogue: Dialogue) -> None:
    # "a" (French "à") once counted as English: this was answered in English mid-form.
    user = UserRef(13, None)
    state = ConversationState()
    await dialogue.on_command(user, state, "join", "eco-construction")
    await dialogue.on_text(user, state, "Bati Vert SRL")
    replies = await dialogue.on_text(user, state, "jprefere parler a qqn en vrai")
    assert replies[0].topic == "contact_human"
    assert "numéro d'entreprise" in replies[-1].plain_text()
