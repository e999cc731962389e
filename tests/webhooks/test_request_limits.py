"""Request size: a body over 64 KB is refused with 413 before anything is read into the database."""

from __future__ import annotations

import json

import pytest

from models import Message
from service.config import MAX_REQUEST_BYTES
from tests.support.settings import SHORT_CODE, TOKEN

PHONE = "+6281234567001"
OVERSIZED = 70 * 1024


def test_a_70_kb_sms_is_413_and_nothing_is_stored(client):
    response = client.post(
        f"/webhooks/at/sms?token={TOKEN}",
        data={
            "from": PHONE,
            "to": SHORT_CODE,
            "text": "A" * OVERSIZED,
            "id": "ATXid_big",
            "date": "2026-11-28T06:04:45Z",
        },
    )
    assert response.status_code == 413
    assert Message.select().count() == 0


@pytest.mark.parametrize(
    "path", ["/webhooks/at/ussd", "/webhooks/at/delivery", "/webhooks/at/optout", "/webhooks/at/ussd-events"]
)
def test_every_at_webhook_refuses_an_oversized_body(client, path):
    response = client.post(f"{path}?token={TOKEN}", data={"phoneNumber": PHONE, "padding": "A" * OVERSIZED})
    assert response.status_code == 413
    assert Message.select().count() == 0


def test_an_oversized_smsgate_event_is_413(client):
    body = json.dumps({"event": "sms:received", "payload": {"message": "A" * OVERSIZED}}).encode()
    response = client.post("/webhooks/smsgate", data=body, content_type="application/json")
    assert response.status_code == 413


def test_a_body_just_under_the_limit_is_read(client):
    response = client.post(
        f"/webhooks/at/sms?token={TOKEN}",
        data={
            "from": PHONE,
            "to": SHORT_CODE,
            "text": "BANTUAN",
            "id": "ATXid_ok",
            "date": "2026-11-28T06:04:45Z",
            "padding": "A" * (MAX_REQUEST_BYTES - 1024),
        },
    )
    assert response.status_code == 200
    assert Message.select().where(Message.provider_id == "ATXid_ok").count() == 1
