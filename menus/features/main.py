"""The USSD main menu: where every session starts. Its options are the entries the features add (`MenuEntry`), in
the order of DESIGN.md."""

from __future__ import annotations

from menus.feature import Feature
from menus.screens import MAIN_MENU, Menu

ROOT = MAIN_MENU
"""Root of every USSD session."""

FEATURE = Feature(
    name="main",
    roots=(ROOT,),
    screens=(Menu(ROOT, "main.title"),),
)
"""The main menu; each feature declares its own entry."""
