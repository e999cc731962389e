"""Whole SMS journeys on the SMS Gateway for Android backend: signed events in, replies out through the fake app
by a real burst worker, the app's status events back: registration, a report and the staff's TERIMA, a
training sign-up."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
import time_machine

from models import Case, Message, Person, Training, database
from models.settings import to_utc
from tests.support.outbox import outbox
from tests.support.settings import SMSGATE_PASSWORD, SMSGATE_SECRET
from tests.support.staff import ORGANIZER, ORGANIZER_OTHER
from tests.support.texts import text
from tests.support.villages import seed_villages

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY_MORNING = dt.datetime(2026, 11, 30, 10, 0, tzinfo=JAKARTA)
"""Daytime: news to a reporter does not wait out quiet hours."""
WORKER = "+6281234567301"
TAIWAN = "+886912345678"
URL = "/webhooks/smsgate"


@pytest.fixture(autouse=True)
def daytime(app):
    with time_machine.travel(MONDAY_MORNING, tick=False):
        yield


class GatePhone:
    """A basic phone texting the office phone: each SMS reaches us as a signed `sms:received` event."""

    def __init__(self, client, fake, number: str, as_the_app_writes_it: str | None = None) -> None:
        self.client, self.fake, self.number = client, fake, number
        self.written = as_the_app_writes_it or number

    def say(self, body: str) -> str | None:
        """Send one SMS; the reply it got (written, not yet sent), or None."""
        before = len(outbox(self.number, "reply"))
        payload = self.fake.received_payload(self.written, body)
        response = self.client.post(
            URL, data=(signed := self.fake.event("sms:received", payload))[0], headers=signed[1]
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        new = outbox(self.number, "reply")[before:]
        assert len(new) <= 1, f"one SMS got {len(new)} replies"
        return new[0].text if new else None

    def received(self) -> list[str]:
        """What the fake app was asked to send to this number, oldest first."""
        return self.fake.texts_to(self.number)


def report_back(client, fake) -> None:
    """The app's news of every message it took: sent, then delivered."""
    for sms in list(fake.sent):
        for kind in ("sms:sent", "sms:delivered"):
            for phone in sms.phone_numbers:
                body, headers = fake.event(kind, fake.status_payload(kind, sms.id, phone))
                assert client.post(URL, data=body, headers=headers).status_code == 200


def went_out_once_each(fake, messages: list[Message]) -> bool:
    """Every message went to the app once, under our reference."""
    ids = [sms.id for sms in fake.sent]
    return len(ids) == len(set(ids)) and {f"km-{m.id}" for m in messages} <= set(ids)


def test_registration_by_sms_through_the_phone(app, client, drain, use_smsgate):
    seed_villages()
    phone = GatePhone(client, use_smsgate, WORKER, as_the_app_writes_it=WORKER.lstrip("+"))
    use_smsgate.device_offline()  # the first reply meets the phone offline: retried, sent once

    consent = phone.say("DAFTAR")
    assert consent.startswith(text("register.consent"))
    assert drain()
    assert phone.received() == [consent]
    replies = [consent] + [phone.say(answer) for answer in ("1", "Siti Aminah", "1", "1", "1")]
    assert replies[-1] == text("register.done", name="Siti Aminah")
    person = Person.for_phone(WORKER)
    assert (person.name, person.village, person.status, person.registered_via) == (
        "Siti Aminah",
        "Tracap",
        "calon",
        "sms",
    )
    assert drain()

    welcome = text("sms.welcome", name="Siti Aminah")
    assert sorted(phone.received()) == sorted(replies + [welcome])
    assert went_out_once_each(use_smsgate, outbox(WORKER))
    assert {m.status for m in outbox(WORKER)} == {"sent"}
    first = outbox(WORKER)[0]
    assert (first.attempts, first.last_error) == (2, None), "the offline phone cost one retry"

    report_back(client, use_smsgate)
    assert {m.status for m in outbox(WORKER)} == {"delivered"}
    assert not drain(), "nothing is left to send"


