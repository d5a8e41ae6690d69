"""Finding 2: nothing personal stays in a shared PC's cache; HTTPS is pinned; the unit tree needs no inline style."""
import re
import secrets

from quizapp import create_app


def test_authenticated_pages_with_answers_are_not_stored(client, f, tree):
    """Do the attempt, the result with answers and 解析, the people list and the JSON state say no-store?"""
    f.user("org01", tree["jia"], role="organiser")
    cadre = f.user("cadre01", tree["v1"])
    f.questions(3, explanation="解析要点")
    f.questions(1, qtype="multiple")
    f.questions(1, qtype="judge")
    exam = f.exam(tree["admin"], owner=tree["county"], audience=[tree["county"]], review_policy="immediate")
    attempt = f.sit(exam, cadre, correct=2)
    client.login("cadre01")
    for url in ("/", f"/exams/attempts/{attempt.id}/result", f"/api/exams/attempts/{attempt.id}/state",
                "/exams/results"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers.get("Cache-Control") == "no-store", url
    client.post("/logout")
    client.login("org01")
    response = client.get("/users/")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_public_pages_and_assets_stay_cacheable(client):
    """Are the sign-in page and static files left to normal caching (nothing personal in them)?"""
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    with client.get("/static/css/app.css") as response:
        assert response.status_code == 200 and "no-store" not in response.headers.get("Cache-Control", "")


def test_hsts_sent_when_cookies_are_secure(monkeypatch, tmp_path):
    """With SESSION_COOKIE_SECURE=1, is Strict-Transport-Security sent, with a configurable max-age?"""
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("HSTS_MAX_AGE", "600")
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", "SECRET_KEY": secrets.token_hex(32)}
    app = create_app(config)
    response = app.test_client().get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=600"
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")
    response = create_app(config).test_client().get("/login")
    assert "Strict-Transport-Security" not in response.headers


def test_unit_tree_indents_without_inline_style(client, tree):
    """Is the unit tree indented by CSS classes (the CSP blocks inline style=), deeper units further?"""
    client.login("admin01")
    page = client.get("/units/").get_data(as_text=True)
    assert "style=" not in page
    depths = re.findall(r'class="unit-depth-(\d)"', page)
    assert set(depths) == {"0", "1", "2"}
    with client.get("/static/css/app.css") as response:
        assert ".unit-depth-2" in response.get_data(as_text=True)
