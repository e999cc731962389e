"""SMS bill run-up and loops: the same text to a number once per 10 minutes, SMS_REPLIES_PER_DAY to a number,
the service's SMS_DAILY_LIMIT (urgent case alerts still go, the coordinators told once), SMS_ALLOWED_COUNTRY_CODES.

Real Redis, real database, a real burst worker; time moves with time-machine.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from menus import catalog
from menus.notify import notify
from models import Message, database, utcnow
from models.connections import redis as database_redis
from models.jobs import enqueue_after_commit
from models.settings import SETTINGS, to_local
from models.sms_quota import ALERTS, SmsQuota
from service.config import ConfigError, load_config
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.staff import COORDINATOR, ORGANIZER
from tests.support.villages import seed_villages

JAKARTA = ZoneInfo("Asia/Jakarta")
WORKER = "+6281234567031"
LOOPER = "+6281234567032"
UK = "+442071838750"


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=JAKARTA)


def statuses(phone: str, purpose: str | None = None) -> list[str]:
    return [m.status for m in outbox(phone, purpose)]


def reasons(phone: str) -> list[str]:
    return [m.last_error for m in outbox(phone) if m.status == "refused"]


@pytest.fixture
def phone_of(app, send_sms):
    seed_villages()
    return lambda number: Phone(send_sms, number)


def write(phone: str, purpose: str, key: str = "sms.help", **params: str) -> Message:
    with database.atomic():
        outgoing = notify(phone, key, params, purpose, language="id")
    enqueue_after_commit([outgoing])
    return Message.get_by_id(outgoing.message_id)


# The same text within 10 minutes ----------------------------------------------------------------------------


def test_an_auto_responder_answering_info_is_cut_off(phone_of, drain, use_africastalking):
    looper = phone_of(LOOPER)
    with time_machine.travel(local(28, 10, 0), tick=True):
        for _ in range(10):  # an auto-responder that answers every SMS with INFO
            looper.say("INFO")
            drain()
    assert statuses(LOOPER, "reply") == ["sent"] + ["refused"] * 9
    assert all("same text to this number within 10 minutes" in r for r in reasons(LOOPER))
    assert len(use_africastalking.requests) == 1, "one SMS paid for, not ten"
    with time_machine.travel(local(28, 10, 11), tick=False):
        looper.say("INFO")
        drain()
    assert statuses(LOOPER, "reply")[-1] == "sent", "once per 10 minutes, not never again"


def test_twenty_bantuan_from_one_number_end_in_one_job_sent_or_refused(phone_of, drain, use_africastalking):
    """The issue's drip: 20 BANTUAN at once; one reply goes, the others are refused with the reason; nothing
    is left `sending` for the sweep to free ten minutes later."""
    looper = phone_of(LOOPER)
    with time_machine.travel(local(28, 10, 0), tick=False):
        for _ in range(20):
            looper.say("BANTUAN")
        drain()
    assert sorted(statuses(LOOPER)) == ["refused"] * 19 + ["sent"]
    assert set(reasons(LOOPER)) == {"refused: same text to this number within 10 minutes"}
    assert not [m for m in outbox() if m.status in ("queued", "sending")]


def test_identical_rows_of_one_batch_all_end_in_the_same_job(app, drain, use_africastalking):
    """Rows already in the outbox (written before the limits, or by hand): one job sends them all, one provider
    call per row for the same number, none left `sending`."""
    text = catalog.text("sms.help", "id")
    with database.atomic():
        written = [Message.queue_outbound(LOOPER, text, "reply") for _ in range(20)]
        written.append(Message.queue_outbound(WORKER, text, "reply"))
    assert enqueue_after_commit(written) == 1, "one job for the batch"
    drain()
    assert [Message.get_by_id(o.message_id).status for o in written] == ["sent"] * 21
    assert len({Message.get_by_id(o.message_id).provider_id for o in written}) == 21


# Per number, per day -----------------------------------------------------------------------------------------


def test_the_31st_reply_of_a_day_is_refused_and_the_next_day_starts_again(phone_of, drain, use_africastalking):
    looper = phone_of(LOOPER)
    for number in range(31):  # 11 minutes apart: each passes the same-text rule
        with time_machine.travel(local(28, 1, 0) + dt.timedelta(minutes=11 * number), tick=False):
            looper.say("INFO")
    drain()
    assert statuses(LOOPER, "reply") == ["sent"] * 30 + ["refused"]
    assert reasons(LOOPER) == ["refused: 30 SMS to this number today (SMS_REPLIES_PER_DAY)"]
    with time_machine.travel(local(29, 0, 5), tick=False):
        looper.say("INFO")
        drain()
    assert statuses(LOOPER, "reply")[-1] == "sent", "a new local day"


def test_staff_are_exempt_from_the_per_number_limits(case_staff, drain, use_africastalking):
    with time_machine.travel(local(28, 10, 0), tick=False):
        rows = [write(ORGANIZER, "reply") for _ in range(35)]
        drain()
    assert [Message.get_by_id(m.id).status for m in rows] == ["sent"] * 35


def test_a_registration_by_sms_completes_within_the_limits(phone_of, drain):
    person = phone_of(WORKER)
    with time_machine.travel(local(28, 10, 0), tick=True):
        replies = [person.say(body) for body in ("DAFTAR", "1", "Siti Aminah", "1", "1", "1")]
        drain()
    assert all(replies) and replies[-1] == catalog.text("register.done", "id", {"name": "Siti Aminah"})
    assert statuses(WORKER) == ["sent"] * 7, "six replies and the welcome"


# The service's day -------------------------------------------------------------------------------------------


def test_over_the_replies_share_only_replies_stop_and_the_coordinators_are_told_once(
    case_staff, phone_of, drain, use_africastalking, monkeypatch
):
    """SMS_DAILY_LIMIT 20: replies have a quarter (5); alerts and escalations their own share and still go."""
    monkeypatch.setattr(SETTINGS, "sms_daily_limit", 20)
    numbers = [f"+62812345670{40 + i}" for i in range(7)]
    with time_machine.travel(local(28, 10, 0), tick=True):
        for number in numbers:
            phone_of(number).say("INFO")
        alert = write(ORGANIZER, "alert", "sms.soon")
        escalation = write(COORDINATOR, "escalation", "sms.optin")
        drain()
    assert [statuses(n, "reply")[0] for n in numbers] == ["sent"] * 5 + ["refused"] * 2
    assert reasons(numbers[5]) == [
        "refused: 5 replies sent today (their share of SMS_DAILY_LIMIT 20); case alerts still go"
    ]
    assert Message.get_by_id(alert.id).status == "sent" and Message.get_by_id(escalation.id).status == "sent"
    [told] = outbox(COORDINATOR, "alert")
    assert told.status == "sent" and told.text == catalog.text("sms.share_used.replies", "id", {"count": "5"})
    assert outbox(ORGANIZER, "alert") == [Message.get_by_id(alert.id)], "coordinators only"
    with time_machine.travel(local(28, 12, 0), tick=False):
        assert write(numbers[0], "reply", "sms.optin").status == "refused"
        assert len(outbox(COORDINATOR, "alert")) == 1, "told once a day"
        assert write(numbers[0], "reminder", "sms.optin").status == "queued", "news and reminders have their share"
    with time_machine.travel(local(29, 8, 0), tick=False):
        assert write(numbers[0], "reply", "sms.optin").status == "queued", "a new day"


# Countries ---------------------------------------------------------------------------------------------------


def test_a_number_outside_the_allowed_countries_gets_nothing(phone_of, drain, use_africastalking):
    phone_of(UK).say("INFO")
    drain()
    assert statuses(UK) == ["refused"]
    assert reasons(UK) == ["refused: country code not in SMS_ALLOWED_COUNTRY_CODES"]
    assert use_africastalking.requests == []


def test_the_default_countries_are_indonesia_the_destinations_brunei_and_the_gulf(app):
    allowed = set(SETTINGS.sms_allowed_prefixes)
    assert {
        "+62",
        "+852",
        "+886",
        "+60",
        "+65",
        "+966",
        "+82",
        "+81",
        "+673",
        "+971",
        "+974",
        "+965",
        "+973",
        "+968",
    } == allowed


@pytest.mark.parametrize(
    "env,error",
    [
        ({"SMS_ALLOWED_COUNTRY_CODES": "62,999"}, "SMS_ALLOWED_COUNTRY_CODES"),
        ({"SMS_ALLOWED_COUNTRY_CODES": "62,abc"}, "SMS_ALLOWED_COUNTRY_CODES"),
        ({"SMS_ALLOWED_COUNTRY_CODES": " , "}, "SMS_ALLOWED_COUNTRY_CODES"),
        ({"SMS_REPLIES_PER_DAY": "0"}, "SMS_REPLIES_PER_DAY"),
        ({"SMS_REPLIES_PER_DAY": "many"}, "SMS_REPLIES_PER_DAY"),
        ({"SMS_DAILY_LIMIT": "-5"}, "SMS_DAILY_LIMIT"),
    ],
)
def test_bad_limit_settings_stop_the_app_naming_the_variable(tmp_path, env, error):
    with pytest.raises(ConfigError, match=error):
        load_config(tmp_path, {"WEBHOOK_TOKEN": "x" * 40, "REDIS_URL": "redis://localhost/0", **env})


def test_limit_settings_are_read(tmp_path):
    config = load_config(
        tmp_path,
        {
            "WEBHOOK_TOKEN": "x" * 40,
            "REDIS_URL": "redis://localhost/0",
            "SMS_ALLOWED_COUNTRY_CODES": "+62, 852",
            "SMS_REPLIES_PER_DAY": "12",
            "SMS_DAILY_LIMIT": "500",
        },
    )
    assert (config["SMS_ALLOWED_COUNTRY_CODES"], config["SMS_REPLIES_PER_DAY"], config["SMS_DAILY_LIMIT"]) == (
        ("62", "852"),
        12,
        500,
    )


def test_alerts_to_staff_count_in_their_own_share_once_committed(
    case_staff, phone_of, drain, use_africastalking, monkeypatch
):
    monkeypatch.setattr(SETTINGS, "sms_daily_limit", 4)  # replies: 1, alerts: 1
    with time_machine.travel(local(28, 10, 0), tick=True):
        with database.atomic():
            written = [notify(ORGANIZER, "sms.soon", None, "alert"), notify(COORDINATOR, "sms.optin", None, "alert")]
        enqueue_after_commit(written)
        quota = SmsQuota(database_redis())
        assert quota.spent(to_local(utcnow()).date(), ALERTS) >= 2, "counted once committed"
        phone_of("+6281234567062").say("INFO")
        assert statuses("+6281234567062", "reply") == ["queued"], "alerts do not spend the replies' share"
        phone_of("+6281234567063").say("INFO")
        assert statuses("+6281234567063", "reply") == ["refused"], "the replies' share is its own"
