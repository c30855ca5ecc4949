"""The interface-string catalogues: the shipped pair loads, and a pair out of step does not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.messages.catalogue import LOCALES_DIR, Catalogue, CatalogueError
from knowledge.model import LANGUAGES, KnowledgeBase


def test_shipped_catalogue_loads() -> None:
    catalogue = Catalogue.load()
    assert catalogue.has("welcome")
    assert not catalogue.has("no.such.key")
    assert catalogue.text("en", "cluster_card.join", name="TWEED") == "Join TWEED"
    assert "TWEED" in catalogue.text("fr", "cluster_card.join", name="TWEED")
    assert catalogue.text("fr", "welcome") != catalogue.text("en", "welcome")


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("en", 0, "0 leads"),
        ("en", 1, "1 lead"),
        ("en", 2, "2 leads"),
        ("fr", 0, "0 demande"),
        ("fr", 1, "1 demande"),
        ("fr", 2, "2 demandes"),
    ],
)
def test_plural_forms_follow_the_count(language: str, count: int, expected: str) -> None:
    catalogue = Catalogue.load()
    assert catalogue.has("staff_ws.export.caption")
    text = catalogue.text(language, "staff_ws.export.caption", count=count)  # type: ignore[arg-type]
    assert text == expected


def test_every_intent_has_a_label_in_both_languages(knowledge: KnowledgeBase) -> None:
    catalogue = Catalogue.load()
    for intent in knowledge.intents:
        for language in LANGUAGES:
            assert catalogue.text(language, f"intent.{intent.id}").strip(), intent.id


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    copy = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, copy)
    return copy


def _edit(path: Path, section: str, key: str, value: str | None) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if value is None:
        del data[section][key]
    else:
        data[section][key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_an_unbroken_copy_loads(locales: Path) -> None:
    _edit(locales / "en.yaml", "menu", "main", "Main menu")
    assert Catalogue.load(locales).text("en", "menu.main") == "Main menu"


def test_a_key_missing_in_french(locales: Path) -> None:
    _edit(locales / "fr.yaml", "menu", "main", None)
    with pytest.raises(CatalogueError, match=r"fr\.yaml lacks 'menu\.main'"):
        Catalogue.load(locales)


def test_a_key_missing_in_english(locales: Path) -> None:
    _edit(locales / "en.yaml", "cluster_card", "about", None)
    with pytest.raises(CatalogueError, match=r"en\.yaml lacks 'cluster_card\.about'"):
        Catalogue.load(locales)


def test_different_placeholders(locales: Path) -> None:
    _edit(locales / "en.yaml", "cluster_card", "join", "Join {cluster}")
    with pytest.raises(CatalogueError, match=r"'cluster_card\.join' has different placeholders"):
        Catalogue.load(locales)


def test_a_missing_catalogue(locales: Path) -> None:
    (locales / "en.yaml").unlink()
    with pytest.raises(CatalogueError, match=r"en\.yaml"):
        Catalogue.load(locales)


def test_a_value_that_is_not_text(locales: Path) -> None:
    path = locales / "fr.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "extra: [1, 2]\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="extra"):
        Catalogue.load(locales)
