"""Africa's Talking callbacks as raw payloads: token, validation (400 names the field), statuses, health, logs."""

from __future__ import annotations

import logging
import runpy

import pytest

from models import Message, Person, Village
from service.webhooks.payloads import MAX_SMS_TEXT
from tests.support.clock import MONDAY_MORNING, frozen_at, stored
from tests.support.outbox import outbox
from tests.support.paths import ROOT
from tests.support.redis_switch import use_redis
from tests.support.registration import register_by_ussd
from tests.support.settings import SHORT_CODE, TOKEN
from tests.support.villages import seed_villages
from workers.queues import connect_redis

PHONE = "+6281234567001"
PHONE_HK = "+85291234567"
UNKNOWN_PHONE = "+6285712340099"

USSD = {
    "sessionId": "ATUid_hook_1",
    "phoneNumber": PHONE,
    "networkCode": "51010",
    "serviceCode": "*384*123#",
    "text": "",
}
SMS = {
    "from": PHONE,
    "to": SHORT_CODE,
    "text": "BANTUAN",
    "id": "ATXid_in_1",
    "date": "2026-11-28T06:04:45Z",
    "networkCode": "51010",
    "linkId": "link-1",
}
DELIVERY = {"id": "ATXid_unknown", "status": "Success", "phoneNumber": PHONE, "networkCode": "51010", "retryCount": "0"}
OPTOUT = {"senderId": "KawalMigran", "phoneNumber": PHONE}
USSD_EVENT = {
    "sessionId": "ATUid_hook_1",
    "serviceCode": "*384*123#",
    "networkCode": "51010",
    "phoneNumber": PHONE,
    "status": "Success",
    "cost": "IDR 0.0000",
    "durationInMillis": "14250",
    "hopsCount": "3",
    "input": "1*1",
    "lastAppResponse": "CON Tulis nama Anda:",
    "errorMessage": "",
}

WEBHOOKS = {
    "/webhooks/at/ussd": USSD,
    "/webhooks/at/sms": SMS,
    "/webhooks/at/delivery": DELIVERY,
    "/webhooks/at/optout": OPTOUT,
    "/webhooks/at/ussd-events": USSD_EVENT,
}

AT_STATUSES = ("Sent", "Submitted", "Buffered", "Rejected", "Success", "Failed", "AbsentSubscriber", "Expired")


def post(client, path: str, form: dict[str, str], token: str | None = TOKEN):
    """POST a form-encoded callback the way AT does, with `?token=` unless `token` is None."""
    url = path if token is None else f"{path}?token={token}"
    return client.post(url, data=form)


def without(form: dict[str, str], field: str) -> dict[str, str]:
    return {k: v for k, v in form.items() if k != field}


def with_(form: dict[str, str], **fields: str) -> dict[str, str]:
    return {**form, **fields}


