"""`menus check` finds what would break: unresolved names, names declared twice, long or non-GSM texts, dead targets."""

from __future__ import annotations

import pytest

from menus import catalog
from menus.check import check
from menus.feature import Feature, Keyword, Placeholder, StaffKeyword, fixed_sample
from menus.features import discover
from menus.registry import RegistryError, build_registry
from menus.screens import End, Input, Menu, Option, Switch
from models.case import Case
from models.sending_policy import Purpose

FEATURES = discover()
"""Every feature of the service, as the app finds them."""


def registry_with(*extra: Feature, features=FEATURES):
    return build_registry((*features, *extra), strict=False)


def problems_of(*extra: Feature, catalogs=catalog.CATALOGS) -> str:
    return "\n".join(check(registry_with(*extra), catalogs=catalogs).problems)


def test_the_real_flows_pass():
    registry = build_registry(FEATURES)
    report = check(registry)
    assert report.ok, report.problems
    assert report.rendered > 3 * len(registry.flows.screens)


def test_dead_target_and_missing_text_are_reported():
    broken = Feature(
        "broken", screens=(Menu("broken.menu", "main.title", options=(Option("no.such.label", "nowhere"),)),)
    )
    problems = problems_of(broken)
    assert "broken.menu: leads to missing screen nowhere" in problems
    assert "broken.menu: text no.such.label is not in the catalog" in problems


@pytest.mark.parametrize(
    "screen,expected",
    [
        (
            Switch("broken.switch", cases=(("registred", "main"),), default="main"),
            "broken.switch: condition registred is not declared by any feature",
        ),
        (
            Menu("broken.menu", "main.title", options=(Option("main.info", "main", when="not_registred"),)),
            "broken.menu: condition not_registred is not declared by any feature",
        ),
        (
            End("broken.end", "register.done", action="save_registraton"),
            "broken.end: action save_registraton is not declared by any feature",
        ),
        (
            Menu("broken.villages", "register.village", source="vilages", source_target="main"),
            "broken.villages: source vilages is not declared by any feature",
        ),
        (
            Input("broken.input", "register.name", store="name", validator="nmae", next="main"),
            "broken.input: validator nmae is not declared by any feature",
        ),
        (
            End("broken.choice", "register.done", other_texts=("register.waitlisted",)),
            "broken.choice: text register.waitlisted is not in the catalog",
        ),
    ],
)
def test_a_misspelt_name_fails_naming_the_screen(screen, expected):
    report = check(registry_with(Feature("broken", screens=(screen,))))
    assert not report.ok
    assert expected in report.problems


def test_a_placeholder_no_feature_fills_fails_naming_the_screen(tmp_path):
    catalogs = _catalogs_with(tmp_path, {"test.greeting": "Halo {nama}"})
    broken = Feature("broken", screens=(End("broken.greeting", "test.greeting"),))
    assert "broken.greeting: text test.greeting uses placeholder {nama}, not declared by any feature" in problems_of(
        broken, catalogs=catalogs
    )
    fixed = Feature(
        "fixed",
        screens=(End("fixed.greeting", "test.greeting"),),
        placeholders={"nama": Placeholder(lambda turn: "Ani", fixed_sample("Ani"))},
    )
    assert "fixed.greeting" not in problems_of(fixed, catalogs=catalogs)


@pytest.mark.parametrize(
    "copy,expected",
    [
        (
            Feature("copy", conditions={"registered": lambda turn: True}),
            "condition registered declared twice (features registration and copy)",
        ),
        (
            Feature("copy", actions={"save_profile": lambda turn: None}),
            "action save_profile declared twice (features profile and copy)",
        ),
        (Feature("copy", screens=(Menu("info", "info.title"),)), "screen info declared twice (features info and copy)"),
        (
            Feature("copy", keywords=(Keyword("DAFTARKAN", ("DAFTAR",), lambda turn, found: None),)),
            "keyword alias DAFTAR declared twice (features registration and copy)",
        ),
        (
            Feature("copy", placeholders={"name": Placeholder(lambda turn: "", fixed_sample(""))}),
            "placeholder name declared twice (features registration and copy)",
        ),
        (
            Feature("copy", staff_commands=(StaffKeyword("TERIMA", lambda turn, command: None),)),
            "staff command TERIMA declared twice (features case_desk and copy)",
        ),
        (
            Feature("copy", sms_samples={"title": fixed_sample("")}),
            "SMS sample title declared twice (features trainings and copy)",
        ),
        (Feature("copy", models=(Case,)), "model Case declared twice (features cases and copy)"),
        (Feature("copy", purposes=(Purpose("digest"),)), "purpose digest declared twice (features digests and copy)"),
    ],
)
def test_a_name_declared_twice_fails_the_check_and_the_start(copy, expected):
    assert expected in check(registry_with(copy)).problems
    with pytest.raises(RegistryError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        build_registry((*FEATURES, copy))


def test_a_staff_command_is_declared_by_its_feature_alone():
    without_desk = tuple(f for f in FEATURES if f.name not in ("training_attendance", "case_desk"))
    assert "TERIMA" not in build_registry(without_desk).staff_commands
    stray = Feature("stray", staff_commands=(StaffKeyword("TERIMAKASIH", lambda turn, command: None),))
    registry = build_registry((*FEATURES, stray))
    assert registry.staff_commands["TERIMAKASIH"] is stray.staff_commands[0]
    assert not registry.problems


def test_long_and_non_gsm_texts_are_reported(tmp_path):
    catalogs = _catalogs_with(tmp_path, {"test.long": "Panjang " * 30, "test.smart": "\u201cSelamat\u201d datang"})
    feature = Feature(
        "texts",
        screens=(
            Menu("texts", None, options=(Option("main.info", "texts.a"), Option("main.info", "texts.b"))),
            End("texts.a", "test.long"),
            End("texts.b", "test.smart"),
        ),
    )
    problems = "\n".join(check(build_registry([feature], strict=False), catalogs=catalogs).problems)
    assert "id/texts.a: 244 characters" in problems
    assert "id/texts.b: characters outside GSM-7" in problems


def test_many_villages_are_paged_within_160():
    report = check(build_registry(FEATURES), villages=[f"Desa Yang Namanya Panjang {n:02d}" for n in range(40)])
    assert report.ok, report.problems


def _catalogs_with(folder, texts: dict[str, str]) -> catalog.Catalogs:
    """A copy of the Indonesian catalog with extra texts, in `folder`."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    po = Catalog()
    for key, value in {**catalog.load("id"), **texts}.items():
        po.add(key, value)
    with (folder / "id.po").open("wb") as handle:
        write_po(handle, po)
    return catalog.Catalogs(folder)
