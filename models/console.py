"""Console sign-in: a staff member's password (argon2) and the one-time codes sent by SMS to set or reset it."""

from __future__ import annotations

import datetime as dt
import secrets

import peewee
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from models.base import BaseModel, database, utcnow
from models.staff import Staff

MIN_PASSWORD_LENGTH = 10
"""Fewest characters a console password may have."""

MAX_PASSWORD_LENGTH = 200
"""Most characters a console password may have (argon2 takes any length; a form field should not)."""

CODE_DIGITS = 6
"""Digits of a one-time code sent by SMS."""

CODE_VALID = dt.timedelta(minutes=10)
"""How long a one-time code can be used after it was sent."""

CODE_TRIES = 5
"""Wrong entries a one-time code survives; after them a new code is needed."""

HASHER = PasswordHasher()
"""argon2id with the library's current defaults (a stored hash with older parameters is rehashed on sign-in)."""

_NO_ONE = HASHER.hash(secrets.token_hex(16))
"""A hash no password matches: verified for an unknown number, so it answers as slowly as a known one."""


class PasswordError(ValueError):
    """A new password the rules refuse; the message says why."""


def check_new_password(password: str) -> None:
    """Raise PasswordError unless `password` may be set (long enough, not too long)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")


def _matches(hashed: str, secret: str) -> bool:
    try:
        return HASHER.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


class StaffPassword(BaseModel):
    """A staff member's console password, as an argon2 hash (never the password)."""

    staff = peewee.ForeignKeyField(Staff, unique=True, on_delete="CASCADE")
    hash = peewee.CharField(max_length=200)
    set_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "staff_password"

    @classmethod
    def store(cls, staff: Staff, password: str) -> None:
        """Set (or replace) `staff`'s password; PasswordError if the rules refuse it."""
        check_new_password(password)
        hashed = HASHER.hash(password)
        with database.atomic():
            updated = cls.update(hash=hashed, set_at=utcnow()).where(cls.staff == staff).execute()
            if not updated:
                cls.create(staff=staff, hash=hashed)

    @classmethod
    def sign_in(cls, phone: str, password: str) -> Staff | None:
        """The active staff member with this E.164 `phone` if `password` is theirs, else None (an unknown number, a
        removed staff member or one without a password takes as long as a wrong password)."""
        staff = Staff.for_phone(phone)
        row = cls.get_or_none(cls.staff == staff) if staff is not None else None
        if staff is None or row is None:
            _matches(_NO_ONE, password)
            return None
        if not _matches(row.hash, password):
            return None
        if HASHER.check_needs_rehash(row.hash):
            cls.update(hash=HASHER.hash(password)).where(cls.id == row.id).execute()
        return staff


class ResetCode(BaseModel):
    """A one-time code sent by SMS to a staff number to set its console password (hashed, like a password)."""

    staff = peewee.ForeignKeyField(Staff, on_delete="CASCADE")
    hash = peewee.CharField(max_length=200)
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField()
    tries = peewee.IntegerField(default=0)
    used_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "reset_code"

    @classmethod
    def issue(cls, staff: Staff, now: dt.datetime | None = None) -> str:
        """A new code for `staff`, valid CODE_VALID from `now`; every earlier code of theirs stops working."""
        now = now or utcnow()
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        with database.atomic():
            cls.delete().where(cls.staff == staff).execute()
            cls.create(staff=staff, hash=HASHER.hash(code), created_at=now, expires_at=now + CODE_VALID)
        return code

    @classmethod
    def redeem(cls, staff: Staff | None, code: str, now: dt.datetime | None = None) -> bool:
        """True (once) if `code` is `staff`'s live code; every wrong entry uses one of its CODE_TRIES tries. An
        unknown number (None) takes as long as a wrong code."""
        now = now or utcnow()
        row = None
        if staff is not None:
            row = (
                cls.select()
                .where((cls.staff == staff) & cls.used_at.is_null() & (cls.expires_at > now) & (cls.tries < CODE_TRIES))
                .order_by(cls.id.desc())
                .first()
            )
        if row is None:
            _matches(_NO_ONE, code)
            return False
        # claim a try first (concurrent guesses cannot share one), then look at the code
        claimed = cls.update(tries=cls.tries + 1).where((cls.id == row.id) & (cls.tries < CODE_TRIES)).execute()
        if not claimed or not _matches(row.hash, code.strip()):
            return False
        return bool(cls.update(used_at=now).where((cls.id == row.id) & cls.used_at.is_null()).execute())

    @classmethod
    def set_password(cls, staff: Staff | None, code: str, password: str, now: dt.datetime | None = None) -> bool:
        """Set `staff`'s password if `code` is their live code: True; False for a wrong, used or expired code (a try
        used). PasswordError (no try used) if the rules refuse the password."""
        check_new_password(password)
        with database.atomic():
            if not cls.redeem(staff, code, now):
                return False
            assert staff is not None
            StaffPassword.store(staff, password)
            cls.delete().where(cls.staff == staff).execute()
        return True
