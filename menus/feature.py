"""What a feature declares: everything it owns, so that adding one touches its own folder, its catalog keys
and its migration, nothing else.

Its screens and the named pieces they refer to, its SMS keywords and staff commands (each with its own
"plainly for staff" test), the SMS samples and catalog prefixes `menus check` measures, its models, its
message purposes, its jobs, the sweeps that fire its due rows and its cron entries. A feature is a module or
package under `menus/features/` exporting `FEATURE = Feature(...)` (or `FEATURES`, several); the registry
merges them all. Names are plain strings in screens and plain dict keys here, so `menus check` can tell a
misspelt one from a real one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from croniter import croniter

from menus.screens import Option, Screen
from models.jobs import DEFAULT_QUEUE, QUEUES, AfterCommit, JobSpec, job_path
from models.sending_policy import Purpose

if TYPE_CHECKING:
    from peewee import Model

    from menus.catalog import Catalogs
    from menus.engine import Reply
    from menus.keywords import Match
    from menus.staff_commands import StaffCommand
    from menus.turn import FlowTurn, SmsTurn

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

PlainlyForStaff = Callable[["StaffCommand"], bool]
"""True if a staff word from someone who is not staff is plainly a staff command ("TERIMA K7M3RX"), not ordinary
words ("Terima kasih pak"): they get a polite "not available" instead of the usual answer."""

MeantByStaff = Callable[["StaffCommand"], bool]
"""True if a staff word from staff is the command ("TERIMA K7M3RX"); False if it only starts their ordinary words
("Terima kasih pak" is thanks, not TERIMA of a case KASIH): those go the usual way, as anyone's."""

Sample = Callable[["Catalogs", str], str]
"""The longest realistic value of an SMS parameter in a language (for `menus check`)."""

DueJobs = Callable[[dt.datetime], Iterable[JobSpec]]
"""The jobs of the rows whose time has come (the sweep enqueues those Redis does not hold)."""

UnmatchedSmsHook = Callable[["SmsTurn"], bool]
"""Offered an SMS that is no staff command, no keyword and no answer in a conversation (a typo of a keyword too);
True if it answered it (a reporter writing again joins their case), False to leave it to the usual help."""

UssdStepHook = Callable[["FlowTurn", "Reply"], None]
"""Runs after every USSD step with the reply shown (e.g. to keep a report's answers while the session runs)."""

UssdDroppedHook = Callable[[str], "list[AfterCommit]"]
"""Runs, inside a transaction, when the provider says a USSD session (by its session key) was cut off; returns what
to enqueue once it commits (e.g. a dropped report's incomplete case and its alerts)."""


@dataclass(frozen=True)
class Placeholder:
    """A `{name}` in screen texts: how to fill it, and its longest realistic value for `menus check`."""

    value: Callable[[FlowTurn], str]
    sample: Callable[[Catalogs, str], str]


@dataclass(frozen=True)
class Keyword:
    """An SMS keyword: the Indonesian word shown to users, its aliases (en, jv), and its handler."""

    name: str
    aliases: tuple[str, ...]
    handler: KeywordHandler
    interrupts_text: bool = False
    """Leaves a conversation even on a screen that waits for free text (a name like Wiwit is a name)."""
    takes_text: bool = True
    """Reads the words after it; one that does not ("BANTUAN", "TOLONG") followed by words ("Tolong saya dipukul")
    is first offered to the features as words (a reporter writing again), and answered as the keyword otherwise."""


@dataclass(frozen=True)
class MenuEntry:
    """An option a feature adds to another feature's menu (e.g. its entry in the USSD main menu), placed by `order`."""

    menu: str
    option: Option
    order: int


@dataclass(frozen=True)
class StaffKeyword:
    """A staff command: its keyword (matched exactly), its handler, its own "plainly for staff" test (from anyone
    else) and its "meant as the command" test (from staff)."""

    name: str
    handler: StaffHandler
    plainly_for_staff: PlainlyForStaff = lambda command: False
    meant_by_staff: MeantByStaff = lambda command: True


