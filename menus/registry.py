"""The features merged into one registry: every screen, named function, keyword, staff command, SMS sample,
model, purpose, job, sweep and cron entry, each once. The engine, the SMS router, `menus check`, the worker's
allow-list, the sweep, the sending policy and the tests' tables all read it: no other list names the features."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from menus.feature import (
    Action,
    Condition,
    CronEntry,
    Feature,
    Keyword,
    MenuEntry,
    Placeholder,
    Sample,
    Source,
    StaffKeyword,
    Sweep,
    UnmatchedSmsHook,
    UssdDroppedHook,
    UssdStepHook,
    Validator,
)
from menus.screens import FlowSet, Menu
from models import SERVICE_MODELS
from models.sending_policy import Purpose

if TYPE_CHECKING:
    from peewee import Model


class RegistryError(ValueError):
    """Features that do not fit together: a name declared twice."""


@dataclass
class Registry:
    """What the engine, the SMS router and `menus check` look names up in."""

    flows: FlowSet = field(default_factory=FlowSet)
    roots: list[str] = field(default_factory=list)
    patient_roots: set[str] = field(default_factory=set)
    """Conversations started on these survive other keywords (see `Feature.patient_roots`)."""
    conditions: dict[str, Condition] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    validators: dict[str, Validator] = field(default_factory=dict)
    placeholders: dict[str, Placeholder] = field(default_factory=dict)
    keywords: dict[str, Keyword] = field(default_factory=dict)
    """Keywords by their Indonesian name."""
    aliases: dict[str, str] = field(default_factory=dict)
    """Every word a keyword answers to (its name included) -> the keyword's name."""
    staff_commands: dict[str, StaffKeyword] = field(default_factory=dict)
    """Staff commands by keyword."""
    ussd_step_hooks: list[UssdStepHook] = field(default_factory=list)
    ussd_dropped_hooks: list[UssdDroppedHook] = field(default_factory=list)
    unmatched_sms_hooks: list[UnmatchedSmsHook] = field(default_factory=list)
    """Offered, in feature order, an SMS nothing else answers (see `Feature.on_unmatched_sms`)."""
    sms_samples: dict[str, Sample] = field(default_factory=dict)
    sms_prefixes: tuple[str, ...] = ()
    models: list[type[Model]] = field(default_factory=list)
    """Every feature's tables, in declaration order (a table after the ones it refers to)."""
    purposes: dict[str, Purpose] = field(default_factory=dict)
    job_functions: frozenset[str] = frozenset()
    sweeps: list[Sweep] = field(default_factory=list)
    cron: list[CronEntry] = field(default_factory=list)
    catalog_folders: list[Path] = field(default_factory=list)
    """Catalog folders of features kept outside `menus/`."""
    problems: list[str] = field(default_factory=list)
    """What did not fit (empty for a registry built strictly)."""

    def tables(self) -> list[type[Model]]:
        """Every table: the service's own (people, staff, villages, messages, conversations), then the features'."""
        return [*SERVICE_MODELS, *self.models]


def build_registry(features: Iterable[Feature], strict: bool = True) -> Registry:
    """Merge features; a name declared twice (a screen, a keyword, a sample, a model, a purpose…) is a problem.

    Strict (at start): the first problem raises RegistryError. Otherwise (`menus check`) problems are listed.
    """
    registry = Registry()
    owners: dict[tuple[str, str], str] = {}

    def claim(kind: str, name: str, feature: Feature) -> bool:
        owner = owners.setdefault((kind, name), feature.name)
        if owner != feature.name or (kind, name) in claimed_here:
            registry.problems.append(f"{kind} {name} declared twice (features {owner} and {feature.name})")
            return False
        claimed_here.add((kind, name))
        return True

    entries: list[MenuEntry] = []
    for feature in features:
        claimed_here: set[tuple[str, str]] = set()
        entries += feature.menu_entries
        for screen in feature.screens:
            if claim("screen", screen.id, feature):
                registry.flows.add(screen)
        registry.roots += [root for root in feature.roots if root not in registry.roots]
        registry.patient_roots.update(feature.patient_roots)
        if feature.on_ussd_step is not None:
            registry.ussd_step_hooks.append(feature.on_ussd_step)
        if feature.on_ussd_dropped is not None:
            registry.ussd_dropped_hooks.append(feature.on_ussd_dropped)
        if feature.on_unmatched_sms is not None:
            registry.unmatched_sms_hooks.append(feature.on_unmatched_sms)
        value: Any  # each kind's own value type, the type of its `merged`
        for kind, mine, merged in (
            ("condition", feature.conditions, registry.conditions),
            ("action", feature.actions, registry.actions),
            ("source", feature.sources, registry.sources),
            ("validator", feature.validators, registry.validators),
            ("placeholder", feature.placeholders, registry.placeholders),
            ("staff command", {c.name: c for c in feature.staff_commands}, registry.staff_commands),
            ("SMS sample", feature.sms_samples, registry.sms_samples),
            ("purpose", {p.name: p for p in feature.purposes}, registry.purposes),
            ("sweep", {w.name: w for w in feature.sweeps}, {}),
        ):
            for name, value in mine.items():
                if claim(kind, name, feature):
                    merged[name] = value
        for keyword in feature.keywords:
            if not claim("keyword", keyword.name, feature):
                continue
            registry.keywords[keyword.name] = keyword
            for alias in dict.fromkeys((keyword.name, *keyword.aliases)):
                word = alias.upper()
                if claim("keyword alias", word, feature):
                    registry.aliases[word] = keyword.name
        registry.sms_prefixes += tuple(p for p in feature.sms_prefixes if p not in registry.sms_prefixes)
        registry.models += [model for model in feature.models if claim("model", model.__name__, feature)]
        registry.sweeps += feature.sweeps
        registry.cron += feature.cron
        registry.job_functions |= feature.job_paths()
        if feature.catalog_folder is not None:
            registry.catalog_folders.append(feature.catalog_folder)
    _add_menu_entries(registry, entries)
    if strict and registry.problems:
        raise RegistryError("; ".join(registry.problems))
    return registry


def _add_menu_entries(registry: Registry, entries: list[MenuEntry]) -> None:
    """Put the options features add to a menu after its own, in their `order`."""
    for menu_id in dict.fromkeys(entry.menu for entry in entries):
        menu = registry.flows.screens.get(menu_id)
        if not isinstance(menu, Menu):
            registry.problems.append(f"menu entries for {menu_id}, which is not a menu")
            continue
        added = sorted((e for e in entries if e.menu == menu_id), key=lambda e: e.order)
        registry.flows.screens[menu_id] = replace(menu, options=(*menu.options, *(e.option for e in added)))
