"""Reports as a reporter plays them: pick a problem or a country by its label, turning pages ("98") until it shows
(the urgent problems come first, and a screen holds what fits, so positions are not fixed)."""

from __future__ import annotations

import re

from menus.screens import NEXT
from tests.support.phones import UssdSession
from tests.support.texts import text


def pick(session: UssdSession, reply: str, label_key: str) -> str:
    """Answer the menu in `reply` with the option labelled by catalog key `label_key`; return the next reply."""
    label = text(label_key)
    for _ in range(5):
        found = re.search(rf"^(\d+)\. {re.escape(label)}$", reply, re.MULTILINE)
        if found:
            return session.answer(found.group(1))
        reply = session.answer(NEXT)
    raise AssertionError(f"no option {label!r} on any page of the menu")


def ussd_report_to_safe(
    session: UssdSession, *, for_whom: str = "1", category: str = "wages", country: str = "hongkong"
) -> str:
    """Dial, choose "Lapor masalah", for whom, the problem and the country; return the safety question's reply."""
    session.dial()
    session.answer("2")
    reply = session.answer(for_whom)
    reply = pick(session, reply, f"case.category.{category}")
    return pick(session, reply, f"country.{country}")
