"""Letters outside GSM-7 are transliterated to their Latin base, not cut: in stored names and in USSD replies."""

from __future__ import annotations

import pytest

from menus.validators import validate_name, validate_place
from models import Person
from models.gsm import fold_to_gsm7, is_gsm7_basic, to_latin
from tests.support.outbox import outbox
from tests.support.texts import text
from tests.support.villages import seed_villages

PHONE = "+6281234567091"


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("Sîtì Aminah", "Siti Aminah"),
        ("sîtì aminah", "Siti Aminah"),
        ("SÎTÌ AMINAH", "Siti Aminah"),
        ("Si\u0302ti\u0300 Aminah", "Siti Aminah"),  # the same name typed with combining marks
        ("José Ñúñez", "Jose Nunez"),
        ("Dewi Ayu Lestâri", "Dewi Ayu Lestari"),
        ("Łukasz Øster", "Lukasz Oster"),
        ("  Wati\u00a0 Ningsih ", "Wati Ningsih"),
        ("Nur\u2019aini", "Nur'aini"),
        ("Budi 😀", "Budi"),
        ("Ａｇｕｓ", "Agus"),
    ],
)
def test_names_are_stored_in_plain_latin_letters(typed, stored):
    assert validate_name(typed) == (stored, None)


@pytest.mark.parametrize("typed", ["محمد", "李", "😀😀", "Ś", "B4di", "[Budi]", "x" * 31])
def test_names_without_enough_latin_letters_are_refused(typed):
    assert validate_name(typed) == (None, "error.name")


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("Pesodongan", "Pesodongan"),
        ("kaliwîrô", "Kaliwiro"),
        ("Tâipéi", "Taipei"),
        ("Desa Nomor 8", "Desa Nomor 8"),
        ("Kuala Lumpur/Selangor", "Kuala Lumpur/Selangor"),
    ],
)
def test_places_are_stored_in_plain_latin_letters(typed, stored):
    assert validate_place(typed) == (stored, None)


@pytest.mark.parametrize(
    "text, latin",
    [
        ("Sîtì", "Siti"),
        ("Straße", "Strasse"),
        ("“ok” — ya…", '"ok" - ya...'),
        ("ﬁ", "fi"),
        ("中文", ""),
    ],
)
def test_to_latin(text, latin):
    assert to_latin(text) == latin


@pytest.mark.parametrize(
    "text, gsm7",
    [
        ("Sîtì Aminah", "Sitì Aminah"),  # î is not GSM-7 and becomes i; ì is GSM-7 and stays
        ("José", "José"),
        ("Jose\u0301", "José"),
        ("Łukasz", "Lukasz"),
        ("Ōsaka", "Osaka"),
        ("“Ya” – tidak…", '"Ya" - tidak...'),
        ("Budi 😀", "Budi "),
        ("[{}]\\^~|€", ""),
        ("١٢٣", ""),
    ],
)
def test_fold_to_gsm7_transliterates_rather_than_drops(text, gsm7):
    assert fold_to_gsm7(text) == gsm7
    assert is_gsm7_basic(fold_to_gsm7(text))


def test_a_name_typed_with_diacritics_is_registered_transliterated_by_ussd(app, ussd):
    seed_villages("Tracap", "Kaliwiro")
    session = ussd(PHONE)
    assert session.dial().startswith("CON KawalMigran")
    assert "Setuju?" in session.answer("1")
    assert session.answer("1").startswith("CON Tulis nama Anda:")
    assert "1. Tracap" in session.answer("Sîtì Aminah")
    assert text("register.status") in session.answer("1")
    assert "Negara tujuan:" in session.answer("1")
    assert session.answer("2").startswith("END Terima kasih, Siti Aminah.")

    person = Person.for_phone(PHONE)
    assert (person.name, person.village, person.status) == ("Siti Aminah", "Tracap", "calon")
    [welcome] = outbox(PHONE, "welcome")
    assert "Siti Aminah" in welcome.text