def assert_bad(response, field: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["field"] == field


def nothing_stored() -> bool:
    return Message.select().count() == 0 and Person.select().count() == 0


# Token -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(WEBHOOKS))
@pytest.mark.parametrize(
    "url_suffix",
    [
        "",  # missing
        "?token=",  # empty
        "?token=wrong-token",  # wrong
        f"?token={TOKEN.upper()}",  # different case
        f"?token={TOKEN[:-1]}",  # a prefix of the right one
        f"?token={TOKEN}x",  # the right one with more after it
        f"?TOKEN={TOKEN}",  # parameter name in another case
    ],
)
def test_bad_token_is_403_and_stores_nothing(client, path, url_suffix):
    response = client.post(path + url_suffix, data=WEBHOOKS[path])
    assert response.status_code == 403
    assert nothing_stored()


@pytest.mark.parametrize("path", list(WEBHOOKS))
def test_token_in_the_body_instead_of_the_query_is_403(client, path):
    response = client.post(path, data=with_(WEBHOOKS[path], token=TOKEN))
    assert response.status_code == 403
    assert nothing_stored()


@pytest.mark.parametrize("path", list(WEBHOOKS))
@pytest.mark.parametrize("token", [None, "wrong-token", TOKEN.upper()])
def test_token_is_checked_before_the_payload(client, path, token):
    response = post(client, path, {}, token=token)
    assert response.status_code == 403, "a bad token must be 403 even when the payload is also bad"
    assert nothing_stored()


@pytest.mark.parametrize("path", list(WEBHOOKS))
def test_right_token_with_empty_body_is_400_not_403(client, path):
    response = post(client, path, {})
    assert response.status_code == 400
    assert response.get_json()["field"]
    assert nothing_stored()


# USSD ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["sessionId", "phoneNumber", "text"])
def test_ussd_missing_field_is_400_naming_it(client, field):
    assert_bad(post(client, "/webhooks/at/ussd", without(USSD, field)), field)
    assert nothing_stored()


@pytest.mark.parametrize(
    "form,field",
    [
        (with_(USSD, phoneNumber="MPESA"), "phoneNumber"),
        (with_(USSD, phoneNumber="123"), "phoneNumber"),
        (with_(USSD, phoneNumber=""), "phoneNumber"),
        (with_(USSD, sessionId=""), "sessionId"),
        (with_(USSD, sessionId="   "), "sessionId"),
    ],
)
def test_ussd_malformed_field_is_400_naming_it(client, form, field):
    assert_bad(post(client, "/webhooks/at/ussd", form), field)
    assert nothing_stored()


def test_ussd_first_step_with_empty_text_is_a_menu(client):
    response = post(client, "/webhooks/at/ussd", USSD)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert body.startswith("CON ")
    assert len(body) <= 160
    assert "1. Daftar" in body


def test_ussd_without_optional_fields_still_answers(client):
    form = {"sessionId": "ATUid_min", "phoneNumber": PHONE, "text": ""}
    response = post(client, "/webhooks/at/ussd", form)
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("CON ")


@pytest.mark.parametrize(
    "register_as,dial_as",
    [
        ("081234567001", "6281234567001"),
        ("081234567001", "+6281234567001"),
        ("6281234567001", "081234567001"),
        ("+6281234567001", "081234567001"),
        ("+6281234567001", "6281234567001"),
    ],
)
def test_ussd_indonesian_number_forms_are_one_person(app, ussd, register_as, dial_as):
    seed_villages()
    assert register_by_ussd(ussd(register_as)).startswith("END Terima kasih, Siti Aminah.")
    menu = ussd(dial_as).dial()
    assert menu.startswith("CON ")
    assert "Profil saya" in menu and "Daftar" not in menu
    assert Person.select().count() == 1
    person = Person.for_phone("+6281234567001")
    assert (person.name, person.is_registered) == ("Siti Aminah", True)
    assert [m.phone for m in outbox(purpose="welcome")] == ["+6281234567001"]


def test_ussd_number_from_abroad_works(app, ussd):
    seed_villages()
    session = ussd(PHONE_HK)
    assert session.dial().startswith("CON KawalMigran")
    assert session.answer("1", "1", "Dewi", "1", "2", "1").startswith("END Terima kasih, Dewi.")
    person = Person.for_phone(PHONE_HK)
    assert (person.status, person.country) == ("aktif", "hongkong")


# SMS -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["from", "to", "text", "id", "date"])
def test_sms_missing_field_is_400_naming_it(client, field):
    assert_bad(post(client, "/webhooks/at/sms", without(SMS, field)), field)
    assert nothing_stored()


@pytest.mark.parametrize(
    "form,field",
    [
        (with_(SMS, date="yesterday"), "date"),
        (with_(SMS, date=""), "date"),
        (with_(SMS, date="28/11/2026 06:04"), "date"),
        (with_(SMS, **{"from": "MPESA"}), "from"),
        (with_(SMS, **{"from": "123"}), "from"),
        (with_(SMS, **{"from": ""}), "from"),
        (with_(SMS, id=""), "id"),
        (with_(SMS, id="  "), "id"),
        (with_(SMS, to=""), "to"),
    ],
)
def test_sms_malformed_field_is_400_naming_it(client, form, field):
    assert_bad(post(client, "/webhooks/at/sms", form), field)
    assert nothing_stored()


@pytest.mark.parametrize("date", ["2026-11-28T06:04:45Z", "2026-11-28 06:04:45"])
def test_sms_both_date_layouts_are_accepted(client, date):
    response = post(client, "/webhooks/at/sms", with_(SMS, date=date))
    assert response.status_code == 200
    [inbound] = Message.select().where(Message.direction == "in")
    assert (inbound.phone, inbound.text, inbound.provider_id) == (PHONE, "BANTUAN", "ATXid_in_1")
    assert len(outbox(PHONE, "reply")) == 1


def test_sms_from_indonesian_local_form_is_stored_as_e164(client):
    response = post(client, "/webhooks/at/sms", with_(SMS, **{"from": "081234567001"}))
    assert response.status_code == 200
    assert Message.get(Message.direction == "in").phone == PHONE
    assert len(outbox(PHONE, "reply")) == 1


def test_sms_blank_text_is_accepted_and_answered(client):
    response = post(client, "/webhooks/at/sms", with_(SMS, text=""))
    assert response.status_code == 200
    [reply] = outbox(PHONE, "reply")
    assert "DAFTAR" in reply.text and "*384*123#" in reply.text


def test_sms_without_optional_fields_is_accepted(client):
    form = {k: SMS[k] for k in ("from", "to", "text", "id", "date")}
    assert post(client, "/webhooks/at/sms", form).status_code == 200
    assert len(outbox(PHONE, "reply")) == 1


def test_sms_replayed_id_is_stored_and_answered_once(client):
    for _ in range(3):
        response = post(client, "/webhooks/at/sms", SMS)
        assert response.status_code == 200
    assert Message.select().where(Message.direction == "in").count() == 1
    assert len(outbox(PHONE)) == 1


def test_sms_replayed_id_with_other_text_is_still_a_replay(client):
    assert post(client, "/webhooks/at/sms", SMS).status_code == 200
    assert post(client, "/webhooks/at/sms", with_(SMS, text="INFO")).status_code == 200
    [inbound] = Message.select().where(Message.direction == "in")
    assert inbound.text == "BANTUAN"
    assert len(outbox(PHONE)) == 1


def test_sms_long_text_is_accepted_and_capped(client):
    text = ("Tolong saya majikan tidak bayar gaji " * 100)[:3000]
    assert len(text) == 3000
    response = post(client, "/webhooks/at/sms", with_(SMS, text=text))
    assert response.status_code == 200
    inbound = Message.get(Message.direction == "in")
    assert len(inbound.text) == MAX_SMS_TEXT
    assert text.startswith(inbound.text)
    assert len(outbox(PHONE, "reply")) == 1


@pytest.mark.parametrize("text", ["Halo 🙏 terima kasih", "🙏", "BANTUAN 😊", "Nama saya Sîtì “Ami”"])
def test_sms_with_emoji_or_non_gsm_characters_is_accepted(client, text):
    response = post(client, "/webhooks/at/sms", with_(SMS, text=text))
    assert response.status_code == 200
    inbound = Message.get(Message.direction == "in")
    assert inbound.text == text
    assert inbound.encoding == "ucs2"
    assert len(outbox(PHONE, "reply")) == 1


# Delivery reports ------------------------------------------------------------------------------------------


@pytest.fixture
def sent_message(app, send_sms, drain) -> Message:
    """A reply that the outbox gateway accepted, so it carries a provider id."""
    assert send_sms(PHONE, "BANTUAN").status_code == 200
    assert drain()
    [message] = outbox(PHONE, "reply")
    assert message.status == "sent" and message.provider_id.startswith("outbox-")
    return message


def report(client, message: Message, status: str, **fields: str):
    return post(client, "/webhooks/at/delivery", with_(DELIVERY, id=message.provider_id, status=status, **fields))


def reload(message: Message) -> Message:
    return Message.get_by_id(message.id)


@pytest.mark.parametrize(
    "at_status,expected",
    [
        ("Sent", "sent"),
        ("Submitted", "sent"),
        ("Buffered", "sent"),
        ("Success", "delivered"),
        ("Rejected", "rejected"),
        ("Failed", "failed"),
        ("AbsentSubscriber", "failed"),
        ("Expired", "failed"),
    ],
)
def test_delivery_status_is_mapped(client, sent_message, at_status, expected):
    response = report(client, sent_message, at_status)
    assert response.status_code == 200
    assert reload(sent_message).status == expected


@pytest.mark.parametrize(
    "at_status,reason",
    [
        ("Rejected", "UserInBlacklist"),
        ("Failed", "DeliveryFailure"),
        ("AbsentSubscriber", "AbsentSubscriber"),
        ("Expired", "RejectedByGateway"),
    ],
)
def test_delivery_failure_reason_is_kept(client, sent_message, at_status, reason):
    assert report(client, sent_message, at_status, failureReason=reason).status_code == 200
    message = reload(sent_message)
    assert message.status in ("failed", "rejected")
    assert message.last_error == reason


def test_delivery_success_keeps_no_error(client, sent_message):
    assert report(client, sent_message, "Success", failureReason="").status_code == 200
    message = reload(sent_message)
    assert (message.status, message.last_error) == ("delivered", None)


def test_delivery_unknown_status_is_400_listing_the_known_ones(client, sent_message):
    response = report(client, sent_message, "Delivered")
    assert_bad(response, "status")
    body = response.get_data(as_text=True)
    for known in AT_STATUSES:
        assert known in body
    assert reload(sent_message).status == "sent"


@pytest.mark.parametrize("status", ["success", "SUCCESS", "Unknown", ""])
def test_delivery_status_other_than_at_words_is_400(client, sent_message, status):
    assert_bad(report(client, sent_message, status), "status")
    assert reload(sent_message).status == "sent"


@pytest.mark.parametrize("field", ["id", "status"])
def test_delivery_missing_field_is_400_naming_it(client, sent_message, field):
    form = without(with_(DELIVERY, id=sent_message.provider_id), field)
    assert_bad(post(client, "/webhooks/at/delivery", form), field)
    assert reload(sent_message).status == "sent"


def test_delivery_for_unknown_message_is_200_and_changes_nothing(client, sent_message):
    before = [(m.id, m.status, m.last_error, m.provider_id) for m in Message.select().order_by(Message.id)]
    response = post(
        client,
        "/webhooks/at/delivery",
        with_(DELIVERY, id="ATXid_never_sent", status="Failed", failureReason="DeliveryFailure"),
    )
    assert response.status_code == 200
    after = [(m.id, m.status, m.last_error, m.provider_id) for m in Message.select().order_by(Message.id)]
    assert after == before


def test_delivery_report_never_matches_an_inbound_id(client, send_sms):
    assert send_sms(PHONE, "BANTUAN", id="ATXid_shared").status_code == 200
    response = post(client, "/webhooks/at/delivery", with_(DELIVERY, id="ATXid_shared", status="Failed"))
    assert response.status_code == 200
    assert Message.get(Message.direction == "in").status == "delivered"


def test_late_sent_after_success_stays_delivered(client, sent_message):
    assert report(client, sent_message, "Success").status_code == 200
    for late in ("Sent", "Submitted", "Buffered"):
        assert report(client, sent_message, late).status_code == 200
    assert reload(sent_message).status == "delivered"


def test_replayed_delivery_report_is_harmless(client, sent_message):
    for _ in range(3):
        assert report(client, sent_message, "Success").status_code == 200
    assert reload(sent_message).status == "delivered"


# Opt-out ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form", [without(OPTOUT, "phoneNumber"), with_(OPTOUT, phoneNumber=""), with_(OPTOUT, phoneNumber="MPESA")]
)
def test_optout_without_a_phone_is_400(client, form):
    assert_bad(post(client, "/webhooks/at/optout", form), "phoneNumber")
    assert nothing_stored()


