"""SQL written once per database for hot paths must store and load exactly what peewee would."""

from __future__ import annotations

import pytest

from models import Message, Person, database
from models.base import NotHotStatement, PreparedInsert, prepared
from models.person import REGISTRATION_UPSERT


def test_an_outbound_message_reads_back_like_one_peewee_wrote(app):
    with database.atomic():
        prepared_id = Message.queue_outbound("+6281234567890", "Halo, ini pesan", "reply").message_id
        peewee_id = Message.create(
            direction="out",
            phone="+6281234567890",
            text="Halo, ini pesan",
            purpose="reply",
            status="queued",
            segments=1,
            encoding="gsm7",
        ).id
    assert prepared_id != peewee_id
    prepared, written = Message.get_by_id(prepared_id), Message.get_by_id(peewee_id)
    for field in (
        "direction",
        "phone",
        "text",
        "channel",
        "purpose",
        "status",
        "segments",
        "encoding",
        "attempts",
        "provider_id",
        "last_error",
        "next_attempt_at",
    ):
        assert getattr(prepared, field) == getattr(written, field), field
    assert type(prepared.created_at) is type(written.created_at)
    assert prepared.created_at == prepared.updated_at


def test_a_registration_fills_a_bare_contact_once_and_keeps_the_first_answers(app):
    with database.atomic():
        Person.contact("+6281234567890")
    details = dict(village=None, status="keluarga", country=None, language="jv", via="sms", registration_key="sms:1")
    with database.atomic():
        assert Person.register("+6281234567890", name="Sari", **details) is True
        assert Person.register("+6281234567890", name="Orang Lain", **details) is False
    person = Person.get(Person.phone == "+6281234567890")
    assert (person.name, person.language, person.registered_via, person.is_registered) == ("Sari", "jv", "sms", True)
    assert Person.select().count() == 1


def test_a_prepared_insert_that_leaves_out_a_column_with_a_default_fails_loudly(app):
    with pytest.raises(ValueError, match="add those columns to fields"):
        PreparedInsert("message.outbound", Message, ("direction", "phone", "text", "purpose", "status"))


def test_hand_written_sql_is_limited_to_the_hot_statements(app):
    every_column = [f.name for f in Message._meta.sorted_fields if not f.primary_key]
    with pytest.raises(NotHotStatement):
        PreparedInsert("message.inbound", Message, every_column)
    with pytest.raises(NotHotStatement):
        prepared("message.for_phone", lambda: Message.select().where(Message.phone == ""))


def test_a_prepared_insert_refuses_values_that_do_not_match_its_fields(app):
    with pytest.raises(TypeError, match="needs exactly"):
        REGISTRATION_UPSERT.execute(phone="+6281234567890", name="Sari")
    assert Person.select().count() == 0


def test_a_person_found_by_phone_is_the_row_peewee_loads_and_saves_only_what_changes(app):
    with database.atomic():
        Person.register(
            "+6281234567890",
            name="Sari",
            village="Tracap",
            status="aktif",
            country="taiwan",
            language="en",
            via="ussd",
            registration_key="ussd:1",
        )
    found, loaded = Person.for_phone("+6281234567890"), Person.get(Person.phone == "+6281234567890")
    assert found.__data__ == loaded.__data__
    assert isinstance(found.consent_at, type(loaded.consent_at)) and found.consent_at == loaded.consent_at
    assert Person.for_phone("+6281299999999") is None

    with database.atomic():
        found.update_fields(village="Lainnya")
    again = Person.get_by_id(found.id)
    assert (again.village, again.name, again.country, again.consent_at) == (
        "Lainnya",
        "Sari",
        "taiwan",
        loaded.consent_at,
    )
