"""A local, spec-driven fake of the Telegram Bot API for the test suite.

Why this exists: tests must exercise the real ``python-telegram-bot`` stack (its HTTP client,
serialisation, retries and error mapping) without touching the internet. Mocking ``Bot`` methods
would skip exactly the layers where bugs hide (a bad ``parse_mode`` payload, a 65-byte
``callback_data``, a missing parameter), so instead this module runs a small HTTP/1.1 server on
127.0.0.1 that answers like Telegram does and validates every call against the official
method list (``tests/data/telegram-bot-api.json``, Bot API 9.2).

It is deliberately *stricter* than Telegram in two places, because we want our bot never to send
junk: unknown parameters are rejected (Telegram silently ignores them), and in HTML a bare ``&``
that does not start an entity is rejected (Telegram tolerates it, but its documentation requires
escaping). Every such rejection is also appended to :attr:`FakeBotApi.errors`, so a test can
finish with ``assert api.errors == []``.

Typical use::

    async with FakeBotApi() as api:
        app = (
            Application.builder()
            .token(api.token)
            .base_url(api.base_url)
            .base_file_url(api.base_file_url)
            .build()
        )
        ...
        api.user_message(42, "/start")
        (reply,) = await api.wait_for_messages(42, 1)
        assert "Bienvenue" in reply.text

The server runs on the test's own event loop (``asyncio.start_server``), so there are no threads
and no cross-loop races: long polls, stalls and injected updates are all plain coroutines.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "DEFAULT_SPEC_PATH",
    "DEFAULT_TOKEN",
    "ApiSpec",
    "EntityParseError",
    "FakeBotApi",
    "Fault",
    "FieldSpec",
    "MethodSpec",
    "ParsedText",
    "RecordedRequest",
    "SentMessage",
    "TypeSpec",
    "UploadedFile",
    "WaitTimeoutError",
    "load_spec",
    "parse_html",
    "utf16_len",
]

JsonDict = dict[str, Any]
#: A canned result, or a function computing one from the decoded parameters.
ResponseOverride = Any | Callable[[JsonDict], Any]

DEFAULT_TOKEN: Final = "123456:TEST-TOKEN"  # noqa: S105 - a fake token for a fake server
DEFAULT_BOT_USERNAME: Final = "wallonia_test_bot"

#: Methods whose successful calls produce a message the user sees; used by the rate limiter and
#: by :meth:`FakeBotApi.wait_for_messages`.
MESSAGE_METHODS: Final = frozenset(
    {"sendMessage", "editMessageText", "sendDocument", "sendPhoto"},
)
_TEXT_LIMIT: Final = 4096
_CAPTION_LIMIT: Final = 1024
_CALLBACK_DATA_LIMIT: Final = 64
_CALLBACK_ANSWER_LIMIT: Final = 200
_MAX_INLINE_BUTTONS: Final = 100
_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_BOT_COMMAND_RE: Final = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_SET_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
# Types Telegram defaults to excluding when allowed_updates is empty.
_OPT_IN_UPDATES: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Tiny valid JPEG-ish payload so downloaded "photos" are non-empty bytes.
_FAKE_JPEG: Final = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00fake-photo\xff\xd9"


# --------------------------------------------------------------------------------------------
# Spec loading
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One parameter of a method (or field of a type), as listed in the spec."""

    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """A Bot API method: its canonical camelCase name, parameters and return types."""

    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """A Bot API object type; abstract types (e.g. ``BotCommandScope``) list ``subtypes``."""

    name: str
    fields: dict[str, FieldSpec]
    subtypes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ApiSpec:
    """The parsed ``bot-api-*.json``: methods keyed by *lower-case* name, types by name."""

    version: str
    methods: dict[str, MethodSpec]
    types: dict[str, TypeSpec]

    def method(self, name: str) -> MethodSpec | None:
        """Look a method up case-insensitively, as Telegram does."""
        return self.methods.get(name.lower())


# The Bot API 9.2 description, carried in the repository (tests/data/README.md says where it
# comes from): the suite reads no file outside the project.
DEFAULT_SPEC_PATH: Final = Path(__file__).resolve().parent / "data" / "telegram-bot-api.json"


def _fields(raw: Iterable[JsonDict]) -> dict[str, FieldSpec]:
    return {
        f["name"]: FieldSpec(f["name"], tuple(f.get("types", ())), bool(f.get("required")))
        for f in raw
    }


@cache
def load_spec(path: Path | None = None) -> ApiSpec:
    """Load (once per path) the API description that every request is validated against."""
    data = json.loads((path or DEFAULT_SPEC_PATH).read_text(encoding="utf-8"))
    methods = {
        name.lower(): MethodSpec(name, _fields(m.get("fields", ())), tuple(m.get("returns", ())))
        for name, m in data["methods"].items()
    }
    types = {
        name: TypeSpec(name, _fields(t.get("fields", ())), tuple(t.get("subtypes", ())))
        for name, t in data["types"].items()
    }
    return ApiSpec(str(data.get("version", "")), methods, types)


# --------------------------------------------------------------------------------------------
# Text: UTF-16 length and Telegram-style HTML parsing
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: Telegram's unit for limits and entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class EntityParseError(ValueError):
    """HTML that Telegram would refuse with ``can't parse entities``."""


@dataclass(frozen=True, slots=True)
class ParsedText:
    """Text after entity parsing (what the user sees) and the entities Telegram would create."""

    text: str
    entities: list[JsonDict]


_SIMPLE_TAGS: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}
_ENTITY_RE: Final = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8}));")
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_ATTR_RE: Final = re.compile(
    r"""\s+([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?"""
)
_TAG_CLOSE_RE: Final = re.compile(r"\s*>")
_END_TAG_RE: Final = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")


def _decode_entity(match: re.Match[str]) -> str | None:
    named, dec, hexa = match.groups()
    if named:
        return _NAMED_ENTITIES[named]
    code = int(dec) if dec else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _unescape_attr(value: str) -> str:
    """Attribute values (hrefs) may hold entities; undecodable ones are kept verbatim."""
    return _ENTITY_RE.sub(lambda m: _decode_entity(m) or m.group(0), value)


@dataclass(slots=True)
class _OpenTag:
    name: str
    offset: int
    entity: JsonDict | None


