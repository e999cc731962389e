"""SMS Gateway for Android (an Android phone's SIM): one request per message, our reference as its id.

Sends go through the `android-sms-gateway` client (`APIClient.send`) with a requests session whose every
request carries a timeout. Each message is one `POST {SMSGATE_URL}/messages` with `id` = our reference
(`km-<message id>`), so a retry after a lost answer cannot send twice: the app answers 409 to an id it already
holds. A 409 counts as sent only when the app's record of that id (`GET /messages/<id>`) is our message: the same
number and the same text (or its SHA-256, once the app has hashed the record). After a database restore
`km-<id>` repeats, and the record is someone else's: the message then goes under an id bound to its number and
text (`km-<id>-<digest>`, `content_bound_id`), so it is neither swallowed nor, on a later retry, sent twice.
`classify_failure` is the one place that decides whether a retry can help; a recipient's state in the answer goes
through `RECIPIENT_STATE`. Once the phone looks unreachable (timeout, no connection, offline), the rest of a batch
waits for its retry without a request each. The password is never logged and is scrubbed from every error
string; the app's own error words are escaped and cut (`provider_words`) before they are logged or stored.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import requests
from android_sms_gateway import APIClient, MessageState, ProcessState, TextMessage
from android_sms_gateway import Message as GateMessage
from android_sms_gateway.constants import DEFAULT_URL as CLOUD_URL
from android_sms_gateway.errors import APIError
from android_sms_gateway.http import RequestsHttpClient

from models.phones import mask
from workers.gateways.base import ACCEPTED, REJECTED, RETRYABLE, Recipient, SendResult

log = logging.getLogger(__name__)

DEFAULT_URL = CLOUD_URL
"""The app's cloud relay, used when SMSGATE_URL is not set (the phone's own server is `http://PHONE:8080`)."""

DEFAULT_TIMEOUT_SECONDS = 10.0
"""Seconds one request to the app may take when SMSGATE_TIMEOUT_SECONDS is not set."""

DEFAULT_MAX_PER_MINUTE = 20
"""Sends a minute through the phone when SMSGATE_MAX_PER_MINUTE is not set (a SIM is slow; carriers flag bulk)."""

RECIPIENT_STATE: dict[ProcessState, tuple[str, str | None]] = {
    ProcessState.Pending: (ACCEPTED, None),
    ProcessState.Processed: (ACCEPTED, None),
    ProcessState.Sent: (ACCEPTED, None),
    ProcessState.Delivered: (ACCEPTED, None),
    ProcessState.Failed: (REJECTED, "Failed"),
    ProcessState.Cancelling: (REJECTED, "Cancelled"),
    ProcessState.Cancelled: (REJECTED, "Cancelled"),
}
"""The app's per-recipient state in a send answer -> (outcome, reason). A message that failed or was cancelled
is final for its id: a retry under the same id would only be refused as a duplicate."""

DUPLICATE_ID = 409
"""The app's answer to an id it already holds: accepted only once its record of the id is shown to be ours."""

HASHED_NUMBER_LENGTH = 16
"""The app hashes a processed message's numbers as the first 16 hex digits of their SHA-256 (its text: all 64)."""

OFFLINE_STATUS = 503
"""The relay's answer when the phone's queue is full or the phone has not been online (retryable)."""

ERROR_TEXT_LIMIT = 200
"""Characters of the app's error message kept in an error string."""

_E164 = re.compile(r"\+[1-9]\d{6,14}")
_PHONE_LIKE = re.compile(r"\+?\d{8,15}")
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


RECORD_READ_ERRORS = (APIError, requests.RequestException, AttributeError, KeyError, TypeError, ValueError)
"""What reading the app's record of a message may raise."""


def provider_words(raw: object, limit: int = ERROR_TEXT_LIMIT) -> str:
    """The app's or the phone's own error words, safe to log and store: one line, control characters escaped
    (`\\x1b`), at most `limit` characters."""
    text = " ".join(str(raw or "").split())
    text = _CONTROL_CHARACTERS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text[:limit]


def content_bound_id(ref: str, phone: str, text: str) -> str:
    """The id a message goes under when the app holds its plain reference for another message: the reference and
    a digest of number and text, so it cannot collide with another message after a restore (at most 36 characters,
    the app's limit)."""
    digest = hashlib.sha256(f"{phone}\n{text}".encode()).hexdigest()[:10]
    return f"{ref}-{digest}"


