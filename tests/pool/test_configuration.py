"""SMSGATE_PHONES and each phone's settings, read from the environment; a wrong one is refused with its name."""

from __future__ import annotations

import pytest

from service.config import ConfigError, load_config
from workers.gateways.phones import SINGLE, phones_of

KEY = "a-long-random-signing-key-0123456789abcdef"
POOL_ENV = {
    "SMS_BACKEND": "smsgate",
    "SMSGATE_WEBHOOK_SECRET": KEY,
    "SMSGATE_MAX_PER_MINUTE": "15",
    "SMSGATE_PHONES": "tsel, isat",
    "SMSGATE_TSEL_URL": "http://192.168.1.20:8080",
    "SMSGATE_TSEL_USERNAME": "sms",
    "SMSGATE_TSEL_PASSWORD": "tsel-password",
    "SMSGATE_TSEL_MAX_PER_MINUTE": "20",
    "SMSGATE_TSEL_DAILY_LIMIT": "500",
    "SMSGATE_TSEL_PREFIXES": "0811,0812, +62813,62821,852",
    "SMSGATE_TSEL_DEVICE_ID": "tselDevice01",
    "SMSGATE_TSEL_WEBHOOK_SECRET": "the-telkomsel-phones-own-signing-key-0123",
    "SMSGATE_ISAT_USERNAME": "sms",
    "SMSGATE_ISAT_PASSWORD": "isat-password",
    "SMSGATE_ISAT_DEVICE_ID": "isatDevice01",
}


def test_a_pool_of_phones_each_with_its_settings(tmp_path):
    config = load_config(tmp_path, env=POOL_ENV)
    tsel, isat = phones_of(config)
    assert (tsel.name, tsel.url, tsel.username, tsel.max_per_minute, tsel.daily_limit) == (
        "tsel",
        "http://192.168.1.20:8080",
        "sms",
        20,
        500,
    )
    assert tsel.prefixes == ("811", "812", "813", "821", "852"), "0811, +62811, 62811 and 811 are one prefix"
    assert tsel.serves("+6281234567890") and tsel.serves("+6285212345678") and not tsel.serves("+6281512345678")
    assert tsel.device_ids == ("tselDevice01",) and tsel.webhook_secret.startswith("the-telkomsel")
    assert isat.url == "https://api.sms-gate.app/3rdparty/v1", "the app's cloud unless the phone's URL is set"
    assert (isat.max_per_minute, isat.daily_limit, isat.prefixes) == (15, None, ()), "SMSGATE_MAX_PER_MINUTE"
    assert isat.webhook_secret == KEY, "SMSGATE_WEBHOOK_SECRET unless the phone has its own"
    assert "password" not in repr(tsel), "no password in a log line that prints the settings"


def test_one_phone_configured_the_old_way_is_the_pool_of_one(tmp_path):
    env = {
        "SMS_BACKEND": "smsgate",
        "SMSGATE_WEBHOOK_SECRET": KEY,
        "SMSGATE_URL": "http://10.0.0.5:8080",
        "SMSGATE_USERNAME": "sms",
        "SMSGATE_PASSWORD": "secret-password",
        "SMSGATE_DEVICE_ID": "oldPhone01",
    }
    config = load_config(tmp_path, env=env)
    [phone] = phones_of(config)
    assert (phone.name, phone.url, phone.max_per_minute, phone.device_ids) == (
        SINGLE,
        "http://10.0.0.5:8080",
        20,
        ("oldPhone01",),
    )
    assert phone.status_key == "smsgate:phone" and phone.throttle_prefix == "smsgate:throttle", "the keys it had"


@pytest.mark.parametrize(
    "change, named",
    [
        ({"SMSGATE_PHONES": "tsel,tsel"}, "SMSGATE_PHONES"),
        ({"SMSGATE_PHONES": "tsel,2nd"}, "SMSGATE_PHONES"),
        ({"SMSGATE_TSEL_PREFIXES": "0811,hello"}, "SMSGATE_TSEL_PREFIXES"),
        ({"SMSGATE_TSEL_PREFIXES": "0211"}, "SMSGATE_TSEL_PREFIXES"),
        ({"SMSGATE_TSEL_MAX_PER_MINUTE": "0"}, "SMSGATE_TSEL_MAX_PER_MINUTE"),
        ({"SMSGATE_TSEL_DAILY_LIMIT": "lots"}, "SMSGATE_TSEL_DAILY_LIMIT"),
        ({"SMSGATE_ISAT_DEVICE_ID": ""}, "SMSGATE_ISAT_DEVICE_ID"),
        ({"SMSGATE_ISAT_DEVICE_ID": "tselDevice01"}, "same device id"),
        ({"SMSGATE_ISAT_PASSWORD": ""}, "SMSGATE_ISAT_USERNAME and SMSGATE_ISAT_PASSWORD"),
        ({"SMSGATE_TSEL_WEBHOOK_SECRET": "short"}, "SMSGATE_TSEL_WEBHOOK_SECRET"),
        ({"SMSGATE_TSEL_URL": "192.168.1.20:8080"}, "SMSGATE_TSEL_URL"),
    ],
)
def test_a_wrong_phone_setting_is_refused_naming_it(tmp_path, change, named):
    with pytest.raises(ConfigError, match=named):
        load_config(tmp_path, env={**POOL_ENV, **change})


def test_with_every_phone_signing_with_its_own_key_no_shared_key_is_needed(tmp_path):
    env = {**POOL_ENV, "SMSGATE_ISAT_WEBHOOK_SECRET": "the-indosat-phones-own-signing-key-012345"}
    del env["SMSGATE_WEBHOOK_SECRET"]
    assert [p.webhook_secret[:7] for p in phones_of(load_config(tmp_path, env=env))] == ["the-tel", "the-ind"]
    del env["SMSGATE_ISAT_WEBHOOK_SECRET"]
    with pytest.raises(ConfigError, match="SMSGATE_WEBHOOK_SECRET"):
        load_config(tmp_path, env=env)
