"""The phone backend's settings: the signing key, device ids, and a pool of phones (SMSGATE_PHONES) with each
phone's URL, credentials, rate, daily limit, operator prefixes, device id and key."""

from __future__ import annotations

from service.config_values import ConfigError, read_count, read_positive_int, read_url
from workers.gateways.phones import NAME as PHONE_NAME
from workers.gateways.phones import PhoneSettings, normalise_prefix
from workers.gateways.smsgate import DEFAULT_URL as DEFAULT_SMSGATE_URL

MIN_SMSGATE_SECRET_LENGTH = 32
"""Fewest characters SMSGATE_WEBHOOK_SECRET may have: whoever can sign events speaks for every phone number."""


def smsgate_secret(env: dict[str, str], backend: str, name: str = "SMSGATE_WEBHOOK_SECRET") -> str:
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


def device_ids(raw: str, name: str = "SMSGATE_DEVICE_ID") -> tuple[str, ...]:
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
        devices = device_ids(env.get(key + "DEVICE_ID", ""), key + "DEVICE_ID")
        if backend == "smsgate" and len(names) > 1 and not devices:
            raise ConfigError(
                f"{key}DEVICE_ID is required in a pool of phones: an event's deviceId says which phone it came to "
                "(the app shows it on its Home tab; the cloud lists it at GET /devices)"
            )
        own = env.get(key + "WEBHOOK_SECRET", "")
        secret = smsgate_secret(env, backend, key + "WEBHOOK_SECRET") if own else env.get("SMSGATE_WEBHOOK_SECRET", "")
        daily = read_count(env, key + "DAILY_LIMIT", unit="SMS a day")
        pool.append(
            PhoneSettings(
                name=name,
                url=read_url(env, key + "URL", DEFAULT_SMSGATE_URL),
                username=username,
                password=password,
                max_per_minute=read_positive_int(env, key + "MAX_PER_MINUTE", per_minute, unit="sends a minute"),
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


def pool_has_every_secret(env: dict[str, str]) -> bool:
    """True if SMSGATE_PHONES is set and each of its phones has its own SMSGATE_<NAME>_WEBHOOK_SECRET."""
    names = [part.strip() for part in env.get("SMSGATE_PHONES", "").split(",") if part.strip()]
    return bool(names) and all(env.get(f"SMSGATE_{name.upper()}_WEBHOOK_SECRET") for name in names)