@dataclass(frozen=True)
class Sweep:
    """One kind of scheduled work: a name for the logs, and the jobs of its due rows at a time (naive UTC)."""

    name: str
    due: DueJobs


@dataclass(frozen=True)
class CronEntry:
    """A job run by the clock: a declared job function, its queue, and a cron expression in local time."""

    func: Callable[..., Any]
    cron: str
    queue: str = DEFAULT_QUEUE

    def __post_init__(self) -> None:
        if not croniter.is_valid(self.cron):
            raise ValueError(f"{self.func.__name__}: {self.cron!r} is not a cron expression")
        if self.queue not in QUEUES:
            raise ValueError(f"{self.func.__name__}: {self.queue} is not one of the project's queues")


@dataclass(frozen=True)
class Feature:
    """Everything one feature adds to the service."""

    name: str
    screens: tuple[Screen, ...] = ()
    roots: tuple[str, ...] = ()
    """Screens a conversation or session starts from (checked by `menus check` at depth 0)."""
    menu_entries: tuple[MenuEntry, ...] = ()
    """Options it adds to menus declared elsewhere (its way in from the main menu)."""
    patient_roots: tuple[str, ...] = ()
    """Roots of questions the service asks on its own (a follow-up): their conversation outlives other keywords
    answered meanwhile, and still takes its answer afterwards."""
    conditions: Mapping[str, Condition] = field(default_factory=dict)
    actions: Mapping[str, Action] = field(default_factory=dict)
    sources: Mapping[str, Source] = field(default_factory=dict)
    validators: Mapping[str, Validator] = field(default_factory=dict)
    placeholders: Mapping[str, Placeholder] = field(default_factory=dict)
    keywords: tuple[Keyword, ...] = ()
    staff_commands: tuple[StaffKeyword, ...] = ()
    on_ussd_step: UssdStepHook | None = None
    on_ussd_dropped: UssdDroppedHook | None = None
    on_unmatched_sms: UnmatchedSmsHook | None = None
    sms_samples: Mapping[str, Sample] = field(default_factory=dict)
    """Longest realistic values of the parameters its SMS texts are sent with (`menus check` fills them in)."""
    sms_prefixes: tuple[str, ...] = ()
    """Catalog key prefixes of its SMS texts: each must fit the SMS segment budget in GSM-7."""
    models: tuple[type[Model], ...] = ()
    """Its tables (created by its migration)."""
    purposes: tuple[Purpose, ...] = ()
    """What its SMS are for, beyond the service's own (replies, alerts): which sending rules apply."""
    jobs: tuple[Callable[..., Any], ...] = ()
    """Its job functions: the only ones a worker runs, with the workers' own."""
    sweeps: tuple[Sweep, ...] = ()
    cron: tuple[CronEntry, ...] = ()
    catalog_folder: Path | None = None
    """Where a feature kept outside `menus/` keeps its `<language>.po` texts (those in `menus/` use its catalogs)."""

    def job_paths(self) -> frozenset[str]:
        """The dotted paths of its job functions and cron functions (what the worker's allow-list admits)."""
        return frozenset(job_path(f) for f in (*self.jobs, *(entry.func for entry in self.cron)))


def fixed_sample(value: str) -> Callable[[Catalogs, str], str]:
    """A placeholder sample that is the same text in every language."""
    return lambda catalogs, language: value


def longest_label(prefix: str) -> Callable[[Catalogs, str], str]:
    """A placeholder sample: the longest catalog text whose key starts with `prefix`, in that language."""

    def sample(catalogs: Catalogs, language: str) -> str:
        values = [catalogs.text(k, language) for k in catalogs.keys() if k.startswith(prefix)]  # noqa: SIM118 (not a dict)
        return max(values, key=len) if values else ""

    return sample
