"""Cadres (issue 21): becoming one, the decision with a mentor, promotion, cases changing hands."""