def _hashed_number(phone: str) -> str:
    return hashlib.sha256(phone.encode()).hexdigest()[:HASHED_NUMBER_LENGTH]


def record_is_ours(record: Mapping[str, Any], phone: str, text: str) -> bool | None:
    """Whether the app's record of an id (`GET /messages/<id>`) is our message to `phone` with `text`: False if
    its number or its text differ, True if both match, None if the numbers match but the record shows no text
    (an app version that does not return it). Numbers and text may be hashed as the app hashes processed ones."""
    recipients = record.get("recipients")
    if not isinstance(recipients, list) or len(recipients) != 1 or not isinstance(recipients[0], dict):
        return False
    number = str(recipients[0].get("phoneNumber") or "")
    if number.lower() not in (phone, phone.lstrip("+"), _hashed_number(phone)):
        return False
    text_message = record.get("textMessage")
    shown = text_message.get("text") if isinstance(text_message, dict) else None
    shown = shown if shown is not None else record.get("message")
    if isinstance(shown, str) and shown:
        return shown == text
    hashed_message = record.get("hashedMessage")
    digest = hashed_message.get("hash") if isinstance(hashed_message, dict) else None
    if isinstance(digest, str) and digest:
        return digest.lower() == hashlib.sha256(text.encode()).hexdigest()
    return None


class TimeoutSession(requests.Session):
    """A requests session that gives every request `timeout` seconds unless the caller says otherwise."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        if not timeout or timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.timeout = float(timeout)

    # takes keywords only, as Session's own get/post/... pass them, rather than restating its parameters
    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        if kwargs["timeout"] is None:
            raise ValueError("a timeout is required")
        return super().request(method, url, **kwargs)


def client_for(url: str, username: str, password: str, session: requests.Session) -> APIClient:
    """The library's client on `session` (whose requests carry the timeout), pointed at `url`."""
    return APIClient(username, password, base_url=url, http=RequestsHttpClient(session))


def _api_error_text(exc: APIError) -> str:
    answer = exc.response if isinstance(exc.response, dict) else {}
    detail = provider_words(answer.get("message") or answer.get("error") or answer.get("details") or "")
    return f"HTTP {exc.status_code}: {detail}" if detail else f"HTTP {exc.status_code}"


def classify_failure(exc: BaseException) -> tuple[str, str]:
    """Sort a failed request into (outcome, error): the one place that decides if a retry can help.

    Network errors, timeouts, 429 and 5xx (503: the phone is offline or its queue is full) are retryable;
    other 4xx (bad number, bad credentials, bad request) are rejected for good; 409 means the id was accepted
    by an earlier attempt, if the app's record of the id is our message (the gateway checks that).
    """
    if isinstance(exc, APIError):
        status = exc.status_code or 0
        error = _api_error_text(exc)
        if status == DUPLICATE_ID:
            return ACCEPTED, f"{error} (the id is held already)"
        if status == OFFLINE_STATUS:
            return RETRYABLE, f"{error} (phone offline or its queue full)"
        if status == 429 or status >= 500 or status < 400:
            return RETRYABLE, error
        return REJECTED, error
    if isinstance(exc, requests.exceptions.JSONDecodeError):
        return RETRYABLE, "malformed answer: not JSON"
    if isinstance(exc, requests.Timeout):
        return RETRYABLE, f"timeout: {type(exc).__name__}"
    if isinstance(exc, requests.ConnectionError):
        return RETRYABLE, f"connection failed (phone or relay unreachable): {type(exc).__name__}"
    if isinstance(exc, requests.HTTPError):  # the library's bare raise_for_status paths
        status = exc.response.status_code if exc.response is not None else 0
        return (RETRYABLE if status == 429 or status >= 500 else REJECTED), f"HTTP {status}"
    if isinstance(exc, requests.RequestException):
        return RETRYABLE, f"request failed: {type(exc).__name__}"
    if isinstance(exc, (AttributeError, KeyError, TypeError, ValueError)):  # the library parsing a 2xx answer
        return RETRYABLE, f"malformed answer: {type(exc).__name__}"
    raise TypeError(f"not a send failure: {type(exc).__name__}") from exc


def phone_unreachable(exc: BaseException) -> bool:
    """True for a failure that the next message of the same batch would meet too (no answer in time, no
    connection, the phone offline): its other messages then wait for their retry without a request each."""
    if isinstance(exc, APIError):
        return exc.status_code == OFFLINE_STATUS
    return isinstance(exc, (requests.Timeout, requests.ConnectionError))


