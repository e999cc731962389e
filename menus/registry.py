"""The features merged into one registry: every screen, named function, keyword and staff command, each once."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from menus.feature import (Action, Condition, Feature, Keyword, Placeholder, Source, StaffHandler, UssdStepHook,
                           Validator)
from menus.screens import FlowSet
from menus.staff_commands import STAFF_KEYWORDS


class RegistryError(ValueError):
    """Features that do not fit together: a name declared twice, or a staff command without its handler."""


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
    staff_commands: dict[str, StaffHandler] = field(default_factory=dict)
    ussd_step_hooks: list[UssdStepHook] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """What did not fit (empty for a registry built strictly)."""


def build_registry(features: Iterable[Feature], strict: bool = True) -> Registry:
    """Merge features; a name declared twice, or staff keywords and handlers that do not match, is a problem.

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

    for feature in features:
        claimed_here: set[tuple[str, str]] = set()
        for screen in feature.screens:
            if claim("screen", screen.id, feature):
                registry.flows.add(screen)
        registry.roots += [root for root in feature.roots if root not in registry.roots]
        registry.patient_roots.update(feature.patient_roots)
        if feature.on_ussd_step is not None:
            registry.ussd_step_hooks.append(feature.on_ussd_step)
        for kind, mine, merged in (
            ("condition", feature.conditions, registry.conditions),
            ("action", feature.actions, registry.actions),
            ("source", feature.sources, registry.sources),
            ("validator", feature.validators, registry.validators),
            ("placeholder", feature.placeholders, registry.placeholders),
            ("staff command", feature.staff_commands, registry.staff_commands),
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
    _check_staff_commands(registry)
    if strict and registry.problems:
        raise RegistryError("; ".join(registry.problems))
    return registry


def _check_staff_commands(registry: Registry) -> None:
    """The staff keyword table and the handlers declared by features must match one to one."""
    for keyword in STAFF_KEYWORDS:
        if keyword not in registry.staff_commands:
            registry.problems.append(f"staff command {keyword} has no handler")
    for keyword in registry.staff_commands:
        if keyword not in STAFF_KEYWORDS:
            registry.problems.append(f"staff command {keyword} has a handler but is not in the staff keyword table")
