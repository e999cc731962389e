"""Trainings: sign-up by USSD and SMS, the organisers' calendar commands, reminders and follow-ups."""
