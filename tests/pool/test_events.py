"""The app's events in a pool: each phone's device id says which phone an event came to, and each phone signs
with its own key (or the shared one)."""

from __future__ import annotations

from models import Message
from tests.pool.conftest import URL
from tests.support.settings import SMSGATE_SECRET
from workers.gateways.phone_status import last_ping

WORKER = "+6281234567301"


def test_an_sms_is_kept_with_the_phone_it_came_to(app, pool):
    pool.sms("c", WORKER, "BANTUAN")
    assert Message.get(Message.direction == "in").pool_phone == "c"


def test_a_ping_is_kept_for_its_own_phone(app, pool, redis_connection):
    pool.ping("b")
    assert last_ping(redis_connection, "smsgate:phones:b").device_id == pool.fakes["b"].device_id
    assert last_ping(redis_connection, "smsgate:phones:a") is None and last_ping(redis_connection) is None


def test_an_event_signed_with_another_phones_key_is_refused(app, pool, client):
    a, b = pool.fakes["a"], pool.fakes["b"]
    body, _ = a.event("sms:received", a.received_payload(WORKER.lstrip("+"), "BANTUAN"))
    response = client.post(URL, data=body, headers=b.sign(body))
    assert response.status_code == 403 and response.get_json()["reason"] == "signed with another phone's key"
    assert not Message.select().exists()


def test_an_event_from_a_device_no_phone_has_is_refused(app, pool, client):
    a = pool.fakes["a"]
    a.device_id, real = "someoneElsesPhone000", a.device_id
    try:
        response = pool.post("a", "sms:received", a.received_payload(WORKER.lstrip("+"), "BANTUAN"))
    finally:
        a.device_id = real
    assert response.status_code == 403 and response.get_json()["reason"] == "unknown device"
    assert not Message.select().exists()


def test_a_phone_without_a_key_of_its_own_signs_with_the_shared_one(app, pool, client):
    pool.change("c", webhook_secret=SMSGATE_SECRET)
    c = pool.fakes["c"]
    body, _ = c.event("sms:received", c.received_payload(WORKER.lstrip("+"), "BANTUAN"))
    assert client.post(URL, data=body, headers=c.sign(body)).status_code == 401, "its app's own key is not c's now"
    assert client.post(URL, data=body, headers=c.sign(body, secret=SMSGATE_SECRET)).status_code == 200
    assert Message.get(Message.direction == "in").pool_phone == "c"


def test_a_wrong_signature_is_refused_before_anything(app, pool, client):
    a = pool.fakes["a"]
    body, headers = a.event("system:ping", a.ping_payload())
    response = client.post(URL, data=body, headers={**headers, "X-Signature": "0" * 64})
    assert response.status_code == 401 and response.get_json()["reason"] == "wrong signature"
