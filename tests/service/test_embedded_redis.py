"""`make run`'s embedded Redis requires the password generated into `instance/`: a local process without it
cannot queue jobs."""

from __future__ import annotations

import stat

import psutil
import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, ResponseError
from redis.retry import Retry

from service import embedded_redis
from service.config import embedded_redis_password, embedded_redis_url, load_config
from tests.support.ports import free_port


@pytest.fixture
def embedded(tmp_path):
    """The embedded Redis as `make run` starts it, on a free port with a throwaway instance folder."""
    instance, port = tmp_path / "instance", free_port()
    process = embedded_redis.start(instance / "redis", port, embedded_redis_password(instance))
    yield instance, port, process
    process.terminate()
    process.wait(10)


def test_the_embedded_redis_refuses_a_client_without_the_password(embedded):
    instance, port, _ = embedded
    with pytest.raises(AuthenticationError):
        Redis(host="127.0.0.1", port=port, retry=Retry(NoBackoff(), 0)).lpush("rq:queue:default", "evil")
    with pytest.raises((AuthenticationError, ResponseError)):
        Redis(host="127.0.0.1", port=port, password="guessed", retry=Retry(NoBackoff(), 0)).ping()
    assert Redis.from_url(embedded_redis_url(instance, port)).ping()
    assert not embedded_redis.answering(port, "guessed")
    assert embedded_redis.answering(port, embedded_redis_password(instance))


def test_the_password_is_generated_once_into_files_only_the_owner_reads_and_not_on_the_command_line(embedded):
    instance, port, process = embedded
    password = embedded_redis_password(instance)
    assert embedded_redis_password(instance) == password, "generated once"
    assert len(password) >= 32
    for path in (instance / "redis_password", instance / "redis" / embedded_redis.CONFIG_FILE):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert password not in " ".join(psutil.Process(process.pid).cmdline())


def test_the_app_without_redis_url_uses_the_embedded_redis_with_its_password(tmp_path):
    config = load_config(tmp_path, {"WEBHOOK_TOKEN": "t" * 40, "SECRET_KEY": "s"})
    assert config["REDIS_URL"] == embedded_redis_url(tmp_path)
    assert f":{embedded_redis_password(tmp_path)}@127.0.0.1:" in config["REDIS_URL"]
