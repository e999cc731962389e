"""`menus check`: render every screen in every language and report what would break on a phone."""
from __future__ import annotations

from dataclasses import dataclass, field

from menus import catalog
from menus.engine import Context, _Walker
from menus.flows import INFO, LANGUAGE, MAIN, PROFILE, REGISTER
from menus.screens import End, FlowSet, Menu, Option, Switch
from menus.ussd import USSD_MAX_CHARS
from menus.validators import VALIDATORS
from models.gsm import is_gsm7_basic, non_gsm7_basic, sms_size

WORST_CASE_PARAMS = {
    "name": "Sri Wahyuningsih Kusumawardani",
    "village": "Tanjunganom Kidul Kaliwiro Lor",
    "status": "status_short",
    "country": "country",
    "code": "*384*123#",
    "keyword": "BERHENTI",
    "suggestion": " Maksud Anda BERHENTI?",
}
"""Longest realistic values for placeholders (status and country are filled with their longest label)."""

SAMPLE_VILLAGES = ["Tracap", "Kaliwiro", "Pesodongan", "Gondowulan", "Lamuk", "Selomanik", "Tanjunganom",
                   "Winongsari", "Sukoreno", "Kemiriombo Kidul Wetan Lor Jaya"]
"""Villages the check renders the village menus with (one deliberately long)."""

ROOTS = (MAIN, REGISTER, PROFILE, LANGUAGE, INFO)
"""Screens a session or conversation starts from (USSD: the main menu; SMS: a keyword's flow)."""

MAX_SMS_SEGMENTS = 2
"""Replies and alerts must fit in this many SMS segments."""


class CheckBehaviour:
    """Behaviour for rendering screens without a database: conditions hold, actions do nothing."""

    def __init__(self, language: str, villages: list[str], catalogs: catalog.Catalogs) -> None:
        self.language, self.villages, self.catalogs = language, villages, catalogs
        self.missing: set[str] = set()

    def condition(self, name: str, ctx: Context) -> bool:
        """Every condition holds, so every option is shown."""
        return True

    def action(self, name: str, ctx: Context) -> None:
        """Actions do nothing in a check."""
        return None

    def options(self, source: str, target: str, ctx: Context) -> list[Option]:
        """The sample villages."""
        return [Option(v, target, value=v, literal=True) for v in self.villages]

    def validate(self, name: str, text: str, ctx: Context) -> tuple[str | None, str | None]:
        """The real validators."""
        return VALIDATORS[name](text)

    def params(self, ctx: Context) -> dict[str, str]:
        """Worst-case placeholder values."""
        params = dict(WORST_CASE_PARAMS)
        params["status"] = _longest(self.catalogs, "status_short.", ctx.language)
        params["country"] = _longest(self.catalogs, "country.", ctx.language)
        return params

    def text(self, key: str, language: str, params: dict[str, str]) -> str:
        """Catalog text, noting keys that have none."""
        try:
            self.catalogs.raw_text(key, language)
        except catalog.MissingText:
            self.missing.add(key)
        return self.catalogs.text(key, language, params)


def _longest(catalogs: catalog.Catalogs, prefix: str, language: str) -> str:
    values = [catalogs.text(k, language) for k in catalogs.keys() if k.startswith(prefix)]
    return max(values, key=len) if values else ""


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


def reachable_depths(flows: FlowSet, roots: tuple[str, ...]) -> dict[str, set[int]]:
    """For each screen, the depths (0, 1, or 2 meaning "2 or more") at which a session can show it."""
    depths: dict[str, set[int]] = {}

    def visible(screen_id: str, seen: frozenset[str]) -> list[str]:
        screen = flows[screen_id]
        if not isinstance(screen, Switch):
            return [screen_id]
        if screen_id in seen:
            return []
        return [v for t in flows.targets(screen) for v in visible(t, seen | {screen_id})]

    def walk(screen_id: str, depth: int, path: frozenset[str]) -> None:
        if screen_id in path or depth in depths.get(screen_id, set()) and depth == 2:
            return
        depths.setdefault(screen_id, set()).add(min(depth, 2))
        for target in flows.targets(flows[screen_id]):
            if target in flows.screens:
                for shown in visible(target, frozenset()):
                    walk(shown, depth + 1, path | {screen_id})

    for root in roots:
        for shown in visible(root, frozenset()):
            walk(shown, 0, frozenset())
    return depths


def _render_all(flows: FlowSet, language: str, villages: list[str], report: Report,
                catalogs: catalog.Catalogs) -> set[str]:
    depths = reachable_depths(flows, tuple(r for r in ROOTS if r in flows.screens))
    behaviour = CheckBehaviour(language, villages, catalogs)
    ctx = Context("+620000000000", "check", "check", language)
    walker = _Walker(flows, ctx, behaviour)
    for screen in flows.screens.values():
        if isinstance(screen, Switch):
            continue
        if isinstance(screen, End):
            _check_reply(report, f"{language}/{screen.id}", behaviour.text(screen.text, language, behaviour.params(ctx)), True)
            continue
        errors: list[str | None] = [None, "error.choice"] if isinstance(screen, Menu) else [None, "error." + screen.validator]
        for depth in sorted(depths.get(screen.id, {2})):
            pages = len(walker.page_starts(screen, walker.visible_options(screen), depth)) if isinstance(screen, Menu) else 1
            for page in range(pages):
                for error in errors:
                    reply = walker.render_screen(screen, depth, page, error)
                    label = f"{language}/{screen.id} depth {depth} page {page + 1}" + (f" with {error}" if error else "")
                    _check_reply(report, label, reply.text, False)
    return behaviour.missing


def _check_catalogs(report: Report, catalogs: catalog.Catalogs) -> None:
    base = catalogs.load(catalog.FALLBACK_LANGUAGE)
    for language in catalog.LANGUAGES:
        texts = catalogs.load(language)
        for key in base:
            if key not in texts:
                report.problems.append(f"{language}: no text for {key} (falls back to Indonesian)")
                continue
            text = texts[key]
            if catalog.placeholders(text) != catalog.placeholders(base[key]):
                report.problems.append(f"{language}/{key}: placeholders differ from Indonesian")
            filled = catalogs.text(key, language, WORST_CASE_PARAMS)
            if not is_gsm7_basic(filled):
                report.problems.append(f"{language}/{key}: characters outside GSM-7: {''.join(non_gsm7_basic(filled))!r}")
            if key.startswith("sms.") and sms_size(filled).segments > MAX_SMS_SEGMENTS:
                report.problems.append(f"{language}/{key}: {sms_size(filled).segments} SMS segments (max {MAX_SMS_SEGMENTS})")
        for key in texts:
            if key not in base:
                report.problems.append(f"{language}/{key}: key not in the Indonesian catalog")


def check(flows: FlowSet, villages: list[str] | None = None, catalogs: catalog.Catalogs = catalog.CATALOGS) -> Report:
    """Check every screen in every language, the catalogs, and every screen target."""
    report = Report()
    for screen_id, target in flows.dead_targets():
        report.problems.append(f"{screen_id}: leads to missing screen {target}")
    missing: set[str] = set()
    for language in catalog.LANGUAGES:
        missing |= _render_all(flows, language, villages or SAMPLE_VILLAGES, report, catalogs)
    report.problems += [f"missing text for key {key}" for key in sorted(missing)]
    _check_catalogs(report, catalogs)
    return report
