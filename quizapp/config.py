"""Configuration from environment variables, with safe development defaults."""
import math
import os
import secrets
from collections import Counter
from datetime import timedelta
from pathlib import Path

SECRET_KEY_HOWTO = 'make one with: python3 -c "import secrets; print(secrets.token_hex(32))"'
SECRET_KEY_MIN_LENGTH = 32
# Shannon entropy per character: secrets.token_hex(32) never measured under 3.35 in 100,000 draws;
# "change-me-change-me" is 2.9 and "aaaa…" is 0.
SECRET_KEY_MIN_BITS_PER_CHAR = 3.0
SECRET_KEY_MIN_DISTINCT = 10
# Words and runs that mark a sample, a placeholder or a typed key rather than a generated one.
SAMPLE_SECRET_PARTS = (
    "change-me", "changeme", "change_me", "changethis", "replace", "your-", "your_", "secret-key", "secret_key",
    "secretkey", "not-for-production", "insecure", "example", "sample", "placeholder", "default", "password",
    "quizapp", "0123456789", "123456789", "abcdefgh", "qwerty",
)
# Where the project's own files live under the source root: a key written in any of them is public.
REPOSITORY_PARTS = ("quizapp", "tests", "benchmarks", "docs", "migrations", "bin", ".ci", "deploy",
                    "README.md", "pyproject.toml")
SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_secret_key(instance_path):
    """Return a secret key kept in the instance folder, creating it on first use."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _bits_per_char(text):
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def weak_secret_key(secret, root=SOURCE_ROOT):
    """Why ``secret`` must not sign sessions in production, or None when it looks generated and private."""
    if not secret or not secret.strip():
        return "SECRET_KEY is not set"
    if len(secret) < SECRET_KEY_MIN_LENGTH:
        return f"SECRET_KEY is shorter than {SECRET_KEY_MIN_LENGTH} characters"
    lowered = secret.lower()
    if any(part in lowered for part in SAMPLE_SECRET_PARTS):
        return "SECRET_KEY is a sample or placeholder value"
    if len(set(secret)) < SECRET_KEY_MIN_DISTINCT or _bits_per_char(secret) < SECRET_KEY_MIN_BITS_PER_CHAR:
        return "SECRET_KEY is too predictable (too few different characters)"
    if secret in (secret + secret)[1:-1]:
        return "SECRET_KEY is a repeated pattern"
    found = appears_in_repository(secret, root)
    if found:
        return f"SECRET_KEY is written in the project's own files ({found}), so anyone can read it"
    return None


def appears_in_repository(secret, root=SOURCE_ROOT):
    """The first project file (relative path) that contains ``secret``, or None."""
    needle = secret.encode()
    root = Path(root)
    for part in REPOSITORY_PARTS:
        start = root / part
        paths = [start] if start.is_file() else sorted(start.rglob("*")) if start.is_dir() else []
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts and path.stat().st_size < 5_000_000:
                if needle in path.read_bytes():
                    return str(path.relative_to(root))
    return None


def from_environment(instance_path):
    """Build the configuration mapping for create_app from the environment."""
    production = os.environ.get("QUIZAPP_ENV", "development").lower() == "production"
    secret = os.environ.get("SECRET_KEY")
    if production:
        problem = weak_secret_key(secret)
        if problem:
            raise RuntimeError(f"{problem}; production needs a long random key of its own ({SECRET_KEY_HOWTO})")
    if "MAX_UPLOAD_MB" in os.environ:
        raise RuntimeError("MAX_UPLOAD_MB is not read any more: set UPLOAD_MAX_MB (megabytes, default 10) instead")
    upload_mb = int(os.environ.get("UPLOAD_MAX_MB", "10"))
    database_url = os.environ.get("DATABASE_URL") or "sqlite:///" + str(Path(instance_path) / "quizapp.sqlite")
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return {
        "PRODUCTION": production,
        "DEBUG": False if production else _bool("FLASK_DEBUG"),
        "SECRET_KEY": secret or instance_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A ping before each checkout finds PostgreSQL connections dropped by a restart or a proxy; a SQLite
        # file never drops, so there it would only cost ~0.15 ms a request.
        "SQLALCHEMY_ENGINE_OPTIONS": {} if database_url.startswith("sqlite") else {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE"),
        # Strict-Transport-Security is sent when cookies are Secure (HTTPS only); 0 turns it off.
        "HSTS_MAX_AGE": int(os.environ.get("HSTS_MAX_AGE", "31536000")),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE"),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(os.environ.get("SESSION_HOURS", "12"))),
        # Re-sign and re-send the session cookie only when the session changes (~0.2 ms and ~450 bytes saved on
        # every answer save); a session then lasts SESSION_HOURS from sign-in, not from the last request.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # A CSRF token lives as long as the signed session it belongs to: a
        # cadre in a long exam never loses a save or a submission to a token
        # that timed out (Flask-WTF's default is one hour).
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": False,
        "WTF_I18N_ENABLED": False,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": False,
        # Sign-in throttling (accounts/throttle.py): free failures per account, then a doubling delay;
        # an address is throttled only after failures for this many *different* accounts.
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 15 minutes"),
        "LOGIN_DELAY_BASE": int(os.environ.get("LOGIN_DELAY_BASE", "30")),
        "LOGIN_DELAY_MAX": int(os.environ.get("LOGIN_DELAY_MAX", "300")),
        # One upload size (UPLOAD_MAX_MB): the file itself, and the whole request with 1 MB for the form around it.
        "MAX_CONTENT_LENGTH": (upload_mb + 1) * 1024 * 1024,
        "UPLOAD_MAX_BYTES": upload_mb * 1024 * 1024,
        # Imports larger than this many rows are applied by a background job (progress on the job page).
        # Accounts cost a password hash each (~0.2 s of scrypt), so their bound is far lower.
        "IMPORT_JOB_ROWS": int(os.environ.get("IMPORT_JOB_ROWS", "2000")),
        "ACCOUNT_IMPORT_JOB_ROWS": int(os.environ.get("ACCOUNT_IMPORT_JOB_ROWS", "100")),
        "AUDIT_DENIED_PER_HOUR": int(os.environ.get("AUDIT_DENIED_PER_HOUR", "20")),
        "PROXY_FIX": int(os.environ.get("PROXY_FIX", "0")),
        # X-Forwarded-For/-Proto count only from these (addresses, networks, "unix" for a unix socket).
        "TRUSTED_PROXIES": os.environ.get("TRUSTED_PROXIES", "127.0.0.1, ::1"),
        "DEMO_MODE": _bool("QUIZAPP_DEMO"),
        "TIMEZONE": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        "PAGE_SIZE": 20,
        "REPORTS_SNAPSHOT_MAX_AGE": int(os.environ.get("REPORTS_SNAPSHOT_MAX_AGE", "600")),
        # Exam deadlines (docs/api.md, "When an answer counts"): answers are judged by when they were
        # given, not when a busy server processed them.
        "EXAM_SAVE_GRACE_SECONDS": float(os.environ.get("EXAM_SAVE_GRACE_SECONDS", "10")),
        "EXAM_LATE_DELIVERY_SECONDS": float(os.environ.get("EXAM_LATE_DELIVERY_SECONDS", "120")),
        "TRUST_REQUEST_START": _bool("TRUST_REQUEST_START"),
        "REQUEST_START_MAX_SKEW": float(os.environ.get("REQUEST_START_MAX_SKEW", "60")),
        # The address people type or scan (slips, certificate QR codes, reminders); empty: the request's host.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/"),
        # 法律明白人 wanted per administrative village (the national standard: at least three).
        "LEGAL_AIDES_PER_VILLAGE": int(os.environ.get("LEGAL_AIDES_PER_VILLAGE", "3")),
        # 学法积分 (engage/points.py): off unless a deployment turns it on; when off its pages 404 and nothing
        # is computed or shown.
        "POINTS_ENABLED": _bool("POINTS_ENABLED"),
    }


def check(config):
    """Refuse at start-up a setting that would otherwise fail on some later page."""
    from .common.clock import zone

    try:
        zone(config.get("TIMEZONE"))
    except ValueError:
        raise RuntimeError(f"TIMEZONE={config.get('TIMEZONE')!r} is not a time zone this system knows "
                           "(use an IANA name such as Asia/Shanghai)") from None
