"""`menus check`: every name a screen uses resolves, and every screen renders on a phone in every language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from menus import catalog
from menus.engine import Context, Walker
from menus.fitting import MAX_SEGMENTS
from menus.registry import Registry
from menus.screens import End, FlowSet, Input, Menu, Option, Screen, Switch
from menus.ussd import USSD_MAX_CHARS
from models.gsm import is_gsm7_basic, non_gsm7_basic, sms_size

SAMPLE_VILLAGES = [
    "Tracap",
    "Kaliwiro",
    "Pesodongan",
    "Gondowulan",
    "Lamuk",
    "Selomanik",
    "Tanjunganom",
    "Winongsari",
    "Sukoreno",
    "Kemiriombo Kidul Wetan Lor Jaya",
]
"""Villages the check renders dynamic menus with (one deliberately long)."""


class CheckBehaviour:
    """Behaviour for rendering screens without a database: conditions hold, actions do nothing."""

    def __init__(self, registry: Registry, villages: list[str], catalogs: catalog.Catalogs) -> None:
        self.registry, self.villages, self.catalogs = registry, villages, catalogs
        self.missing: set[str] = set()

    def condition(self, name: str, ctx: Context) -> bool:
        """Every condition holds, so every option is shown."""
        return True

    def action(self, name: str, ctx: Context) -> None:
        """Actions do nothing in a check."""
        return None

    def options(self, source: str, target: str, ctx: Context) -> list[Option]:
        """Sample options, as long as real ones can be."""
        return [Option(v, target, value=v, literal=True) for v in self.villages]

    def validate(self, name: str, text: str, ctx: Context) -> tuple[str | None, str | None]:
        """The real validators."""
        return self.registry.validators[name](text)

    def text(self, key: str, ctx: Context) -> str:
        """Catalog text filled with each placeholder's longest sample, noting keys that have no text."""
        try:
            self.catalogs.raw_text(key, ctx.language)
        except catalog.MissingText:
            self.missing.add(key)
        params = {name: p.sample(self.catalogs, ctx.language) for name, p in self.registry.placeholders.items()}
        return self.catalogs.text(key, ctx.language, params)


@dataclass
class Report:
    """Problems found, and how many screens were rendered."""

    problems: list[str] = field(default_factory=list)
    rendered: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def _check_reply(report: Report, where: str, text: str, end: bool) -> None:
    report.rendered += 1
    reply = ("END " if end else "CON ") + text
    if len(reply) > USSD_MAX_CHARS:
        report.problems.append(f"{where}: {len(reply)} characters (max {USSD_MAX_CHARS})")
    if not is_gsm7_basic(reply):
        report.problems.append(f"{where}: characters outside GSM-7: {''.join(non_gsm7_basic(reply))!r}")


def screen_texts(screen: Screen) -> list[str]:
    """Every catalog key a screen shows (titles, labels, prompts, end texts; not literal labels)."""
    if isinstance(screen, Menu):
        keys = [screen.title, screen.empty] + [o.label for o in screen.options if not o.literal]
    elif isinstance(screen, Input):
        keys = [screen.prompt, "error." + screen.validator]
    elif isinstance(screen, End):
        keys = [screen.text, *screen.other_texts]
    else:
        keys = []
    return [key for key in keys if key]


def screen_names(screen: Screen) -> list[tuple[str, str]]:
    """Every (kind, name) a screen refers to: conditions, actions, sources, validators."""
    if isinstance(screen, Menu):
        names = [("condition", o.when) for o in screen.options if o.when]
        return names + ([("source", screen.source)] if screen.source else [])
    if isinstance(screen, Input):
        return [("validator", screen.validator)]
    if isinstance(screen, End):
        return [("action", screen.action)] if screen.action else []
    return [("condition", condition) for condition, _ in screen.cases]


def check_names(registry: Registry, catalogs: catalog.Catalogs) -> list[str]:
    """Each screen's conditions, actions, sources, validators, text keys and placeholders resolve."""
    known: dict[str, Mapping[str, object]] = {
        "condition": registry.conditions,
        "action": registry.actions,
        "source": registry.sources,
        "validator": registry.validators,
    }
    base = catalogs.load(catalog.FALLBACK_LANGUAGE)
    problems = []
    for screen in registry.flows.screens.values():
        for kind, name in screen_names(screen):
            if name not in known[kind]:
                problems.append(f"{screen.id}: {kind} {name} is not declared by any feature")
        for key in screen_texts(screen):
            if key not in base:
                problems.append(f"{screen.id}: text {key} is not in the catalog")
                continue
            for name in sorted(catalog.placeholders(base[key])):
                if name not in registry.placeholders:
                    problems.append(f"{screen.id}: text {key} uses placeholder {{{name}}}, not declared by any feature")
    return problems


