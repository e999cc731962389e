"""Reading one setting from the environment: numbers, counts, URLs, each refused with its name when wrong."""

from __future__ import annotations


class ConfigError(ValueError):
    """A setting has a value the service cannot run with."""


def read_float(env: dict[str, str], name: str, default: float, unit: str = "minutes") -> float:
    """A number, 0 or more (`default` when unset); ConfigError naming `name`."""
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


def read_positive_int(env: dict[str, str], name: str, default: int, unit: str) -> int:
    """A whole number, 1 or more (`default` when unset); ConfigError naming `name`."""
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


def read_count(env: dict[str, str], name: str, unit: str) -> int:
    """A whole number, 0 or more (0 when unset)."""
    raw = env.get(name, "").strip() or "0"
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of {unit}, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def read_url(env: dict[str, str], name: str, default: str) -> str:
    """An http(s) URL without its trailing slash (`default` when unset); ConfigError naming `name`."""
    value = (env.get(name, "").strip() or default).rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
    return value
