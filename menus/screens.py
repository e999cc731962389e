"""Screen types that flows are made of: menus, inputs, ends and invisible switches."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_OPTIONS_PER_SCREEN = 6
"""At most this many options a screen besides the navigation lines."""

MAIN_MENU = "main"
"""The USSD main menu's screen id: where every session starts; features add their entries to it (`MenuEntry`)."""

BACK, HOME, NEXT = "0", "00", "98"
"""Navigation inputs: back one screen, main menu, next page."""


@dataclass(frozen=True)
class Option:
    """One numbered choice: a catalog key (or literal text from a source), where it leads, what it stores."""

    label: str
    target: str
    value: str | None = None
    when: str | None = None
    literal: bool = False


@dataclass(frozen=True)
class Menu:
    """A screen of numbered options; `source` names a provider of dynamic options."""

    id: str
    title: str | None
    options: tuple[Option, ...] = ()
    source: str | None = None
    source_target: str | None = None
    store: str | None = None
    empty: str | None = None


@dataclass(frozen=True)
class Input:
    """A screen that takes free text, checks it with a named validator and stores it."""

    id: str
    prompt: str
    store: str
    validator: str
    next: str
    free_text: bool = True
    """Waits for words (a name, a story): an exact keyword there is an answer. False for a screen that waits for a
    choice or a number, where a keyword ("DAFTAR") leaves the conversation as it does on a menu."""


@dataclass(frozen=True)
class End:
    """A last screen: runs its named action (idempotent) and ends the session or conversation.

    The action may choose the reply among `text` and `other_texts` (e.g. "signed up" or "waiting list").
    """

    id: str
    text: str
    action: str | None = None
    other_texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Switch:
    """An invisible screen that routes by named conditions: the first that holds wins."""

    id: str
    cases: tuple[tuple[str, str], ...]
    default: str


Screen = Menu | Input | End | Switch


@dataclass
class FlowSet:
    """All screens by id, with the roots that sessions and conversations start from."""

    screens: dict[str, Screen] = field(default_factory=dict)

    def add(self, *screens: Screen) -> None:
        """Register screens; ids must be unique."""
        for screen in screens:
            if screen.id in self.screens:
                raise ValueError(f"duplicate screen id {screen.id}")
            self.screens[screen.id] = screen

    def __contains__(self, screen_id: object) -> bool:
        return screen_id in self.screens

    def __getitem__(self, screen_id: str) -> Screen:
        return self.screens[screen_id]

    def targets(self, screen: Screen) -> list[str]:
        """Every screen id that `screen` can lead to."""
        if isinstance(screen, Menu):
            found = [o.target for o in screen.options]
            if screen.source_target:
                found.append(screen.source_target)
            return found
        if isinstance(screen, Input):
            return [screen.next]
        if isinstance(screen, Switch):
            return [target for _, target in screen.cases] + [screen.default]
        return []

    def dead_targets(self) -> list[tuple[str, str]]:
        """Pairs (screen, target) whose target is not a screen."""
        return [(s.id, t) for s in self.screens.values() for t in self.targets(s) if t not in self.screens]
