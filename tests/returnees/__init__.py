"""Returnees (issue 21): the visit a purna registration opens, its reminders, and the check-ins of the year after."""
