"""The pure flow engine: from a root screen and the inputs so far, compute the screen to show.

It knows nothing of USSD or SMS. Replaying the same inputs gives the same screen; the named
action of an end screen runs each time that screen is shown, so every action is idempotent.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from rapidfuzz import fuzz

from menus.screens import BACK, HOME, MAX_OPTIONS_PER_SCREEN, NEXT, End, FlowSet, Input, Menu, Option, Screen, Switch

log = logging.getLogger(__name__)

LABEL_MATCH_MIN = 85
"""How close (rapidfuzz ratio, 0-100) typed words must be to an option's label to choose it: "blum" is "Belum"
(89), "ya" is none of "Sudah", "Belum", "Butuh bantuan"."""

SCREEN_BUDGET = 156
"""Characters a screen may use: 160 for a USSD reply less its `CON ` prefix."""


@dataclass
class Context:
    """Who is talking and what they answered; `outgoing` collects SMS written by actions (enqueued after commit)."""

    phone: str
    session_key: str
    channel: str
    language: str
    answers: dict[str, str] = field(default_factory=dict)
    outgoing: list[Any] = field(default_factory=list)


class Behaviour(Protocol):
    """The named conditions, actions, option sources, validators and texts a flow refers to."""

    def condition(self, name: str, ctx: Context) -> bool:
        """Whether the named condition holds."""

    def action(self, name: str, ctx: Context) -> str | None:
        """Run the named action (it must be idempotent); it may return the text key to show instead."""

    def options(self, source: str, target: str, ctx: Context) -> list[Option]:
        """Options from a named source, each leading to `target`."""

    def validate(self, name: str, text: str, ctx: Context) -> tuple[str | None, str | None]:
        """(clean value, None) or (None, error key)."""

    def text(self, key: str, ctx: Context) -> str:
        """The catalog text of `key` in the context's language, its `{placeholders}` filled."""


@dataclass
class Frame:
    """A screen on the navigation stack and the page of its options being shown."""

    screen_id: str
    page: int = 0


@dataclass(frozen=True)
class Reply:
    """What to show: the text, whether the session or conversation ends, and on which screen."""

    text: str
    end: bool
    screen_id: str
    error: bool = False


def run(flows: FlowSet, root: str, inputs: list[str], ctx: Context, behaviour: Behaviour) -> Reply:
    """Walk `inputs` from `root` and render the screen they lead to."""
    walker = Walker(flows, ctx, behaviour)
    stack = [Frame(walker.resolve(root))]
    error: str | None = None
    for raw in inputs:
        frame = stack[-1]
        screen = flows[frame.screen_id]
        if isinstance(screen, End):
            break
        error = walker.step(stack, screen, raw.strip(), root)
    return walker.render(stack, error)


