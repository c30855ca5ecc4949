from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.leads.validation import (
    ACTIVITY_MAX_LENGTH,
    COMPANY_NAME_MAX_LENGTH,
    CONTACT_NAME_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    FieldError,
    Invalid,
    Valid,
    Validation,
    company_key,
    enterprise_check_digits,
    validate_email,
    validate_enterprise_number,
    validate_free_text,
    validate_phone,
)

# --- free text -----------------------------------------------------------------------------------


def test_max_length_constants() -> None:
    assert (COMPANY_NAME_MAX_LENGTH, ACTIVITY_MAX_LENGTH, CONTACT_NAME_MAX_LENGTH) == (
        200,
        1000,
        120,
    )


def test_free_text_strips_surrounding_whitespace() -> None:
    assert validate_free_text("  Plastiques Dupont \n", max_length=200) == Valid(
        "Plastiques Dupont"
    )


def test_free_text_none_is_not_text() -> None:
    assert validate_free_text(None, max_length=200) == Invalid(FieldError.NOT_TEXT)


@pytest.mark.parametrize("text", ["", "   ", "\n\t \u00a0"])
def test_free_text_empty(text: str) -> None:
    assert validate_free_text(text, max_length=200) == Invalid(FieldError.EMPTY)


def test_free_text_length_limit_counts_after_strip() -> None:
    assert validate_free_text("x" * 120, max_length=120) == Valid("x" * 120)
    assert validate_free_text("  " + "x" * 120 + "  ", max_length=120) == Valid("x" * 120)
    assert validate_free_text("x" * 121, max_length=120) == Invalid(FieldError.TOO_LONG)


@pytest.mark.parametrize(
    "text",
    [
        "<b>Dupont</b> & <script>alert(1)</script>",
        "**Dupont** _SA_ [site](https://example.be)",
        "Robert'); DROP TABLE leads;--",
        '=HYPERLINK("http://evil","click")',
        "+32 formula?",
        "@SUM(A1:A9)",
        "Usine 🏭 👩‍🔬 recherche",  # ZWJ sequence
        "شركة البلاستيك",  # RTL
        "\u200fמפעל\u200e mixte",  # RTL / LTR marks
        "Line one\nLine two\ttabbed",
        "Œuvres & Cie — l’atelier",
    ],
)
def test_free_text_accepts_anything_printable_verbatim(text: str) -> None:
    assert validate_free_text(text, max_length=ACTIVITY_MAX_LENGTH) == Valid(text)


@pytest.mark.parametrize("text", ["Dupont\x00SA", "bell\x07", "a\rb", "esc\x1b[31m", "a\x7fb"])
def test_free_text_rejects_control_characters(text: str) -> None:
    assert validate_free_text(text, max_length=200) == Invalid(FieldError.INVALID_CHARACTERS)


# --- enterprise number ---------------------------------------------------------------------------


def test_check_digits_of_a_known_number() -> None:
    assert enterprise_check_digits("02032013") == 40  # 0203.201.340


@pytest.mark.parametrize(
    "text",
    [
        "0123.456.749",
        "BE 0123 456 749",
        "be0123456749",
        "BE0123.456.749",
        "0123-456-749",
        "123456749",
        "123.456.749",
        "  0123456749\n",
        "0123\u00a0456\u00a0749",  # non-breaking spaces from a copy-paste
    ],
)
def test_enterprise_number_forms(text: str) -> None:
    assert validate_enterprise_number(text) == Valid("0123.456.749")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0203.201.340", "0203.201.340"),
        ("BE0417497106", "0417.497.106"),
        ("1000.000.021", "1000.000.021"),  # second series, first digit 1
        ("0200.065.765", "0200.065.765"),
    ],
)
def test_enterprise_number_valid_examples(text: str, expected: str) -> None:
    assert validate_enterprise_number(text) == Valid(expected)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (None, FieldError.NOT_TEXT),
        ("", FieldError.EMPTY),
        ("   ", FieldError.EMPTY),
        ("0123.456.748", FieldError.INVALID_CHECKSUM),
        ("0203.201.341", FieldError.INVALID_CHECKSUM),
        ("01234567490", FieldError.WRONG_LENGTH),  # 11 digits
        ("12345678", FieldError.WRONG_LENGTH),
        ("BE", FieldError.WRONG_LENGTH),
        ("2123.456.749", FieldError.BAD_FIRST_DIGIT),
        ("0123.456.74A", FieldError.INVALID_CHARACTERS),
        ("FR 0123456749", FieldError.INVALID_CHARACTERS),
        ("０１２３４５６７４９", FieldError.INVALID_CHARACTERS),  # full-width digits
        ("0123/456/749", FieldError.INVALID_CHARACTERS),
    ],
)
def test_enterprise_number_invalid(text: str | None, error: FieldError) -> None:
    result = validate_enterprise_number(text)
    assert isinstance(result, Invalid)
    assert result.error == error
    # Only a number of the right shape comes back normalised (kept with a warning by the form).
    assert (result.shaped is not None) == (error is FieldError.INVALID_CHECKSUM)


