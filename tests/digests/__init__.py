"""Digests: the weekly figures for organisers, coordinators and officials, one per recipient and period."""
