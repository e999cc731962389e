"""The organisers' console's records (passwords, one-time codes, the audit) and the SMS that carries a code; the
console itself is web pages (`service/console/`)."""

from __future__ import annotations

from menus.feature import Feature, fixed_sample
from models.audit import AuditEvent
from models.console import CODE_DIGITS, CODE_VALID, ResetCode, StaffPassword
from models.sending_policy import Purpose

CODE_PURPOSE = "console_code"
"""The SMS carrying a one-time code to set a console password: for staff numbers only, asked for, sent at once."""

CODE_TEXT = "console.sms.code"
"""Catalog key of the code's SMS (placeholders `pin`, the code, and `pin_minutes`, how long it is valid)."""

FEATURE = Feature(
    name="console",
    models=(StaffPassword, ResetCode, AuditEvent),
    purposes=(Purpose(CODE_PURPOSE, requested=True, staff_only=True),),
    sms_prefixes=("console.sms.",),
    sms_samples={
        "pin": fixed_sample("9" * CODE_DIGITS),
        "pin_minutes": fixed_sample(str(CODE_VALID.seconds // 60)),
    },
)
"""Console sign-in and audit: its tables and the code's SMS."""