@given(st.integers(min_value=0, max_value=19_999_999))
def test_enterprise_number_computed_check_digits_are_accepted(first_eight: int) -> None:
    digits = f"{first_eight:08d}"
    number = f"{digits}{enterprise_check_digits(digits):02d}"
    assert validate_enterprise_number(number) == Valid(f"{number[:4]}.{number[4:7]}.{number[7:]}")
    wrong = f"{digits}{(enterprise_check_digits(digits) % 97) + 1:02d}"
    shaped = f"{wrong[:4]}.{wrong[4:7]}.{wrong[7:]}"
    assert validate_enterprise_number(wrong) == Invalid(FieldError.INVALID_CHECKSUM, shaped)


# --- e-mail --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jean@example.be", "jean@example.be"),
        ("  Jean.Dupont+clusters@Example.BE ", "Jean.Dupont+clusters@example.be"),
        ("info@sub.domain.co.uk", "info@sub.domain.co.uk"),
        ("contact@société-wallonne.be", "contact@société-wallonne.be"),
        ("contact@SOCIÉTÉ.BE", "contact@société.be"),
        ("info@xn--socit-esab.be", "info@xn--socit-esab.be"),
        ("josé@exemple.fr", "josé@exemple.fr"),
        ("a@b.io", "a@b.io"),
    ],
)
def test_email_valid(text: str, expected: str) -> None:
    assert validate_email(text) == Valid(expected)


@pytest.mark.parametrize(
    "text",
    [
        "jean@",
        "jean.example.com",
        "a b@c.be",
        "@example.be",
        "jean@@example.be",
        "jean@exa@mple.be",
        "jean@localhost",
        "jean@example..be",
        "jean@.example.be",
        "jean@example.be.",
        "jean@-example.be",
        "jean@example-.be",
        "jean@exa_mple.be",
        "jean@exa mple.be",
        "jean@1.2.3.4",
        ".jean@example.be",
        "jean.@example.be",
        "je..an@example.be",
        "Jean <jean@example.be>",
        "jean@example.be, marie@example.be",
        "jean\x00@example.be",
        "x" * 65 + "@example.be",
    ],
)
def test_email_invalid(text: str) -> None:
    assert validate_email(text) == Invalid(FieldError.INVALID_EMAIL)


def test_email_length_limit() -> None:
    domain = ".".join(["a" * 60] * 3) + ".be"  # 185 characters
    local = "x" * 64
    assert len(f"{local}@{domain}") == 250
    assert validate_email(f"{local}@{domain}") == Valid(f"{local}@{domain}")
    long_domain = ".".join(["a" * 60] * 3) + "." + "b" * 7
    assert len(f"{local}@{long_domain}") == EMAIL_MAX_LENGTH + 1
    assert validate_email(f"{local}@{long_domain}") == Invalid(FieldError.TOO_LONG)


def test_email_none_and_empty() -> None:
    assert validate_email(None) == Invalid(FieldError.NOT_TEXT)
    assert validate_email("  ") == Invalid(FieldError.EMPTY)


# --- phone ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0471 12 34 56", "+32471123456"),
        ("0471/12.34.56", "+32471123456"),
        ("+32 471 12 34 56", "+32471123456"),
        ("0032 471 12 34 56", "+32471123456"),
        ("+32 (0)471 12 34 56", "+32471123456"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("02 213 45 67", "+3222134567"),  # Brussels landline
        ("081 12 34 56", "+3281123456"),  # Namur landline
    ],
)
def test_phone_valid(text: str, expected: str) -> None:
    assert validate_phone(text) == Valid(expected)


