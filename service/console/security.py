"""What guards every console page: CSRF on every form, security headers, the session cookie's flags and the
rate limiter (Flask-Limiter on the service's Redis)."""

from __future__ import annotations

import ipaddress

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""No inline script or style, nothing from elsewhere, never framed, forms post only here."""

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
"""Headers on every console response: every page may carry personal data, so none is kept by a browser or proxy."""

CONSOLE_PREFIX = "/console"

csrf = CSRFProtect()
"""CSRF protection; checked on the console's forms only (webhooks are signed or carry their token instead)."""

limiter = Limiter(get_remote_address, key_prefix="console", in_memory_fallback_enabled=True)
"""Rate limits of the console's sign-in and code requests, counted in Redis (REDIS_URL); while Redis is down each
process counts on its own rather than letting guesses through uncounted."""

LOOPBACK_NAMES = frozenset({"localhost"})


def on_loopback(req: Request) -> bool:
    """True when the page was asked for by a loopback name (localhost, 127.0.0.1, [::1]): a session cookie may then
    go over plain HTTP. Any other name (the public one behind a proxy too) gets a Secure cookie."""
    host = req.host.lower()
    name = host.split("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, HttpOnly, SameSite=Lax, and Secure unless the request is on loopback."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure unless asked for on loopback (or configured so)."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure or not on_loopback(request)


def add_security_headers(response: Response) -> Response:
    """Put SECURITY_HEADERS on a console response (and on /static/console.css)."""
    if request.path == CONSOLE_PREFIX or request.path.startswith((CONSOLE_PREFIX + "/", "/static/console")):
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    """Cookie flags, the session interface, CSRF (console forms), the limiter on REDIS_URL, the headers."""
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", WTF_CSRF_CHECK_DEFAULT=False)
    # Referrer-Policy no-referrer: a browser posts without a Referer, so Flask-WTF's HTTPS Referer check would refuse
    # every form; the token in the form and the SameSite session cookie are the protection.
    app.config["WTF_CSRF_SSL_STRICT"] = False
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session; idle ends it
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.session_interface = ConsoleSessionInterface()
    csrf.init_app(app)
    limiter.init_app(app)
    _limit_the_console_only(app)
    app.after_request(add_security_headers)


def _limit_the_console_only(app: Flask) -> None:
    """Flask-Limiter checks every request of the app (a fifth of a millisecond each); only the console has limits,
    so its check runs for console paths alone and the USSD and SMS webhooks do not pay for it."""
    checks = app.before_request_funcs.setdefault(None, [])
    checks[:] = [check for check in checks if check != limiter._check_request_limit]

    @app.before_request
    def check_console_limits() -> None:
        if request.path == CONSOLE_PREFIX or request.path.startswith(CONSOLE_PREFIX + "/"):
            limiter._check_request_limit()
