"""Cases: reports by USSD and SMS, drafts from dropped sessions, status look-ups, the staff's case desk, escalation,
export."""
