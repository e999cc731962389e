"""What a person reads: a catalog text as the service renders it, to compare replies with."""

from __future__ import annotations

from menus import catalog


def text(key: str, language: str = "id", **params: str) -> str:
    """The catalog text `key` in `language`, with `params` filled in."""
    return catalog.text(key, language, params)