def reachable_depths(flows: FlowSet, roots: tuple[str, ...]) -> dict[str, set[int]]:
    """For each screen, the depths (0, 1, or 2 meaning "2 or more") at which a session can show it."""
    depths: dict[str, set[int]] = {}

    def visible(screen_id: str, seen: frozenset[str]) -> list[str]:
        screen = flows[screen_id]
        if not isinstance(screen, Switch):
            return [screen_id]
        if screen_id in seen:
            return []
        return [v for t in flows.targets(screen) if t in flows for v in visible(t, seen | {screen_id})]

    def walk(screen_id: str, depth: int, path: frozenset[str]) -> None:
        if screen_id in path or depth in depths.get(screen_id, set()) and depth == 2:
            return
        depths.setdefault(screen_id, set()).add(min(depth, 2))
        for target in flows.targets(flows[screen_id]):
            if target in flows:
                for shown in visible(target, frozenset()):
                    walk(shown, depth + 1, path | {screen_id})

    for root in roots:
        for shown in visible(root, frozenset()):
            walk(shown, 0, frozenset())
    return depths


def _render_all(
    registry: Registry, language: str, villages: list[str], report: Report, catalogs: catalog.Catalogs
) -> set[str]:
    flows = registry.flows
    depths = reachable_depths(flows, tuple(r for r in registry.roots if r in flows))
    behaviour = CheckBehaviour(registry, villages, catalogs)
    ctx = Context("+620000000000", "check", "check", language)
    walker = Walker(flows, ctx, behaviour)
    for screen in flows.screens.values():
        if isinstance(screen, Switch):
            continue
        if isinstance(screen, End):
            for key in (screen.text, *screen.other_texts):
                _check_reply(
                    report,
                    f"{language}/{screen.id}" + (f" ({key})" if key != screen.text else ""),
                    behaviour.text(key, ctx),
                    True,
                )
            continue
        errors: list[str | None] = (
            [None, "error.choice"] if isinstance(screen, Menu) else [None, "error." + screen.validator]
        )
        for depth in sorted(depths.get(screen.id, {2})):
            pages = (
                len(walker.page_starts(screen, walker.visible_options(screen), depth))
                if isinstance(screen, Menu)
                else 1
            )
            for page in range(pages):
                for error in errors:
                    reply = walker.render_screen(screen, depth, page, error)
                    label = f"{language}/{screen.id} depth {depth} page {page + 1}" + (
                        f" with {error}" if error else ""
                    )
                    _check_reply(report, label, reply.text, False)
    return behaviour.missing


def _check_catalogs(report: Report, catalogs: catalog.Catalogs, registry: Registry) -> None:
    base = catalogs.load(catalog.FALLBACK_LANGUAGE)
    for language in catalog.LANGUAGES:
        texts = catalogs.load(language)
        params = {name: p.sample(catalogs, language) for name, p in registry.placeholders.items()}
        params |= {name: sample(catalogs, language) for name, sample in registry.sms_samples.items()}
        for key in base:
            if key not in texts:
                report.problems.append(f"{language}: no text for {key} (falls back to Indonesian)")
                continue
            text = texts[key]
            if catalog.placeholders(text) != catalog.placeholders(base[key]):
                report.problems.append(f"{language}/{key}: placeholders differ from Indonesian")
            filled = catalogs.text(key, language, params)
            if not is_gsm7_basic(filled):
                report.problems.append(
                    f"{language}/{key}: characters outside GSM-7: {''.join(non_gsm7_basic(filled))!r}"
                )
            if key.startswith(registry.sms_prefixes) and sms_size(filled).segments > MAX_SEGMENTS:
                report.problems.append(
                    f"{language}/{key}: {sms_size(filled).segments} SMS segments (max {MAX_SEGMENTS})"
                )
        for key in texts:
            if key not in base:
                report.problems.append(f"{language}/{key}: key not in the Indonesian catalog")


def check(
    registry: Registry, villages: list[str] | None = None, catalogs: catalog.Catalogs = catalog.CATALOGS
) -> Report:
    """Check names, every screen in every language, the catalogs, and every screen target."""
    report = Report(problems=list(registry.problems))
    for screen_id, target in registry.flows.dead_targets():
        report.problems.append(f"{screen_id}: leads to missing screen {target}")
    report.problems += check_names(registry, catalogs)
    missing: set[str] = set()
    for language in catalog.LANGUAGES:
        missing |= _render_all(registry, language, villages or SAMPLE_VILLAGES, report, catalogs)
    report.problems += [f"missing text for key {key}" for key in sorted(missing)]
    _check_catalogs(report, catalogs, registry)
    return report