def parse_html(source: str) -> ParsedText:
    """Parse ``parse_mode=HTML`` text the way Telegram does, or raise :class:`EntityParseError`.

    Modelled on TDLib's ``parse_html``: only the documented tags, tags must nest properly, and
    a ``<`` must open a supported tag. Error messages mirror Telegram's so that logs read the
    same as in production.
    """
    out: list[str] = []
    pos = 0  # UTF-16 offset in the output
    stack: list[_OpenTag] = []
    entities: list[JsonDict] = []
    i, n = 0, len(source)

    def at(index: int) -> str:
        return f"at byte offset {len(source[:index].encode('utf-8', 'surrogatepass'))}"

    while i < n:
        ch = source[i]
        if ch == "&":
            m = _ENTITY_RE.match(source, i)
            decoded = _decode_entity(m) if m else None
            if m is None or decoded is None:
                raise EntityParseError(
                    f"Character '&' {at(i)} does not start a supported HTML entity; "
                    "escape it as &amp;"
                )
            out.append(decoded)
            pos += utf16_len(decoded)
            i = m.end()
            continue
        if ch != "<":
            out.append(ch)
            pos += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue
        if source.startswith("</", i):
            m = _END_TAG_RE.match(source, i)
            if m is None:
                raise EntityParseError(f"Unclosed end tag {at(i)}")
            name = m.group(1).lower()
            if not stack:
                raise EntityParseError(f'Unexpected end tag "</{name}>" {at(i)}')
            top = stack.pop()
            if top.name != name:
                raise EntityParseError(
                    f'Unmatched end tag {at(i)}, expected "</{top.name}>", found "</{name}>"'
                )
            if top.entity is not None and pos > top.offset:
                entities.append({**top.entity, "offset": top.offset, "length": pos - top.offset})
            i = m.end()
            continue
        start = i
        name_match = _TAG_NAME_RE.match(source, i + 1)
        name = name_match.group(0).lower() if name_match else ""
        if name_match is None or name not in _SIMPLE_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" {at(start)}')
        j = name_match.end()
        attrs: dict[str, str] = {}
        while True:
            close = _TAG_CLOSE_RE.match(source, j)
            if close:
                j = close.end()
                break
            attr = _ATTR_RE.match(source, j)
            if attr is None:
                if source[j:].lstrip().startswith("/>"):
                    raise EntityParseError(f'Self-closing tag "{name}" {at(start)} is unsupported')
                raise EntityParseError(f"Unclosed start tag {at(start)}")
            value = next((g for g in attr.group(2, 3, 4) if g is not None), "")
            attrs[attr.group(1).lower()] = _unescape_attr(value)
            j = attr.end()
        entity: JsonDict | None = {"type": _SIMPLE_TAGS[name]}
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" {at(start)}')
        if name == "a":
            href = attrs.get("href", "")
            entity = {"type": "text_link", "url": href} if href else None
        elif name == "tg-emoji":
            emoji_id = attrs.get("emoji-id", "")
            if not emoji_id.isdigit():
                raise EntityParseError(
                    f'Tag "tg-emoji" must have a numeric "emoji-id" {at(start)}'
                )
            entity = {"type": "custom_emoji", "custom_emoji_id": emoji_id}
        elif name == "blockquote" and "expandable" in attrs:
            entity = {"type": "expandable_blockquote"}
        elif name == "code" and stack and stack[-1].name == "pre":
            # <pre><code class="language-x"> only sets the language of the enclosing pre.
            language = attrs.get("class", "").removeprefix("language-")
            if language and stack[-1].entity is not None:
                stack[-1].entity["language"] = language
            entity = None
        stack.append(_OpenTag(name, pos, entity))
        i = j
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), entities)


def _command_entities(text: str) -> list[JsonDict]:
    """``bot_command`` entities as Telegram's clients attach them to ``/commands``."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m.group(0)),
        }
        for m in _BOT_COMMAND_RE.finditer(text)
    ]


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request (or a file registered with ``add_file``)."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class Fault:
    """A failure to inject instead of handling one call; see :meth:`FakeBotApi.fail_next`."""

    status: int | None = None
    retry_after: int | None = None
    description: str | None = None
    close_connection: bool = False
    stall_seconds: float = 0.0


@dataclass(slots=True)
class RecordedRequest:
    """One call that reached a known method (recorded on arrival, completed on answer).

    ``params`` holds decoded values: integers and booleans parsed, JSON-serialised fields
    (``reply_markup``, ``entities`` …) turned back into dicts/lists; uploaded files are in
    ``files``. ``status`` is ``None`` while the call is in flight or if the connection was
    dropped on purpose.
    """

    method: str
    params: JsonDict
    files: dict[str, UploadedFile]
    time: float
    http_method: str = "POST"
    status: int | None = None
    result: Any = None
    error: str | None = None
    fault: Fault | None = None

    @property
    def ok(self) -> bool:
        """Whether the call was answered with ``ok: true``."""
        return self.status == HTTPStatus.OK


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the bot successfully sent or edited, in the shape tests want to assert on.

    ``text`` is what the user sees (tags removed, entities decoded; the caption for media);
    ``raw_text`` is exactly what the bot sent.
    """

    method: str
    chat_id: int | str
    message_id: int
    text: str
    raw_text: str
    parse_mode: str | None
    entities: list[JsonDict]
    reply_markup: JsonDict | None
    file: UploadedFile | None
    request: RecordedRequest

    @property
    def is_edit(self) -> bool:
        """True for ``editMessage*`` calls."""
        return self.method.startswith("edit")

    @property
    def buttons(self) -> list[list[JsonDict]]:
        """Rows of inline (or reply) keyboard buttons; empty when there is no keyboard."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[b if isinstance(b, dict) else {"text": b} for b in row] for row in rows]

    @property
    def button_texts(self) -> list[str]:
        """Flattened labels of all buttons, row by row."""
        return [str(b.get("text", "")) for row in self.buttons for b in row]

    @property
    def callback_data(self) -> list[str]:
        """Flattened ``callback_data`` of the inline buttons that have one."""
        return [
            str(b["callback_data"]) for row in self.buttons for b in row if "callback_data" in b
        ]


class WaitTimeoutError(AssertionError):
    """A ``wait_*`` helper gave up; an AssertionError so pytest reports it as a test failure."""


class _ApiError(Exception):
    """Internal: abort handling of a call with a Telegram-style error answer."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        parameters: JsonDict | None = None,
        validation: bool = True,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters
        self.validation = validation


def _bad(description: str) -> _ApiError:
    return _ApiError(HTTPStatus.BAD_REQUEST, f"Bad Request: {description}")


# --------------------------------------------------------------------------------------------
# Minimal HTTP/1.1
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _HttpRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass(slots=True)
class _HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/json"