def may_have_taken(exc: BaseException) -> bool:
    """True for a failed send after which the app may hold the message all the same: no answer in time after the
    request went out, a broken or malformed answer, a server error other than the relay's "phone offline" (503).
    False where nothing can have reached the app (no connection made, the relay refused, a 4xx)."""
    if isinstance(exc, APIError):
        status = exc.status_code or 0
        return status >= 500 and status != OFFLINE_STATUS
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        return not any(word in repr(exc) for word in ("NewConnectionError", "Connection refused", "ConnectTimeout"))
    if isinstance(exc, requests.HTTPError):
        status = exc.response.status_code if exc.response is not None else 0
        return status >= 500 and status != OFFLINE_STATUS
    answered_badly = (AttributeError, KeyError, TypeError, ValueError)  # the library parsing a 2xx answer
    return isinstance(exc, (requests.Timeout, requests.RequestException, *answered_badly))


def recipient_outcome(state: MessageState, phone: str) -> tuple[str, str | None]:
    """The outcome of the one recipient of a message state, through `RECIPIENT_STATE` (with the app's error)."""
    entry = next((r for r in state.recipients if _digits(r.phone_number) == _digits(phone)), None)
    if entry is None and len(state.recipients) == 1:
        entry = state.recipients[0]  # the app may answer with the number hashed or reformatted
    process_state, error = (entry.state, entry.error) if entry is not None else (state.state, None)
    outcome, word = RECIPIENT_STATE.get(process_state, (RETRYABLE, "unknown state"))
    if outcome == ACCEPTED:
        return ACCEPTED, None
    reason = provider_words(error)
    return outcome, f"{word or process_state.value}: {reason}" if reason else (word or process_state.value)


def _digits(phone: str) -> str:
    return "".join(ch for ch in str(phone) if ch.isdigit())


