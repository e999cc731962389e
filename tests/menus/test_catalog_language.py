"""The catalogs' language (DESIGN, "Users and channels"): Javanese in krama only, Indonesian without jargon, and no
setting name in any text a person reads."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from menus.catalog import CATALOG_DIR, LANGUAGES

NGOKO = ("kowe", "sampeyan", "aku", "ora", "durung")
"""Ngoko pronouns and negations; krama says panjenengan, kula, mboten, dereng."""

JARGON = ("P3MI", "dirujuk", "karakter", "Fitur", "Status Anda")
"""Words a villager would not know, or would misread ("Status Anda" reads as marital status)."""

SETTING_NAME = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")
"""A configuration setting's name, such as SMS_DAILY_LIMIT."""


def whole_words(words: tuple[str, ...]) -> re.Pattern[str]:
    """Any of `words` standing alone, in any case: "ora" in "Ora aman", not in "Pandora" or "korane"."""
    return re.compile(r"(?<![A-Za-z0-9])(" + "|".join(re.escape(w) for w in words) + r")(?![A-Za-z0-9])", re.I)


def texts(language: str) -> dict[str, str]:
    """Every msgstr of the language's catalog by key (a multi-line text joined)."""
    with open(CATALOG_DIR / f"{language}.po", "rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if m.id}


def found(pattern: re.Pattern[str], language: str) -> dict[str, list[str]]:
    return {key: hits for key, text in texts(language).items() if (hits := pattern.findall(text))}


@pytest.mark.parametrize(
    "text,hits",
    [
        ("2. Ora aman", ["Ora"]),
        ("Pengurus bakal ngubungi kowe.", ["kowe"]),
        ("Aku dhewe", ["Aku"]),
        ("Kode DURUNG ditulis", ["DURUNG"]),
        ("nomer sampeyan", ["sampeyan"]),
        ("Pandora, Akun, korane, Kowloon, durungan", []),
        ("Mboten aman; dereng; panjenengan; kula", []),
    ],
)
def test_ngoko_words_are_found_as_whole_words_only(text, hits):
    assert whole_words(NGOKO).findall(text) == hits


def test_javanese_is_krama_throughout():
    assert found(whole_words(NGOKO), "jv") == {}, "say panjenengan, kula, mboten, dereng (DESIGN: krama)"


@pytest.mark.parametrize(
    "text,hits",
    [
        ("lewat P3MI resmi", ["P3MI"]),
        ("Kasus K7M-4RX dirujuk ke Disnaker", ["dirujuk"]),
        ("2-30 karakter", ["karakter"]),
        ("Fitur ini segera hadir", ["Fitur"]),
        ("Status Anda:", ["Status Anda"]),
        ("RUJUK <kode> DISNAKER/BP3MI/POLISI/KBRI, rujukan, berkarakter", []),
    ],
)
def test_jargon_is_found_as_whole_words_only(text, hits):
    assert whole_words(JARGON).findall(text) == hits


def test_indonesian_has_no_jargon():
    assert found(whole_words(JARGON), "id") == {}, "say penyalur, diteruskan, huruf, layanan, Anda sekarang"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_names_a_setting(language):
    assert found(SETTING_NAME, language) == {}
