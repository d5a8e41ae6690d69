"""Sign-in throttling that slows guessing without locking out the innocent.

The rule (also in the README):

- **Per account, a growing delay, not a lock.** The first LOGIN_LIMIT_PER_ACCOUNT
  failures (default 5 in 15 minutes) cost nothing; after that each failure makes
  the next try wait LOGIN_DELAY_BASE seconds, doubling, at most LOGIN_DELAY_MAX.
- **Browsers the owner signed in from are counted apart.** A successful sign-in
  leaves a signed "known device" cookie for that login; failures from that
  browser count only against that browser, so a stranger's guessing never slows
  the owner at their usual PC.
- **Per address, distinct accounts.** An address (a township's NAT) is throttled
  only when failures come for more than LOGIN_LIMIT_PER_ADDRESS *different*
  accounts in the window (password spraying); one colleague mistyping their own
  password counts once, and sign-ins that succeed never count. Even then, known
  devices still sign in.
- Administrators lift an account's delay (人员 page, or ``flask users unlock``)
  and an address's (``flask users unlock --address``).

Counters live in the limiter's storage (RATELIMIT_STORAGE_URI), so several
workers or servers sharing a Redis share them. Times compare with the app's
clock; the storage's expiry only throws old keys away.
"""
from __future__ import annotations

import functools
import hashlib
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from limits import parse

from ..common.clock import utcnow
from ..extensions import limiter

DEVICE_COOKIE = "quizapp_device"
DEVICE_COOKIE_DAYS = 180
DEVICE_LOGINS = 5  # logins remembered per browser (shared PCs)


def _fail_open(default):
    """If the shared storage (Redis) is down, sign-in goes on unthrottled (and says so in the log) rather than
    refusing every cadre in the exam window; the password check itself never depends on it."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            if not current_app.config.get("RATELIMIT_ENABLED", True):  # limits switched off (benchmarks)
                return default
            try:
                return fn(*args, **kwargs)
            except Exception:  # any storage error: the limits library raises the backend's own
                current_app.logger.exception("sign-in throttle storage unavailable; not throttling")
                return default

        return wrapped

    return decorator


@dataclass(frozen=True)
class Verdict:
    """Whether a sign-in attempt may check the password now, and if not, why and for how long."""

    allowed: bool
    reason: str = ""  # "account" or "address"
    wait_seconds: int = 0


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _login_key(login):
    return _digest((login or "").strip().lower()[:64])


def _storage():
    return limiter.storage


def _limit(name):
    item = parse(current_app.config[name])
    return item.amount, item.get_expiry()


def _now():
    return int(utcnow().timestamp())


def _put(key, value, ttl):
    storage = _storage()
    storage.clear(key)
    storage.incr(key, max(1, int(ttl)), amount=int(value))


# ---------------------------------------------------------------- known devices

def _serializer():
    return URLSafeSerializer(current_app.secret_key, salt="quizapp-known-device")


def read_device(cookie_value):
    """(device id, [login keys]) from the cookie, or a fresh id and no logins when absent or forged."""
    try:
        device, logins = _serializer().loads(cookie_value or "")
        if isinstance(device, str) and isinstance(logins, list):
            return device, [str(x) for x in logins][:DEVICE_LOGINS]
    except (BadSignature, ValueError, TypeError):
        pass
    return secrets.token_hex(12), []


def remember_device(cookie_value, login):
    """The new cookie value after ``login`` signed in successfully from this browser."""
    device, logins = read_device(cookie_value)
    key = _login_key(login)
    logins = [key] + [other for other in logins if other != key]
    return _serializer().dumps([device, logins[:DEVICE_LOGINS]])


def _subject(login, cookie_value):
    """Whose failure budget an attempt spends: the account's, or this known device's for the account."""
    key = _login_key(login)
    device, logins = read_device(cookie_value)
    if key in logins:
        return f"{key}:{_digest(device)}", True
    return key, False


# ---------------------------------------------------------------- the rule

@_fail_open(Verdict(True))
def check(login, address, cookie_value) -> Verdict:
    """May this attempt check a password now? Spends nothing."""
    subject, known = _subject(login, cookie_value)
    until = _storage().get(f"signin:until:{subject}")
    if until and until > _now():
        return Verdict(False, "account", until - _now())
    if not known:
        amount, _ = _limit("LOGIN_LIMIT_PER_ADDRESS")
        key = f"signin:addr:{_digest(address or '')}"
        if _storage().get(key) >= amount:
            # The storage's own expiry ends an address's window (real time, as the storage keeps it).
            return Verdict(False, "address", max(60, int(_storage().get_expiry(key) - time.time())))
    return Verdict(True)


def delay_after(failures):
    """Seconds the next try waits after ``failures`` failures in the window (0 while still free)."""
    free, _ = _limit("LOGIN_LIMIT_PER_ACCOUNT")
    if failures < free:
        return 0
    base = current_app.config["LOGIN_DELAY_BASE"]
    return min(base * 2 ** min(failures - free, 20), current_app.config["LOGIN_DELAY_MAX"])


@_fail_open(0)
def failed(login, address, cookie_value) -> int:
    """Count a failed password check; returns the seconds the next try for this account must wait."""
    subject, known = _subject(login, cookie_value)
    _, window = _limit("LOGIN_LIMIT_PER_ACCOUNT")
    failures = _storage().incr(f"signin:fail:{subject}", window)
    wait = delay_after(failures)
    if wait:
        _put(f"signin:until:{subject}", _now() + wait, max(wait, window))
    if not known:
        _, address_window = _limit("LOGIN_LIMIT_PER_ADDRESS")
        where = _digest(address or "")
        if _storage().incr(f"signin:addr-seen:{where}:{_login_key(login)}", address_window) == 1:
            _storage().incr(f"signin:addr:{where}", address_window)
    return wait


@_fail_open(False)
def first_refusal(verdict: Verdict, login, address) -> bool:
    """True the first time in a window a refusal of this kind is seen (so a flood is logged once, not a thousand times)."""
    subject = _login_key(login) if verdict.reason == "account" else _digest(address or "")
    _, window = _limit("LOGIN_LIMIT_PER_ACCOUNT")
    return _storage().incr(f"signin:refused:{verdict.reason}:{subject}", window) == 1


@_fail_open(None)
def succeeded(login, cookie_value):
    """A right password: this browser's own failures for the account are forgiven."""
    subject, _ = _subject(login, cookie_value)
    for key in (f"signin:fail:{subject}", f"signin:until:{subject}"):
        _storage().clear(key)


def unlock_account(login):
    """An administrator lifts the delay on an account (for browsers not known to it)."""
    key = _login_key(login)
    for name in ("fail", "until"):
        _storage().clear(f"signin:{name}:{key}")
    _storage().clear(f"signin:refused:account:{key}")


def unlock_address(address):
    """An administrator lifts the spraying limit on an address."""
    where = _digest(address or "")
    _storage().clear(f"signin:addr:{where}")
    _storage().clear(f"signin:refused:address:{where}")


def account_wait(login):
    """Seconds a browser not known to the account must still wait (0: none), for the admin page."""
    until = _storage().get(f"signin:until:{_login_key(login)}")
    return max(0, until - _now()) if until else 0
