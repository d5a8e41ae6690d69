"""Finding 5: X-Forwarded-* is believed only from the configured proxies."""
import secrets

import pytest
from flask import request

from quizapp import create_app
from quizapp.common.proxies import TrustedProxies


def _app(tmp_path, trusted):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", "SECRET_KEY": secrets.token_hex(32),
                      "PROXY_FIX": 1, "TRUSTED_PROXIES": trusted})

    @app.route("/whoami")
    def whoami():
        return f"{request.remote_addr} {request.scheme}"

    return app.test_client()


def test_forwarded_for_from_anyone_is_ignored(tmp_path):
    """With PROXY_FIX=1 and the app reachable directly, does a rotating X-Forwarded-For change nothing?"""
    client = _app(tmp_path, "127.0.0.1")
    for n in range(5):
        response = client.get("/whoami", headers={"X-Forwarded-For": f"10.9.8.{n}", "X-Forwarded-Proto": "https"},
                              environ_base={"REMOTE_ADDR": "203.0.113.5"})
        assert response.get_data(as_text=True) == "203.0.113.5 http"


def test_forwarded_for_from_trusted_proxy_names_the_client(tmp_path):
    """Behind the configured nginx, is the client the right-most untrusted hop (a forged left part ignored)?"""
    client = _app(tmp_path, "127.0.0.1, 10.0.0.0/8")
    response = client.get("/whoami", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.0.0.2",
                                              "X-Forwarded-Proto": "https"},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.get_data(as_text=True) == "198.51.100.7 https"
    response = client.get("/whoami", headers={"X-Forwarded-For": "not-an-ip"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.get_data(as_text=True).startswith("127.0.0.1 ")


def test_unix_socket_proxy_is_trusted_only_when_configured():
    """Is a unix-socket peer (no address) trusted only with 'unix' in TRUSTED_PROXIES?"""
    assert TrustedProxies(None, "127.0.0.1, unix").is_trusted("") is True
    assert TrustedProxies(None, "127.0.0.1").is_trusted("") is False


def test_bad_trusted_proxies_stop_start_up(tmp_path):
    """Does a mistyped TRUSTED_PROXIES stop start-up rather than trust nothing (or everything) silently?"""
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
        _app(tmp_path, "127.0.0.1, nginx-host")
