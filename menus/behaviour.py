"""The named conditions, actions, option sources and texts that the flows refer to, backed by the models."""
from __future__ import annotations

import logging
from typing import Callable

from menus import catalog
from menus.engine import Context
from menus.screens import Option
from menus.validators import VALIDATORS
from models import Message, Person, Village, database
from models.person import STATUSES, STATUSES_WITH_COUNTRY

log = logging.getLogger(__name__)


class ModelBehaviour:
    """Behaviour of the flows for one request: reads and writes people through the models."""

    def __init__(self) -> None:
        self._person: Person | None = None
        self._loaded = False
        self._params: dict[str, str] | None = None
        self._villages: list[str] | None = None
        self.conditions: dict[str, Callable[[Context], bool]] = {
            "registered": self._registered,
            "not_registered": lambda ctx: not self._registered(ctx),
            "has_country": lambda ctx: self._status(ctx) in STATUSES_WITH_COUNTRY,
            **{f"status_is_{s}": (lambda ctx, s=s: self._status(ctx) == s) for s in STATUSES},
        }
        self.actions: dict[str, Callable[[Context], None]] = {
            "save_registration": self._save_registration,
            "save_profile": self._save_profile,
            "save_language": self._save_language,
        }

    def person(self, ctx: Context) -> Person | None:
        """The person behind this phone (loaded once per request)."""
        return self.person_for(ctx.phone)

    def person_for(self, phone: str) -> Person | None:
        """The person with this phone, loaded once per request."""
        if not self._loaded:
            self._person, self._loaded = Person.for_phone(phone), True
        return self._person

    def language_for(self, phone: str, default: str) -> str:
        """The language this phone chose, else the default."""
        person = self.person_for(phone)
        return (person.language if person else None) or default

    def _forget(self) -> None:
        self._loaded, self._params = False, None

    def _registered(self, ctx: Context) -> bool:
        """Registered before this session began (so a replayed session walks the same path)."""
        person = self.person(ctx)
        return bool(person and person.is_registered and person.registration_key != ctx.session_key)

    def _status(self, ctx: Context) -> str | None:
        person = self.person(ctx)
        return ctx.answers.get("status") or (person.status if person else None)

    # Behaviour protocol

    def condition(self, name: str, ctx: Context) -> bool:
        """Evaluate a named condition."""
        return self.conditions[name](ctx)

    def action(self, name: str, ctx: Context) -> None:
        """Run a named action (idempotent)."""
        self.actions[name](ctx)
        self._forget()

    def options(self, source: str, target: str, ctx: Context) -> list[Option]:
        """Dynamic options: the configured villages."""
        if source != "villages":
            raise KeyError(source)
        if self._villages is None:
            self._villages = Village.names()
        return [Option(name, target, value=name, literal=True) for name in self._villages]

    def validate(self, name: str, text: str, ctx: Context) -> tuple[str | None, str | None]:
        """Run a named validator."""
        return VALIDATORS[name](text)

    def params(self, ctx: Context) -> dict[str, str]:
        """Values for `{placeholders}`: the person's profile with this session's answers on top."""
        if self._params is None:
            person = self.person(ctx)
            fields = {k: getattr(person, k) or "" for k in ("name", "village", "status", "country")} if person else {}
            fields.update(ctx.answers)
            self._params = {
                "name": fields.get("name", ""),
                "village": fields.get("village", ""),
                "status": catalog.text(f"status_short.{fields['status']}", ctx.language) if fields.get("status") else "-",
                "country": catalog.text(f"country.{fields['country']}", ctx.language) if fields.get("country") else "-",
            }
        return self._params

    def text(self, key: str, language: str, params: dict[str, str]) -> str:
        """Catalog text."""
        return catalog.text(key, language, params)

    # Actions

    def _save_registration(self, ctx: Context) -> None:
        answers = ctx.answers
        status = answers.get("status")
        if not answers.get("name") or status not in STATUSES:
            log.error("registration end reached without answers (screen %s)", "register.done")
            return
        with database.atomic():
            self._register(ctx, status)

    def _register(self, ctx: Context, status: str) -> None:
        answers = ctx.answers
        registered = Person.register(
            ctx.phone, name=answers["name"], village=answers.get("village"), status=status,
            country=answers.get("country") if status in STATUSES_WITH_COUNTRY else None,
            language=ctx.language, via=ctx.channel, registration_key=ctx.session_key,
        )
        if registered:
            welcome = catalog.text("sms.welcome", ctx.language, {"name": answers["name"]})
            ctx.queued_message_ids.append(Message.queue_outbound(ctx.phone, welcome, "welcome"))
            log.info("registered a person via %s", ctx.channel)

    def _save_profile(self, ctx: Context) -> None:
        person = self.person(ctx)
        if not person or not person.is_registered:
            return
        fields = {k: ctx.answers[k] for k in ("village", "status", "country") if k in ctx.answers}
        if fields:
            with database.atomic():
                person.update_fields(**fields)

    def _save_language(self, ctx: Context) -> None:
        language = ctx.answers.get("language")
        if language not in catalog.LANGUAGES:
            return
        ctx.language = language
        with database.atomic():
            person = Person.contact(ctx.phone)
            person.update_fields(language=language)
