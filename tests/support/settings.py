"""The secrets, credentials and numbers the test app is configured with (the fakes expect the same)."""

from __future__ import annotations

TOKEN = "test-webhook-token-0123456789abcdef"
AT_USERNAME, AT_API_KEY = "kawalmigran", "fake-at-api-key"
SHORT_CODE = "21234"
SMSGATE_USERNAME, SMSGATE_PASSWORD = "kawalmigran", "fake-smsgate-password"
SMSGATE_SECRET = "fake-smsgate-signing-key-0123456789abcdef"
SMSGATE_TEST_PER_MINUTE = 120_000
"""The throttle in tests that do not test it: above `workers.throttle.UNPACED_ABOVE`, every permit at once, so a
journey never waits for its turn (the throttle is on the service clock, which most journeys stand still)."""

DATA_KEY = "x0yUmcpWTjHb8NOpdaOKwDxhIhFmHDnf9QhQBOHgXYI="
"""The suite's data key (a Fernet key), in the environment of every process the tests start: the shared test
database's check row opens with it whatever instance folder a test uses."""
