"""Gunicorn settings: the access log shows request paths without their query string (the webhook token), and
gunicorn's own log lines go through the app's redaction filter (a malformed request line carries `?token=`)."""

import os

from gunicorn.glogging import Logger

from service.logs import RedactSecrets

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "2"))
timeout = 30
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# %(U)s is the path alone; %(r)s and %(q)s would carry ?token=… into the log.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


class RedactingLogger(Logger):
    """Gunicorn's logger with the app's filter on its handlers: `token=` values and secrets redacted, control
    characters escaped, as in the app's own log lines."""

    def setup(self, cfg):
        super().setup(cfg)
        redact = RedactSecrets([os.environ.get(name, "") for name in ("AT_API_KEY", "WEBHOOK_TOKEN", "SECRET_KEY")])
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
                    handler.removeFilter(old)
                handler.addFilter(redact)


logger_class = RedactingLogger
