"""The security baseline every page relies on."""
import secrets

import pytest

from quizapp import create_app


def test_production_refuses_missing_or_sample_secret_key(monkeypatch, tmp_path):
    """Does the app refuse to start in production without a real SECRET_KEY?"""
    monkeypatch.setenv("QUIZAPP_ENV", "production")
    for value in (None, "dev", "change-me", "short"):
        if value is None:
            monkeypatch.delenv("SECRET_KEY", raising=False)
        else:
            monkeypatch.setenv("SECRET_KEY", value)
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_production_never_runs_the_debugger(monkeypatch, tmp_path):
    """Is debug off in production even when FLASK_DEBUG asks for it?"""
    monkeypatch.setenv("QUIZAPP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.debug is False


def test_development_secret_key_lives_in_instance_folder(monkeypatch, tmp_path):
    """Without SECRET_KEY in development, is a random key generated once and kept?"""
    from quizapp.config import instance_secret_key

    first = instance_secret_key(str(tmp_path))
    assert len(first) == 64 and instance_secret_key(str(tmp_path)) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_security_headers(client):
    """Do pages carry a content security policy without third-party hosts, and nosniff?"""
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "http" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_external_assets(client):
    """Is every script and stylesheet served by the app itself?"""
    page = client.get("/login").get_data(as_text=True)
    assert "http://" not in page and "https://" not in page


def test_post_without_csrf_refused_everywhere(client, f, tree):
    """Is a state-changing POST without a CSRF token refused, even for a signed-in admin?"""
    client.login("admin01")
    response = client.post("/units/new", {"name": "x", "kind": "organ", "parent_id": tree["jia"].id}, csrf=False)
    assert response.status_code == 400
    response = client.post(f"/units/{tree['v3'].id}/delete", csrf=False)
    assert response.status_code == 400


def test_json_errors_for_api_paths(client):
    """Do /api/ paths get JSON errors rather than HTML?"""
    response = client.get("/api/does-not-exist")
    assert response.status_code == 404 and response.get_json()["error"]


def test_user_text_is_escaped(client, f, tree):
    """Is a name with markup shown as text, never run?"""
    f.user("xss01", tree["v1"], name="<script>alert(1)</script>")
    client.login("admin01")
    page = client.get("/users/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_unexpected_error_shows_no_stack_trace(app, client):
    """Does an unexpected error give a Chinese error page without a traceback?"""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "服务器出错了" in page and "secret internals" not in page


def test_upload_too_large_is_refused(client, app, f, tree):
    """Is an upload over the size limit refused with a Chinese message?"""
    import io

    app.config["MAX_CONTENT_LENGTH"] = 1024
    f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    token = client.csrf_token()
    response = client.post("/users/import", {"file": (io.BytesIO(b"x" * 4096), "big.csv"), "csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and "文件太大" in response.get_data(as_text=True)
