"""Where the project lives, for tests that start its commands or read its files."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The project's root folder (the one holding pyproject.toml)."""
