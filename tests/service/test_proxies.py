"""TRUSTED_PROXIES: behind Caddy the client's address comes from X-Forwarded-For, so the console's per-address
sign-in limits count each client; with no proxy configured the header is ignored and cannot be spoofed."""

from __future__ import annotations

import pytest

from service import create_app
from service.config import ConfigError, load_config
from tests.support.console import csrf_token

PROXY = {"REMOTE_ADDR": "127.0.0.1"}
"""Every request comes from Caddy on loopback."""


def wrong_passwords(client, forwarded_for: str, count: int) -> list[int]:
    """`count` wrong passwords, each for another unknown number, through the proxy for the client `forwarded_for`."""
    headers = {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"}
    token = csrf_token(client)
    return [
        client.post(
            "/console/login",
            data={"phone": f"+62812000088{n:02d}", "password": "salah-sandi-ini", "csrf_token": token},
            headers=headers,
            environ_base=PROXY,
        ).status_code
        for n in range(count)
    ]


def served_with(base_config, proxies: int):
    """A second app on the same database and Redis, with TRUSTED_PROXIES set."""
    return create_app({**base_config, "TRUSTED_PROXIES": proxies})


def test_behind_one_proxy_each_forwarded_address_has_its_own_sign_in_limit(app, base_config, case_staff):
    proxied = served_with(base_config, 1)
    client = proxied.test_client()
    assert wrong_passwords(client, "203.0.113.7", 21) == [401] * 20 + [429]
    assert wrong_passwords(client, "198.51.100.9", 1) == [401], "another client behind the same proxy is not limited"


def test_with_no_proxy_the_forwarded_header_is_ignored(app, base_config, case_staff):
    direct = served_with(base_config, 0)
    client = direct.test_client()
    assert wrong_passwords(client, "203.0.113.7", 20) == [401] * 20
    assert wrong_passwords(client, "198.51.100.9", 1) == [429], "a made-up X-Forwarded-For does not escape the limit"


def test_trusted_proxies_is_a_count_and_defaults_to_none(tmp_path):
    assert load_config(tmp_path, {})["TRUSTED_PROXIES"] == 0
    assert load_config(tmp_path, {"TRUSTED_PROXIES": "1"})["TRUSTED_PROXIES"] == 1
    for wrong in ("-1", "one"):
        with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
            load_config(tmp_path, {"TRUSTED_PROXIES": wrong})
