"""`python -m bot` as a person or a script runs it: a real process, real stdin and stdout.

Each test starts the program in an empty temporary folder (so no `.env` is picked up), with
the database there and no Telegram token, and batches its inputs into as few runs as it can.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.messages.catalogue import Catalogue
from knowledge.loader import KNOWLEDGE_DIR, REQUIRED_CLUSTERS, REQUIRED_INTENTS
from knowledge.model import KnowledgeBase

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MATCH_KEYS = ["text", "intent", "cluster", "lang", "score", "alternatives"]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Run]:
    work = tmp_path / "cwd"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    env.update(
        DATABASE_PATH=str(tmp_path / "assistant.sqlite3"),
        PYTHONPATH=str(PROJECT_ROOT),
        PYTHONUTF8="1",
    )
    for name in ("STAFF_USER_IDS", "STAFF_CHAT_ID", "DEFAULT_LANGUAGE", "LOG_LEVEL"):
        env.pop(name, None)

    def run(*arguments: str, stdin: str = "", **settings: str) -> Run:
        done = subprocess.run(
            [sys.executable, "-m", "bot", *arguments],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=work,
            env={**env, **settings},
            timeout=60,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run


# --- match -----------------------------------------------------------------------------------

MATCH_INPUTS = [
    "What is a cluster?",
    "how do I join PLASTIWIN?",
    "",
    ("plastiwin join cluster " * 500)[:10_000],
    "😀🇧🇪👩‍👩‍👧‍👦",
    "\x00\x01\x07\x1b[31m\x7f\tcontrol\x0b\x0c\x85\u2028\u2029 characters",
    "ما هو التجمع؟ \u202eniwitsalp\u202c",
    "?",
    "What's the weather in Namur?",
]


def test_match_prints_one_json_object_per_line(run: Callable[..., Run]) -> None:
    result = run("match", stdin="".join(line + "\n" for line in MATCH_INPUTS))
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.split("\n")
    assert lines.pop() == ""  # the output ends with a newline
    assert len(lines) == len(MATCH_INPUTS)
    records = [json.loads(line) for line in lines]
    for text, record in zip(MATCH_INPUTS, records, strict=True):
        assert list(record) == MATCH_KEYS
        assert record["text"] == text
        assert record["intent"] is None or record["intent"] in REQUIRED_INTENTS
        assert record["cluster"] is None or record["cluster"] in REQUIRED_CLUSTERS
        assert record["lang"] in ("fr", "en")
        assert isinstance(record["score"], float)
        assert 0 <= record["score"] <= 1
        assert isinstance(record["alternatives"], list)
        assert len(record["alternatives"]) <= 3
        assert record["intent"] not in record["alternatives"]
    assert [(r["intent"], r["cluster"], r["lang"]) for r in records[:2]] == [
        ("what_is_a_cluster", None, "en"),
        ("how_to_join", "plastiwin", "en"),
    ]
    for record in (records[2], records[7], records[8]):
        assert (record["intent"], record["cluster"], record["alternatives"]) == (None, None, [])


def test_match_handles_crlf_and_a_missing_final_newline(run: Callable[..., Run]) -> None:
    result = run("match", stdin="What is a cluster?\r\nc'est quoi Skywin")
    assert result.returncode == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in records] == ["What is a cluster?", "c'est quoi Skywin"]
    assert [r["intent"] for r in records] == ["what_is_a_cluster", "cluster_vs_competitiveness"]


# --- kb check / kb dump ----------------------------------------------------------------------


def test_kb_check_passes_on_the_shipped_knowledge_base(run: Callable[..., Run]) -> None:
    result = run("kb", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(
        r"\b27 intents\b.*\b7 clusters\b.*\b0 examples matched.*\b0 content problems",
        result.stdout,
    )


@pytest.fixture
def broken_kb(tmp_path: Path) -> Path:
    """A copy of the knowledge base with an English answer missing and a cluster twice."""
    copy = tmp_path / "broken"
    shutil.copytree(KNOWLEDGE_DIR, copy, ignore=shutil.ignore_patterns("*.py", "*.md", "__*"))
    intents = yaml.safe_load((copy / "intents.yaml").read_text(encoding="utf-8"))
    next(i for i in intents["intents"] if i["id"] == "how_to_join")["answer"].pop("en")
    (copy / "intents.yaml").write_text(yaml.safe_dump(intents), encoding="utf-8")
    clusters = yaml.safe_load((copy / "clusters.yaml").read_text(encoding="utf-8"))
    clusters["clusters"].append(dict(clusters["clusters"][0]))
    (copy / "clusters.yaml").write_text(yaml.safe_dump(clusters), encoding="utf-8")
    return copy


def test_kb_check_reports_every_problem_of_a_broken_copy(
    run: Callable[..., Run], broken_kb: Path
) -> None:
    result = run("--knowledge-dir", str(broken_kb), "kb", "check")
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert lines
    assert all(re.fullmatch(r".+\.yaml: [^:]+: .+", line) for line in lines), lines
    assert any(
        line.endswith("intents.yaml: how_to_join: 'answer' has no 'en' translation")
        for line in lines
    )
    assert any(line.endswith("clusters.yaml: cap2020: duplicate id") for line in lines)


def test_kb_check_reports_malformed_yaml(run: Callable[..., Run], tmp_path: Path) -> None:
    copy = tmp_path / "malformed"
    shutil.copytree(KNOWLEDGE_DIR, copy, ignore=shutil.ignore_patterns("*.py", "*.md", "__*"))
    (copy / "out_of_scope.yaml").write_text("out_of_scope:\n  fr: [\n", encoding="utf-8")
    for command in (["kb", "check"], ["kb", "dump"], ["match"]):
        result = run("--knowledge-dir", str(copy), *command, stdin="hello\n")
        assert result.returncode == 1, command
        assert "Traceback" not in result.stderr
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert re.fullmatch(r".*out_of_scope\.yaml: line \d+, column \d+: malformed YAML.*", line)


def test_kb_dump(run: Callable[..., Run], knowledge: KnowledgeBase) -> None:
    result = run("kb", "dump")
    assert (result.returncode, result.stderr) == (0, "")
    document = json.loads(result.stdout)
    assert [i["id"] for i in document["intents"]] == [i.id for i in knowledge.intents]
    assert sorted(i["id"] for i in document["intents"]) == sorted(REQUIRED_INTENTS)
    for dumped in document["intents"]:
        intent = knowledge.intent(dumped["id"])
        assert dumped["examples"] == {
            "fr": list(intent.examples.fr),
            "en": list(intent.examples.en),
        }
        assert dumped["answers"] == {"fr": intent.answer.fr, "en": intent.answer.en}
        assert dumped["source"] == intent.sourced.source
        reviewed = intent.sourced.reviewed
        assert dumped["reviewed"] == (reviewed.isoformat() if reviewed else None)
        if intent.kind == "informational":
            assert dumped["source"].startswith("http")
            date.fromisoformat(dumped["reviewed"])
    assert sorted(c["id"] for c in document["clusters"]) == sorted(REQUIRED_CLUSTERS)
    for cluster in document["clusters"]:
        assert cluster["source"].startswith("http")
        date.fromisoformat(cluster["reviewed"])


# --- chat ------------------------------------------------------------------------------------


def test_chat_answers_piped_questions_and_numbered_choices(
    run: Callable[..., Run], knowledge: KnowledgeBase, tmp_path: Path
) -> None:
    what_is = knowledge.intent("what_is_a_cluster").answer.en
    catalogue = Catalogue.load()
    labels = {catalogue.text("en", f"intent.{i.id}"): i for i in knowledge.intents}
    # First run: which numbered button under the answer names another topic.
    first = run("chat", stdin="What is a cluster?\n")
    assert first.returncode == 0, first.stderr
    buttons = re.findall(r"^\s*\[(\d+)\] (.+)$", first.stdout, re.MULTILINE)
    number = next(n for n, label in buttons if label in labels)
    # Second run: typing that number is pressing that button.
    result = run("chat", stdin=f"What is a cluster?\n{number}\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    first_answer_at = result.stdout.find(what_is.split("\n")[0])
    assert first_answer_at >= 0
    choice = re.search(rf"^\s*\[{number}\] (.+)$", result.stdout[first_answer_at:], re.MULTILINE)
    assert choice is not None
    chosen = [labels[choice[1]]]
    after_choice = result.stdout[first_answer_at + choice.end() :]
    assert chosen[0].answer.en.split("\n")[0] in after_choice
    assert (tmp_path / "assistant.sqlite3").exists()


def test_chat_on_empty_input_exits_at_once(run: Callable[..., Run]) -> None:
    result = run("chat")
    assert result.returncode == 0
    assert "Traceback" not in result.stderr


# --- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "named", "secret"),
    [
        ({"DEFAULT_LANGUAGE": "de"}, "DEFAULT_LANGUAGE", None),
        ({"TELEGRAM_BOT_TOKEN": "garbage"}, "TELEGRAM_BOT_TOKEN", "garbage"),
        ({"TELEGRAM_BOT_TOKEN": "123456789:AAH-s3cr3t!xyzabc"}, "TELEGRAM_BOT_TOKEN", "s3cr3t"),
        ({"WEBHOOK_URL": "https://bot.example.org/hook"}, "WEBHOOK_SECRET", None),
        ({"STAFF_USER_IDS": "abc"}, "STAFF_USER_IDS", None),
    ],
)
@pytest.mark.parametrize("command", ["run", "chat"])
def test_a_bad_setting_exits_2_with_one_line(
    run: Callable[..., Run],
    command: str,
    settings: dict[str, str],
    named: str,
    secret: str | None,
) -> None:
    result = run(command, stdin="What is a cluster?\n", **settings)
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert named in line
    assert "Traceback" not in line
    if secret is not None:
        assert secret not in result.stdout + result.stderr


def test_settings_come_from_the_env_file_of_the_working_folder(
    run: Callable[..., Run], tmp_path: Path
) -> None:
    (tmp_path / "cwd" / ".env").write_text("# local settings\nLOG_LEVEL=loud\n", encoding="utf-8")
    result = run("chat")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "LOG_LEVEL" in line


def test_unknown_command_is_a_usage_error(run: Callable[..., Run]) -> None:
    result = run("frobnicate")
    assert result.returncode == 2
    assert "usage: wallonia-bot" in result.stderr
    assert "Traceback" not in result.stderr
