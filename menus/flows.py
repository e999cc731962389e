"""The flows as data: the main menu, registration, profile, language and info screens."""
from __future__ import annotations

from menus.screens import End, FlowSet, Input, Menu, Option, Switch
from models.person import COUNTRIES

MAIN = "main"
"""Root of every USSD session."""

REGISTER = "register.consent"
PROFILE = "profile"
LANGUAGE = "language"
INFO = "info"

COUNTRY_OPTIONS = tuple(Option(f"country.{c}", "country.after", value=c) for c in COUNTRIES)
STATUS_OPTIONS = tuple(
    Option(f"status.{s}", target, value=s)
    for s, target in (("calon", "status.after"), ("aktif", "status.after"), ("purna", "status.after"),
                      ("keluarga", "status.after"))
)


def build_flows() -> FlowSet:
    """Every screen of the service."""
    flows = FlowSet()
    flows.add(
        Menu(MAIN, "main.title", options=(
            Option("main.register", REGISTER, when="not_registered"),
            Option("main.profile", PROFILE, when="registered"),
            Option("main.report", "soon.report"),
            Option("main.training", "soon.training"),
            Option("main.info", INFO),
            Option("main.check", "soon.check"),
            Option("main.language", LANGUAGE),
        )),
        Menu("soon.report", "soon.report"),
        Menu("soon.training", "soon.training"),
        Menu("soon.check", "soon.check"),
    )
    flows.add(
        Menu(REGISTER, "register.consent", options=(
            Option("register.agree", "register.name"),
            Option("register.disagree", "register.declined"),
        )),
        End("register.declined", "register.declined"),
        Input("register.name", "register.name", store="name", validator="name", next="register.village"),
        Menu("register.village", "register.village", source="villages", source_target="status.ask",
             store="village", options=(Option("village.other", "register.village_other"),)),
        Input("register.village_other", "register.village_other", store="village", validator="place",
              next="status.ask"),
        Switch("status.ask", cases=(("registered", "profile.status"),), default="register.status"),
        Menu("register.status", "register.status", store="status", options=STATUS_OPTIONS),
        Menu("profile.status", "profile.status", store="status", options=STATUS_OPTIONS),
        Switch("status.after", cases=(
            ("status_is_calon", "country.calon"),
            ("status_is_aktif", "country.aktif"),
            ("status_is_purna", "country.purna"),
        ), default="country.after"),
        Menu("country.calon", "country.calon", store="country", options=COUNTRY_OPTIONS),
        Menu("country.aktif", "country.aktif", store="country", options=COUNTRY_OPTIONS),
        Menu("country.purna", "country.purna", store="country", options=COUNTRY_OPTIONS),
        Switch("country.after", cases=(("registered", "profile.saved"),), default="register.done"),
        End("register.done", "register.done", action="save_registration"),
    )
    flows.add(
        Menu(PROFILE, "profile.title", options=(
            Option("profile.change_village", "profile.village"),
            Option("profile.change_status", "status.ask"),
            Option("profile.change_country", "profile.country", when="has_country"),
            Option("profile.change_language", LANGUAGE),
        )),
        Menu("profile.village", "profile.village", source="villages", source_target="profile.saved",
             store="village", options=(Option("village.other", "profile.village_other"),)),
        Input("profile.village_other", "register.village_other", store="village", validator="place",
              next="profile.saved"),
        Switch("profile.country", cases=(
            ("status_is_calon", "country.calon"),
            ("status_is_aktif", "country.aktif"),
        ), default="country.purna"),
        End("profile.saved", "profile.saved", action="save_profile"),
    )
    flows.add(
        Menu(LANGUAGE, "language.title", store="language", options=(
            Option("language.id", "language.saved", value="id"),
            Option("language.jv", "language.saved", value="jv"),
            Option("language.en", "language.saved", value="en"),
        )),
        End("language.saved", "language.saved", action="save_language"),
    )
    flows.add(
        Menu(INFO, "info.title", options=(
            Option("info.safe", "info.safe"),
            Option("info.rights", "info.rights"),
            Option("info.contacts", "info.contacts"),
            Option("info.keywords", "info.keywords"),
        )),
        Menu("info.safe", "info.safe.text"),
        Menu("info.rights", "info.rights.text"),
        Menu("info.contacts", "info.contacts.text"),
        Menu("info.keywords", "info.keywords.text"),
    )
    return flows


FLOWS = build_flows()
"""The service's flows, built once at import (pure data, no I/O)."""