@frozen_at(MONDAY_MORNING)
def test_optout_of_unknown_number_makes_a_bare_row(client):
    response = post(client, "/webhooks/at/optout", with_(OPTOUT, phoneNumber=UNKNOWN_PHONE))
    assert response.status_code == 200
    person = Person.for_phone(UNKNOWN_PHONE)
    assert person.opted_out_at == stored(MONDAY_MORNING)
    assert (person.name, person.village, person.status, person.country, person.consent_at) == (None,) * 5


@frozen_at(MONDAY_MORNING)
def test_optout_of_registered_person_keeps_the_profile(app, client, ussd):
    seed_villages()
    register_by_ussd(ussd(PHONE))
    assert post(client, "/webhooks/at/optout", OPTOUT).status_code == 200
    person = Person.for_phone(PHONE)
    assert person.opted_out_at == stored(MONDAY_MORNING)
    assert person.is_registered and person.name == "Siti Aminah"


@frozen_at(MONDAY_MORNING)
def test_optout_without_sender_id_is_accepted(client):
    assert post(client, "/webhooks/at/optout", {"phoneNumber": PHONE}).status_code == 200
    assert Person.for_phone(PHONE).opted_out_at == stored(MONDAY_MORNING)


def test_optout_replay_keeps_the_first_time(client):
    assert post(client, "/webhooks/at/optout", OPTOUT).status_code == 200
    first = Person.for_phone(PHONE).opted_out_at
    assert post(client, "/webhooks/at/optout", OPTOUT).status_code == 200
    assert post(client, "/webhooks/at/optout", with_(OPTOUT, phoneNumber="081234567001")).status_code == 200
    assert Person.select().count() == 1
    assert Person.for_phone(PHONE).opted_out_at == first


