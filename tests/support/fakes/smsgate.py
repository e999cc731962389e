"""A local HTTP server that speaks SMS Gateway for Android's API, scriptable by tests, and signs events like the app.

    with FakeSmsGate(username="u", password="p", webhook_secret="s") as fake:
        fake.respond_for("+6281234567890", state="Failed", error="RESULT_ERROR_NO_SERVICE")
        fake.fail_next(http_status=500)          # the next request fails as a whole
        fake.device_offline()                    # the one after: 503, the phone's queue is full / offline
        fake.fail_next(delay=1.5)                # accepted, but answered late (a client timeout)
        ... SmsGateGateway(url=fake.url, ...) ...
        fake.sent[0].id, fake.sent[0].phone_numbers
        body, headers = fake.event("sms:received", fake.received_payload("+628…", "DAFTAR"))
        client.post("/webhooks/smsgate", data=body, headers=headers)
        fake.hold("km-5", "+628…", "an older message")   # a record from before a database restore
        fake.devices = ["phoneA", "phoneB"]              # GET /devices; fake.devices_fail = True: 500

Like the app, it answers 409 to a message id it already holds, without sending again, and shows a message's record
at `GET /messages/<id>` with its text (or, for a record `hashed=True`, the SHA-256 of its text and the first 16
hex digits of the SHA-256 of each number, as the app keeps processed messages).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.support.fakes.failures import FailureScript
from tests.support.fakes.loopback import FakeHandler, LoopbackFake

log = logging.getLogger(__name__)

E164 = re.compile(r"\+[1-9]\d{6,14}")
OFFLINE_BODY = '{"message": "queue limits exceeded; ensure device is online"}'
DEVICE_ID = "fakeDevice0000000000A"
_event_numbers = itertools.count(1)


@dataclass
class RecordedRequest:
    """One request the fake received: method, path, JSON body (None if none or not JSON), headers (lower-case)."""

    method: str
    path: str
    json: Any
    headers: dict[str, str]


@dataclass
class SentSms:
    """A message the fake phone accepted (and would send)."""

    id: str
    phone_numbers: list[str]
    text: str
    with_delivery_report: bool
    states: dict[str, str] = field(default_factory=dict)
    hashed: bool = False


class _Handler(FakeHandler):
    def _read(self) -> tuple[bytes, Any]:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            return raw, json.loads(raw) if raw else None
        except ValueError:
            return raw, None

    def _route(self, method: str) -> None:
        fake = self.server.fake
        _, body = self._read()
        path = urlsplit(self.path).path.rstrip("/")
        fake._record(RecordedRequest(method, self.path, body, {k.lower(): v for k, v in self.headers.items()}))
        if not fake._authorised(self.headers.get("Authorization", "")):
            return self._reply(401, {"message": "Unauthorized"})
        if path == "/messages" and method == "POST":
            return self._post_message(body)
        if path.startswith("/messages/") and method == "GET":
            found = fake.message(path.rsplit("/", 1)[1])
            return self._reply(200, fake._state(found)) if found else self._reply(404, {"message": "not found"})
        if path == "/devices" and method == "GET":
            if fake.devices_fail:
                return self._reply(500, {"message": "fake failure 500"})
            return self._reply(200, [fake._device(d) for d in fake.devices])
        if path == "/webhooks" and method == "POST":
            return self._reply(*fake._add_webhook(body))
        if path == "/webhooks" and method == "GET":
            return self._reply(200, fake.webhooks)
        if path.startswith("/webhooks/") and method == "DELETE":
            return self._reply(*fake._delete_webhook(path.rsplit("/", 1)[1]))
        return self._reply(404, {"message": "Not Found"})

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def _post_message(self, body: Any) -> None:
        fake = self.server.fake
        failure = fake.next_failure()
        if failure and failure.http_status is not None:
            if failure.delay:
                time.sleep(failure.delay)
            return self.send_body(failure.http_status, failure.content_type, failure.body)
        status, answer = fake._accept(body, skip_validation="skipPhoneValidation=true" in self.path)
        if failure and failure.delay:
            time.sleep(failure.delay)  # accepted by the phone, answered too late for the client
        self._reply(status, answer)

    def _reply(self, status: int, body: Any = None) -> None:
        self._reply_raw(status, "" if body is None else json.dumps(body))

    def _reply_raw(self, status: int, body: str) -> None:
        self.send_body(status, "application/json", body)


class FakeSmsGate(FailureScript, LoopbackFake):
    """The app's `POST /messages` and `/webhooks` on 127.0.0.1, in a background thread; a context manager."""

    name = "fake-smsgate"
    handler = _Handler
    failure_content_type = "application/json"

    def __init__(
        self,
        username: str = "kawalmigran",
        password: str = "fake-smsgate-password",
        webhook_secret: str = "fake-smsgate-signing-key-0123456789abcdef",
        device_id: str = DEVICE_ID,
    ) -> None:
        super().__init__()
        self.username, self.password = username, password
        self.webhook_secret, self.device_id = webhook_secret, device_id
        self.requests: list[RecordedRequest] = []
        self.sent: list[SentSms] = []
        self.webhooks: list[dict[str, Any]] = []
        self.devices: list[str] = [device_id]
        self.devices_fail = False
        self._overrides: dict[str, tuple[str, str | None]] = {}
        self._lock = threading.Lock()

    # Scripting ----------------------------------------------------------------------------------------------

    def respond_for(self, number: str, state: str = "Failed", error: str | None = None) -> None:
        """Script the state the answer gives one recipient (e.g. Failed with the phone's error)."""
        with self._lock:
            self._overrides[number] = (state, error)

    def hold(self, message_id: str, phone: str, text: str, hashed: bool = False, state: str = "Sent") -> None:
        """A record the app already holds under `message_id` (sent before a database restore made our ids repeat)."""
        with self._lock:
            self.sent.append(SentSms(message_id, [phone], text, True, {phone: state}, hashed))

    def failure_body(self, http_status: int) -> str:
        """The relay's JSON error shape. (A scripted failure with a status accepts nothing; with only a delay
        the message IS accepted and the answer sent late: a client timeout after the phone took it.)"""
        return json.dumps({"message": f"fake failure {http_status}"})

    def device_offline(self) -> None:
        """The next send is refused as the relay does when the phone is offline or its queue is full (503)."""
        self.fail_next(http_status=503, body=OFFLINE_BODY)

    def reset(self) -> None:
        """Forget requests, sent messages, webhooks, overrides and queued failures."""
        with self._lock:
            self.requests.clear()
            self.sent.clear()
            self.webhooks.clear()
            self._overrides.clear()
            self.devices = [self.device_id]
            self.devices_fail = False
        self.clear_failures()

    def message(self, message_id: str) -> SentSms | None:
        """The accepted message with this id."""
        with self._lock:
            return next((m for m in self.sent if m.id == message_id), None)

    def texts_to(self, phone: str) -> list[str]:
        """Texts accepted for one number, oldest first."""
        with self._lock:
            return [m.text for m in self.sent if phone in m.phone_numbers]

    # Events, signed like the app ----------------------------------------------------------------------------

    def sign(self, body: bytes, timestamp: int | None = None, secret: str | None = None) -> dict[str, str]:
        """The headers the app sends: X-Signature (hex HMAC-SHA256 of body + timestamp) and X-Timestamp."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        key = (self.webhook_secret if secret is None else secret).encode()
        digest = hmac.new(key, body + stamp.encode(), hashlib.sha256).hexdigest()
        return {"Content-Type": "application/json", "X-Signature": digest, "X-Timestamp": stamp}

    def event(
        self, kind: str, payload: dict[str, Any], event_id: str | None = None, timestamp: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """One event as the app posts it: the JSON body and its signed headers."""
        body = json.dumps(
            {
                "deviceId": self.device_id,
                "event": kind,
                "id": event_id or f"evt{next(_event_numbers):06d}{uuid.uuid4().hex[:8]}",
                "payload": payload,
                "webhookId": f"wh-{kind}",
            }
        ).encode()
        return body, self.sign(body, timestamp)

    @staticmethod
    def received_payload(
        phone: str, text: str, received_at: str = "2026-11-28T13:04:45.000+07:00", sim_number: int = 1
    ) -> dict[str, Any]:
        """An `sms:received` payload (the `messageId` is derived from the content, as the app does)."""
        digest = hashlib.sha256(f"{phone}{text}".encode()).hexdigest()[:16]
        return {
            "messageId": digest,
            "message": text,
            "phoneNumber": phone,
            "simNumber": sim_number,
            "receivedAt": received_at,
        }

    @staticmethod
    def status_payload(kind: str, message_id: str, phone: str, reason: str | None = None) -> dict[str, Any]:
        """An `sms:sent`, `sms:delivered` or `sms:failed` payload."""
        now = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).isoformat(timespec="milliseconds")
        payload: dict[str, Any] = {"messageId": message_id, "phoneNumber": phone, "simNumber": 1}
        payload[{"sms:sent": "sentAt", "sms:delivered": "deliveredAt", "sms:failed": "failedAt"}[kind]] = now
        if reason is not None:
            payload["reason"] = reason
        return payload

    @staticmethod
    def ping_payload(status: str = "pass") -> dict[str, Any]:
        """A `system:ping` payload with the app's health verdict."""
        return {"health": {"status": status, "checks": {"messages:failed": {"status": "pass", "observedValue": 0}}}}

    def deliver(
        self, url: str, kind: str, payload: dict[str, Any], event_id: str | None = None, timeout: float = 10.0
    ) -> requests.Response:
        """POST one signed event to a real URL, as the app does."""
        body, headers = self.event(kind, payload, event_id)
        return requests.post(url, data=body, headers=headers, timeout=timeout)

    # Internals ----------------------------------------------------------------------------------------------

    def _authorised(self, header: str) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return hmac.compare_digest(header.encode(), expected.encode())

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _accept(self, body: Any, skip_validation: bool) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict):
            return 400, {"message": "body must be a JSON object"}
        text = (body.get("textMessage") or {}).get("text") if isinstance(body.get("textMessage"), dict) else None
        text = text if text is not None else body.get("message")
        if not text:
            return 400, {"message": "Must specify exactly one of: textMessage, dataMessage, or message"}
        phones = body.get("phoneNumbers")
        if not isinstance(phones, list) or not phones:
            return 400, {"message": "phoneNumbers is empty"}
        bad = [p for p in phones if not (isinstance(p, str) and E164.fullmatch(p))]
        if bad and not skip_validation:
            return 400, {"message": f"invalid phone number: {bad[0]}"}
        message_id = body.get("id") or uuid.uuid4().hex[:21]
        with self._lock:
            if any(m.id == message_id for m in self.sent):
                return 409, {"message": "duplicate id"}
            states = {p: self._overrides.get(p, ("Pending", None)) for p in phones}
            sms = SentSms(
                message_id,
                list(phones),
                text,
                bool(body.get("withDeliveryReport", True)),
                {p: s for p, (s, _) in states.items()},
            )
            self.sent.append(sms)
        return 202, self._state(sms, {p: e for p, (_, e) in states.items()})

    def _state(self, sms: SentSms, errors: dict[str, str | None] | None = None) -> dict[str, Any]:
        errors = errors or {}
        recipients = [
            {
                "phoneNumber": hashlib.sha256(p.encode()).hexdigest()[:16] if sms.hashed else p,
                "state": sms.states.get(p, "Pending"),
                **({"error": errors[p]} if errors.get(p) else {}),
            }
            for p in sms.phone_numbers
        ]
        overall = "Failed" if all(r["state"] == "Failed" for r in recipients) else "Pending"
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        content: dict[str, Any] = (
            {"hashedMessage": {"hash": hashlib.sha256(sms.text.encode()).hexdigest()}, "contentPreview": "[HASHED]"}
            if sms.hashed
            else {"message": sms.text, "textMessage": {"text": sms.text}, "contentPreview": sms.text}
        )
        return {
            "id": sms.id,
            "deviceId": self.device_id,
            "state": overall,
            "isHashed": sms.hashed,
            "isEncrypted": False,
            "recipients": recipients,
            "states": {overall: now},
            **content,
        }

    @staticmethod
    def _device(device_id: str) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {"id": device_id, "name": f"phone {device_id[:6]}", "createdAt": now, "updatedAt": now, "lastSeen": now}

    def _add_webhook(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not body.get("url") or not body.get("event"):
            return 400, {"message": "url and event are required"}
        with self._lock:
            hook = {"id": body.get("id") or uuid.uuid4().hex[:21], "url": body["url"], "event": body["event"]}
            if body.get("deviceId"):
                hook["deviceId"] = body["deviceId"]
            self.webhooks = [h for h in self.webhooks if h["id"] != hook["id"]] + [hook]
        return 201, hook

    def _delete_webhook(self, hook_id: str) -> tuple[int, Any]:
        with self._lock:
            before = len(self.webhooks)
            self.webhooks = [h for h in self.webhooks if h["id"] != hook_id]
            return (204, None) if len(self.webhooks) < before else (404, {"message": "webhook not found"})
