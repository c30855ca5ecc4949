"""Interface strings, one YAML catalogue per language (`bot/messages/locales/<lang>.yaml`).

Answers about clusters live in the knowledge base; these are the words around them (menus,
prompts, errors). Both catalogues must hold the same keys with the same placeholders, checked
at load, so a user never meets a missing translation at run time.

A text that counts something has a form per plural category, chosen by its `count`:

    caption:
      one: "{count} lead"
      other: "{count} leads"

`one` is used for 1 in English and for 0 and 1 in French (CLDR's rules), `other` otherwise.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from knowledge.loader import SAFE_LOADER
from knowledge.model import LANGUAGES, Language

LOCALES_DIR = Path(__file__).resolve().parent / "locales"


def plural_form(language: Language, count: int) -> str:
    """The CLDR plural category of `count` in `language` (only `one` and `other` exist in
    French and English for whole numbers)."""
    if language == "fr":
        return "one" if count in (0, 1) else "other"
    return "one" if count == 1 else "other"


class CatalogueError(Exception):
    """A catalogue is missing, malformed, or out of step with the other language."""


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            # YAML reads a bare `yes:` or `no:` as a boolean key: catch it here, not at run time.
            raise CatalogueError(f"{prefix}{key}: keys must be text (quote yes/no/on/off)")
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            # Plural forms ({one, other}) stay as `name.one` / `name.other`: `text` picks one.
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, str):
            flat[name] = value.strip()
        else:
            raise CatalogueError(f"{name}: expected a text")
    return flat


def _placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


class Catalogue:
    """Looks up interface strings by key and language."""

    def __init__(self, strings: Mapping[Language, Mapping[str, str]]) -> None:
        self._strings = strings

    @classmethod
    def load(cls, directory: Path = LOCALES_DIR) -> Catalogue:
        strings: dict[Language, dict[str, str]] = {}
        for language in LANGUAGES:
            path = directory / f"{language}.yaml"
            try:
                data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506
            except (OSError, yaml.YAMLError) as error:
                raise CatalogueError(f"{path.name}: cannot be read: {error}") from error
            if not isinstance(data, Mapping):
                raise CatalogueError(f"{path.name}: expected a mapping")
            strings[language] = _flatten(data)
        french, english = strings["fr"], strings["en"]
        problems = [f"fr.yaml lacks '{k}'" for k in sorted(english.keys() - french.keys())]
        problems += [f"en.yaml lacks '{k}'" for k in sorted(french.keys() - english.keys())]
        for key in sorted(french.keys() & english.keys()):
            if _placeholders(french[key]) != _placeholders(english[key]):
                problems.append(f"'{key}' has different placeholders in fr and en")
        if problems:
            raise CatalogueError("; ".join(problems))
        return cls(strings)

    def has(self, key: str) -> bool:
        strings = self._strings["en"]
        return key in strings or f"{key}.other" in strings

    def text(self, language: Language, key: str, **values: object) -> str:
        """The string `key` in `language`, with `{placeholders}` filled from `values`; for a
        text with plural forms, the form `values["count"]` asks for."""
        strings = self._strings[language]
        template = strings.get(key)
        if template is None:
            count = values.get("count")
            if not isinstance(count, int) or f"{key}.other" not in strings:
                raise KeyError(key)
            template = strings[f"{key}.{plural_form(language, count)}"]
        return template.format(**values) if values else template