def test_phone_default_region() -> None:
    assert validate_phone("06 12 34 56 78", default_region="FR") == Valid("+33612345678")
    assert validate_phone("06 12 34 56 78") == Invalid(FieldError.INVALID_PHONE)


@pytest.mark.parametrize(
    "text",
    ["0471 12 34", "12", "not a phone", "+32 471 12 34 56 78 90", "+999 123 456", "0000000000"],
)
def test_phone_invalid(text: str) -> None:
    result = validate_phone(text)
    assert isinstance(result, Invalid)
    assert result.error is FieldError.INVALID_PHONE
    assert result.shaped is None or text.startswith("+")


def test_an_international_number_of_an_unknown_range_comes_back_shaped() -> None:
    # Israeli mobile range libphonenumber does not list: kept by the form, with a warning.
    assert validate_phone("+972 54 123 4567") == Invalid(FieldError.INVALID_PHONE, "+972541234567")
    assert validate_phone("+999 123 456") == Invalid(FieldError.INVALID_PHONE)  # no such country


def test_phone_none_and_empty() -> None:
    assert validate_phone(None) == Invalid(FieldError.NOT_TEXT)
    assert validate_phone(" ") == Invalid(FieldError.EMPTY)


# --- company key ---------------------------------------------------------------------------------


def test_company_key_spec_examples() -> None:
    keys = {
        company_key(name)
        for name in [
            "Plastiques Dupont SA",
            "plastiques dupont s.a.",
            "PLASTIQUES  DUPONT",
            "Plastiques Dupont (S.A.)",
            "Plastiques-Dupont, SA",
            "Plastiques Dupont SA/NV",
        ]
    }
    assert keys == {"plastiques dupont"}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Société Générale de Béton SRL", "SOCIETE GENERALE DE BETON"),
        ("L'Atelier du Bois ASBL", "latelier du bois"),
        ("Straße GmbH", "STRASSE"),
        ("Wallonia Tech Ltd.", "wallonia tech"),
        ("Brico SPRL", "Brico S.P.R.L."),
        ("Vlaams Bedrijf NV", "vlaams bedrijf bv"),
        ("Coop SCRL", "coop"),
        ("Nord SAS", "nord"),
    ],
)
def test_company_key_equal(a: str, b: str) -> None:
    assert company_key(a) == company_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Plastiques Dupont", "Plastiques Durand"),
        ("SA Dupont Holding", "Dupont Holding"),  # only trailing legal forms are ignored
        ("Sambre Energie", "Meuse Energie"),
    ],
)
def test_company_key_different(a: str, b: str) -> None:
    assert company_key(a) != company_key(b)


def test_company_key_keeps_a_name_that_is_only_a_legal_form() -> None:
    assert company_key("S.A.") == "sa"
    assert company_key("") == ""


# --- properties ----------------------------------------------------------------------------------


def _check(result: Validation) -> None:
    assert isinstance(result, Valid | Invalid)
    if isinstance(result, Valid):
        assert isinstance(result.value, str)
    else:
        assert isinstance(result.error, FieldError)


@given(st.one_of(st.none(), st.text()), st.integers(min_value=0, max_value=1000))
def test_validators_never_raise(text: str | None, max_length: int) -> None:
    _check(validate_free_text(text, max_length=max_length))
    _check(validate_enterprise_number(text))
    _check(validate_email(text))
    _check(validate_phone(text))
    if text is not None:
        assert isinstance(company_key(text), str)


@given(st.text(alphabet="0123456789 ()-./+xet", max_size=300))
def test_phone_never_raises_on_phone_like_text(text: str) -> None:
    _check(validate_phone("+" + text))
    _check(validate_phone("00" + text, default_region="FR"))


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")) | st.sampled_from("\n\t")))
def test_free_text_accepts_printable_text_verbatim(text: str) -> None:
    result = validate_free_text(text, max_length=10_000)
    if text.strip():
        assert result == Valid(text.strip())
    else:
        assert result == Invalid(FieldError.EMPTY)


@given(st.text())
def test_company_key_is_idempotent(name: str) -> None:
    key = company_key(name)
    assert company_key(key) == key
    assert key == key.strip()
    assert "  " not in key
