"""Reading the knowledge base's YAML: typed values out, every problem named with its file
and entry (the loader collects them all before failing, so `kb check` lists them at once)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, cast

from knowledge.model import (
    LANGUAGES,
    Bilingual,
    PerLanguage,
    Source,
    Sourced,
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in the knowledge base: where, and what."""

    file: str
    entry: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.message}"


class KnowledgeBaseError(Exception):
    """The knowledge base cannot be used; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# Sources shown under an answer's short part when its YAML does not say.
DEFAULT_SHORT_SOURCES = 2

T = TypeVar("T")


class Reader:
    """Reads one YAML file's entries, recording problems instead of raising."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems

    def problem(self, entry: str, message: str) -> None:
        self.problems.append(Problem(self.file, entry, message))

    def text(
        self, data: Mapping[str, Any], key: str, entry: str, *, optional: bool = False
    ) -> str:
        value = data.get(key)
        if value is None and optional:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problem(entry, f"'{key}' must be a non-empty text")
            return ""
        return value.strip()

    def bilingual(self, data: Mapping[str, Any], key: str, entry: str) -> Bilingual:
        value = data.get(key)
        if not isinstance(value, Mapping):
            self.problem(entry, f"'{key}' must have a 'fr' and an 'en' text")
            return Bilingual("", "")
        texts = {}
        for language in LANGUAGES:
            text = value.get(language)
            if not isinstance(text, str) or not text.strip():
                self.problem(entry, f"'{key}' has no '{language}' translation")
                text = ""
            texts[language] = text.strip()
        return Bilingual(**texts)

    def per_language(
        self, data: Mapping[str, Any], key: str, entry: str, *, minimum: int = 1
    ) -> PerLanguage:
        value = data.get(key)
        if not isinstance(value, Mapping):
            self.problem(entry, f"'{key}' must have an 'fr' and an 'en' list")
            return PerLanguage((), ())
        lists: dict[str, tuple[str, ...]] = {}
        for language in LANGUAGES:
            items = value.get(language)
            if not isinstance(items, list) or not all(
                isinstance(i, str) and i.strip() for i in items
            ):
                self.problem(entry, f"'{key}.{language}' must be a list of non-empty texts")
                items = []
            elif len(items) < minimum:
                self.problem(
                    entry, f"'{key}.{language}' has {len(items)} entries; at least {minimum}"
                )
            lists[language] = tuple(str(i).strip() for i in items)
        return PerLanguage(**lists)

    def optional_bilingual(
        self, data: Mapping[str, Any], key: str, entry: str
    ) -> Bilingual | None:
        if data.get(key) is None:
            return None
        return self.bilingual(data, key, entry)

    def url(self, data: Mapping[str, Any], key: str, entry: str) -> str | None:
        value = data.get(key)
        if value is not None and not (
            isinstance(value, str) and value.startswith(("http://", "https://"))
        ):
            self.problem(entry, f"'{key}' must be a URL or null")
            return None
        return value

    def source_list(self, data: Mapping[str, Any], entry: str) -> tuple[Source, ...]:
        raw = data.get("sources")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem(entry, "'sources' must be a list of {url, title, language, read}")
            return ()
        sources: list[Source] = []
        for index, item in enumerate(raw, start=1):
            where = f"{entry}: source #{index}"
            if not isinstance(item, Mapping):
                self.problem(where, "must have 'url', 'title', 'language' and 'read'")
                continue
            url, title = item.get("url"), item.get("title")
            language, read = item.get("language"), item.get("read")
            translation = item.get("translation")
            ok = True
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                self.problem(where, "'url' must be a URL")
                ok = False
            if not isinstance(title, str) or not title.strip():
                self.problem(where, "'title' must be a non-empty text")
                ok = False
            if language not in LANGUAGES:
                self.problem(where, "'language' must be 'fr' or 'en'")
                ok = False
            if not isinstance(read, date):
                self.problem(where, "'read' must be a date (YYYY-MM-DD)")
                ok = False
            if translation is not None and not (
                isinstance(translation, str) and translation.startswith(("http://", "https://"))
            ):
                self.problem(where, "'translation' must be a URL")
                ok = False
            if ok:
                sources.append(
                    Source(
                        url=cast(str, url),
                        title=cast(str, title).strip(),
                        language=cast(Any, language),
                        read=cast(date, read),
                        translation=translation,
                    )
                )
        return tuple(sources)

    def sourced(self, data: Mapping[str, Any], entry: str, *, required: bool) -> Sourced:
        if "source" in data:
            self.problem(entry, "'source' is replaced by 'sources' (a list)")
        sources = self.source_list(data, entry)
        reviewed = data.get("reviewed")
        if reviewed is not None and not isinstance(reviewed, date):
            self.problem(entry, "'reviewed' must be a date (YYYY-MM-DD)")
            reviewed = None
        if required and (not sources or reviewed is None):
            self.problem(entry, "an informational answer needs 'sources' and 'reviewed'")
        short = data.get("short_sources", DEFAULT_SHORT_SOURCES)
        if not isinstance(short, int) or isinstance(short, bool) or short < 1:
            self.problem(entry, "'short_sources' must be a whole number of at least 1")
            short = DEFAULT_SHORT_SOURCES
        return Sourced(sources[0].url if sources else None, reviewed, sources, short)

    def entries(
        self, document: Any, key: str, build: Callable[[Mapping[str, Any], str], T]
    ) -> list[T]:
        if not isinstance(document, Mapping) or not isinstance(document.get(key), list):
            self.problem("(top level)", f"expected a mapping with a '{key}' list")
            return []
        built: list[T] = []
        seen: set[str] = set()
        for index, raw in enumerate(document[key]):
            if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str):
                self.problem(f"entry #{index + 1}", "each entry needs an 'id'")
                continue
            entry_id = cast(str, raw["id"])
            if entry_id in seen:
                self.problem(entry_id, "duplicate id")
                continue
            seen.add(entry_id)
            built.append(build(raw, entry_id))
        return built