# USSD end-of-session events --------------------------------------------------------------------------------


def test_ussd_event_without_session_id_is_400(client):
    assert_bad(post(client, "/webhooks/at/ussd-events", without(USSD_EVENT, "sessionId")), "sessionId")


@pytest.mark.parametrize("status,error", [("Success", ""), ("Incomplete", ""), ("Failed", "timeout")])
def test_ussd_event_full_payload_is_200(client, status, error):
    response = post(client, "/webhooks/at/ussd-events", with_(USSD_EVENT, status=status, errorMessage=error))
    assert response.status_code == 200
    assert nothing_stored()


def test_ussd_event_with_only_session_id_is_200(client):
    assert post(client, "/webhooks/at/ussd-events", {"sessionId": "ATUid_x"}).status_code == 200


# Health ----------------------------------------------------------------------------------------------------


def test_healthz_is_ok_when_everything_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok" and body["redis"] == "ok"
    assert not body.get("down")


def test_healthz_names_redis_when_it_is_down(app, client):
    use_redis(app, connect_redis("redis://127.0.0.1:1/0"))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert "redis" in body["down"] and "database" not in body["down"]
    assert body["database"] == "ok" and body["redis"] != "ok"


def test_healthz_needs_no_token(client):
    assert client.get("/healthz").status_code == 200


