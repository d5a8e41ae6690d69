"""Fixtures: one real database per test run (SQLite or PostgreSQL), emptied after each test.

Set TEST_DATABASE_URL=postgresql+psycopg://…/test to run on PostgreSQL; the
default is a SQLite file in a temporary folder. The schema is built by the
project's own migrations, so every run also proves they work.
"""
import os
import re
import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

from flask.globals import _cv_app
from flask.testing import FlaskClient

from quizapp import create_app
from quizapp.extensions import db, limiter

from factories import START, Clock, Factories

ROOT = Path(__file__).resolve().parent.parent

# Hypothesis profiles. The suite runs on two workers on machines shared with other jobs, so time-based
# checks (the per-example deadline, the too_slow health check) would report the machine's load, not the code.
# "ci" also replays the same examples on every run (derandomize, no example database), so a red build is
# reproducible from its log; "dev" explores new examples each run and remembers failures in .hypothesis/;
# "thorough" is for an occasional deep run (HYPOTHESIS_PROFILE=thorough bin/test -k ...).
_RELAXED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=200, derandomize=True, database=None, print_blob=True, **_RELAXED)
settings.register_profile("dev", max_examples=100, **_RELAXED)
settings.register_profile("thorough", max_examples=2000, **_RELAXED)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Debian's Chromium through Playwright")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With QUIZAPP_FAIL_ON_SKIP set (CI), a skipped test is a failure: nothing may silently not run."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("QUIZAPP_FAIL_ON_SKIP") and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {report.longrepr}"


# Several app servers on one database is a PostgreSQL setup (issue 15): that test runs in the PostgreSQL pass only.
collect_ignore = [] if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") else ["test_two_servers.py"]


def _database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if worker:
            url = _worker_database(url, worker)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


def _worker_database(url, worker):
    """Under pytest-xdist each worker gets its own PostgreSQL database, made next to the given one."""
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_schema(url):
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    _reset_schema(url)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        db.engine.dispose()
    return url


def _empty_tables():
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(sa.text(f'DELETE FROM "{table}"'))
        if db.session.execute(sa.text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first():
            db.session.execute(sa.text("DELETE FROM sqlite_sequence"))
    db.session.commit()


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (and so its own ``g`` and db session), as in production.

    The ``app`` fixture keeps an app context open for the test's own database
    work; without this, requests would reuse it and share ``g`` (Flask-Login's
    cached user, Flask-WTF's cached token) across clients.
    """

    def open(self, *args, **kwargs):
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": secrets.token_hex(32),  # made per run: a key in the repository is public
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
    })
    app.instance_path = str(tmp_path / "instance")
    app.test_client_class = IsolatedClient
    with app.app_context():
        limiter.reset()
        yield app
        db.session.rollback()
        db.session.remove()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


class CsrfClient:
    """A test client whose form posts carry a valid CSRF token unless told otherwise."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def csrf_token(self):
        page = self._client.get("/password") if self._logged_in() else self._client.get("/login")
        match = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))
        assert match, "no CSRF token on the page"
        return match.group(1)

    def _logged_in(self):
        with self._client.session_transaction() as session:
            return "_user_id" in session

    def post(self, url, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf and "json" not in kwargs and "csrf_token" not in data:
            data["csrf_token"] = self.csrf_token()
        if csrf and "json" in kwargs:
            kwargs.setdefault("headers", {})["X-CSRFToken"] = self.csrf_token()
        return self._client.post(url, data=data or None, **kwargs)

    def login(self, login, password="Passw0rd!x", **kwargs):
        return self.post("/login", {"login": login, "password": password}, **kwargs)


@pytest.fixture
def client(app):
    return CsrfClient(app.test_client())


@pytest.fixture
def make_client(app):
    """More clients (other browsers or devices) for the same app."""
    return lambda: CsrfClient(app.test_client())


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def f(app):
    """Factories that build real objects through the app's services (tests/factories.py)."""
    return Factories()


@pytest.fixture
def clock_start():
    """Where ``clock`` starts; a folder's conftest overrides this to suit its scenarios."""
    return START


@pytest.fixture
def clock(app, clock_start):
    """The app's clock, moved by hand (clock.set, clock.advance); every utcnow() in the app reads it."""
    clock = Clock(clock_start)
    app.config["CLOCK"] = clock
    return clock


@pytest.fixture
def tree(f):
    """示范县 → 甲乡 (一村, 二村) and 乙乡 (三村), with an admin at the county."""
    county = f.unit("示范县", kind="county")
    jia = f.unit("甲乡", county, kind="township")
    yi = f.unit("乙乡", county, kind="township")
    return {
        "county": county, "jia": jia, "yi": yi,
        "v1": f.unit("一村两委", jia, kind="village"),
        "v2": f.unit("二村两委", jia, kind="village"),
        "v3": f.unit("三村两委", yi, kind="village"),
        "admin": f.user("admin01", county, role="admin"),
    }
