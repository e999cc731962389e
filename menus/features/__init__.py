"""The service's features: every module or package here that exports `FEATURE` (or `FEATURES`) is one, found by
looking, not by a list. Adding a feature is adding its module (or package) here, its catalog keys and, if it
has tables, its migration: nothing else (see README "Where things live").

Features from elsewhere (a deployment's own, or the tests' sample feature) are named by module in the
`FEATURE_MODULES` setting and merged the same way.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from menus.feature import Feature
from menus.registry import Registry, build_registry


def features_of(module_name: str) -> tuple[Feature, ...]:
    """The features a module declares: its `FEATURES`, else its `FEATURE`; none if it declares neither."""
    module = importlib.import_module(module_name)
    declared = getattr(module, "FEATURES", None)
    if declared is None:
        single = getattr(module, "FEATURE", None)
        declared = (single,) if single is not None else ()
    return tuple(declared)


def discover(extra_modules: Iterable[str] = ()) -> tuple[Feature, ...]:
    """Every feature under this package (main menu first, then by module name), then those of `extra_modules`."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__))
    names.sort(key=lambda name: name != "main")
    found = [feature for name in names for feature in features_of(f"{__name__}.{name}")]
    found += [feature for module in extra_modules for feature in features_of(module)]
    return tuple(found)


def default_registry(extra_modules: Iterable[str] = ()) -> Registry:
    """The registry of every feature, built strictly (a name declared twice stops the service at start)."""
    return build_registry(discover(extra_modules))