# Secrets never reach logs ----------------------------------------------------------------------------------


def test_gunicorn_access_log_carries_no_query_string():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    log_format = settings["access_log_format"]
    for leaky in ("%(r)s", "%(q)s", "%(U)s%(q)s"):
        assert leaky not in log_format
    assert "%(U)s" in log_format, "the path alone is still logged"


def test_webhook_calls_never_log_the_token(app, client, send_sms, drain, caplog):
    caplog.set_level(logging.DEBUG)
    seed_villages()
    post(client, "/webhooks/at/ussd", USSD)
    post(client, "/webhooks/at/ussd", with_(USSD, text="1*1*Siti*1*1*1"))
    post(client, "/webhooks/at/ussd", with_(USSD, phoneNumber="MPESA"))
    send_sms(PHONE, "halo")
    send_sms(PHONE, "")
    post(client, "/webhooks/at/sms", with_(SMS, date="yesterday"))
    drain()
    post(client, "/webhooks/at/delivery", DELIVERY)
    post(client, "/webhooks/at/delivery", with_(DELIVERY, status="Nope"))
    post(client, "/webhooks/at/optout", OPTOUT)
    post(client, "/webhooks/at/ussd-events", USSD_EVENT)
    post(client, "/webhooks/at/sms", SMS, token="wrong-token")
    assert caplog.records, "the calls above log something"
    for record in caplog.records:
        assert TOKEN not in record.getMessage(), record.name
        assert TOKEN not in repr(record.args), record.name
    assert TOKEN not in caplog.text


