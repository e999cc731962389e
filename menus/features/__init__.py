"""The service's features, one module each; adding a feature is adding a module here and its catalog keys."""
from __future__ import annotations

from menus.feature import Feature
from menus.features import (coming_soon, data_rights, info, language, main, profile, registration, sms_help,
                            subscription)
from menus.features.cases import desk, drafts, report, status
from menus.features.trainings import attendance, followup, signup
from menus.registry import Registry, build_registry

FEATURES: tuple[Feature, ...] = (
    main.FEATURE,
    registration.FEATURE,
    profile.FEATURE,
    language.FEATURE,
    info.FEATURE,
    report.FEATURE,
    status.FEATURE,
    drafts.FEATURE,
    desk.FEATURE,
    signup.FEATURE,
    attendance.FEATURE,
    followup.FEATURE,
    subscription.FEATURE,
    data_rights.FEATURE,
    sms_help.FEATURE,
    coming_soon.FEATURE,
)
"""Every feature, in the order their keywords are suggested."""

USSD_ROOT = main.ROOT
"""Where every USSD session starts."""


def default_registry() -> Registry:
    """The registry of every feature, built strictly (a name declared twice stops the service at start)."""
    return build_registry(FEATURES)
