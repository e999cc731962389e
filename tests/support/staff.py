"""The staff a case alerts in the case tests: Tracap's organiser, another village's, a coordinator, the regency
official."""

from __future__ import annotations

ORGANIZER, ORGANIZER_OTHER = "+6281200000001", "+6281200000011"
COORDINATOR, OFFICIAL = "+6281200000003", "+6281200000002"


def add_case_staff() -> None:
    """Store the organisers (Tracap's, Lamuk's), a coordinator and a regency official."""
    from models import Staff

    Staff.create(phone=ORGANIZER, name="Siti Pengurus", role="organizer", village="Tracap")
    Staff.create(phone=ORGANIZER_OTHER, name="Ani Pengurus", role="organizer", village="Lamuk")
    Staff.create(phone=COORDINATOR, name="Bu Koordinator", role="coordinator")
    Staff.create(phone=OFFICIAL, name="Pak Disnaker", role="official")
