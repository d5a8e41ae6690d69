"""Finding 4: a throttle that stops guessing without letting one person lock out an office or an account."""
import os
import shutil
import socket
import subprocess
import time

import pytest
import sqlalchemy as sa

from quizapp.audit.models import AuditEntry
from quizapp.common.proxies import TrustedProxies
from quizapp.extensions import db

OFFICE = {"REMOTE_ADDR": "198.51.100.20"}  # one township's NAT address


def _login(client, login, password="Passw0rd!x", environ=OFFICE, **kwargs):
    token = client.csrf_token()
    return client._client.post("/login", data={"login": login, "password": password, "csrf_token": token},
                               environ_base=environ, **kwargs)


def _actions(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def test_one_colleague_cannot_lock_an_office_out(make_client, f, tree):
    """After one person behind the office NAT sprays a wrong password over 30 accounts, do colleagues at their
    usual PCs still sign in, with correct passwords?"""
    f.user("gb01", tree["v1"])
    f.user("gb02", tree["v1"])
    desk = make_client()
    assert _login(desk, "gb02").status_code == 302  # gb02 signed in at this PC before (e.g. last month)
    desk.post("/logout")
    sprayer = make_client()
    for n in range(30):
        _login(sprayer, f"GM{n:03d}", "Demo@2026")
    assert _login(desk, "gb02").status_code == 302


def test_failures_on_one_account_never_throttle_the_address(make_client, f, tree):
    """Does one colleague failing 40 times on their own account leave everyone else's sign-in alone?"""
    f.user("gb01", tree["v1"])
    f.user("gb02", tree["v1"])
    mistyper = make_client()
    for _ in range(40):
        assert _login(mistyper, "gb01", "wrong-password").status_code in (200, 429)
    assert _login(make_client(), "gb02").status_code == 302


def test_attacker_cannot_lock_the_owner_out(make_client, f, tree, clock):
    """With a stranger failing 20 times on an account, does its owner still sign in from their usual browser?"""
    f.user("gb01", tree["v1"])
    owner = make_client()
    assert _login(owner, "gb01").status_code == 302
    owner.post("/logout")
    attacker = make_client()
    for _ in range(20):
        _login(attacker, "gb01", "wrong-password", environ={"REMOTE_ADDR": "203.0.113.66"})
    assert _login(attacker, "gb01", environ={"REMOTE_ADDR": "203.0.113.66"}).status_code == 429
    assert _login(owner, "gb01").status_code == 302


def test_delay_grows_and_ends_without_a_fixed_lock(make_client, f, tree, clock):
    """Are the first failures free, then does each wait double (30 s, 60 s…) and end on its own?"""
    f.user("gb01", tree["v1"])
    browser = make_client()
    for _ in range(5):
        assert _login(browser, "gb01", "wrong-password").status_code == 200
    refused = _login(browser, "gb01")
    assert refused.status_code == 429 and "登录失败次数过多" in refused.get_data(as_text=True)
    clock.advance(seconds=31)
    assert _login(browser, "gb01", "wrong-password").status_code == 200  # sixth failure: next waits 60 s
    clock.advance(seconds=31)
    assert _login(browser, "gb01").status_code == 429
    clock.advance(seconds=30)
    assert _login(browser, "gb01").status_code == 302


def test_spraying_many_accounts_throttles_the_address_not_known_devices(app, make_client, f, tree):
    """Does an address failing on many different accounts get throttled, while people who signed in there before
    still get in?"""
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "8 per 15 minutes"
    f.user("gb01", tree["v1"])
    regular = make_client()
    assert _login(regular, "gb01").status_code == 302
    regular.post("/logout")
    sprayer = make_client()
    for n in range(8):
        assert _login(sprayer, f"guess{n}", "Spring2026!").status_code == 200
    assert _login(sprayer, "guess99", "Spring2026!").status_code == 429
    assert _login(make_client(), "gb01").status_code == 429  # a new browser at that address waits
    assert _login(regular, "gb01").status_code == 302
    assert len(_actions("auth.throttled")) == 1  # logged once per window, not per refused try


def test_rotating_forwarded_for_does_not_defeat_the_throttle(app, make_client, f, tree):
    """With PROXY_FIX on and the app reached directly, does a new X-Forwarded-For per try still get refused?"""
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "20 per 15 minutes"
    app.wsgi_app = TrustedProxies(app.wsgi_app, "127.0.0.1")
    client = make_client()
    statuses = [_login(client, f"guess{n}", "bad-password", headers={"X-Forwarded-For": f"10.0.{n}.1"},
                       environ={"REMOTE_ADDR": "203.0.113.9"}).status_code for n in range(35)]
    assert statuses.count(429) == 15
    assert {entry.ip for entry in _actions("auth.failure")} == {"203.0.113.9"}


def test_sign_ins_are_audited(make_client, f, tree):
    """Are success, failure (with the address and the account aimed at), throttling and forced change logged?"""
    person = f.user("gb01", tree["v1"], must_change=True)
    client = make_client()
    _login(client, "gb01", "wrong-password")
    _login(client, "nobody", "wrong-password")
    _login(client, "gb01")
    failures = _actions("auth.failure")
    assert [(e.target_id, e.target_label, e.ip) for e in failures] == [(person.id, "gb01", "198.51.100.20"),
                                                                      (None, "nobody", "198.51.100.20")]
    assert [e.actor_id for e in _actions("auth.login")] == [person.id]
    assert [e.actor_id for e in _actions("auth.forced_change")] == [person.id]


def test_manager_unlocks_an_account(client, make_client, f, tree):
    """Can an organiser lift the delay on one of their people, with an audit entry, and not on others'?"""
    f.user("org01", tree["jia"], role="organiser")
    person = f.user("gb01", tree["v1"])
    other = f.user("gb03", tree["v3"])
    stranger = make_client()
    for _ in range(6):
        _login(stranger, "gb01", "wrong-password")
    assert _login(make_client(), "gb01").status_code == 429
    client.login("org01")
    assert "解除登录限制" in client.get(f"/users/{person.id}").get_data(as_text=True)
    assert client.post(f"/users/{other.id}/unlock-sign-in").status_code == 404
    assert client.post(f"/users/{person.id}/unlock-sign-in", csrf=False).status_code == 400
    assert client.post(f"/users/{person.id}/unlock-sign-in").status_code == 302
    assert _login(make_client(), "gb01").status_code == 302
    assert [e.target_id for e in _actions("auth.unlock")] == [person.id]


def test_cli_unlocks_an_address(app, runner, make_client, f, tree):
    """Does `flask users unlock --address` lift a spraying limit?"""
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    f.user("gb01", tree["v1"])
    for n in range(3):
        _login(make_client(), f"guess{n}", "bad-password")
    assert _login(make_client(), "gb01").status_code == 429
    result = runner.invoke(args=["users", "unlock", "--address", OFFICE["REMOTE_ADDR"]])
    assert result.exit_code == 0, result.output
    assert _login(make_client(), "gb01").status_code == 302


@pytest.fixture
def redis_uri():
    """A throwaway redis-server on a free port (the shared storage several servers use)."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    try:
        import redis

        client = redis.Redis(port=port, socket_connect_timeout=1)
        for _ in range(300):  # a loaded CI machine may take seconds to start it
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.1)
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_two_servers_share_the_throttle_through_redis(database_url, redis_uri, f, tree, app):
    """With RATELIMIT_STORAGE_URI=redis://…, are the counters kept in Redis, so another server sees them?"""
    import redis

    from quizapp import create_app

    # tests/conftest.py by path: under xdist another folder's conftest may own the name "conftest".
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("tests_root_conftest", Path(__file__).parents[1] / "conftest.py")
    root_conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root_conftest)
    CsrfClient, IsolatedClient = root_conftest.CsrfClient, root_conftest.IsolatedClient

    def server():
        other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                            "SECRET_KEY": app.config["SECRET_KEY"], "RATELIMIT_STORAGE_URI": redis_uri})
        other.test_client_class = IsolatedClient
        return other

    first = server()
    f.user("gb01", tree["v1"])
    for _ in range(5):
        assert _login(CsrfClient(first.test_client()), "gb01", "wrong-password").status_code == 200
    shared = redis.Redis.from_url(redis_uri)
    assert shared.keys("*signin:until:*") and shared.keys("*signin:fail:*")
    second = server()  # a fresh process would connect to the same Redis
    assert _login(CsrfClient(second.test_client()), "gb01").status_code == 429
    shared.close()
    for other in (first, second):
        with other.app_context():
            db.engine.dispose()


def test_sign_in_goes_on_when_the_shared_storage_is_down(make_client, f, tree, monkeypatch, caplog):
    """With Redis unreachable, do people still sign in (unthrottled, and the log says so) rather than all get 500?"""
    from quizapp.extensions import limiter

    f.user("gb01", tree["v1"])

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    for method in ("get", "incr", "clear", "get_expiry"):
        monkeypatch.setattr(limiter.storage, method, down)
    client = make_client()
    assert _login(client, "gb01", "wrong-password").status_code == 200
    assert _login(client, "gb01").status_code == 302
    assert "not throttling" in caplog.text
