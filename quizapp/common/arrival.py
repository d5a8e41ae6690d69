"""When a request reached the app, as opposed to when a worker got round to processing it.

A deadline rule measured at processing time refuses answers sent in time whenever the server is behind
(a queue of submits at the deadline, a stalled worker). ``ArrivalStamp`` is the outermost WSGI layer: it
notes the app's clock the moment the request enters the app. When the app runs behind a proxy that is
configured to send ``X-Request-Start`` (``TRUST_REQUEST_START``), the proxy's earlier stamp is used, never
more than ``REQUEST_START_MAX_SKEW`` seconds earlier than ours, so a forged header gains nothing beyond that.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import has_request_context, request

from .clock import UTC, utcnow

ENVIRON_KEY = "quizapp.arrived_at"


class ArrivalStamp:
    """WSGI middleware: stamp ``environ["quizapp.arrived_at"]`` with the app's clock on arrival."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        clock = self.app.config.get("CLOCK")
        environ[ENVIRON_KEY] = clock() if clock is not None else datetime.now(UTC)
        return self.wsgi_app(environ, start_response)


def parse_request_start(value: str | None) -> datetime | None:
    """nginx's ``t=1700000000.123`` (seconds), or microseconds/milliseconds since the epoch, as UTC."""
    if not value:
        return None
    text = value.strip()
    if text.startswith("t="):
        text = text[2:]
    try:
        number = float(text)
    except ValueError:
        return None
    for divisor in (1, 1e3, 1e6):  # seconds, milliseconds, microseconds: pick the one that reads as 2000–2100
        seconds = number / divisor
        if 946684800 <= seconds <= 4102444800:
            return datetime.fromtimestamp(seconds, UTC)
    return None


def arrived_at(config=None) -> datetime:
    """When this request reached the app (or the trusted proxy); ``utcnow()`` outside a request."""
    if not has_request_context():
        return utcnow()
    stamp = request.environ.get(ENVIRON_KEY) or utcnow()
    from flask import current_app

    config = config or current_app.config
    if config.get("TRUST_REQUEST_START"):
        proxy = parse_request_start(request.headers.get("X-Request-Start"))
        if proxy is not None:
            earliest = stamp - timedelta(seconds=float(config.get("REQUEST_START_MAX_SKEW", 60)))
            stamp = min(stamp, max(proxy, earliest))
    return stamp