def _json_response(status: int, payload: JsonDict) -> _HttpResponse:
    return _HttpResponse(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def _error_payload(status: int, description: str, parameters: JsonDict | None = None) -> JsonDict:
    payload: JsonDict = {"ok": False, "error_code": status, "description": description}
    if parameters:
        payload["parameters"] = parameters
    return payload


_DISPOSITION_PARAM_RE: Final = re.compile(r';\s*([A-Za-z*]+)="((?:[^"\\]|\\.)*)"')


def _parse_multipart(
    body: bytes, content_type: str
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Split a ``multipart/form-data`` body into text fields and files (RFC 7578 subset)."""
    boundary_match = re.search(r'boundary="?([^";]+)"?', content_type)
    if boundary_match is None:
        raise _bad("multipart body without boundary")
    delimiter = b"--" + boundary_match.group(1).encode("latin-1")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        part = part.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, sep, data = part.partition(b"\r\n\r\n")
        if not sep:
            raise _bad("malformed multipart part")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        params = {
            k.lower(): unquote(v.replace('\\"', '"'))
            for k, v in _DISPOSITION_PARAM_RE.findall(headers.get("content-disposition", ""))
        }
        name = params.get("name")
        if name is None:
            raise _bad("multipart part without a name")
        if "filename" in params:
            files[name] = UploadedFile(name, params["filename"], headers.get("content-type"), data)
        else:
            fields[name] = data.decode("utf-8")
    return fields, files


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeBotApi:
    """A fake Telegram Bot API server bound to ``127.0.0.1`` on a free port.

    Point PTB at it with ``base_url=api.base_url`` and ``base_file_url=api.base_file_url``
    (PTB appends the token itself). Drive it with :meth:`user_message`,
    :meth:`callback_query`, :meth:`press_button` …, observe it with :attr:`requests`,
    :meth:`sent_messages` and :meth:`wait_for_messages`, and break it on purpose with
    :meth:`fail_next`.

    Args:
        token: The only token accepted; others get ``401 Unauthorized``.
        bot_username: Username reported by ``getMe`` and in sent messages.
        latency: Seconds added before answering each call (simulates a distant server).
        rate_limit_per_second: If set, more than this many message-sending calls
            (:data:`MESSAGE_METHODS`) within any sliding 1 s window are answered with 429.
        strict_edits: Reject edits/deletes of unknown messages and edits that change nothing,
            like Telegram (``message is not modified``).
        spec_path: API description to validate against; defaults to `DEFAULT_SPEC_PATH`
            (Bot API 9.2).
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        latency: float = 0.0,
        rate_limit_per_second: int | None = None,
        strict_edits: bool = True,
        spec_path: Path | None = None,
    ) -> None:
        self.token: Final = token
        self.spec: Final = load_spec(spec_path)
        self.latency = latency
        self.rate_limit_per_second = rate_limit_per_second
        self.strict_edits = strict_edits
        #: Every call to a known method, in arrival order.
        self.requests: list[RecordedRequest] = []
        #: Human-readable descriptions of every validation failure (should stay empty).
        self.errors: list[str] = []
        #: Every update ever queued, including those already consumed.
        self.pushed_updates: list[JsonDict] = []
        #: Number of calls answered 429 by the sliding-window rate limiter.
        self.rate_limited_calls = 0
        self.bot_user: JsonDict = {
            "id": int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1,
            "is_bot": True,
            "first_name": "Wallonia Test Bot",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._server: asyncio.Server | None = None
        self._port = 0
        self._closing = False
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._waiters: list[asyncio.Future[None]] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._overrides: dict[str, ResponseOverride] = {}
        self._window: deque[float] = deque()
        self._in_flight = 0
        self._last_activity = time.monotonic()
        # Updates
        self._update_ids = itertools.count(1)
        self._queue: list[JsonDict] = []
        self._max_delivered = 0
        self._poll_generation = 0
        self._allowed_updates: list[str] = []
        self._callback_ids = itertools.count(1)
        self._open_callbacks: set[str] = set()
        # Chats, messages, files
        self._last_message_id: dict[int | str, int] = {}
        self._messages: dict[tuple[int | str, int], JsonDict] = {}
        self._users: dict[int, JsonDict] = {}
        self._blocked: set[int | str] = set()
        self._sent: list[SentMessage] = []
        self._cursors: dict[int | str, int] = {}
        self._files: dict[str, tuple[str, UploadedFile]] = {}
        self._file_ids = itertools.count(1)
        self._commands: dict[str, list[JsonDict]] = {}
        self._webhook_url = ""

    # ---- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Bind a free port on 127.0.0.1 and start serving."""
        if self._server is not None:
            raise RuntimeError("FakeBotApi already started")
        self._closing = False
        self._server = await asyncio.start_server(self._on_connection, "127.0.0.1", 0)
        self._port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop serving, close every client connection and wait for all handlers to end.

        Long polls and stalled calls are interrupted, so stopping never waits for a
        ``timeout`` to elapse, and no socket is left for the ResourceWarning checks to find.
        """
        if self._server is None:
            return
        self._closing = True
        self._notify()
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The bound TCP port (0 before :meth:`start`)."""
        return self._port

    @property
    def base_url(self) -> str:
        """Value for PTB's ``base_url`` (PTB appends the token)."""
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for PTB's ``base_file_url``."""
        return f"http://127.0.0.1:{self._port}/file/bot"

    @property
    def api_url(self) -> str:
        """Full prefix for raw HTTP calls: ``f"{api.api_url}/sendMessage"``."""
        return f"{self.base_url}{self.token}"

    # ---- observing -----------------------------------------------------------------------

    def calls(self, method: str) -> list[RecordedRequest]:
        """Recorded calls of one method (case-insensitive), in arrival order."""
        return [r for r in self.requests if r.method.lower() == method.lower()]

    def sent_messages(
        self,
        chat_id: int | str | None = None,
        *,
        methods: Iterable[str] = ("sendMessage", "editMessageText"),
    ) -> list[SentMessage]:
        """Successful ``sendMessage``/``editMessageText`` calls (or ``methods``), in order."""
        wanted = set(methods)
        return [
            m
            for m in self._sent
            if m.method in wanted and (chat_id is None or m.chat_id == chat_id)
        ]

    def pending_messages(self, chat_id: int | str) -> list[SentMessage]:
        """Messages for ``chat_id`` not yet returned by :meth:`wait_for_messages` (consumes)."""
        chat_messages = [m for m in self._sent if m.chat_id == chat_id]
        cursor = self._cursors.get(chat_id, 0)
        self._cursors[chat_id] = len(chat_messages)
        return chat_messages[cursor:]

    async def wait_for_messages(
        self,
        chat_id: int | str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a plain deadline reads best in tests
    ) -> list[SentMessage]:
        """Wait until ``count`` new messages reach ``chat_id`` and return exactly those.

        "New" means after the per-chat cursor, which this call advances by ``count``; any
        further messages stay pending for the next call (see :meth:`pending_messages`).
        Covers ``sendMessage``, ``editMessageText``, ``sendDocument`` and ``sendPhoto``.
        """

        def chat_messages() -> list[SentMessage]:
            return [m for m in self._sent if m.chat_id == chat_id]

        cursor = self._cursors.get(chat_id, 0)
        try:
            await self.wait_for(lambda: len(chat_messages()) - cursor >= count, timeout)
        except WaitTimeoutError:
            got = [m.text for m in chat_messages()[cursor:]]
            raise WaitTimeoutError(
                f"expected {count} new message(s) for chat {chat_id!r} within {timeout}s, "
                f"got {got!r}; API errors: {self.errors!r}"
            ) from None
        self._cursors[chat_id] = cursor + count
        return chat_messages()[cursor : cursor + count]

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a plain deadline reads best in tests
    ) -> None:
        """Wait until ``predicate()`` is true; re-checked whenever the server's state changes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise WaitTimeoutError(f"condition not met within {timeout}s")
            await self._changed(remaining)

    async def wait_until_idle(
        self,
        *,
        quiet: float = 0.1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a plain deadline reads best in tests
    ) -> None:
        """Wait until every queued update was fetched and no call happened for ``quiet`` s.

        Long-polling ``getUpdates`` calls do not count as activity, so this returns once the
        bot has consumed its updates and stopped talking.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            delivered = all(u["update_id"] <= self._max_delivered for u in self._queue)
            idle_for = time.monotonic() - self._last_activity
            if delivered and self._in_flight == 0 and idle_for >= quiet:
                return
            if loop.time() >= deadline:
                raise WaitTimeoutError(
                    f"bot not idle within {timeout}s (in flight: {self._in_flight}, "
                    f"undelivered updates: {not delivered})"
                )
            await asyncio.sleep(min(0.01, max(quiet - idle_for, 0.001)))

    def assert_no_errors(self) -> None:
        """Fail with every recorded validation error listed."""
        assert not self.errors, "Bot API validation errors:\n" + "\n".join(self.errors)

    # ---- driving: updates ----------------------------------------------------------------

    def push_update(self, update: JsonDict) -> int:
        """Queue a raw update (``update_id`` assigned if missing); returns its ``update_id``."""
        update = dict(update)
        if "update_id" not in update:
            update["update_id"] = next(self._update_ids)
        else:
            self._update_ids = itertools.count(
                max(int(update["update_id"]) + 1, next(self._update_ids))
            )
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self._open_callbacks.add(str(query["id"]))
        self._queue.append(update)
        self._queue.sort(key=lambda u: int(u["update_id"]))
        self.pushed_updates.append(update)
        self._notify()
        return int(update["update_id"])

    def user_message(
        self,
        user_id: int,
        text: str,
        *,
        language_code: str = "fr",
        first_name: str = "Test",
        username: str | None = None,
        chat_id: int | None = None,
    ) -> int:
        """Queue a text message from a user (``bot_command`` entities added like Telegram).

        Returns the ``update_id``. ``chat_id`` defaults to the private chat with the user.
        """
        message = self._user_message_base(user_id, language_code, first_name, username, chat_id)
        message["text"] = text
        if entities := _command_entities(text):
            message["entities"] = entities
        return self.push_update({"message": message})

    def user_sticker(
        self,
        user_id: int,
        *,
        emoji: str = "👍",
        language_code: str = "fr",
        first_name: str = "Test",
        chat_id: int | None = None,
    ) -> int:
        """Queue a sticker message (no text) from a user; returns the ``update_id``."""
        message = self._user_message_base(user_id, language_code, first_name, None, chat_id)
        file_id = self.add_file(b"RIFF-fake-webp", kind="stickers", extension="webp")
        message["sticker"] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self.push_update({"message": message})

    def user_photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        data: bytes = _FAKE_JPEG,
        language_code: str = "fr",
        first_name: str = "Test",
        chat_id: int | None = None,
    ) -> int:
        """Queue a photo message from a user (downloadable via ``getFile``); returns update_id."""
        message = self._user_message_base(user_id, language_code, first_name, None, chat_id)
        file_id = self.add_file(data, kind="photos", extension="jpg")
        message["photo"] = [
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": 640,
                "height": 480,
                "file_size": len(data),
            }
        ]
        if caption is not None:
            message["caption"] = caption
        return self.push_update({"message": message})

    def callback_query(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
        language_code: str = "fr",
        first_name: str = "Test",
    ) -> int:
        """Queue a button press carrying ``data``; returns the ``update_id``.

        ``message_id`` defaults to the bot's latest message in the chat. If the message is not
        known (the test never had the bot send it), a placeholder bot message is registered so
        that the bot may edit it.
        """
        chat = chat_id if chat_id is not None else user_id
        if message_id is None:
            ids = [mid for (c, mid), m in self._messages.items() if c == chat and _from_bot(m)]
            message_id = max(ids) if ids else None
        if message_id is None or (chat, message_id) not in self._messages:
            message = self._new_message(chat, {"text": "…"}, message_id=message_id)
        else:
            message = self._messages[(chat, message_id)]
        query_id = str(next(self._callback_ids))
        self._remember_user(user_id, first_name, None, language_code)
        return self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._users[user_id],
                    "message": message,
                    "chat_instance": f"ci{chat}",
                    "data": data,
                }
            }
        )

    def press_button(
        self,
        user_id: int,
        label: str,
        *,
        chat_id: int | None = None,
        message_id: int | None = None,
        language_code: str = "fr",
    ) -> int:
        """Press the inline button whose text (or callback_data) is ``label``.

        Looks in ``message_id`` or the newest bot message of the chat that has such a
        button, so a test cannot press a button the bot never showed.
        """
        chat = chat_id if chat_id is not None else user_id
        candidates = sorted(
            (
                (mid, m)
                for (c, mid), m in self._messages.items()
                if c == chat and (message_id is None or mid == message_id)
            ),
            key=lambda item: item[0],
            reverse=True,
        )
        for mid, message in candidates:
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            for button in itertools.chain.from_iterable(rows):
                if label in (button.get("text"), button.get("callback_data")):
                    if "callback_data" not in button:
                        raise ValueError(f"button {label!r} has no callback_data")
                    return self.callback_query(
                        user_id,
                        button["callback_data"],
                        message_id=mid,
                        chat_id=chat,
                        language_code=language_code,
                    )
        raise LookupError(f"no inline button {label!r} in chat {chat!r}")

    # ---- driving: state and faults -------------------------------------------------------

    def fail_next(
        self,
        method: str = "*",
        *,
        status: int | None = None,
        retry_after: int | None = None,
        description: str | None = None,
        close_connection: bool = False,
        stall_seconds: float = 0.0,
        times: int = 1,
    ) -> None:
        """Queue a fault for the next ``times`` calls of ``method`` (``"*"``: any method).

        Faults are consumed in order, method-specific queue first. Kinds:
        ``status=429`` (with ``retry_after``, default 1) → PTB ``RetryAfter``;
        ``status=502``/5xx → ``NetworkError``; ``close_connection=True`` drops the socket
        without answering; ``stall_seconds=X`` waits X s and then answers normally (or with
        ``status`` if also given) — the call still takes effect, like a slow Telegram.
        """
        if method != "*" and self.spec.method(method) is None:
            raise ValueError(f"unknown Bot API method {method!r}")
        if status == HTTPStatus.TOO_MANY_REQUESTS and retry_after is None:
            retry_after = 1
        if status is None and not close_connection and not stall_seconds:
            status = HTTPStatus.INTERNAL_SERVER_ERROR
        fault = Fault(status, retry_after, description, close_connection, stall_seconds)
        key = "*" if method == "*" else method.lower()
        self._faults.setdefault(key, deque()).extend([fault] * times)

    def set_response(self, method: str, result: ResponseOverride) -> None:
        """Answer ``method`` with ``result`` (or ``result(params)``) after validation."""
        spec = self.spec.method(method)
        if spec is None:
            raise ValueError(f"unknown Bot API method {method!r}")
        self._overrides[spec.name] = result

    def block_user(self, chat_id: int | str) -> None:
        """Make sends to ``chat_id`` fail with 403 "bot was blocked by the user"."""
        self._blocked.add(chat_id)

    def add_file(self, data: bytes, *, kind: str = "documents", extension: str = "bin") -> str:
        """Register downloadable bytes; returns a ``file_id`` usable with ``getFile``."""
        number = next(self._file_ids)
        file_id = f"FILE{number:06d}"
        path = f"{kind}/file_{number}.{extension}"
        self._files[file_id] = (path, UploadedFile("file", path.rsplit("/", 1)[1], None, data))
        return file_id

    def file_bytes(self, file_id: str) -> bytes:
        """Bytes behind a ``file_id`` (uploaded by the bot or registered by a test)."""
        return self._files[file_id][1].data

    def commands(self, scope: str = "default", language_code: str = "") -> list[JsonDict]:
        """Commands last set by ``setMyCommands`` for that scope type and language."""
        return self._commands.get(f"{scope}:{language_code}", [])

    # ---- internals: change notification --------------------------------------------------

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def _changed(self, at_most: float) -> None:
        """Sleep until the next state change (request, update, stop) or ``at_most`` seconds."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await asyncio.wait_for(fut, at_most)
        except TimeoutError:
            pass
        finally:
            if fut in self._waiters:
                self._waiters.remove(fut)

    # ---- internals: HTTP -----------------------------------------------------------------

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            # Only stop() cancels these server-owned tasks. Ending normally matters on 3.11:
            # asyncio.streams calls task.exception() on a cancelled task and logs an error.
            pass
        finally:
            self._handlers.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Keep-alive loop: one request at a time per connection, as httpx uses it."""
        while not self._closing:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return
            lines = head.decode("latin-1").split("\r\n")
            try:
                verb, target, version = lines[0].split(" ", 2)
            except ValueError:
                return
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if ":" in line:
                    key, _, value = line.partition(":")
                    headers[key.strip().lower()] = value.strip()
            if headers.get("transfer-encoding", "").lower() == "chunked":
                body = await _read_chunked(reader)
            else:
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
            split = urlsplit(target)
            request = _HttpRequest(verb.upper(), unquote(split.path), split.query, headers, body)
            connection = headers.get("connection", "").lower()
            keep_alive = (
                connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
            )
            response = await self._dispatch(request, reader)
            if response is None:  # injected fault: drop the connection without answering
                return
            phrase = _phrase(response.status)
            writer.write(
                (
                    f"HTTP/1.1 {response.status} {phrase}\r\n"
                    f"Content-Type: {response.content_type}\r\n"
                    f"Content-Length: {len(response.body)}\r\n"
                    f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n"
                    "Server: fake-bot-api\r\n\r\n"
                ).encode("latin-1")
                + response.body
            )
            await writer.drain()
            if not keep_alive:
                return

    async def _dispatch(
        self, request: _HttpRequest, reader: asyncio.StreamReader
    ) -> _HttpResponse | None:
        """Route one HTTP request; ``None`` means "close the connection without answering"."""
        path = request.path
        if path.startswith("/file/bot"):
            return self._serve_file(path)
        match = re.fullmatch(r"/bot([^/]+)/([^/]*)", path)
        if match is None:
            return _json_response(404, _error_payload(404, "Not Found"))
        token, method_name = match.groups()
        if token != self.token:
            self._error(method_name, "Unauthorized (wrong token)", {})
            return _json_response(401, _error_payload(401, "Unauthorized"))
        spec = self.spec.method(method_name)
        if spec is None:
            self._error(method_name, "Not Found: method not found", {})
            return _json_response(404, _error_payload(404, "Not Found: method not found"))
        try:
            raw, files = self._parse_params(request)
        except _ApiError as exc:
            self._error(spec.name, exc.description, {})
            return _json_response(exc.status, _error_payload(exc.status, exc.description))
        record = RecordedRequest(spec.name, dict(raw), files, time.monotonic(), request.method)
        self.requests.append(record)
        # A waiting long poll is the bot being idle, so getUpdates is not "activity".
        active = spec.name != "getUpdates"
        self._in_flight += active
        if active:
            self._last_activity = time.monotonic()
        self._notify()
        try:
            return await self._answer(spec, record, raw, reader)
        finally:
            self._in_flight -= active
            if active:
                self._last_activity = time.monotonic()
            self._notify()

    async def _answer(
        self,
        spec: MethodSpec,
        record: RecordedRequest,
        raw: JsonDict,
        reader: asyncio.StreamReader,
    ) -> _HttpResponse | None:
        if self.latency:
            await asyncio.sleep(self.latency)
        fault = self._pop_fault(spec.name)
        record.fault = fault
        try:
            if fault is not None:
                if fault.stall_seconds:
                    await asyncio.sleep(fault.stall_seconds)
                if fault.close_connection:
                    return None
                if fault.status is not None:
                    raise self._fault_error(fault)
            self._check_rate_limit(spec.name)
            params = self._validate(spec, raw, record.files)
            record.params = params
            result = await self._handle(spec, params, record, reader)
        except _ApiError as exc:
            record.status, record.error = exc.status, exc.description
            if exc.validation:
                self._error(spec.name, exc.description, record.params)
            return _json_response(
                exc.status, _error_payload(exc.status, exc.description, exc.parameters)
            )
        record.status, record.result = HTTPStatus.OK, result
        self._after_success(spec.name, record)
        return _json_response(HTTPStatus.OK, {"ok": True, "result": result})

    def _serve_file(self, path: str) -> _HttpResponse:
        prefix = f"/file/bot{self.token}/"
        if not path.startswith(prefix):
            return _json_response(401, _error_payload(401, "Unauthorized"))
        wanted = path.removeprefix(prefix)
        for file_path, stored in self._files.values():
            if file_path == wanted:
                return _HttpResponse(200, stored.data, "application/octet-stream")
        return _json_response(404, _error_payload(404, "Not Found"))

    def _parse_params(self, request: _HttpRequest) -> tuple[JsonDict, dict[str, UploadedFile]]:
        params: JsonDict = dict(parse_qsl(request.query, keep_blank_values=True))
        files: dict[str, UploadedFile] = {}
        content_type = request.headers.get("content-type", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        if not request.body:
            return params, files
        try:
            if media_type == "application/json":
                payload = json.loads(request.body)
                if not isinstance(payload, dict):
                    raise _bad("JSON body must be an object")
                params.update(payload)
            elif media_type == "application/x-www-form-urlencoded":
                params.update(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
            elif media_type == "multipart/form-data":
                fields, files = _parse_multipart(request.body, content_type)
                params.update(fields)
            else:
                raise _bad(f"unsupported Content-Type {media_type!r}")
        except (ValueError, UnicodeDecodeError) as exc:
            if isinstance(exc, _ApiError):
                raise
            raise _bad(f"can't parse request body: {exc}") from exc
        return params, files

    # ---- internals: validation -----------------------------------------------------------

    def _error(self, method: str, description: str, params: JsonDict) -> None:
        shown = repr(params)
        if len(shown) > 300:
            shown = shown[:297] + "..."
        self.errors.append(f"{method}: {description} (params={shown})")

    def _validate(
        self, spec: MethodSpec, raw: JsonDict, files: dict[str, UploadedFile]
    ) -> JsonDict:
        """Check required/unknown parameters, decode and type-check values, then run the
        method-specific checks Telegram applies (text, keyboards, commands …)."""
        attach_names = {
            m.group(1)
            for value in raw.values()
            if isinstance(value, str)
            for m in re.finditer(r"attach://([A-Za-z0-9_.-]+)", value)
        }
        for name in files:
            if name not in spec.fields and name not in attach_names:
                raise _bad(f'unknown parameter "{name}" (file part) for method {spec.name}')
        for name in raw:
            if name not in spec.fields:
                raise _bad(f'unknown parameter "{name}" for method {spec.name}')
        for f in spec.fields.values():
            if f.required and f.name not in raw and f.name not in files:
                raise _bad(f'parameter "{f.name}" is required')
        params: JsonDict = {}
        for name, value in raw.items():
            field_spec = spec.fields[name]
            decoded = self._decode_param(field_spec, value)
            problem = self._type_problem(decoded, field_spec.types, name, depth=0)
            if problem:
                raise _bad(problem)
            params[name] = decoded
        for name, value in params.items():
            attached = isinstance(value, str) and value.startswith("attach://")
            if attached and value.removeprefix("attach://") not in files:
                raise _bad(f"file for {name} ({value}) was not uploaded")
        self._semantic_checks(spec.name, params)
        return params

    def _decode_param(self, field_spec: FieldSpec, value: Any) -> Any:
        """Form values are strings; turn them into what the spec's types say (JSON-decoded)."""
        if not isinstance(value, str):
            return value
        types = field_spec.types
        if "Integer" in types:
            with contextlib.suppress(ValueError):
                return int(value)
        if "Float" in types:
            with contextlib.suppress(ValueError):
                return float(value)
        if "Boolean" in types or "True" in types:
            lowered = value.lower()
            if lowered in {"true", "1"}:
                return True
            if lowered in {"false", "0"}:
                return False
        if "String" in types or "InputFile" in types:
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(f"can't parse {field_spec.name} JSON object") from None

    def _type_problem(
        self, value: Any, types: Sequence[str], where: str, depth: int
    ) -> str | None:
        """Why ``value`` matches none of ``types`` (``None`` when it matches one)."""
        problems = []
        for type_name in types:
            problem = self._match_type(value, type_name, where, depth)
            if problem is None:
                return None
            problems.append(problem)
        return problems[0] if len(problems) == 1 else f"invalid {where}: " + "; ".join(problems)

    def _match_type(self, value: Any, type_name: str, where: str, depth: int) -> str | None:
        if depth > 12:
            return None
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return f"{where} must be an array"
            inner = type_name.removeprefix("Array of ")
            for index, item in enumerate(value):
                problem = self._match_type(item, inner, f"{where}[{index}]", depth + 1)
                if problem:
                    return problem
            return None
        scalar_checks: dict[str, Callable[[Any], bool]] = {
            "String": lambda v: isinstance(v, str),
            "InputFile": lambda v: isinstance(v, str),
            "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "Boolean": lambda v: isinstance(v, bool),
            "True": lambda v: v is True,
        }
        if type_name in scalar_checks:
            ok = scalar_checks[type_name](value)
            return None if ok else f"{where} must be {type_name}, got {type(value).__name__}"
        if type_name == "KeyboardButton" and isinstance(value, str):
            return None  # Telegram accepts plain strings as reply keyboard buttons
        type_spec = self.spec.types.get(type_name)
        if type_spec is None:
            return None
        if type_spec.subtypes:
            return self._type_problem(value, type_spec.subtypes, where, depth + 1)
        if not isinstance(value, dict):
            return f"{where} must be a JSON object ({type_name})"
        for key in value:
            if key not in type_spec.fields:
                return f'unknown field "{key}" in {where} ({type_name})'
        for f in type_spec.fields.values():
            if f.required and f.name not in value:
                return f'field "{f.name}" is required in {where} ({type_name})'
            if f.name in value:
                problem = self._type_problem(
                    value[f.name], f.types, f"{where}.{f.name}", depth + 1
                )
                if problem:
                    return problem
        return None

    def _semantic_checks(self, method: str, params: JsonDict) -> None:
        if "text" in params and method in {"sendMessage", "editMessageText"}:
            parsed = self._parse_text(params["text"], params.get("parse_mode"))
            if not parsed.text.strip():
                raise _bad("message text is empty")
            if utf16_len(parsed.text) > _TEXT_LIMIT:
                raise _bad("message is too long")
        if isinstance(params.get("caption"), str):
            parsed = self._parse_text(params["caption"], params.get("parse_mode"))
            if utf16_len(parsed.text) > _CAPTION_LIMIT:
                raise _bad("message caption is too long")
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            _check_reply_markup(markup)
        addressed = "inline_message_id" in params or {"chat_id", "message_id"} <= set(params)
        if method == "editMessageText" and not addressed:
            raise _bad("message identifier is not specified")
        if method == "sendChatAction" and params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        if method == "answerCallbackQuery":
            if str(params["callback_query_id"]) not in self._open_callbacks:
                raise _bad("query is too old and response timeout expired or query ID is invalid")
            if utf16_len(str(params.get("text", ""))) > _CALLBACK_ANSWER_LIMIT:
                raise _bad("MESSAGE_TOO_LONG")
        if method == "setMyCommands":
            commands = params["commands"]
            if len(commands) > 100:
                raise _bad("BOT_COMMANDS_TOO_MUCH")
            for command in commands:
                if not _SET_COMMAND_RE.fullmatch(command["command"]):
                    raise _bad("BOT_COMMAND_INVALID")
                if not 1 <= len(command["description"]) <= 256:
                    raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        if method == "getUpdates" and self._webhook_url:
            raise _ApiError(
                HTTPStatus.CONFLICT,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )

    @staticmethod
    def _parse_text(text: str, parse_mode: Any) -> ParsedText:
        mode = str(parse_mode).lower() if parse_mode else ""
        if mode == "html":
            try:
                return parse_html(text)
            except EntityParseError as exc:
                raise _bad(f"can't parse entities: {exc}") from None
        if mode not in {"", "markdown", "markdownv2"}:
            raise _bad("unsupported parse_mode")
        return ParsedText(text, [])

    def _check_rate_limit(self, method: str) -> None:
        if self.rate_limit_per_second is None or method not in MESSAGE_METHODS:
            return
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= self.rate_limit_per_second:
            self.rate_limited_calls += 1
            retry_after = max(1, math.ceil(self._window[0] + 1.0 - now))
            raise _ApiError(
                HTTPStatus.TOO_MANY_REQUESTS,
                f"Too Many Requests: retry after {retry_after}",
                parameters={"retry_after": retry_after},
                validation=False,
            )
        self._window.append(now)

    def _pop_fault(self, method: str) -> Fault | None:
        for key in (method.lower(), "*"):
            queue = self._faults.get(key)
            if queue:
                return queue.popleft()
        return None

    @staticmethod
    def _fault_error(fault: Fault) -> _ApiError:
        status = fault.status or HTTPStatus.INTERNAL_SERVER_ERROR
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            retry_after = fault.retry_after or 1
            return _ApiError(
                status,
                fault.description or f"Too Many Requests: retry after {retry_after}",
                parameters={"retry_after": retry_after},
                validation=False,
            )
        return _ApiError(status, fault.description or _phrase(status), validation=False)

    # ---- internals: method behaviour -----------------------------------------------------

    async def _handle(
        self,
        spec: MethodSpec,
        params: JsonDict,
        record: RecordedRequest,
        reader: asyncio.StreamReader,
    ) -> Any:
        chat_id = params.get("chat_id")
        if chat_id is not None and chat_id in self._blocked and spec.name != "getChat":
            raise _ApiError(
                HTTPStatus.FORBIDDEN, "Forbidden: bot was blocked by the user", validation=False
            )
        if spec.name == "getUpdates":
            return await self._get_updates(params, reader)
        if spec.name in self._overrides:
            override = self._overrides[spec.name]
            return override(params) if callable(override) else override
        handler = getattr(self, f"_m_{spec.name}", None)
        if handler is not None:
            return handler(params, record)
        # Generic fall-backs so PTB can always deserialise the answer of a send method.
        if spec.returns == ("Message",) and chat_id is not None:
            return self._new_message(chat_id, {})
        if spec.returns == ("Array of Message",) and chat_id is not None:
            return [self._new_message(chat_id, {}) for _ in params.get("media", [None])]
        return True

    async def _get_updates(self, params: JsonDict, reader: asyncio.StreamReader) -> Any:
        """Offset/limit/allowed_updates semantics plus long polling that ends early."""
        self._poll_generation += 1
        generation = self._poll_generation
        offset = int(params.get("offset") or 0)
        if offset > 0:
            self._queue = [u for u in self._queue if u["update_id"] >= offset]
        elif offset < 0:
            self._queue = self._queue[offset:]
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"])
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(float(params.get("timeout") or 0), 0.0)
        while True:
            ready = [u for u in self._queue if self._wanted(u)][:limit]
            if ready:
                self._max_delivered = max(self._max_delivered, ready[-1]["update_id"])
                return ready
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing or reader.at_eof():
                return []
            if generation != self._poll_generation:
                raise _ApiError(
                    HTTPStatus.CONFLICT,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                    validation=False,
                )
            await self._changed(min(remaining, 0.05))

    def _wanted(self, update: JsonDict) -> bool:
        kinds = set(update) - {"update_id"}
        if self._allowed_updates:
            return bool(kinds & set(self._allowed_updates))
        return not kinds <= _OPT_IN_UPDATES

    def _m_getMe(self, params: JsonDict, record: RecordedRequest) -> Any:
        return dict(self.bot_user)

    def _m_logOut(self, params: JsonDict, record: RecordedRequest) -> Any:
        return True

    def _m_deleteWebhook(self, params: JsonDict, record: RecordedRequest) -> Any:
        self._webhook_url = ""
        if params.get("drop_pending_updates"):
            self._queue.clear()
        return True

    def _m_setWebhook(self, params: JsonDict, record: RecordedRequest) -> Any:
        self._webhook_url = str(params["url"])
        if params.get("drop_pending_updates"):
            self._queue.clear()
        return True

    def _m_getWebhookInfo(self, params: JsonDict, record: RecordedRequest) -> Any:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }

    def _m_setMyCommands(self, params: JsonDict, record: RecordedRequest) -> Any:
        key = self._commands_key(params)
        self._commands[key] = list(params["commands"])
        return True

    def _m_deleteMyCommands(self, params: JsonDict, record: RecordedRequest) -> Any:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _m_getMyCommands(self, params: JsonDict, record: RecordedRequest) -> Any:
        return self._commands.get(self._commands_key(params), [])

    @staticmethod
    def _commands_key(params: JsonDict) -> str:
        scope = params.get("scope") or {"type": "default"}
        return f"{scope.get('type', 'default')}:{params.get('language_code', '')}"

    def _m_getChat(self, params: JsonDict, record: RecordedRequest) -> Any:
        chat = self._chat(params["chat_id"])
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,  # PTB 22.8 (API 9.3) requires it
            },
        }

    def _m_getFile(self, params: JsonDict, record: RecordedRequest) -> Any:
        file_id = str(params["file_id"])
        if file_id not in self._files:
            raise _bad("invalid file_id")
        path, stored = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(stored.data),
            "file_path": path,
        }

    def _m_sendMessage(self, params: JsonDict, record: RecordedRequest) -> Any:
        parsed = self._parse_text(params["text"], params.get("parse_mode"))
        content: JsonDict = {"text": parsed.text}
        entities = parsed.entities or params.get("entities")
        if entities:
            content["entities"] = entities
        return self._new_message(params["chat_id"], content, params.get("reply_markup"))

    def _m_sendDocument(self, params: JsonDict, record: RecordedRequest) -> Any:
        content = self._caption(params)
        upload = record.files.get("document")
        if upload is not None:
            file_id = self._store_upload(upload, "documents")
            content["document"] = {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_name": upload.filename,
                "mime_type": upload.content_type or "application/octet-stream",
                "file_size": len(upload.data),
            }
        else:
            content["document"] = {"file_id": params["document"], "file_unique_id": "remote"}
        return self._new_message(params["chat_id"], content, params.get("reply_markup"))

    def _m_sendPhoto(self, params: JsonDict, record: RecordedRequest) -> Any:
        content = self._caption(params)
        upload = record.files.get("photo")
        file_id = self._store_upload(upload, "photos") if upload else str(params["photo"])
        size = len(upload.data) if upload else 0
        content["photo"] = [
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": 800,
                "height": 600,
                "file_size": size,
            }
        ]
        return self._new_message(params["chat_id"], content, params.get("reply_markup"))

    def _m_editMessageText(self, params: JsonDict, record: RecordedRequest) -> Any:
        parsed = self._parse_text(params["text"], params.get("parse_mode"))
        content: JsonDict = {"text": parsed.text}
        entities = parsed.entities or params.get("entities")
        if entities:
            content["entities"] = entities
        return self._edit(params, content)

    def _m_editMessageCaption(self, params: JsonDict, record: RecordedRequest) -> Any:
        return self._edit(params, self._caption(params))

    def _m_editMessageReplyMarkup(self, params: JsonDict, record: RecordedRequest) -> Any:
        return self._edit(params, {})

    def _m_deleteMessage(self, params: JsonDict, record: RecordedRequest) -> Any:
        key = (params["chat_id"], params["message_id"])
        if self.strict_edits and key not in self._messages:
            raise _bad("message to delete not found")
        self._messages.pop(key, None)
        return True

    def _m_answerCallbackQuery(self, params: JsonDict, record: RecordedRequest) -> Any:
        self._open_callbacks.discard(str(params["callback_query_id"]))
        return True

    # ---- internals: messages -------------------------------------------------------------

    def _caption(self, params: JsonDict) -> JsonDict:
        content: JsonDict = {}
        if isinstance(params.get("caption"), str):
            parsed = self._parse_text(params["caption"], params.get("parse_mode"))
            content["caption"] = parsed.text
            entities = parsed.entities or params.get("caption_entities")
            if entities:
                content["caption_entities"] = entities
        return content

    def _store_upload(self, upload: UploadedFile, kind: str) -> str:
        extension = (upload.filename or "file.bin").rsplit(".", 1)[-1]
        file_id = self.add_file(upload.data, kind=kind, extension=extension)
        self._files[file_id] = (self._files[file_id][0], upload)
        return file_id

    def _edit(self, params: JsonDict, content: JsonDict) -> Any:
        if "inline_message_id" in params:
            return True
        key = (params["chat_id"], params["message_id"])
        markup = params.get("reply_markup")
        current = self._messages.get(key)
        if current is None:
            if self.strict_edits:
                raise _bad("message to edit not found")
            return self._new_message(key[0], content, markup, message_id=key[1])
        if self.strict_edits and not _from_bot(current):
            raise _bad("message can't be edited")
        updated = {k: v for k, v in current.items() if k not in {"reply_markup", "edit_date"}}
        if "text" in content:
            updated.pop("entities", None)
        if "caption" in content or "caption" in params:
            updated.pop("caption", None)
            updated.pop("caption_entities", None)
        updated.update(content)
        if markup and "inline_keyboard" in markup:
            updated["reply_markup"] = markup
        unchanged = updated == {k: v for k, v in current.items() if k != "edit_date"}
        if self.strict_edits and unchanged:
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        updated["edit_date"] = int(time.time())
        self._messages[key] = updated
        return updated

    def _new_message(
        self,
        chat_id: int | str,
        content: JsonDict,
        markup: JsonDict | None = None,
        *,
        message_id: int | None = None,
        sender: JsonDict | None = None,
    ) -> JsonDict:
        chat = self._chat(chat_id)
        last = self._last_message_id.get(chat_id, 0)
        if message_id is None:
            message_id = last + 1
        self._last_message_id[chat_id] = max(last, message_id)
        message: JsonDict = {
            "message_id": message_id,
            "from": sender or self.bot_user_short(),
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        if markup and "inline_keyboard" in markup:
            # Telegram only echoes inline keyboards; reply keyboards live client-side.
            message["reply_markup"] = markup
        self._messages[(chat_id, message_id)] = message
        return message

    def bot_user_short(self) -> JsonDict:
        """The bot as it appears in ``from`` of its messages (no capability flags)."""
        return {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}

    def _chat(self, chat_id: int | str) -> JsonDict:
        if isinstance(chat_id, str):
            return {
                "id": -1001000000000 - sum(map(ord, chat_id)),
                "type": "channel",
                "title": chat_id.lstrip("@"),
                "username": chat_id.lstrip("@"),
            }
        if chat_id > 0:
            user = self._users.get(chat_id, {})
            chat: JsonDict = {"id": chat_id, "type": "private"}
            chat["first_name"] = user.get("first_name", "Test")
            if "username" in user:
                chat["username"] = user["username"]
            return chat
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}

    def _remember_user(
        self, user_id: int, first_name: str, username: str | None, language_code: str
    ) -> None:
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user

    def _user_message_base(
        self,
        user_id: int,
        language_code: str,
        first_name: str,
        username: str | None,
        chat_id: int | None,
    ) -> JsonDict:
        self._remember_user(user_id, first_name, username, language_code)
        chat = chat_id if chat_id is not None else user_id
        return self._new_message(chat, {}, sender=self._users[user_id])

    def _after_success(self, method: str, record: RecordedRequest) -> None:
        if method not in MESSAGE_METHODS or not isinstance(record.result, dict):
            return
        params = record.params
        is_text = method in {"sendMessage", "editMessageText"}
        raw_text = str(params.get("text" if is_text else "caption", ""))
        result = record.result
        file = next(iter(record.files.values()), None)
        self._sent.append(
            SentMessage(
                method=method,
                chat_id=params["chat_id"],
                message_id=int(result["message_id"]),
                text=str(result.get("text" if is_text else "caption", "")),
                raw_text=raw_text,
                parse_mode=params.get("parse_mode"),
                entities=list(result.get("entities" if is_text else "caption_entities", [])),
                reply_markup=params.get("reply_markup"),
                file=file,
                request=record,
            )
        )