class Walker:
    """One run of the engine over a flow set."""

    def __init__(self, flows: FlowSet, ctx: Context, behaviour: Behaviour) -> None:
        self.flows, self.ctx, self.behaviour = flows, ctx, behaviour

    def resolve(self, screen_id: str) -> str:
        """Follow switches until a visible screen."""
        for _ in range(20):
            screen = self.flows[screen_id]
            if not isinstance(screen, Switch):
                return screen_id
            screen_id = next(
                (target for cond, target in screen.cases if self.behaviour.condition(cond, self.ctx)),
                screen.default,
            )
        raise RuntimeError(f"switch loop at {screen_id}")

    def visible_options(self, screen: Menu) -> list[Option]:
        """Static options whose condition holds, then the source's options."""
        options = [o for o in screen.options if o.when is None or self.behaviour.condition(o.when, self.ctx)]
        if screen.source:
            options = self.behaviour.options(screen.source, screen.source_target or screen.id, self.ctx) + options
        return options

    def step(self, stack: list[Frame], screen: Screen, text: str, root: str) -> str | None:
        """Apply one input; return an error key if it was not accepted."""
        frame = stack[-1]
        if text == HOME:
            stack[:] = [Frame(self.resolve(root))]
            return None
        if text == BACK:
            if frame.page > 0:
                frame.page -= 1
            elif len(stack) > 1:
                stack.pop()
            return None
        if isinstance(screen, Menu):
            options = self.visible_options(screen)
            if text == NEXT and frame.page + 1 < len(self.page_starts(screen, options, len(stack) - 1)):
                frame.page += 1
                return None
            option = self.option_by_number(options, text) or self.option_by_words(options, text)
            if option is not None:
                if screen.store and option.value is not None:
                    self.ctx.answers[screen.store] = option.value
                stack.append(Frame(self.resolve(option.target)))
                return None
            return "error.choice"
        if isinstance(screen, Input):
            value, error = self.behaviour.validate(screen.validator, text, self.ctx)
            if error:
                return error
            self.ctx.answers[screen.store] = value or ""
            stack.append(Frame(self.resolve(screen.next)))
            return None
        return None

    @staticmethod
    def option_by_number(options: list[Option], text: str) -> Option | None:
        """The option whose number was typed, if any."""
        return options[int(text) - 1] if text.isdigit() and 1 <= int(text) <= len(options) else None

    def option_by_words(self, options: list[Option], text: str) -> Option | None:
        """The one option whose label was typed instead of its number ("butuh bantuan" for "3. Butuh bantuan"),
        allowing a slip of the thumb; None when nothing, or more than one option, is that close."""
        typed = _plain(text)
        if len(typed) < 2 or typed.isdigit():
            return None
        scored = sorted(
            ((fuzz.ratio(typed, _plain(self._label(option))), index) for index, option in enumerate(options)),
            reverse=True,
        )
        if not scored or scored[0][0] < LABEL_MATCH_MIN:
            return None
        if len(scored) > 1 and scored[1][0] >= LABEL_MATCH_MIN:
            return None
        return options[scored[0][1]]

    def render(self, stack: list[Frame], error: str | None) -> Reply:
        """Render the top of the stack."""
        frame = stack[-1]
        screen = self.flows[frame.screen_id]
        if isinstance(screen, End):
            key = screen.text
            if screen.action:
                chosen = self.behaviour.action(screen.action, self.ctx)
                if chosen and chosen != key:
                    if chosen not in screen.other_texts:
                        log.error("action %s chose text %s, not one of screen %s", screen.action, chosen, screen.id)
                    key = chosen
            return Reply(self._text(key), True, screen.id)
        if isinstance(screen, Switch):
            raise RuntimeError(f"switch {screen.id} on the stack: frames hold resolved screens")
        return self.render_screen(screen, len(stack) - 1, frame.page, error)

    def render_screen(self, screen: Menu | Input, depth: int, page: int, error: str | None) -> Reply:
        """Render a menu or input screen at a given depth and page, with an optional error."""
        if isinstance(screen, Input):
            lines = [self._text(error or screen.prompt)]
        else:
            lines = self._menu_lines(screen, depth, page, error)
        lines += self._nav_lines(depth, page)
        return Reply("\n".join(line for line in lines if line), False, screen.id, error is not None)

    def page_starts(self, screen: Menu, options: list[Option], depth: int) -> list[int]:
        """Index of the first option of each page: at most 6 a page, and no more than fit in a screen."""
        title = max(len(self._title(screen, None)), len(self._text("error.choice")))
        fixed = title + 1 + len("\n".join(self._nav_lines(depth, 1))) + 1
        more = len(f"{NEXT}. {self._text('nav.next')}") + 1
        starts, used, count = [0], fixed, 0
        for index, option in enumerate(options):
            line = len(self._option_line(index + 1, option)) + 1
            last = index == len(options) - 1
            if count and (count == MAX_OPTIONS_PER_SCREEN or used + line + (0 if last else more) > SCREEN_BUDGET):
                starts.append(index)
                used, count = fixed, 0
            used, count = used + line, count + 1
        return starts

    def _title(self, screen: Menu, error: str | None) -> str:
        if error:
            return self._text(error)
        return self._text(screen.title) if screen.title else ""

    def _option_line(self, number: int, option: Option) -> str:
        return f"{number}. {self._label(option)}"

    def _menu_lines(self, screen: Menu, depth: int, page: int, error: str | None) -> list[str]:
        options = self.visible_options(screen)
        lines = [self._title(screen, error)]
        starts = self.page_starts(screen, options, depth)
        page = min(page, len(starts) - 1)
        end = starts[page + 1] if page + 1 < len(starts) else len(options)
        lines += [self._option_line(i + 1, options[i]) for i in range(starts[page], end)]
        if not options and screen.empty:
            lines.append(self._text(screen.empty))
        if page + 1 < len(starts):
            lines.append(f"{NEXT}. {self._text('nav.next')}")
        return lines

    def _nav_lines(self, depth: int, page: int) -> list[str]:
        lines = []
        if depth >= 1 or page > 0:
            lines.append(f"{BACK}. {self._text('nav.back')}")
        if depth >= 2:
            lines.append(f"{HOME}. {self._text('nav.home')}")
        return lines

    def _text(self, key: str) -> str:
        return self.behaviour.text(key, self.ctx)

    def _label(self, option: Option) -> str:
        return option.label if option.literal else self._text(option.label)


def _plain(text: str) -> str:
    """Text compared with a label: lower case, letters and digits, single spaces."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())
