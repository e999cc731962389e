"""The USSD main menu: where every session starts."""
from __future__ import annotations

from menus.feature import Feature
from menus.features import info, language, profile, registration
from menus.features.cases import report, status
from menus.features.trainings import signup
from menus.screens import Menu, Option

ROOT = "main"
"""Root of every USSD session."""

FEATURE = Feature(
    name="main",
    roots=(ROOT,),
    screens=(
        Menu(ROOT, "main.title", options=(
            Option("main.register", registration.ROOT, when="not_registered"),
            Option("main.profile", profile.ROOT, when="registered"),
            Option("main.report", report.ROOT),
            Option("main.training", signup.ROOT),
            Option("main.info", info.ROOT),
            Option("main.check", status.ROOT),
            Option("main.language", language.ROOT),
        )),
    ),
)
"""The main menu, in the order of DESIGN.md."""