def _from_bot(message: JsonDict) -> bool:
    return bool(message.get("from", {}).get("is_bot"))


def _check_reply_markup(markup: JsonDict) -> None:
    """Button rules Telegram enforces beyond the schema (byte limits, one action per button)."""
    if "inline_keyboard" in markup:
        buttons = list(itertools.chain.from_iterable(markup["inline_keyboard"]))
        if len(buttons) > _MAX_INLINE_BUTTONS:
            raise _bad("BUTTONS_TOO_MUCH")
        for button in buttons:
            if not str(button.get("text", "")).strip():
                raise _bad("BUTTON_TEXT_INVALID")
            actions = [k for k in button if k != "text"]
            if not actions:
                raise _bad("text buttons are unallowed in the inline keyboard")
            if len(actions) > 1:
                raise _bad(f"inline keyboard button has several actions: {actions}")
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode("utf-8"))
                if not 1 <= size <= _CALLBACK_DATA_LIMIT:
                    raise _bad("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"(https?|tg)://\S+$", str(button["url"])):
                raise _bad(f"inline keyboard button URL '{button['url']}' is invalid")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not rows or not all(rows):
            raise _bad("keyboard must be non-empty")
        for button in itertools.chain.from_iterable(rows):
            text = button if isinstance(button, str) else button.get("text", "")
            if not str(text).strip():
                raise _bad("BUTTON_TEXT_INVALID")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)
