"""Registration and whole conversations: USSD dialogues and SMS keyword conversations."""
