"""The typed conversation state reads back what it wrote, and survives old or broken rows."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.conversation.actions import (
    ChooseLanguage,
    CorrectRequest,
    Forget,
    JoinAction,
    RequestStatus,
    ShowCluster,
    ShowClusterList,
    ShowIntent,
    ShowMenu,
    ShowMore,
    StartJoin,
    UserAction,
    encode,
    parse_action,
)
from bot.conversation.state import SUBJECT_TURNS, ConversationState, JoinRequest, Step, Subject

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_a_full_state_reads_back_equal() -> None:
    request = JoinRequest(updated=NOW, step=Step.EMAIL, history=[Step.CLUSTER, Step.COMPANY_NAME])
    request.answers.cluster = "tweed"
    request.answers.company_name = "Éole <b>SA</b>"
    request.declined = True
    request.misses = 2
    state = ConversationState(
        language="en",
        last_language="fr",
        subject=Subject(cluster="tweed", intent="cluster_info", age=1),
        recommended=("tweed", "cap2020"),
        activity="éoliennes",
        correcting="W-000003",
        join=request,
    )
    assert ConversationState.from_dict(state.to_dict()) == state


def test_rows_written_before_the_typed_state_still_read() -> None:
    old = {
        "language": "fr",
        "last_cluster": "plastiwin",
        "join": {
            "step": 4,
            "answers": {"cluster": "plastiwin", "company_name": "ACME"},
            "history": [1, 3],
            "editing": False,
            "key": "0123456789abcdef",
            "updated": NOW.isoformat(),
        },
    }
    state = ConversationState.from_dict(old)
    assert state.last_cluster == "plastiwin"
    assert state.join is not None
    assert state.join.step is Step.ENTERPRISE_NUMBER
    assert state.join.history == [Step.CLUSTER, Step.COMPANY_NAME]
    assert state.join.answers.company_name == "ACME"


def test_broken_values_are_dropped_not_raised() -> None:
    state = ConversationState.from_dict(
        {
            "language": "de",
            "subject": {"cluster": 3, "age": "x"},
            "recommended": "tweed",
            "join": {"step": 99, "key": "k", "updated": NOW.isoformat()},
        }
    )
    assert state.language is None
    assert state.subject.cluster is None
    assert state.recommended == ()
    assert state.join is None
    assert ConversationState.from_dict("nonsense") == ConversationState()


def test_the_subject_fades_after_a_few_turns() -> None:
    state = ConversationState()
    state.about(cluster="twist")
    assert state.last_cluster == "twist"
    state.subject.age = SUBJECT_TURNS
    assert state.last_cluster is None


ACTIONS: list[UserAction] = [
    ShowMenu(),
    ShowClusterList(),
    ShowCluster("tweed"),
    ShowIntent("eligibility"),
    ShowIntent("how_to_join", "twist"),
    ShowMore("cluster_benefits"),
    ShowMore("cluster_info", "plastiwin"),
    StartJoin(),
    StartJoin("cap2020"),
    ChooseLanguage(),
    ChooseLanguage("en"),
    Forget(confirmed=True),
    Forget(confirmed=False),
    RequestStatus("W-000001"),
    CorrectRequest("W-000001"),
    JoinAction("jc", "?"),
    JoinAction("jb"),
    JoinAction("jok", "deadbeefdeadbeef"),
]


def test_every_action_reads_back_from_its_button_data() -> None:
    for action in ACTIONS:
        assert parse_action(encode(action)) == action, action


def test_forged_button_data_reads_as_nothing() -> None:
    for forged in ("", "x", "jok", "jb:1", "jc:a:b", "l:de", "c:a:b", "i:a:b:c", "fy:1", "zz:1"):
        assert parse_action(forged) is None, forged
