"""Providers' words mapped to ours, in tables (Africa's Talking, SMS Gateway for Android)."""

from __future__ import annotations

DELIVERY_STATUS = {
    "Sent": "sent",
    "Submitted": "sent",
    "Buffered": "sent",
    "Rejected": "rejected",
    "Success": "delivered",
    "Failed": "failed",
    "AbsentSubscriber": "failed",
    "Expired": "failed",
}
"""AT delivery report status -> Message.status."""

SMSGATE_EVENT_STATUS = {
    "sms:sent": "sent",
    "sms:delivered": "delivered",
    "sms:failed": "failed",
}
"""SMS Gateway for Android message event -> Message.status (a failure is the phone's: final for that id)."""
