"""`flask --app service gateway status|webhooks`: the phone's health, and its webhooks registered with the app."""

from __future__ import annotations

import sys

import click
import requests
from android_sms_gateway.domain import Webhook
from android_sms_gateway.enums import WebhookEvent
from android_sms_gateway.errors import APIError
from flask import current_app
from flask.cli import AppGroup

from models import utcnow
from models.base import iso_utc
from workers.gateways.phone_status import watch_phone
from workers.gateways.phones import is_pool, phones_of
from workers.gateways.rotation import REASON_WORDS, PhoneState
from workers.gateways.smsgate import TimeoutSession, classify_failure, client_for
from workers.pool import queued_per_phone, watch_pool
from workers.queues import redis

gateway_cli = AppGroup("gateway", help="The SMS gateway: its health, and (SMS Gateway for Android) its webhooks.")

EVENTS = (
    WebhookEvent.SMS_RECEIVED,
    WebhookEvent.SMS_SENT,
    WebhookEvent.SMS_DELIVERED,
    WebhookEvent.SMS_FAILED,
    WebhookEvent.SYSTEM_PING,
)
"""The app's events the service uses, each registered as one webhook."""

WEBHOOK_PATH = "/webhooks/smsgate"
"""Where the app posts its events on our side (signed; no token)."""


@gateway_cli.command("status")
def gateway_status() -> None:
    """Print the backend and, for the phone (each phone of a pool), its state, last ping, last accepted send, SMS
    today and what its daily limit leaves, and its queue; exit 1 if degraded (in a pool: a phone out of rotation)."""
    backend = current_app.config.get("SMS_BACKEND")
    click.echo(f"backend: {backend}")
    if backend != "smsgate":
        click.echo("state: ok (no phone to watch on this backend)")
        return
    phones = phones_of(current_app.config)
    states = watch_pool(current_app.config, redis(), utcnow())
    queues = queued_per_phone()
    if is_pool(phones):
        click.echo(f"pool: {len(phones)} phones, {sum(s.in_rotation for s in states)} in rotation")
        for state in states:
            _echo_pool_phone(state, queues.get(state.phone.name, 0))
        if not all(s.in_rotation for s in states):
            sys.exit(1)
        return
    health = watch_phone(redis(), utcnow())
    click.echo(f"phone: {health.state}" + (f" ({health.reason})" if health.reason else ""))
    click.echo(
        f"last ping: {iso_utc(health.last_ping) or 'never'}"
        + (f" (device {health.device_id}, app says {health.app_health})" if health.device_id else "")
    )
    click.echo(f"last accepted send: {iso_utc(health.last_send) or 'never'}")
    click.echo(f"limit: {current_app.config.get('SMSGATE_MAX_PER_MINUTE')} sends a minute")
    click.echo(f"sent today: {_today(states[0])}")
    click.echo(f"queue: {sum(queues.values())} waiting")
    if health.state != "ok":
        sys.exit(1)


def _today(state: PhoneState) -> str:
    """`12 of 500 (488 left)`, or `12 (no daily limit)`."""
    if state.phone.daily_limit is None:
        return f"{state.sent_today} (no daily limit)"
    return f"{state.sent_today} of {state.phone.daily_limit} ({state.left_today} left)"


def _echo_pool_phone(state: PhoneState, waiting: int) -> None:
    """One phone of the pool, as `gateway status` prints it."""
    why = state.why_out
    click.echo(f"phone {state.phone.label}: " + ("in rotation" if why is None else f"OUT ({REASON_WORDS[why]})"))
    ping = state.ping
    click.echo(
        f"  last ping: {iso_utc(ping.at) if ping else 'never'}"
        + (f" (device {ping.device_id}, app says {ping.health})" if ping and ping.device_id else "")
    )
    click.echo(f"  last accepted send: {iso_utc(state.last_send) or 'never'}")
    click.echo(f"  sent today: {_today(state)}")
    click.echo(f"  queue: {waiting} waiting; limit {state.phone.max_per_minute} sends a minute")


def _plan(hooks: list[Webhook], url: str) -> tuple[list[Webhook], list[WebhookEvent]]:
    """Which registrations to delete (ours pointing elsewhere, or a duplicate) and which events to add."""
    delete: list[Webhook] = []
    kept: set[WebhookEvent] = set()
    for hook in hooks:
        if hook.event not in EVENTS:
            continue  # an event we do not use: someone else's business
        if hook.url != url or hook.event in kept:
            delete.append(hook)
        else:
            kept.add(hook.event)
    return delete, [event for event in EVENTS if event not in kept]


@gateway_cli.command("webhooks")
@click.option("--url", required=True, help="The service's public base URL, e.g. https://kawal.example.org")
def gateway_webhooks(url: str) -> None:
    """Register the service's events with the app at URL/webhooks/smsgate, replacing stale registrations."""
    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("must start with https:// (or http:// for a local test)", param_hint="--url")
    target = url.rstrip("/") + ("" if url.rstrip("/").endswith(WEBHOOK_PATH) else WEBHOOK_PATH)
    phones = phones_of(current_app.config)
    for phone in phones:
        if not phone.username or not phone.password:
            raise click.ClickException(
                "SMSGATE_USERNAME and SMSGATE_PASSWORD are required"
                if not phone.name
                else f"SMSGATE_{phone.name.upper()}_USERNAME and _PASSWORD are required"
            )
    for phone in phones:
        if is_pool(phones):
            click.echo(f"phone {phone.label}:")
        try:
            with TimeoutSession(phone.timeout) as session:
                client = client_for(phone.url, phone.username, phone.password, session)
                delete, add = _plan(client.get_webhooks(), target)
                for hook in delete:
                    client.delete_webhook(hook.id)
                    click.echo(f"deleted {hook.event.value} -> {hook.url} ({hook.id})")
                for event in add:
                    created = client.create_webhook(Webhook(id=None, url=target, event=event))
                    click.echo(f"added {event.value} -> {target} ({created.id})")
        except (APIError, requests.RequestException, ValueError, KeyError) as error:
            _, reason = classify_failure(error)
            who = f"the app of phone {phone.label}" if phone.name else "the app"
            raise click.ClickException(f"{who} refused or did not answer: {reason}") from None
        kept = len(EVENTS) - len(add)
        click.echo(
            f"{len(EVENTS)} events registered at {target}: {len(add)} added, {kept} already there, "
            f"{len(delete)} stale deleted"
        )
