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
