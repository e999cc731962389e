"""A pool of phones on the smsgate backend (issue 20)."""
