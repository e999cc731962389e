"""Africa's Talking SMS gateway: one bulk send through the SDK, each answer sorted into accepted, rejected, retryable.

The SDK (2.0.3) hard-codes its base URL and, on a non-2xx answer, raises an exception carrying only
the body. `_SMSClient` therefore points the SDK's `SMSService` at `AT_API_URL` and keeps the HTTP
status of a failed request, so that `classify_failure` can tell a throttled or broken gateway
(retry) from a refused request (do not). Per-recipient status codes go through `RECIPIENT_STATUS`.
The API key is never logged and is scrubbed from every error string.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any

import requests
from africastalking.Service import DEFAULT_TIMEOUT_S, validate_phone
from africastalking.SMS import SMSService

from models.phones import mask
from workers.gateways.base import ACCEPTED, REJECTED, RETRYABLE, Recipient, SendResult

log = logging.getLogger(__name__)

PRODUCTION_URL = "https://api.africastalking.com"
SANDBOX_URL = "https://api.sandbox.africastalking.com"
"""AT's base URLs, used when AT_API_URL is not set (the sandbox serves the username "sandbox")."""

DEFAULT_TIMEOUT_SECONDS = 10.0
"""Seconds an AT request may take when AT_TIMEOUT_SECONDS is not set."""


def default_api_url(username: str) -> str:
    """AT's base URL for an account: the sandbox for the username "sandbox", production otherwise."""
    return SANDBOX_URL if username.strip() == "sandbox" else PRODUCTION_URL


RECIPIENT_STATUS: dict[int, tuple[str, str]] = {
    100: (ACCEPTED, "Processed"),
    101: (ACCEPTED, "Success"),
    102: (ACCEPTED, "Queued"),
    401: (REJECTED, "RiskHold"),
    402: (REJECTED, "InvalidSenderId"),
    403: (REJECTED, "InvalidPhoneNumber"),
    404: (REJECTED, "UnsupportedNumberType"),
    405: (REJECTED, "InsufficientBalance"),
    406: (REJECTED, "UserInBlacklist"),
    407: (REJECTED, "CouldNotRoute"),
    408: (REJECTED, "Rejected"),
    409: (REJECTED, "DoNotDisturbRejection"),
    500: (RETRYABLE, "InternalServerError"),
    501: (RETRYABLE, "GatewayError"),
    502: (RETRYABLE, "RejectedByGateway"),
}
"""AT's per-recipient `statusCode` -> (outcome, status word used when the answer gives none)."""

UNKNOWN_STATUS_OUTCOME = RETRYABLE
"""Outcome of a `statusCode` missing from the table: retrying is bounded, dropping a message is not."""

ERROR_TEXT_LIMIT = 200
"""Characters of a provider's error body kept in an error string."""

_PHONE_LIKE = re.compile(r"\+?\d{8,15}")


class HTTPFailure(Exception):
    """AT answered the whole request with a non-2xx HTTP status."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body


class MalformedAnswer(Exception):
    """AT answered 2xx with something that is not the documented send answer."""


class _SMSClient(SMSService):
    """The SDK's SMS service, pointed at `api_url`, raising `HTTPFailure` (with the status) on non-2xx."""

    def __init__(self, username: str, api_key: str, api_url: str) -> None:
        self._api_url = api_url
        super().__init__(username, api_key)

    def _init_service(self) -> None:
        self._baseUrl = self._api_url + "/version1"
        self._contentUrl = self._api_url + "/version1"

    def _make_request(self, url, method, headers, data, params, callback=None, timeout=DEFAULT_TIMEOUT_S):
        """The SDK's synchronous request, except that a failed request keeps its HTTP status."""
        if callback is not None or method.upper() != "POST":
            raise NotImplementedError("only synchronous POST is used")
        if timeout is None:
            raise ValueError("a timeout is required")
        res = requests.post(url=url, headers=headers, params=params, data=data, timeout=timeout)
        if not 200 <= res.status_code < 300:
            raise HTTPFailure(res.status_code, res.text)
        if res.headers.get("content-type") == "application/json":
            try:
                return res.json()
            except ValueError:
                raise MalformedAnswer("answer labelled application/json is not JSON") from None
        return res.text  # the SDK's behaviour for any other content type


def classify_failure(exc: BaseException) -> tuple[str, str]:
    """Sort a whole-request failure into (outcome, error): the one place that decides if a retry can help."""
    if isinstance(exc, HTTPFailure):
        body = " ".join(exc.body.split())[:ERROR_TEXT_LIMIT]
        error = f"HTTP {exc.status}: {body}" if body else f"HTTP {exc.status}"
        if exc.status == 429 or exc.status >= 500 or exc.status < 400:
            return RETRYABLE, error
        return REJECTED, error
    if isinstance(exc, MalformedAnswer):
        return RETRYABLE, str(exc)
    if isinstance(exc, requests.Timeout):
        return RETRYABLE, f"timeout: {type(exc).__name__}"
    if isinstance(exc, requests.ConnectionError):
        return RETRYABLE, f"connection failed: {type(exc).__name__}"
    if isinstance(exc, requests.RequestException):
        return RETRYABLE, f"request failed: {type(exc).__name__}"
    if isinstance(exc, ValueError):  # the SDK's phone-format check
        return REJECTED, "invalid phone number format"
    raise TypeError(f"not a send failure: {type(exc).__name__}") from exc


