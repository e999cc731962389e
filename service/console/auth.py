"""Console sign-in: phone and password, a password set with a code sent by SMS, and the session that follows.

Views: `/console/login` (form fields `phone`, `password`, `csrf_token`), `/console/logout` (POST),
`/console/password` (`phone`; then `phone`, `code`, `password`). Other views use `login_required` and
`current_staff()`. A session holds the staff member's id and when they last did something: it ends after
CONSOLE_IDLE_MINUTES idle, and at the next request once the staff member is removed.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Response, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError

from menus.features.console import CODE_PURPOSE, CODE_TEXT
from menus.notify import notify
from models import Staff, database
from models.console import CODE_VALID, MIN_PASSWORD_LENGTH, PasswordError, ResetCode, StaffPassword
from models.jobs import enqueue_after_commit
from models.phones import InvalidPhone, mask, to_e164
from service.console.blueprint import bp
from service.console.security import csrf, limiter
from service.console.texts import LANGUAGE_KEY, remember_language, text

log = logging.getLogger(__name__)

DEFAULT_IDLE_MINUTES = 60.0
"""CONSOLE_IDLE_MINUTES when not set: a session ends after this long without a request."""

FAILED_SIGN_INS_PER_NUMBER = "10 per 15 minutes"
"""Wrong passwords one number may get before sign-in to it answers 429."""
FAILED_SIGN_INS_PER_ADDRESS = "20 per 15 minutes"
"""Wrong passwords one address may send (an office shares one) before sign-in from it answers 429."""
CODE_REQUESTS_PER_NUMBER = "3 per hour"
"""Codes one number may be sent an hour (each is an SMS)."""
CODE_REQUESTS_PER_ADDRESS = "10 per hour"
"""Code requests (and wrong code entries) one address may make an hour."""

STAFF_KEY = "staff_id"
SEEN_KEY = "seen"
"""Session keys: the signed-in staff member's id, and when they last made a request (UTC seconds)."""

REFUSED = 401
"""The status of a refused sign-in or code (the form again, with a message): what the limiter counts."""

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


class NotSignedIn(RuntimeError):
    """current_staff() was called where no staff member is signed in (a view without login_required)."""


def _form_phone() -> str:
    """The typed number as E.164 (any format), or the text as typed when it is no number (a limiter key)."""
    raw = request.form.get("phone", "")[:40]
    try:
        return to_e164(raw)
    except InvalidPhone:
        return raw.strip()


def _phone_key() -> str:
    return "phone:" + _form_phone()


def _refused(response: Response) -> bool:
    return response.status_code == REFUSED


def _code_asked_or_refused(response: Response) -> bool:
    return "code" not in request.form or response.status_code == REFUSED


def _idle_limit() -> dt.timedelta:
    return dt.timedelta(minutes=float(current_app.config.get("CONSOLE_IDLE_MINUTES", DEFAULT_IDLE_MINUTES)))


def end_session() -> None:
    """Forget who is signed in and the session's CSRF token (a new one follows; the language chosen stays)."""
    language = session.get(LANGUAGE_KEY)
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF keeps this request's token in g: it belonged to the session just ended
    if language:
        session[LANGUAGE_KEY] = language


def _start_session(staff: Staff) -> None:
    end_session()
    session[STAFF_KEY] = staff.id
    session[SEEN_KEY] = time.time()


@bp.before_request
def load_staff() -> None:
    """Every console request: the language asked for, CSRF on POST, and who is signed in (None once idle too long
    or removed)."""
    remember_language()
    if request.method == "POST":
        csrf.protect()
    g.staff = None
    staff_id = session.get(STAFF_KEY)
    if staff_id is None:
        return
    now = time.time()
    seen = session.get(SEEN_KEY)
    if not isinstance(seen, int | float) or now - seen > _idle_limit().total_seconds():
        log.info("console session of staff %s ended: idle", staff_id)
        end_session()
        return
    staff = Staff.get_or_none((Staff.id == staff_id) & (Staff.active == True))  # noqa: E712
    if staff is None:
        log.info("console session of staff %s ended: no longer active", staff_id)
        end_session()
        return
    session[SEEN_KEY] = now
    g.staff = staff


def current_staff() -> Staff:
    """The signed-in, still active staff member of this request (views under `login_required`)."""
    staff = g.get("staff")
    if staff is None:
        raise NotSignedIn("no staff member is signed in: decorate the view with login_required")
    return cast(Staff, staff)


