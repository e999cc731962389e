"""SMS_PREFIX: a neutral sender by default (no service name in any SMS); a name the deployer chooses goes before
every SMS the service starts, never before a reply."""

from __future__ import annotations

import pytest

from models import Person, Staff, database
from service import create_app
from service.config import ConfigError, load_config
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.texts import text

WORKER, ORGANIZER = "+6281234567051", "+6281200000001"


def test_no_prefix_by_default_and_none_in_the_texts(tmp_path, app, send_sms):
    assert load_config(tmp_path, env={})["SMS_PREFIX"] == ""
    Staff.create(phone=ORGANIZER, name="Siti Pengurus", role="organizer", village="Tracap")
    Phone(send_sms, WORKER).say("LAPOR")
    Phone(send_sms, WORKER).say("2")
    alert = outbox(ORGANIZER, "alert")[0].text
    assert alert.startswith(("KASUS", "LAPORAN")), alert
    assert not any("KawalMigran" in m.text for m in outbox(WORKER))


@pytest.mark.parametrize("value", ["x" * 21, "Desa Tracap \u2764"])
def test_a_prefix_too_long_or_outside_gsm7_stops_the_start(tmp_path, value):
    with pytest.raises(ConfigError, match="SMS_PREFIX"):
        load_config(tmp_path, env={"SMS_PREFIX": value})


def test_a_chosen_prefix_goes_before_what_the_service_starts_not_before_replies(app, base_config):
    prefixed = create_app({**base_config, "SMS_PREFIX": "Desa Tracap:"})
    with prefixed.app_context():
        Staff.create(phone=ORGANIZER, name="Siti Pengurus", role="organizer", village="Tracap")
        with database.atomic():
            Person.contact(WORKER)
        client = prefixed.test_client()
        response = client.post(
            f"/webhooks/at/sms?token={base_config['WEBHOOK_TOKEN']}",
            data={"from": WORKER, "to": "21234", "text": "LAPOR", "id": "prefix-1", "date": "2026-11-28T06:04:45Z"},
        )
        assert response.status_code == 200
        client.post(
            f"/webhooks/at/sms?token={base_config['WEBHOOK_TOKEN']}",
            data={"from": WORKER, "to": "21234", "text": "2", "id": "prefix-2", "date": "2026-11-28T06:04:46Z"},
        )
        [question, end] = [m.text for m in outbox(WORKER, "reply")]
        assert question == text("report.sms.safe") and not end.startswith("Desa Tracap:"), "replies carry no prefix"
        assert outbox(ORGANIZER, "alert")[0].text.startswith("Desa Tracap: "), "an alert the service starts does"
    create_app(base_config)  # bind the suite's settings again
