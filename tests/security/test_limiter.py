"""Rate limits are checked only on the routes that have them (the answer save pays nothing)."""
from unittest import mock

from quizapp.extensions import limiter


def test_decorated_limits_still_refuse(client):
    """Does the certificate check keep its 30-per-minute limit without the global hook?"""
    statuses = [client.get("/verify/?code=").status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429


def test_undecorated_routes_never_consult_the_limiter(app, client, tree):
    """Does a request to a route without limits (the answer save, any page) skip the limiter entirely?"""
    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])
    client.login("admin01")
    with mock.patch.object(type(limiter), "_check_request_limit", side_effect=AssertionError("consulted")):
        assert client.get("/users/").status_code == 200
        assert client.post("/api/exams/attempts/999999/answers", json={"answers": []}).status_code == 404
