"""The content rules of `wallonia-bot kb check`: the shipped knowledge base passes, and a copy
broken against each rule fails with a message that names the entry."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.content_checks import SHORT_LIMIT, check_content, undated_figures
from knowledge.loader import KNOWLEDGE_DIR
from knowledge.model import Bilingual, KnowledgeBase


def _messages(kb: KnowledgeBase) -> list[str]:
    return [str(p) for p in check_content(kb)]


def _with_intent(kb: KnowledgeBase, intent_id: str, **changes: Any) -> KnowledgeBase:
    intents = tuple(replace(i, **changes) if i.id == intent_id else i for i in kb.intents)
    return replace(kb, intents=intents)


def _with_cluster(kb: KnowledgeBase, cluster_id: str, **changes: Any) -> KnowledgeBase:
    clusters = tuple(replace(c, **changes) if c.id == cluster_id else c for c in kb.clusters)
    return replace(kb, clusters=clusters)


def test_the_shipped_knowledge_base_passes(knowledge: KnowledgeBase) -> None:
    assert _messages(knowledge) == []


def test_a_short_answer_over_the_limit_fails(knowledge: KnowledgeBase) -> None:
    intent = knowledge.intent("history")
    long = Bilingual(intent.answer.fr, "x" * (SHORT_LIMIT + 1))
    messages = _messages(_with_intent(knowledge, "history", answer=long))
    assert messages == [
        f"intents.yaml: history: the short answer (en) has {SHORT_LIMIT + 1} characters; "
        f"at most {SHORT_LIMIT} (move the rest to 'details')"
    ]


def test_a_short_cluster_card_over_the_limit_fails(knowledge: KnowledgeBase) -> None:
    long = Bilingual("y" * (SHORT_LIMIT + 5), knowledge.cluster("twist").description.en)
    messages = _messages(_with_cluster(knowledge, "twist", description=long))
    assert len(messages) == 1
    assert messages[0].startswith("clusters.yaml: twist: the short card ('description') (fr)")


def test_a_cluster_without_website_or_portal_page_fails(knowledge: KnowledgeBase) -> None:
    messages = _messages(_with_cluster(knowledge, "plastiwin", website=None, portal=None))
    assert messages == [
        "clusters.yaml: plastiwin: neither a website nor a page on the clusters portal ('portal')"
    ]


def test_an_informational_answer_without_sources_fails(knowledge: KnowledgeBase) -> None:
    intent = knowledge.intent("events")
    sourced = replace(intent.sourced, sources=(), source=None)
    messages = _messages(_with_intent(knowledge, "events", sourced=sourced))
    assert messages == ["intents.yaml: events: no source for the answer"]


def test_a_cluster_attribute_without_source_fails(knowledge: KnowledgeBase) -> None:
    cluster = knowledge.cluster("tweed")
    attributes = tuple(
        (name, replace(a, source=None) if name == "members" else a)
        for name, a in cluster.attributes
    )
    messages = _messages(_with_cluster(knowledge, "tweed", attributes=attributes))
    assert messages == [
        "clusters.yaml: tweed: attribute 'members' has no source (or say 'unknown: true')"
    ]


def test_an_unknown_attribute_needs_no_source(knowledge: KnowledgeBase) -> None:
    members = knowledge.cluster("cap2020").attribute("members")
    assert members is not None
    assert members.unknown
    assert members.source is None


def test_a_figure_without_its_year_fails(knowledge: KnowledgeBase) -> None:
    intent = knowledge.intent("cluster_members")
    details = Bilingual("Le cluster compte 250 membres.", "The cluster has 250 members.")
    messages = _messages(_with_intent(knowledge, "cluster_members", details=details))
    assert messages == [
        "intents.yaml: cluster_members: details (fr): figure '250' has no year near it "
        "(add the year, or say it is undated)",
        "intents.yaml: cluster_members: details (en): figure '250' has no year near it "
        "(add the year, or say it is undated)",
    ]
    assert intent.details is not None


@pytest.mark.parametrize(
    ("text", "undated"),
    [
        ("about 250 companies (2020)", []),
        ("about 250 companies", ["250"]),
        ("about 180 members (undated figure)", []),
        ("environ 180 membres (chiffre non daté)", []),
        ("covering 50% of running costs", ["50%"]),
        ("couvrant 50 % des frais", ["50 %"]),
        ("5 members and 3 staff", []),  # below ten, not a figure
        ("lancé au 9e Forum, le 1er juillet, sa 7th year", []),  # ordinals
        ("created in December 2008", []),  # a year alone
        ("about €160,000 a year", ["160,000"]),
        ("environ 160 000 € par an (vers 2008-2009)", []),
        ("protective equipment against COVID-19", []),  # part of a name
        ("4,500 jobs in 2019", []),
        ("2019\n4,500 jobs", ["4,500"]),  # the year must be on the same line
        (
            "In December 2013 the Walloon Region renewed its support for the INFOPOLE Cluster TIC "
            "for another three years, covering 50% of running costs",
            ["50%"],
        ),  # too far from the year
    ],
)
def test_the_undated_figure_heuristic(text: str, undated: list[str]) -> None:
    assert undated_figures(text) == undated


def test_kb_check_fails_on_a_content_problem(tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy, ignore=shutil.ignore_patterns("*.py", "*.md", "__*"))
    clusters = yaml.safe_load((copy / "clusters.yaml").read_text(encoding="utf-8"))
    entry = next(c for c in clusters["clusters"] if c["id"] == "infopole")
    entry["portal"] = None
    (copy / "clusters.yaml").write_text(
        yaml.safe_dump(clusters, allow_unicode=True), encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--knowledge-dir", str(copy), "kb", "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "knowledge/clusters.yaml: infopole: neither a website nor a page on the clusters portal"
        in result.stdout
    )
    assert "1 content problems" in result.stdout