def test_a_report_by_sms_and_the_organisers_terima_through_the_phone(app, client, drain, use_smsgate, case_staff):
    reporter = GatePhone(client, use_smsgate, TAIWAN, as_the_app_writes_it=TAIWAN.lstrip("+"))
    organiser = GatePhone(client, use_smsgate, ORGANIZER)

    assert reporter.say("LAPOR paspor saya ditahan agen, tidak boleh pulang").startswith(text("report.sms.safe"))
    for answer in ("1", "3", "5", "2"):  # safe, for someone else, documents (after the urgent ones), Taiwan
        assert reporter.say(answer)
    done = reporter.say("2")
    case = Case.get()
    assert done == text("report.sms.end", case_code=case.display_code)
    assert (case.reporter_phone, case.category, case.country, case.channel) == (TAIWAN, "documents", "taiwan", "sms")
    assert drain()
    alert = use_smsgate.texts_to(ORGANIZER)
    assert len(alert) == 1 and case.display_code in alert[0] and f"TERIMA {case.display_code}" in alert[0]
    assert len(use_smsgate.texts_to(ORGANIZER_OTHER)) == 1
    assert reporter.received()[-1] == done, "the end is the one confirmation"

    ack = organiser.say(f"terima {case.display_code.lower()}")
    assert ack == text("case.ack.done", code=case.display_code)
    case = Case.get_by_id(case.id)
    assert (case.status, case.assignee) == ("acknowledged", ORGANIZER)
    assert drain()
    assert organiser.received()[-1] == ack
    assert reporter.received()[-1] == text("case.news.acknowledged", code=case.display_code)
    everything = outbox()
    assert went_out_once_each(use_smsgate, everything)
    report_back(client, use_smsgate)
    assert {m.status for m in outbox()} == {"delivered"}


def test_a_training_sign_up_by_sms_through_the_phone(app, client, drain, use_smsgate):
    with database.atomic():
        training = Training.add(
            "KOPI1", "Budidaya kopi", "economic", to_utc(dt.datetime(2026, 12, 10, 8, 0)), "Balai Desa Tracap", 20
        )
    Person.register(
        WORKER,
        name="Sri Lestari",
        village="Tracap",
        status="purna",
        country="hongkong",
        language="id",
        via="sms",
        registration_key=f"test:{WORKER}",
    )
    phone = GatePhone(client, use_smsgate, WORKER)

    reply = phone.say("LATIH KOPI1")
    assert reply == text(
        "training.signed",
        training_code="KOPI1",
        training_title=training.title,
        training_date=training.starts_label,
        training_place=training.place,
    )
    assert drain()
    assert phone.received() == [reply], "by SMS the reply is the confirmation"
    assert went_out_once_each(use_smsgate, outbox(WORKER))
    assert phone.say("LATIH KOPI1").startswith(
        text("training.already", training_code="KOPI1", training_date="10/12 08:00", training_place="Balai Desa Tracap")
    )


def test_a_send_whose_answer_was_lost_is_retried_without_a_second_sms(app, client, drain, use_smsgate):
    app.config["SMSGATE_TIMEOUT_SECONDS"] = 0.5
    use_smsgate.fail_next(delay=1.5)  # the phone takes the SMS, its answer comes too late
    phone = GatePhone(client, use_smsgate, WORKER)
    reply = phone.say("BANTUAN")
    assert drain()
    [message] = outbox(WORKER)
    assert (message.status, message.attempts, message.provider_id) == ("sent", 2, f"km-{message.id}")
    assert [m.id for m in use_smsgate.sent] == [f"km-{message.id}"]
    posts = [r for r in use_smsgate.requests if r.method == "POST"]
    assert [r.json["id"] for r in posts] == [f"km-{message.id}"] * 2
    assert [r.path for r in use_smsgate.requests if r.method == "GET"] == [f"/messages/km-{message.id}"], (
        "the 409 is taken once the app's record shows this message"
    )
    assert phone.received() == [reply]


def test_no_phone_number_password_or_signing_key_is_logged(app, client, drain, use_smsgate, caplog):
    caplog.set_level(logging.INFO)  # peewee's DEBUG lines carry query parameters by design: not ours to judge
    for name in ("urllib3", "requests", "android_sms_gateway", "workers", "service", "menus", "models"):
        caplog.set_level(logging.DEBUG, logger=name)
    phone = GatePhone(client, use_smsgate, WORKER, as_the_app_writes_it=WORKER.lstrip("+"))
    phone.say("BANTUAN")
    use_smsgate.fail_next(http_status=500, body=f'{{"message": "upstream saw {SMSGATE_PASSWORD}"}}')
    assert drain()
    report_back(client, use_smsgate)
    body, headers = use_smsgate.event("sms:failed", use_smsgate.status_payload("sms:failed", "km-0", WORKER, "x"))
    client.post(URL, data=body, headers={**headers, "X-Signature": "0" * 64})
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "smsgate" in logged
    for secret in (WORKER.lstrip("+"), SMSGATE_PASSWORD, SMSGATE_SECRET, headers["X-Signature"]):
        assert secret not in logged
