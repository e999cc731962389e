"""Faults: an SMS conversation's answers are capped as a USSD session's are; a database that goes away and comes
back is served again without a restart."""

from __future__ import annotations

import pytest

from menus import catalog
from models import Conversation, Message, bind_database, database
from models.conversation import MAX_INPUTS
from models.migrate import upgrade
from service import create_app
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.settings import SHORT_CODE, TOKEN
from tests.support.villages import seed_villages

PHONE = "+6281234567301"


# Conversation inputs ---------------------------------------------------------------------------------------


def test_an_sms_conversation_keeps_at_most_max_inputs_then_ends_quietly(app, send_sms):
    seed_villages()
    phone = Phone(send_sms, PHONE)
    assert phone.say("DAFTAR")
    for number in range(MAX_INPUTS):  # agree, back, agree, back...: every answer valid, the loop endless
        assert phone.say("1" if number % 2 == 0 else "0"), f"answer {number + 1} is answered"
        assert len(Conversation.for_phone(PHONE).active_inputs()) == number + 1

    assert phone.say("1") is None, "answer 61 ends the conversation without a reply"
    conversation = Conversation.for_phone(PHONE)
    assert conversation.active_inputs() is None and conversation.inputs == "[]"
    assert phone.say("1") is None, "and what follows is an unknown text within the hour: no reply either"
    assert phone.say("DAFTAR") == catalog.text("register.consent", "id") + "\n1. Ya, setuju\n2. Tidak", (
        "a keyword starts afresh"
    )


# Database away and back ------------------------------------------------------------------------------------

SMS = {
    "from": PHONE,
    "to": SHORT_CODE,
    "text": "BANTUAN",
    "id": "ATXid_outage_1",
    "date": "2026-11-28T06:04:45Z",
    "networkCode": "51010",
}
USSD = {
    "sessionId": "ATUid_outage_1",
    "phoneNumber": PHONE,
    "networkCode": "51010",
    "serviceCode": "*384*123#",
    "text": "",
}


@pytest.fixture
def own_database(base_config, redis_url, tmp_path):
    """A SQLite database of this test's own, in a folder the test can take away; the session's is bound again
    afterwards."""
    folder = tmp_path / "db"
    folder.mkdir()
    config = {**base_config, "DATABASE_URL": f"sqlite:///{folder / 'kawalmigran.db'}"}
    app = create_app(config)
    app.extensions["redis"].flushdb()
    with app.app_context():
        upgrade()
        database.close()
    yield app, config, folder
    app.extensions["redis"].flushdb()
    bind_database(base_config["DATABASE_URL"])


def test_the_service_recovers_without_a_restart_when_the_database_comes_back(own_database, tmp_path):
    app, config, folder = own_database
    client = app.test_client()
    assert client.get("/healthz").status_code == 200

    folder.rename(tmp_path / "db-away")  # the disk is gone: nothing can open the file

    assert create_app(config).test_client().get("/healthz").status_code == 503, "another process still starts"
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["down"] == ["database"]
    assert client.post(f"/webhooks/at/sms?token={TOKEN}", data=SMS).status_code == 503, "AT will retry"
    ussd = client.post(f"/webhooks/at/ussd?token={TOKEN}", data=USSD)
    assert ussd.status_code == 200 and ussd.get_data(as_text=True).startswith("END Maaf")

    (tmp_path / "db-away").rename(folder)  # back, the same process carries on

    assert client.get("/healthz").status_code == 200
    assert client.post(f"/webhooks/at/sms?token={TOKEN}", data=SMS).status_code == 200, "AT's retry is taken"
    assert (
        client.post(f"/webhooks/at/ussd?token={TOKEN}", data={**USSD, "sessionId": "ATUid_outage_2"})
        .get_data(as_text=True)
        .startswith("CON ")
    )
    with app.app_context():
        assert Message.select().where(Message.direction == "in").count() == 1
        assert [m.text for m in outbox(PHONE, "reply")] == [catalog.text("sms.help", "id", {"code": "*384*123#"})]
        database.close()