# Database away ---------------------------------------------------------------------------------------------

DEAD_DATABASE_URL = "sqlite:////nonexistent-kawalmigran/no/such/dir/down.db"


@pytest.fixture
def database_down(app):
    """Point the models at a database that cannot be opened; give the real one back afterwards."""
    from models import bind_database, database

    if not database.is_closed():
        database.close()
    bind_database(DEAD_DATABASE_URL)
    yield
    bind_database(app.config["DATABASE_URL"])


@pytest.mark.parametrize("path", ["/webhooks/at/sms", "/webhooks/at/delivery", "/webhooks/at/optout"])
def test_database_down_is_503_so_at_retries(client, database_down, path):
    response = post(client, path, WEBHOOKS[path])
    assert response.status_code == 503


def test_ussd_with_database_down_ends_politely(client, database_down):
    response = post(client, "/webhooks/at/ussd", USSD)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith("END Maaf") and len(body) <= 160


def test_healthz_names_the_database_when_it_is_down(client, database_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "database" in response.get_json()["down"]


def test_sms_refused_while_database_down_is_kept_when_at_retries(app, client):
    from models import bind_database

    bind_database(DEAD_DATABASE_URL)
    try:
        assert post(client, "/webhooks/at/sms", SMS).status_code == 503
    finally:
        bind_database(app.config["DATABASE_URL"])
    assert post(client, "/webhooks/at/sms", SMS).status_code == 200
    assert Message.select().where(Message.direction == "in").count() == 1
    assert len(outbox(PHONE, "reply")) == 1


def test_unexpected_errors_never_answer_500(app, client):
    """A failure outside the domain call (here Redis answering garbage) still gets AT's kind of answer."""

    class Broken:
        def __getattr__(self, name):
            raise ZeroDivisionError("a bug")

    use_redis(app, Broken())
    Village.create(name="Tracap", position=0)
    session = {"sessionId": "broken-1", "phoneNumber": "+6281234567099"}
    for text in ("", "1", "1*1", "1*1*Ani", "1*1*Ani*1", "1*1*Ani*1*4"):
        reply = client.post(f"/webhooks/at/ussd?token={TOKEN}", data={**session, "text": text})
    assert reply.status_code == 200 and reply.get_data(as_text=True).startswith("END Maaf")
    sms = client.post(
        f"/webhooks/at/sms?token={TOKEN}",
        data={
            "from": "+6281234567099",
            "to": "21234",
            "text": "BANTUAN",
            "id": "broken-sms",
            "date": "2026-11-28 06:04:45",
        },
    )
    assert sms.status_code == 503
    assert [m.status for m in outbox("+6281234567099", "reply")] == ["queued"], "stored: the sweep will send it"
    use_redis(app, connect_redis(app.config["REDIS_URL"]))
