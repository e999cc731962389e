"""A local HTTP server that speaks Africa's Talking's SMS send API, scriptable by tests.

with FakeAfricasTalking(api_key="k") as fake:
    fake.respond_for("+6281234567890", status_code=403, status="InvalidPhoneNumber")
    fake.fail_next(http_status=500)          # the next request fails as a whole
    fake.fail_next(delay=1.5)                # the one after answers late (client timeout)
    ... gateway(api_url=fake.url) ...
    fake.requests[0].form["to"]
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs

from tests.support.fakes.failures import FailureScript
from tests.support.fakes.loopback import FakeHandler, LoopbackFake

log = logging.getLogger(__name__)

SEND_PATH = "/version1/messaging"
DEFAULT_COST = "IDR 250.0000"


@dataclass
class RecordedRequest:
    """One request the fake received: path, form fields (first value each), headers (lower-case names)."""

    path: str
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class _Override:
    status_code: int
    status: str
    cost: str
    message_id: str | None
    omit: bool = False


class _Handler(FakeHandler):
    def do_POST(self) -> None:
        fake = self.server.fake
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        fake._record(RecordedRequest(self.path, form, {k.lower(): v for k, v in self.headers.items()}))
        if self.path.split("?")[0] != SEND_PATH:
            return self.send_body(404, "text/plain", "Not Found")
        failure = fake.next_failure()
        if failure and failure.delay:
            time.sleep(failure.delay)
        if failure and failure.http_status is not None:
            return self.send_body(failure.http_status, failure.content_type, failure.body)
        if self.headers.get("apiKey") != fake.api_key or form.get("username") != fake.username:
            return self.send_body(401, "text/plain", "The supplied authentication is invalid")
        for name in ("to", "message"):
            if not form.get(name):
                return self.send_body(400, "text/plain", f"Request is missing required form field '{name}'")
        answer = fake._answer([n.strip() for n in form["to"].split(",") if n.strip()])
        self.send_body(201, "application/json", json.dumps(answer))


class FakeAfricasTalking(FailureScript, LoopbackFake):
    """AT's `POST /version1/messaging` on 127.0.0.1, in a background thread; usable as a context manager."""

    name = "fake-africastalking"
    handler = _Handler

    def __init__(self, username: str = "kawalmigran", api_key: str = "fake-at-api-key") -> None:
        super().__init__()
        self.username = username
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self._overrides: dict[str, _Override] = {}
        self._lock = threading.Lock()

    def respond_for(
        self,
        number: str,
        status_code: int = 101,
        status: str = "Success",
        cost: str | None = None,
        message_id: str | None = None,
        omit: bool = False,
    ) -> None:
        """Script the Recipients entry for one number (or leave it out of the answer with omit=True)."""
        accepted = status_code in (100, 101, 102)
        with self._lock:
            self._overrides[number] = _Override(
                status_code,
                status,
                cost if cost is not None else (DEFAULT_COST if accepted else "0"),
                message_id if message_id is not None else (None if accepted else "None"),
                omit,
            )

    def reset(self) -> None:
        """Forget recorded requests, per-number overrides and queued failures."""
        with self._lock:
            self.requests.clear()
            self._overrides.clear()
        self.clear_failures()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _answer(self, numbers: list[str]) -> dict:
        recipients = []
        with self._lock:
            overrides = dict(self._overrides)
        for number in numbers:
            o = overrides.get(number) or _Override(101, "Success", DEFAULT_COST, None)
            if o.omit:
                continue
            recipients.append(
                {
                    "statusCode": o.status_code,
                    "number": number,
                    "status": o.status,
                    "cost": o.cost,
                    "messageId": o.message_id or f"ATXid_{uuid.uuid4().hex}",
                }
            )
        sent = [r for r in recipients if r["statusCode"] in (100, 101, 102)]
        total = sum(float(r["cost"].split()[-1]) for r in sent if r["cost"].split())
        return {
            "SMSMessageData": {
                "Message": f"Sent to {len(sent)}/{len(numbers)} Total Cost: IDR {total:g}",
                "Recipients": recipients,
            }
        }