class SmsGateGateway:
    """Sends SMS through an Android phone running SMS Gateway for Android (directly or via the cloud relay)."""

    name = "smsgate"

    def __init__(self, url: str, username: str, password: str, timeout: float) -> None:
        if not url or not url.startswith(("http://", "https://")):
            raise ValueError("url must be an http(s) URL")
        if not username:
            raise ValueError("username is required")
        if not password:
            raise ValueError("password is required")
        if not timeout or timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.url = url.rstrip("/")
        self.username = username
        self.timeout = float(timeout)
        self._password = password

    def __repr__(self) -> str:
        return f"SmsGateGateway(url={self.url!r}, username={self.username!r})"

    def send(self, text: str, recipients: Sequence[Recipient]) -> list[SendResult]:
        """Send `text` to each recipient, one request each with its reference as the id; one result each, in order."""
        results: list[SendResult] = []
        unreachable: str | None = None
        with TimeoutSession(self.timeout) as session:
            client = client_for(self.url, self.username, self._password, session)
            for recipient in recipients:
                if unreachable:  # a batch must not spend a timeout per message on a phone that is away
                    results.append(self._result(recipient, RETRYABLE, error=f"not tried: {unreachable}"))
                    continue
                result, gone = self._send_one(client, text, recipient)
                results.append(result)
                unreachable = result.error if gone else None
        counts = {o: sum(r.outcome == o for r in results) for o in (ACCEPTED, REJECTED, RETRYABLE)}
        log.info(
            "smsgate send to %d: %d accepted, %d rejected, %d retryable",
            len(results),
            counts[ACCEPTED],
            counts[REJECTED],
            counts[RETRYABLE],
        )
        return results

    def _send_one(
        self, client: APIClient, text: str, recipient: Recipient, app_id: str | None = None
    ) -> tuple[SendResult, bool]:
        """One `POST /messages` for one recipient under `app_id` (our reference unless it is taken), every failure
        sorted by `classify_failure`; and whether the phone looked unreachable."""
        if not _E164.fullmatch(recipient.phone or ""):
            return self._result(recipient, REJECTED, error="invalid phone number format"), False
        app_id = app_id or recipient.ref
        message = GateMessage(
            id=app_id, phone_numbers=[recipient.phone], text_message=TextMessage(text), with_delivery_report=True
        )
        error: str | None
        try:
            state = client.send(message)
        except (APIError, requests.RequestException, AttributeError, KeyError, TypeError, ValueError) as exc:
            outcome, error = classify_failure(exc)
            if outcome == ACCEPTED:
                return self._held_already(client, text, recipient, app_id)
            unsure = outcome == RETRYABLE and may_have_taken(exc)
            return self._result(recipient, outcome, error=error, unsure=unsure), phone_unreachable(exc)
        outcome, error = recipient_outcome(state, recipient.phone)
        provider_id = (state.id or app_id) if outcome == ACCEPTED else None
        return self._result(recipient, outcome, provider_id=provider_id, error=error), False

    def _held_already(self, client: APIClient, text: str, recipient: Recipient, app_id: str) -> tuple[SendResult, bool]:
        """The app answered 409 to `app_id`: accepted if its record of the id is this message (an earlier attempt
        got through); else the message goes once more under its content-bound id. A record that cannot be read
        leaves the message to its retry: neither counted as sent nor sent twice."""
        try:
            record = self._record(client, app_id)
        except RECORD_READ_ERRORS as exc:
            _, problem = classify_failure(exc)
            error = f"HTTP 409 for {app_id}, and the app's record of it could not be read: {problem}"
            return self._result(recipient, RETRYABLE, error=error, unsure=True), phone_unreachable(exc)
        ours = record_is_ours(record, recipient.phone, text)
        bound = app_id != recipient.ref
        if ours or (ours is None and bound):  # a content-bound id held for this number is this message
            log.info("smsgate already holds %s for this message: accepted by an earlier attempt", app_id)
            return self._result(recipient, ACCEPTED, provider_id=app_id), False
        if bound:
            error = f"HTTP 409: the app holds {app_id} for another message"
            return self._result(recipient, REJECTED, error=error), False
        alternative = content_bound_id(recipient.ref, recipient.phone, text)
        log.warning(
            "smsgate holds %s for %s (after a database restore our ids repeat): sending it as %s",
            app_id,
            "another message" if ours is False else "a message whose text it does not show",
            alternative,
        )
        return self._send_one(client, text, recipient, alternative)

    @staticmethod
    def _record(client: APIClient, app_id: str) -> Mapping[str, Any]:
        """The app's record of one message id, as it answers `GET /messages/<id>` (the library's `get_state`
        drops the text that newer app versions return, which is what tells our message from another)."""
        if client.http is None:
            raise ValueError("HTTP client not initialized")
        answer = client.http.get(f"{client.base_url}/messages/{quote(app_id, safe='')}", headers=client.headers)
        if not isinstance(answer, dict):
            raise TypeError("the record is not a JSON object")
        return answer

    def find_sent(self, text: str, recipient: Recipient) -> SendResult | None:
        """Whether the app holds this message under its reference (an earlier send whose answer was lost): its
        accepted result if it does, None if it does not (404, or the id held for another message). Raises what
        reading the record raises (`RECORD_READ_ERRORS`) when the app cannot say."""
        with TimeoutSession(self.timeout) as session:
            client = client_for(self.url, self.username, self._password, session)
            try:
                record = self._record(client, recipient.ref)
            except APIError as exc:
                if exc.status_code == 404:
                    return None
                raise
        if record_is_ours(record, recipient.phone, text) is False:
            return None
        return self._result(recipient, ACCEPTED, provider_id=recipient.ref)

    def device_ids(self) -> list[str]:
        """The ids of the devices registered with the app under these credentials (deleted ones left out)."""
        with TimeoutSession(self.timeout) as session:
            devices = client_for(self.url, self.username, self._password, session).list_devices()
        return [device.id for device in devices if device.id and device.deleted_at is None]

    def _result(
        self,
        recipient: Recipient,
        outcome: str,
        provider_id: str | None = None,
        error: str | None = None,
        unsure: bool = False,
    ) -> SendResult:
        """Build a result with the password scrubbed from its error, and log it (phone masked)."""
        phone = recipient.phone
        if error:
            if len(self._password) >= 4:  # a shorter one would mangle ordinary words
                error = error.replace(self._password, "***")
            log.log(
                logging.INFO if outcome == RETRYABLE else logging.WARNING,
                "smsgate send of %s to %s %s: %s",
                recipient.ref,
                mask(phone),
                outcome,
                _PHONE_LIKE.sub(lambda m: mask(m.group()), error),
            )
        else:
            log.debug("smsgate send of %s to %s %s", recipient.ref, mask(phone), outcome)
        return SendResult(phone=phone, outcome=outcome, provider_id=provider_id, error=error, unsure=unsure)
