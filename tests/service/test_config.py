"""Configuration from the environment: defaults, generated secrets, and clear errors for bad values."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pytest

from service.config import ConfigError, _instance_secret, load_config


def test_defaults_on_an_empty_environment(tmp_path):
    config = load_config(tmp_path, env={})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'kawalmigran.db'}"
    assert config["SMS_BACKEND"] == "outbox" and config["SIMULATOR_ENABLED"] is False, "opt-in: SIMULATOR=1"
    assert config["SMS_RETRY_DELAYS"] == [30.0, 120.0, 600.0]
    assert (config["CASE_ACK_MINUTES"], config["CASE_ACK_MINUTES_URGENT"]) == (1440.0, 120.0)
    assert config["USSD_SERVICE_CODE"] == "*384*123#" and config["DEFAULT_LANGUAGE"] == "id"
    assert (tmp_path / "webhook_token").read_text() == config["WEBHOOK_TOKEN"]
    assert load_config(tmp_path, env={})["WEBHOOK_TOKEN"] == config["WEBHOOK_TOKEN"], "generated once, then kept"


def test_secrets_are_generated_once_when_processes_race(tmp_path):
    with ProcessPoolExecutor(4) as pool:
        tokens = set(pool.map(_instance_secret, [tmp_path] * 12, ["webhook_token"] * 12))
    assert len(tokens) == 1


@pytest.mark.parametrize("value,enabled", [("1", True), ("true", True), ("0", False), ("", False), ("no", False)])
def test_simulator_is_on_only_when_asked_for(tmp_path, value, enabled):
    assert load_config(tmp_path, env={"SIMULATOR": value})["SIMULATOR_ENABLED"] is enabled


def test_simulator_is_never_on_with_africastalking(tmp_path):
    config = load_config(tmp_path, env={"SMS_BACKEND": "africastalking", "SIMULATOR": "1"})
    assert config["SIMULATOR_ENABLED"] is False


@pytest.mark.parametrize(
    "env,variable",
    [
        ({"SMS_BACKEND": "twilio"}, "SMS_BACKEND"),
        ({"DEFAULT_LANGUAGE": "fr"}, "DEFAULT_LANGUAGE"),
        ({"SMS_RETRY_DELAYS": "30,soon"}, "SMS_RETRY_DELAYS"),
        ({"SMS_RETRY_DELAYS": "-5"}, "SMS_RETRY_DELAYS"),
        ({"CASE_ACK_MINUTES": "a day"}, "CASE_ACK_MINUTES"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, env, variable):
    with pytest.raises(ConfigError, match=variable):
        load_config(tmp_path, env=env)


def test_floats_and_zero_delays_are_accepted(tmp_path):
    config = load_config(tmp_path, env={"CASE_ACK_MINUTES_URGENT": "0.5", "SMS_RETRY_DELAYS": "0, 0"})
    assert config["CASE_ACK_MINUTES_URGENT"] == 0.5 and config["SMS_RETRY_DELAYS"] == [0.0, 0.0]


@pytest.mark.parametrize("token", ["x", "secret", "a" * 31])
def test_a_short_webhook_token_is_refused_naming_the_variable(tmp_path, token):
    with pytest.raises(ConfigError, match="WEBHOOK_TOKEN must be at least 32 characters"):
        load_config(tmp_path, env={"WEBHOOK_TOKEN": token})


def test_a_long_enough_webhook_token_is_kept(tmp_path):
    assert load_config(tmp_path, env={"WEBHOOK_TOKEN": "a" * 32})["WEBHOOK_TOKEN"] == "a" * 32
    assert len(load_config(tmp_path, env={})["WEBHOOK_TOKEN"]) >= 32, "the generated one passes its own rule"


def test_the_app_does_not_start_with_a_one_character_token(tmp_path, monkeypatch):
    from service import create_app

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("WEBHOOK_TOKEN", "x")
    with pytest.raises(ConfigError, match="WEBHOOK_TOKEN"):
        create_app()
