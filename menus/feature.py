"""What a feature declares: its screens, the named pieces they refer to, its SMS keywords and staff commands.

A feature is one module under `menus/features/` exporting `FEATURE = Feature(...)`; the registry merges
them all. Names are plain strings in screens and plain dict keys here, so `menus check` can tell a
misspelt one from a real one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping

from menus.screens import Option, Screen

if TYPE_CHECKING:
    from menus.catalog import Catalogs
    from menus.engine import Reply
    from menus.keywords import Match
    from menus.sms_router import SmsTurn
    from menus.staff_commands import StaffCommand
    from menus.turn import FlowTurn

Condition = Callable[["FlowTurn"], bool]
"""Whether something holds for this caller and these answers."""

Action = Callable[["FlowTurn"], "str | None"]
"""What an end screen does (idempotent); may return the catalog key to show instead of the screen's text."""

Source = Callable[["FlowTurn", str], "list[Option]"]
"""Dynamic options, each leading to the given target screen."""

Validator = Callable[[str], "tuple[str | None, str | None]"]
"""Free text to (clean value, None) or (None, error catalog key)."""

KeywordHandler = Callable[["SmsTurn", "Match"], None]
"""Answers an SMS that starts with a keyword."""

StaffHandler = Callable[["SmsTurn", "StaffCommand"], None]
"""Answers a staff command from a registered staff number."""

UssdStepHook = Callable[["FlowTurn", "Reply"], None]
"""Runs after every USSD step with the reply shown (e.g. to keep a report's answers while the session runs)."""


@dataclass(frozen=True)
class Placeholder:
    """A `{name}` in screen texts: how to fill it, and its longest realistic value for `menus check`."""

    value: Callable[["FlowTurn"], str]
    sample: Callable[["Catalogs", str], str]


@dataclass(frozen=True)
class Keyword:
    """An SMS keyword: the Indonesian word shown to users, its aliases (en, jv), and its handler."""

    name: str
    aliases: tuple[str, ...]
    handler: KeywordHandler
    interrupts_text: bool = False
    """Leaves a conversation even on a screen that waits for free text (a name like Wiwit is a name)."""


@dataclass(frozen=True)
class Feature:
    """Everything one feature adds to the service."""

    name: str
    screens: tuple[Screen, ...] = ()
    roots: tuple[str, ...] = ()
    """Screens a conversation or session starts from (checked by `menus check` at depth 0)."""
    patient_roots: tuple[str, ...] = ()
    """Roots of questions the service asks on its own (a follow-up): their conversation outlives other keywords
    answered meanwhile, and still takes its answer afterwards."""
    conditions: Mapping[str, Condition] = field(default_factory=dict)
    actions: Mapping[str, Action] = field(default_factory=dict)
    sources: Mapping[str, Source] = field(default_factory=dict)
    validators: Mapping[str, Validator] = field(default_factory=dict)
    placeholders: Mapping[str, Placeholder] = field(default_factory=dict)
    keywords: tuple[Keyword, ...] = ()
    staff_commands: Mapping[str, StaffHandler] = field(default_factory=dict)
    on_ussd_step: UssdStepHook | None = None


def fixed_sample(value: str) -> Callable[["Catalogs", str], str]:
    """A placeholder sample that is the same text in every language."""
    return lambda catalogs, language: value


def longest_label(prefix: str) -> Callable[["Catalogs", str], str]:
    """A placeholder sample: the longest catalog text whose key starts with `prefix`, in that language."""

    def sample(catalogs: "Catalogs", language: str) -> str:
        values = [catalogs.text(k, language) for k in catalogs.keys() if k.startswith(prefix)]
        return max(values, key=len) if values else ""

    return sample
