"""Basic phones as tests drive them: a USSD session played the way Africa's Talking does, a phone texting the
service."""

from __future__ import annotations

import itertools

from tests.support.outbox import outbox
from tests.support.settings import TOKEN

_session_numbers = itertools.count(1)


class UssdSession:
    """Plays one USSD session the way AT does: `text` carries every input so far, joined by `*`."""

    def __init__(self, client, phone: str, session_id: str | None = None) -> None:
        self.client, self.phone = client, phone
        self.session_id = session_id or f"ATUid_test_{next(_session_numbers)}"
        self.inputs: list[str] = []
        self.last_response = None

    def post(self, text: str):
        """Send one raw step."""
        self.last_response = self.client.post(
            f"/webhooks/at/ussd?token={TOKEN}",
            data={
                "sessionId": self.session_id,
                "phoneNumber": self.phone,
                "networkCode": "51010",
                "serviceCode": "*384*123#",
                "text": text,
            },
        )
        return self.last_response

    def dial(self) -> str:
        """The first request (empty text)."""
        self.inputs = []
        return self.post("").get_data(as_text=True)

    def answer(self, *inputs: str) -> str:
        """Add inputs and return the reply to the last one."""
        reply = ""
        for value in inputs:
            self.inputs.append(value)
            reply = self.post("*".join(self.inputs)).get_data(as_text=True)
        return reply


class Phone:
    """A basic phone texting the service: `say` sends one SMS and returns the reply it got (or None)."""

    def __init__(self, send_sms, number: str) -> None:
        self.send_sms, self.number = send_sms, number

    def say(self, body: str, id: str | None = None) -> str | None:
        before = len(outbox(self.number, "reply"))
        response = self.send_sms(self.number, body, id=id)
        assert response.status_code == 200, response.get_data(as_text=True)
        new = outbox(self.number, "reply")[before:]
        assert len(new) <= 1, f"one SMS got {len(new)} replies"
        return new[0].text if new else None

    def replies(self) -> list[str]:
        return [m.text for m in outbox(self.number, "reply")]