def _safe_next(target: str | None) -> str | None:
    """A console path to return to after sign-in; anything else (another site, `//host`) is dropped."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console") or target.startswith("//"):
        return None
    return target


def login_required(view: F) -> F:
    """A view for signed-in staff only; anyone else is sent to the sign-in page (and back afterwards)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if g.get("staff") is None:
            return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return cast(F, wrapped)


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> ResponseReturnValue:
    """A form without its token (or an old one): refused, with a way back."""
    log.warning("console form refused: %s", error.description)
    return render_template("console/refused.html", message=text("console.csrf_refused")), 400


@bp.errorhandler(429)
def too_many(error: Exception) -> ResponseReturnValue:
    """Too many wrong passwords or code requests: wait."""
    log.warning("console rate limit reached at %s", request.path)
    return render_template("console/refused.html", message=text("console.too_many")), 429


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(FAILED_SIGN_INS_PER_ADDRESS, methods=["POST"], deduct_when=_refused, scope="login-address")
@limiter.limit(
    FAILED_SIGN_INS_PER_NUMBER, key_func=_phone_key, methods=["POST"], deduct_when=_refused, scope="login-phone"
)
def login() -> ResponseReturnValue:
    """Sign in with phone number and password."""
    after = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.staff is not None:
            return redirect(after or url_for("console.today"))
        return render_template("console/login.html", next=after, phone="")
    phone = _form_phone()
    staff = StaffPassword.sign_in(phone, request.form.get("password", "")) if phone.startswith("+") else None
    if staff is None:
        log.info("console sign-in refused for %s from %s", mask(phone), get_remote_address())
        error = text("console.login.refused")
        return render_template("console/login.html", next=after, phone=phone, error=error), REFUSED
    _start_session(staff)
    log.info("console sign-in of staff %s (%s)", staff.id, mask(staff.phone))
    return redirect(after or url_for("console.today"))


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Sign out."""
    end_session()
    return redirect(url_for("console.login"))


def _send_code(phone: str) -> None:
    """Text a new code to `phone` if it is an active staff number; nothing otherwise (the answer is the same)."""
    staff = Staff.for_phone(phone) if phone.startswith("+") else None
    if staff is None:
        log.info("console code asked for %s: not a staff number, nothing sent", mask(phone))
        return
    minutes = str(CODE_VALID.seconds // 60)
    with database.atomic():
        code = ResetCode.issue(staff)
        sent = notify(staff.phone, CODE_TEXT, {"pin": code, "pin_minutes": minutes}, CODE_PURPOSE)
    enqueue_after_commit([sent, *sent.also])
    log.info("console code sent to staff %s (%s)", staff.id, mask(staff.phone))


def _password_page(step: str, phone: str, **messages: str) -> str:
    return render_template("console/password.html", step=step, phone=phone, min_length=MIN_PASSWORD_LENGTH, **messages)


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(CODE_REQUESTS_PER_ADDRESS, methods=["POST"], deduct_when=_code_asked_or_refused, scope="code-address")
@limiter.limit(
    CODE_REQUESTS_PER_NUMBER,
    key_func=_phone_key,
    methods=["POST"],
    exempt_when=lambda: "code" in request.form,
    scope="code-phone",
)
def password() -> ResponseReturnValue:
    """Set or reset a password: the number first (a code goes to it by SMS if it is staff's), then the code and the
    new password."""
    if request.method == "GET":
        step = "code" if request.args.get("step") == "code" else "phone"
        return _password_page(step, "")
    phone = _form_phone()
    if "code" not in request.form:
        _send_code(phone)
        return _password_page("code", phone, notice=text("console.code.sent"))
    new_password = request.form.get("password", "")
    staff = Staff.for_phone(phone) if phone.startswith("+") else None
    try:
        done = ResetCode.set_password(staff, request.form.get("code", "")[:20], new_password)
    except PasswordError:
        return _password_page("code", phone, error=text("console.password.rule", count=MIN_PASSWORD_LENGTH)), 400
    if not done:
        log.info("console code refused for %s", mask(phone))
        return _password_page("code", phone, error=text("console.code.refused")), REFUSED
    log.info("console password set for staff %s (%s)", staff.id if staff else "?", mask(phone))
    flash("console.password.set")
    return redirect(url_for("console.login"))
