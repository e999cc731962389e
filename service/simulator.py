"""Placeholder replaced by the simulator module."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the simulator (only with the outbox backend)."""
