"""A village's people for the broadcast tests: who should get an announcement and who must not."""

from __future__ import annotations

from models import Person, Staff, database, utcnow
from tests.support.registration import register
from tests.support.villages import seed_villages

SITI, WIWIT, BUDI = "+6281234500001", "+6281234500002", "+6281234500003"
"""Tracap's people who get a broadcast: Siti (Indonesian), Wiwit and Budi (Javanese)."""

OPTED_OUT, UNSAFE, STAFF, ABROAD = "+6281234500011", "+6281234500012", "+6281234500013", "+85291234567"
"""Tracap's people who get none: sent BERHENTI, marked unsafe by a report, an organiser, a number in Hong Kong."""

ELSEWHERE = "+6281234500021"
"""Someone of another village."""

ID_TEXT = "Pelatihan migrasi aman Sabtu 09:00 di balai desa. Gratis."
JV_TEXT = "Pelatihan migrasi aman dinten Setu jam 09:00 wonten balai desa. Gratis."


def village_people() -> None:
    """Register Tracap's people (and one of Lamuk), then opt one out, mark one unsafe, make one staff."""
    seed_villages("Tracap", "Lamuk")
    register(SITI, name="Siti", language="id")
    register(WIWIT, name="Wiwit", language="jv")
    register(BUDI, name="Budi", language="jv")
    for phone in (OPTED_OUT, UNSAFE, STAFF, ABROAD):
        register(phone, name="Ani")
    register(ELSEWHERE, name="Dewi", village="Lamuk")
    with database.atomic():
        Person.opt_out(OPTED_OUT)
        Person.mark_unsafe(UNSAFE)
        Staff.create(phone=STAFF, name="Ani Pengurus", role="organizer", village="Tracap")


def many_people(count: int, village: str = "Tracap", first: int = 6285700000000) -> list[str]:
    """Register `count` people of `village` at once (numbers from `first`, a third Javanese); their phones."""
    now = utcnow()
    phones = [f"+{first + n}" for n in range(count)]
    rows = [
        {
            "phone": phone,
            "name": "Warga",
            "village": village,
            "status": "purna",
            "language": "jv" if n % 3 == 0 else "id",
            "consent_at": now,
            "consent_version": "test",
            "registered_via": "sms",
            "created_at": now,
            "updated_at": now,
        }
        for n, phone in enumerate(phones)
    ]
    with database.atomic():
        for start in range(0, count, 100):
            Person.insert_many(rows[start : start + 100]).execute()
    return phones