def recipient_outcome(code: Any, status: str | None) -> tuple[str, str]:
    """Map one recipient's `statusCode` and `status` through `RECIPIENT_STATUS` to (outcome, reason)."""
    try:
        number = int(code)
    except (TypeError, ValueError):
        return UNKNOWN_STATUS_OUTCOME, f"unknown statusCode {code!r} {status or ''}".strip()
    outcome, word = RECIPIENT_STATUS.get(number, (UNKNOWN_STATUS_OUTCOME, "Unknown"))
    return outcome, f"{number} {status or word}"


def parse_recipients(answer: Any) -> list[dict[str, Any]]:
    """Return `SMSMessageData.Recipients` from the SDK's answer (dict, or str for a non-JSON content type)."""
    if isinstance(answer, (str, bytes)):
        try:
            answer = json.loads(answer)
        except ValueError:
            text = answer if isinstance(answer, str) else answer.decode("utf-8", "replace")
            snippet = " ".join(text.split())[:60]
            raise MalformedAnswer(f"answer is not JSON: {snippet!r}") from None
    if not isinstance(answer, dict):
        raise MalformedAnswer(f"answer is a JSON {type(answer).__name__}, not an object")
    data = answer.get("SMSMessageData")
    if not isinstance(data, dict):
        raise MalformedAnswer("answer has no SMSMessageData")
    recipients = data.get("Recipients")
    if not isinstance(recipients, list):
        raise MalformedAnswer(f"answer has no SMSMessageData.Recipients ({data.get('Message', '')!s:.80})")
    return [r for r in recipients if isinstance(r, dict)]


def _digits(phone: str) -> str:
    return "".join(ch for ch in str(phone) if ch.isdigit())


class AfricasTalkingGateway:
    """Sends SMS through Africa's Talking's bulk messaging API."""

    name = "africastalking"

    def __init__(self, username: str, api_key: str, sender_id: str | None, api_url: str, timeout: float) -> None:
        if not username:
            raise ValueError("username is required")
        if not api_key:
            raise ValueError("api_key is required")
        if not api_url or not api_url.startswith(("http://", "https://")):
            raise ValueError("api_url must be an http(s) URL")
        if not timeout or timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.sender_id = sender_id or None
        self.api_url = api_url.rstrip("/")
        self.timeout = float(timeout)
        self._api_key = api_key
        self._client = _SMSClient(username, api_key, self.api_url)

    def __repr__(self) -> str:
        return f"AfricasTalkingGateway(username={self._client._username!r}, api_url={self.api_url!r})"

    def send(self, text: str, recipients: Sequence[Recipient]) -> list[SendResult]:
        """Send `text` to every recipient in one request (AT takes no client ids: `ref` is not sent); return
        one result per recipient, in order."""
        phones = [r.phone for r in recipients]
        results: dict[str, SendResult] = {}
        valid = []
        for phone in dict.fromkeys(phones):
            if validate_phone(phone):
                valid.append(phone)
            else:
                outcome, error = classify_failure(ValueError("Invalid phone number"))
                results[phone] = self._result(phone, outcome, error=error)
        if valid:
            results.update(self._send_valid(text, valid))
        out = [results[phone] for phone in phones]
        counts = {o: sum(r.outcome == o for r in out) for o in (ACCEPTED, REJECTED, RETRYABLE)}
        log.info(
            "AT send to %d: %d accepted, %d rejected, %d retryable",
            len(out),
            counts[ACCEPTED],
            counts[REJECTED],
            counts[RETRYABLE],
        )
        return out

    def _send_valid(self, text: str, phones: list[str]) -> dict[str, SendResult]:
        """One SDK call for well-formed numbers; failures of the whole request apply to each of them."""
        try:
            answer = self._client.send(text, phones, sender_id=self.sender_id, timeout=self.timeout)
            recipients = parse_recipients(answer)
        except (HTTPFailure, MalformedAnswer, requests.RequestException, ValueError) as exc:
            outcome, error = classify_failure(exc)
            return {phone: self._result(phone, outcome, error=error) for phone in phones}
        by_number = {_digits(r.get("number", "")): r for r in recipients}
        results = {}
        for phone in phones:
            entry = by_number.get(_digits(phone))
            if entry is None:
                results[phone] = self._result(phone, RETRYABLE, error="no recipient entry")
                continue
            outcome, reason = recipient_outcome(entry.get("statusCode"), entry.get("status"))
            if outcome == ACCEPTED:
                results[phone] = self._result(
                    phone, ACCEPTED, provider_id=_text(entry.get("messageId")), cost=_text(entry.get("cost"))
                )
            else:
                results[phone] = self._result(phone, outcome, error=reason)
        return results

    def _result(
        self,
        phone: str,
        outcome: str,
        provider_id: str | None = None,
        cost: str | None = None,
        error: str | None = None,
    ) -> SendResult:
        """Build a result with the API key scrubbed from its error, and log it (phone masked)."""
        if error:
            error = error.replace(self._api_key, "***")
            log.log(
                logging.INFO if outcome == RETRYABLE else logging.WARNING,
                "AT send to %s %s: %s",
                mask(phone),
                outcome,
                _PHONE_LIKE.sub(lambda m: mask(m.group()), error),
            )
        else:
            log.debug("AT send to %s %s: %s", mask(phone), outcome, provider_id)
        return SendResult(phone=phone, outcome=outcome, provider_id=provider_id, cost=cost, error=error)


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
