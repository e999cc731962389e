"""The advocacy loop: reports (USSD and SMS), the SMS texts about cases, staff commands, status look-ups."""
