"""People registered for a test: stored directly, or by walking the whole dialogue on SMS or USSD."""

from __future__ import annotations

from models import Person, database
from tests.support.phones import Phone, UssdSession


def register(
    phone: str,
    *,
    name: str = "Sri Lestari",
    village: str | None = "Tracap",
    status: str = "purna",
    country: str | None = None,
    language: str = "id",
    via: str = "sms",
) -> None:
    """Store a registration with consent given now, as a finished dialogue would (no SMS is written)."""
    with database.atomic():
        Person.register(
            phone,
            name=name,
            village=village,
            status=status,
            country=country,
            language=language,
            via=via,
            registration_key=f"test:{phone}",
        )


def register_by_sms(phone: Phone, name: str = "Siti Aminah", start: str = "DAFTAR") -> str:
    """Walk the whole registration by SMS (consent, village 1, the name, status calon, country Hong Kong);
    the last reply."""
    replies = [phone.say(body) for body in (start, "1", name, "1", "1", "1")]
    assert all(replies), replies
    return replies[-1]


def register_by_ussd(
    session: UssdSession, name: str = "Siti Aminah", status: str = "1", country: str | None = "2"
) -> str:
    """Play the registration dialogue (registration, consent, village 1, the name, `status`, then `country`
    when given); the last reply."""
    session.dial()
    reply = session.answer("1", "1", name, "1", status)
    if country:
        reply = session.answer(country)
    return reply
