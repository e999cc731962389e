"""Console helpers for tests: a form's CSRF token, a staff member with a password, a signed-in test client."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from models import Staff
from models.console import StaffPassword

PASSWORD = "kata-sandi-panjang"
"""The password the helpers give staff (long enough for the rule)."""

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/console/login") -> str:
    """The CSRF token of the form on `path` (GET), as a browser would read it."""
    page = client.get(path).get_data(as_text=True)
    found = _TOKEN.search(page)
    assert found, f"no csrf_token on {path}"
    return found.group(1)


def give_password(phone: str, password: str = PASSWORD) -> Staff:
    """Set the console password of the staff member with this E.164 phone."""
    staff = Staff.get(Staff.phone == phone)
    StaffPassword.store(staff, password)
    return staff


def sign_in(client: FlaskClient, phone: str, password: str = PASSWORD):
    """Sign in through the form (signed in or not); returns the response (302 to the console when it worked)."""
    return client.post(
        "/console/login",
        data={"phone": phone, "password": password, "csrf_token": csrf_token(client, "/console/password")},
    )
