"""Africa's Talking's words mapped to ours, in tables."""
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

STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "failed": 3, "rejected": 3, "delivered": 4}
"""A delivery report never moves a message back to an earlier status (reports can arrive out of order)."""
