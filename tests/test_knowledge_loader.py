"""The knowledge-base loader: the shipped files load, and each kind of mistake is reported.

Each broken-copy test copies the shipped YAML into a temporary folder, breaks one thing, and
checks that the problem names the file and the entry, the way a person editing YAML needs.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.loader import (
    KNOWLEDGE_DIR,
    MIN_EXAMPLES_PER_LANGUAGE,
    REQUIRED_INTENTS,
    KnowledgeBaseError,
    Problem,
    load_knowledge_base,
)
from knowledge.model import LANGUAGES, KnowledgeBase

# --- the shipped knowledge base --------------------------------------------------------------


def test_shipped_intents(knowledge: KnowledgeBase) -> None:
    assert len(knowledge.intents) == 27
    assert sorted(i.id for i in knowledge.intents) == sorted(REQUIRED_INTENTS)


def test_shipped_clusters_have_the_stable_ids(knowledge: KnowledgeBase) -> None:
    assert sorted(c.id for c in knowledge.clusters) == sorted(
        ["cap2020", "eco-construction", "plastiwin", "infopole", "tweed", "twist", "h2o"]
    )
    assert {p.id for p in knowledge.competitiveness_clusters}.isdisjoint(
        c.id for c in knowledge.clusters
    )


def test_every_intent_has_enough_examples_per_language(knowledge: KnowledgeBase) -> None:
    for intent in knowledge.intents:
        for language in LANGUAGES:
            assert len(intent.examples[language]) >= MIN_EXAMPLES_PER_LANGUAGE >= 10, (
                intent.id,
                language,
            )
            assert intent.answer[language].strip(), (intent.id, language)


def test_informational_answers_and_clusters_are_sourced(knowledge: KnowledgeBase) -> None:
    sourced = [(i.id, i.sourced) for i in knowledge.intents if i.kind == "informational"]
    sourced += [(c.id, c.sourced) for c in knowledge.clusters]
    sourced += [(p.id, p.sourced) for p in knowledge.competitiveness_clusters]
    assert len(sourced) >= 6 + 6
    for entry, source in sourced:
        assert source.source is not None, entry
        assert source.source.startswith(("http://", "https://")), entry
        assert isinstance(source.reviewed, date), entry


def test_lookups(knowledge: KnowledgeBase) -> None:
    assert knowledge.intent("how_to_join").id == "how_to_join"
    assert knowledge.cluster("tweed").name.upper() == "TWEED"
    assert knowledge.has_intent("privacy")
    assert not knowledge.has_intent("weather")
    assert not knowledge.has_cluster("biowin")


# --- broken copies ---------------------------------------------------------------------------


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A copy of the shipped YAML files, to be broken by the test."""
    copy = tmp_path / "knowledge"
    copy.mkdir()
    for path in KNOWLEDGE_DIR.glob("*.yaml"):
        shutil.copy(path, copy / path.name)
    return copy


def _edit(directory: Path, name: str, change: Callable[[Any], None]) -> None:
    path = directory / name
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def _entry(document: Any, key: str, entry_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in document[key] if e["id"] == entry_id)
    return found


def _problems(directory: Path) -> list[Problem]:
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(directory)
    problems = raised.value.problems
    # The exception's message lists them all, one per line, as "file: entry: problem".
    assert str(raised.value).splitlines() == [str(p) for p in problems]
    return problems


def test_an_unbroken_copy_loads(kb_dir: Path, knowledge: KnowledgeBase) -> None:
    # Guards the tests below: what fails there is the one thing they break.
    _edit(kb_dir, "intents.yaml", lambda document: None)
    assert load_knowledge_base(kb_dir) == knowledge


