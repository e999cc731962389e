"""The engine's behaviour for one request: names looked up in the registry, data through cached look-ups."""

from __future__ import annotations

import logging
import string
from functools import lru_cache

from menus import catalog
from menus.engine import Context
from menus.registry import Registry
from menus.screens import Option
from menus.turn import FlowTurn, Lookups

log = logging.getLogger(__name__)


@lru_cache(maxsize=4096)
def _fields(raw: str) -> tuple[str, ...]:
    """The placeholder names a raw catalog text uses, in order (parsed once per text)."""
    return tuple(dict.fromkeys(name for _, name, _, _ in string.Formatter().parse(raw) if name))


class RegistryBehaviour:
    """Runs the registry's named conditions, actions, sources, validators and placeholders for one request."""

    def __init__(self, registry: Registry, lookups: Lookups | None = None) -> None:
        self.registry = registry
        self.lookups = lookups or Lookups()
        self._turn: FlowTurn | None = None

    def turn(self, ctx: Context) -> FlowTurn:
        """The view feature functions get of this context."""
        if self._turn is None or self._turn.ctx is not ctx:
            self._turn = FlowTurn(ctx, self.lookups)
        return self._turn

    def condition(self, name: str, ctx: Context) -> bool:
        """Evaluate a named condition."""
        return self.registry.conditions[name](self.turn(ctx))

    def action(self, name: str, ctx: Context) -> str | None:
        """Run a named action (idempotent); what it wrote may change what the look-ups return."""
        try:
            return self.registry.actions[name](self.turn(ctx))
        finally:
            self.lookups.forget(ctx.phone)

    def options(self, source: str, target: str, ctx: Context) -> list[Option]:
        """Options from a named source."""
        return self.registry.sources[source](self.turn(ctx), target)

    def validate(self, name: str, text: str, ctx: Context) -> tuple[str | None, str | None]:
        """Run a named validator."""
        return self.registry.validators[name](text)

    def text(self, key: str, ctx: Context) -> str:
        """Catalog text with the placeholders it uses filled (each computed only when used)."""
        try:
            raw = catalog.raw_text(key, ctx.language)
        except catalog.MissingText:
            log.error("missing catalog text %s", key)
            return key
        names = _fields(raw)
        if not names:
            return raw
        turn = self.turn(ctx)
        params = {}
        for name in names:
            placeholder = self.registry.placeholders.get(name)
            params[name] = placeholder.value(turn) if placeholder else ""
        return raw.format_map(params)
