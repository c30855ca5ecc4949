"""Validators for the join flow's free-text answers.

Each validator takes what the user typed (`None` when they sent a sticker, a photo…) and returns
either `Valid(value)` with the normalised value or `Invalid(error)` with a machine-readable
`FieldError`. User-facing messages are not here: they live in the translated catalogue, keyed by
`FieldError` values. Validators never raise, whatever the input.

    match validate_email(answer):
        case Valid(email): ...
        case Invalid(error): reply(catalogue[f"error.{error}"])

`company_key` is the normalised key used to spot two join requests for the same company.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Generic, TypeVar

import phonenumbers

T = TypeVar("T")

COMPANY_NAME_MAX_LENGTH: Final = 200
ACTIVITY_MAX_LENGTH: Final = 1000
CONTACT_NAME_MAX_LENGTH: Final = 120
EMAIL_MAX_LENGTH: Final = 254
_EMAIL_LOCAL_MAX_LENGTH: Final = 64
_DOMAIN_LABEL_MAX_LENGTH: Final = 63


class FieldError(StrEnum):
    """Why an answer was refused; the value is the catalogue key suffix."""

    NOT_TEXT = "not_text"  # a sticker, photo, voice note… instead of text
    EMPTY = "empty"
    TOO_LONG = "too_long"
    INVALID_CHARACTERS = "invalid_characters"  # control characters, or letters in a number
    WRONG_LENGTH = "wrong_length"  # enterprise number: not 9 or 10 digits
    BAD_FIRST_DIGIT = "bad_first_digit"  # enterprise number: must start with 0 or 1
    INVALID_CHECKSUM = "invalid_checksum"  # enterprise number: modulo-97 check fails
    INVALID_EMAIL = "invalid_email"
    INVALID_PHONE = "invalid_phone"


@dataclass(frozen=True, slots=True)
class Valid(Generic[T]):
    """An accepted answer, normalised."""

    value: T


@dataclass(frozen=True, slots=True)
class Invalid:
    """A refused answer and why; `shaped` is the answer normalised when only its check digits
    are wrong (an enterprise number with a typo, or one the register does not know yet)."""

    error: FieldError
    shaped: str | None = None


Validation = Valid[str] | Invalid
"""What every validator returns."""


# --- free text -----------------------------------------------------------------------------------

_ALLOWED_CONTROL: Final = frozenset("\n\t")


def _has_forbidden_characters(text: str) -> bool:
    """Control characters (Cc) other than newline and tab, and lone surrogates (Cs).

    Format characters (Cf) are allowed on purpose: emoji ZWJ sequences and RTL/LTR marks use them.
    """
    return any(
        unicodedata.category(char) in ("Cc", "Cs") and char not in _ALLOWED_CONTROL
        for char in text
    )


def validate_free_text(text: str | None, *, max_length: int) -> Validation:
    """Company name, activity, contact name: anything printable, returned exactly as typed.

    Only surrounding whitespace is stripped. HTML, Markdown, SQL, emoji, RTL text and spreadsheet
    formulas are accepted verbatim: escaping is the job of whoever renders or exports the value.
    `max_length` counts code points after stripping.
    """
    if text is None:
        return Invalid(FieldError.NOT_TEXT)
    stripped = text.strip()
    if not stripped:
        return Invalid(FieldError.EMPTY)
    if len(stripped) > max_length:
        return Invalid(FieldError.TOO_LONG)
    if _has_forbidden_characters(stripped):
        return Invalid(FieldError.INVALID_CHARACTERS)
    return Valid(stripped)


# --- Belgian enterprise number -------------------------------------------------------------------

_ENTERPRISE_SEPARATORS: Final = re.compile(r"[\s.\-]+")
_ASCII_DIGITS: Final = frozenset("0123456789")


def enterprise_check_digits(first_eight: str) -> int:
    """The modulo-97 check of a Belgian enterprise number: 97 - (first 8 digits mod 97)."""
    return 97 - int(first_eight) % 97


def validate_enterprise_number(text: str | None) -> Validation:
    """Belgian enterprise number (BCE/KBO), normalised to "0123.456.749".

    Accepts an optional "BE" prefix (any case), dots, spaces and dashes, and the old 9-digit VAT
    form (a 0 is prefixed). The 10 digits must start with 0 or 1 and pass the modulo-97 check.
    """
    if text is None:
        return Invalid(FieldError.NOT_TEXT)
    stripped = text.strip()
    if not stripped:
        return Invalid(FieldError.EMPTY)
    compact = _ENTERPRISE_SEPARATORS.sub("", stripped)
    if compact[:2].upper() == "BE":
        compact = compact[2:]
    if not set(compact) <= _ASCII_DIGITS:
        return Invalid(FieldError.INVALID_CHARACTERS)
    if len(compact) == 9:
        compact = "0" + compact
    if len(compact) != 10:
        return Invalid(FieldError.WRONG_LENGTH)
    if compact[0] not in "01":
        return Invalid(FieldError.BAD_FIRST_DIGIT)
    if enterprise_check_digits(compact[:8]) != int(compact[8:]):
        return Invalid(FieldError.INVALID_CHECKSUM, f"{compact[:4]}.{compact[4:7]}.{compact[7:]}")
    return Valid(f"{compact[:4]}.{compact[4:7]}.{compact[7:]}")


# --- e-mail --------------------------------------------------------------------------------------

# Characters that never belong in a pragmatic local part; they usually mean the user pasted
# "Jean <jean@example.be>" or a list of addresses.
_LOCAL_FORBIDDEN: Final = frozenset('<>()[]\\,;:"')


def _valid_local_part(local: str) -> bool:
    return (
        0 < len(local) <= _EMAIL_LOCAL_MAX_LENGTH
        and not local.startswith(".")
        and not local.endswith(".")
        and ".." not in local
        and not any(
            char.isspace() or char in _LOCAL_FORBIDDEN or not char.isprintable() for char in local
        )
    )


def _valid_domain_label(label: str) -> bool:
    """Letters (any script, so IDN domains pass), digits, combining marks and inner hyphens."""
    return (
        0 < len(label) <= _DOMAIN_LABEL_MAX_LENGTH
        and not label.startswith("-")
        and not label.endswith("-")
        and all(char == "-" or unicodedata.category(char)[0] in "LMN" for char in label)
    )


def validate_email(text: str | None) -> Validation:
    """A pragmatic e-mail check: returned stripped, with the domain lowercased.

    One "@"; a local part without spaces; a domain of at least two valid labels whose last
    (the TLD) is not all digits; at most 254 characters (longer gives TOO_LONG).
    Unicode domains and local parts are accepted as typed (no punycode conversion).
    """
    if text is None:
        return Invalid(FieldError.NOT_TEXT)
    stripped = text.strip()
    if not stripped:
        return Invalid(FieldError.EMPTY)
    if len(stripped) > EMAIL_MAX_LENGTH:
        return Invalid(FieldError.TOO_LONG)
    if stripped.count("@") != 1:
        return Invalid(FieldError.INVALID_EMAIL)
    local, domain = stripped.split("@")
    domain = domain.lower()
    labels = domain.split(".")
    if (
        not _valid_local_part(local)
        or len(labels) < 2
        or not all(_valid_domain_label(label) for label in labels)
        or labels[-1].isdigit()
    ):
        return Invalid(FieldError.INVALID_EMAIL)
    return Valid(f"{local}@{domain}")


# --- phone ---------------------------------------------------------------------------------------


def validate_phone(text: str | None, default_region: str = "BE") -> Validation:
    """A phone number, validated with libphonenumber's data and returned in E.164 ("+32471…").

    National numbers are read in `default_region`; "+33 …" and "0033 …" forms work everywhere.
    An extension ("… ext. 12") is accepted but dropped, since E.164 has no room for it.
    """
    if text is None:
        return Invalid(FieldError.NOT_TEXT)
    stripped = text.strip()
    if not stripped:
        return Invalid(FieldError.EMPTY)
    try:
        number = phonenumbers.parse(stripped, default_region)
    except phonenumbers.NumberParseException:
        return Invalid(FieldError.INVALID_PHONE)
    if not phonenumbers.is_valid_number(number):
        # A number written with its country code, of a possible length, whose range
        # libphonenumber does not know (a new mobile range abroad) comes back shaped: the form
        # keeps it with a warning. A national number ("06 …" read as Belgian) is refused, to be
        # written with its country code.
        international = re.match(r"(?:\+|00)\s*[1-9]", stripped) is not None
        possible = international and phonenumbers.is_possible_number(number)
        shaped = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return Invalid(FieldError.INVALID_PHONE, shaped if possible else None)
    return Valid(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


# --- duplicate detection -------------------------------------------------------------------------

LEGAL_FORMS: Final = frozenset(
    {
        # the forms named in the spec
        *("sa", "srl", "sprl", "asbl", "scrl", "bv", "nv", "ltd", "sas", "gmbh"),
        # a few more common in Belgium and its neighbours
        *("sprlu", "sc", "scs", "snc", "sarl", "bvba", "cvba", "vzw", "ag", "inc", "llc", "plc"),
    }
)
"""Legal-form suffixes `company_key` ignores, written as they are after normalisation."""

# Removed outright, so "s.a." becomes "sa" and "l'atelier" becomes "latelier";
# every other non-alphanumeric character separates words ("Dupont-Durand" = "Dupont Durand").
_JOINING_PUNCTUATION: Final = frozenset(".'’`´")


def company_key(name: str) -> str:
    """The key two names of the same company share, for duplicate detection.

    Casefolded, accents stripped, punctuation removed, whitespace collapsed, trailing legal forms
    dropped: "Plastiques Dupont SA", "plastiques dupont s.a." and "PLASTIQUES  DUPONT" all give
    "plastiques dupont". A name that is nothing but a legal form keeps it ("SA" gives "sa").
    """
    # NFKD both sides of casefold: compatibility forms ("ℌ", "ﬁ") may decompose to capitals, and
    # casefolding may produce combining marks ("İ" → "i" + dot above).
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", name).casefold())
    chars: list[str] = []
    for char in decomposed:
        if unicodedata.category(char) == "Mn" or char in _JOINING_PUNCTUATION:
            continue
        chars.append(char if char.isalnum() else " ")
    words = "".join(chars).split()
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return " ".join(words)