def test_malformed_yaml_names_the_line(kb_dir: Path) -> None:
    path = kb_dir / "clusters.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(9, "\tname: [unclosed")  # becomes line 10
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = _problems(kb_dir)
    assert len(problems) == 1
    assert problems[0].file == "clusters.yaml"
    assert problems[0].entry.startswith("line 10,")
    assert problems[0].message.startswith("malformed YAML")


def test_missing_translation(kb_dir: Path) -> None:
    _edit(
        kb_dir,
        "intents.yaml",
        lambda d: _entry(d, "intents", "how_to_join")["answer"].pop("en"),
    )
    assert _problems(kb_dir) == [
        Problem("intents.yaml", "how_to_join", "'answer' has no 'en' translation")
    ]


def test_missing_cluster_translation(kb_dir: Path) -> None:
    _edit(
        kb_dir,
        "clusters.yaml",
        lambda d: _entry(d, "clusters", "twist")["tagline"].update(en="  "),
    )
    assert _problems(kb_dir) == [
        Problem("clusters.yaml", "twist", "'tagline' has no 'en' translation")
    ]


def test_unknown_related_intent(kb_dir: Path) -> None:
    _edit(
        kb_dir,
        "intents.yaml",
        lambda d: _entry(d, "intents", "history")["related"].append("weather_forecast"),
    )
    assert _problems(kb_dir) == [
        Problem("intents.yaml", "history", "unknown related intent 'weather_forecast'")
    ]


def test_duplicate_intent_id(kb_dir: Path) -> None:
    def duplicate(document: Any) -> None:
        copy = dict(_entry(document, "intents", "greeting"))
        copy["examples"] = {"fr": [f"Salut numéro {n}" for n in range(10)], "en": ["Hi"] * 10}
        document["intents"].append(copy)

    _edit(kb_dir, "intents.yaml", duplicate)
    assert _problems(kb_dir) == [Problem("intents.yaml", "greeting", "duplicate id")]


def test_duplicate_cluster_id(kb_dir: Path) -> None:
    _edit(
        kb_dir,
        "clusters.yaml",
        lambda d: d["clusters"].append(dict(_entry(d, "clusters", "tweed"))),
    )
    assert _problems(kb_dir) == [Problem("clusters.yaml", "tweed", "duplicate id")]


def test_same_example_under_two_intents(kb_dir: Path) -> None:
    # The same question once folded: other case, no accents, no apostrophe.
    _edit(
        kb_dir,
        "intents.yaml",
        lambda d: _entry(d, "intents", "history")["examples"]["fr"].append(
            "COMMENT ADHERER A UN CLUSTER"
        ),
    )
    problems = _problems(kb_dir)
    assert len(problems) == 1
    problem = problems[0]
    assert problem.file == "intents.yaml"
    assert problem.entry in ("history", "how_to_join")
    other = "how_to_join" if problem.entry == "history" else "history"
    assert problem.message.endswith(f"is also an example of '{other}'")


def test_missing_required_intent(kb_dir: Path) -> None:
    _edit(
        kb_dir,
        "intents.yaml",
        lambda d: d["intents"].remove(_entry(d, "intents", "history")),
    )
    problems = _problems(kb_dir)
    assert Problem("intents.yaml", "history", "required intent is missing") in problems
    # Anything else reported is a dangling reference to the removed intent.
    assert all(
        p.entry == "history" or p.message == "unknown related intent 'history'" for p in problems
    )


def test_missing_required_cluster(kb_dir: Path) -> None:
    _edit(
        kb_dir,
        "clusters.yaml",
        lambda d: _entry(d, "clusters", "cap2020").update(id="cap2030"),
    )
    assert _problems(kb_dir) == [
        Problem("clusters.yaml", "cap2020", "required cluster is missing"),
        Problem("clusters.yaml", "cap2030", "unknown cluster ID"),
    ]


def test_missing_file(kb_dir: Path) -> None:
    (kb_dir / "competitiveness_clusters.yaml").unlink()
    assert _problems(kb_dir) == [
        Problem("competitiveness_clusters.yaml", "(file)", "file not found")
    ]


def test_informational_intent_without_source(kb_dir: Path) -> None:
    _edit(
        kb_dir,
        "intents.yaml",
        lambda d: _entry(d, "intents", "eligibility").pop("sources"),
    )
    assert _problems(kb_dir) == [
        Problem(
            "intents.yaml", "eligibility", "an informational answer needs 'sources' and 'reviewed'"
        )
    ]


def test_cluster_without_review_date(kb_dir: Path) -> None:
    _edit(kb_dir, "clusters.yaml", lambda d: _entry(d, "clusters", "infopole").pop("reviewed"))
    assert _problems(kb_dir) == [
        Problem(
            "clusters.yaml", "infopole", "an informational answer needs 'sources' and 'reviewed'"
        )
    ]


def test_source_must_be_a_url(kb_dir: Path) -> None:
    _edit(
        kb_dir,
        "intents.yaml",
        lambda d: _entry(d, "intents", "history")["sources"][0].update(
            url="the cluster's leaflet"
        ),
    )
    problems = _problems(kb_dir)
    assert Problem("intents.yaml", "history: source #1", "'url' must be a URL") in problems


def test_a_source_needs_its_title_language_and_read_date(kb_dir: Path) -> None:
    def strip(d: Any) -> None:
        source = _entry(d, "intents", "history")["sources"][0]
        source.pop("title")
        source.update(language="nl", read="last week")

    _edit(kb_dir, "intents.yaml", strip)
    problems = _problems(kb_dir)
    for message in (
        "'title' must be a non-empty text",
        "'language' must be 'fr' or 'en'",
        "'read' must be a date (YYYY-MM-DD)",
    ):
        assert Problem("intents.yaml", "history: source #1", message) in problems


def test_the_old_single_source_key_is_refused(kb_dir: Path) -> None:
    _edit(
        kb_dir,
        "intents.yaml",
        lambda d: _entry(d, "intents", "history").update(source="https://example.org"),
    )
    assert Problem(
        "intents.yaml", "history", "'source' is replaced by 'sources' (a list)"
    ) in _problems(kb_dir)


def test_an_attribute_cites_one_of_its_cluster_sources(kb_dir: Path) -> None:
    _edit(
        kb_dir,
        "clusters.yaml",
        lambda d: _entry(d, "clusters", "tweed")["attributes"]["members"].update(
            source="https://example.org/elsewhere"
        ),
    )
    assert Problem(
        "clusters.yaml",
        "tweed: attribute 'members'",
        "source 'https://example.org/elsewhere' is not among the entry's sources",
    ) in _problems(kb_dir)


def test_shipped_sources_and_attributes(knowledge: KnowledgeBase) -> None:
    for cluster in knowledge.clusters:
        assert cluster.website or cluster.portal, cluster.id
        assert {name for name, _ in cluster.attributes} == {
            "website",
            "members",
            "founded",
            "field",
            "contact",
        }, cluster.id
    seed = knowledge.intent("list_clusters").sourced.sources[0]
    assert seed.url_for("en").endswith("?lang=en")
    assert seed.url_for("fr") == "http://www.investinwallonia.be/les-secteurs-cles/les-clusters/"


def test_too_few_examples(kb_dir: Path) -> None:
    _edit(
        kb_dir,
        "intents.yaml",
        lambda d: _entry(d, "intents", "privacy")["examples"].update(
            en=_entry(d, "intents", "privacy")["examples"]["en"][:9]
        ),
    )
    assert _problems(kb_dir) == [
        Problem("intents.yaml", "privacy", "'examples.en' has 9 entries; at least 10")
    ]


def test_every_problem_is_reported_at_once(kb_dir: Path) -> None:
    _edit(
        kb_dir,
        "intents.yaml",
        lambda d: _entry(d, "intents", "how_to_join")["answer"].pop("fr"),
    )
    _edit(
        kb_dir,
        "competitiveness_clusters.yaml",
        lambda d: _entry(d, "competitiveness_clusters", "biowin").pop("sources"),
    )
    problems = _problems(kb_dir)
    assert {(p.file, p.entry) for p in problems} == {
        ("intents.yaml", "how_to_join"),
        ("competitiveness_clusters.yaml", "biowin"),
    }


def test_a_file_of_the_wrong_shape(kb_dir: Path) -> None:
    (kb_dir / "intents.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    problems = _problems(kb_dir)
    assert Problem("intents.yaml", "(top level)", "expected a mapping with a 'intents' list") in (
        problems
    )
