"""Sign-in, sign-out, passwords, throttling and session handling."""
import pytest
from werkzeug.security import check_password_hash

from quizapp.extensions import db
from quizapp.accounts.models import User


def test_sign_in_and_home_shows_name_and_unit(client, f, tree):
    """Does a cadre land on a home page that shows their name and unit path?"""
    f.user("gb01", tree["v1"], name="王建国")
    response = client.login("gb01")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "王建国" in page and "示范县/甲乡/一村两委" in page


def test_unknown_login_and_wrong_password_get_the_same_message(client, f, tree):
    """Can an attacker tell an unknown login name from a wrong password? (must not)"""
    f.user("gb01", tree["v1"])
    unknown = client.login("nobody", "whatever123").get_data(as_text=True)
    wrong = client.login("gb01", "wrong-password").get_data(as_text=True)
    assert "登录名或密码不正确" in unknown and "登录名或密码不正确" in wrong


def test_deactivated_account_cannot_sign_in(client, f, tree):
    """Is a deactivated person refused with the same message as a wrong password?"""
    f.user("gb01", tree["v1"], active=False)
    page = client.login("gb01").get_data(as_text=True)
    assert "登录名或密码不正确" in page


def test_passwords_are_hashed_with_werkzeug_default(f, tree):
    """Is the stored password a werkzeug hash (never the plain text)?"""
    user = f.user("gb01", tree["v1"])
    assert user.password_hash.startswith("scrypt:")
    assert check_password_hash(user.password_hash, "Passw0rd!x")


def test_throttled_per_account_after_repeated_failures(client, make_client, f, tree):
    """After five failures for one account, is even the right password refused for a while, in Chinese?"""
    f.user("gb01", tree["v1"])
    for _ in range(5):
        assert client.login("gb01", "bad-password").status_code == 200
    blocked = make_client().login("gb01")
    assert blocked.status_code == 429
    assert "登录失败次数过多" in blocked.get_data(as_text=True)


def test_throttled_per_client_address(client, f, tree, app):
    """Does one address trying many login names get throttled too?"""
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "8 per 15 minutes"
    for n in range(8):
        assert client.login(f"guess{n}", "bad-password").status_code == 200
    assert client.login("guess99", "bad-password").status_code == 429


def test_successful_sign_ins_do_not_count_towards_throttling(client, f, tree):
    """Do good sign-ins leave the failure budget untouched?"""
    f.user("gb01", tree["v1"])
    for _ in range(7):
        assert client.login("gb01").status_code == 302
        client.post("/logout")
    assert client.login("gb01").status_code == 302


def test_forced_password_change_blocks_other_pages(client, f, tree):
    """Must an account made in bulk or by reset change its password before anything else?"""
    f.user("gb01", tree["v1"], must_change=True)
    client.login("gb01")
    response = client.get("/users/1")
    assert response.status_code == 302 and response.headers["Location"] == "/password"
    assert client.get("/").headers["Location"] == "/password"
    response = client.post("/password", {"old_password": "Passw0rd!x", "new_password": "Newpass!234",
                                         "confirm": "Newpass!234"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("new, message", [
    ("short1", "至少需要 8 个字符"),
    ("gb010203", "不能与登录名相同"),
    ("Passw0rd!x", "不能与原密码相同"),
])
def test_password_rules(client, f, tree, new, message):
    """Are too-short passwords, the login name and the old password refused with a reason?"""
    f.user("gb010203", tree["v1"])
    client.login("gb010203")
    page = client.post("/password", {"old_password": "Passw0rd!x", "new_password": new, "confirm": new})
    assert page.status_code == 200 and message in page.get_data(as_text=True)


def test_wrong_old_password_refused(client, f, tree):
    """Is a password change with the wrong old password refused?"""
    f.user("gb01", tree["v1"])
    client.login("gb01")
    page = client.post("/password", {"old_password": "nope-nope", "new_password": "Newpass!234",
                                     "confirm": "Newpass!234"}).get_data(as_text=True)
    assert "原密码不正确" in page


def test_password_change_ends_other_sessions(client, make_client, f, tree):
    """After a password change on one device, is the other device signed out while this one stays?"""
    f.user("gb01", tree["v1"])
    phone = make_client()
    client.login("gb01")
    phone.login("gb01")
    assert phone.get("/").status_code == 200
    client.post("/password", {"old_password": "Passw0rd!x", "new_password": "Newpass!234", "confirm": "Newpass!234"})
    assert client.get("/").status_code == 200
    assert phone.get("/").headers["Location"].startswith("/login")


def test_sign_out_ends_other_sessions(client, make_client, f, tree):
    """Does signing out end the person's sessions on other devices too?"""
    f.user("gb01", tree["v1"])
    phone = make_client()
    client.login("gb01")
    phone.login("gb01")
    client.post("/logout")
    assert client.get("/").headers["Location"].startswith("/login")
    assert phone.get("/").headers["Location"].startswith("/login")


def test_deactivation_ends_sessions(client, make_client, f, tree):
    """Is a deactivated person thrown out of a session already open?"""
    person = f.user("gb01", tree["v1"])
    f.user("org01", tree["jia"], role="organiser")
    client.login("gb01")
    organiser = make_client()
    organiser.login("org01")
    assert organiser.post(f"/users/{person.id}/active", {"active": "maybe"}).status_code == 400
    assert client.get("/").status_code == 200  # a value that is neither 0 nor 1 changes nothing
    organiser.post(f"/users/{person.id}/active", {"active": "0"})
    assert client.get("/").headers["Location"].startswith("/login")


def test_session_renewed_at_sign_in(client, f, tree):
    """Is whatever was in the session before sign-in dropped (no session fixation)?"""
    f.user("gb01", tree["v1"])
    with client.session_transaction() as session:
        session["planted"] = "by-attacker"
    client.login("gb01")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].endswith(":1")


def test_session_survives_address_change(client, f, tree):
    """Does a cadre whose mobile network changes address mid-exam stay signed in?"""
    f.user("gb01", tree["v1"], name="王建国")
    client.login("gb01", environ_base={"REMOTE_ADDR": "10.0.0.1"})
    response = client.get("/", environ_base={"REMOTE_ADDR": "10.9.9.9", "HTTP_USER_AGENT": "same"})
    assert response.status_code == 200 and "王建国" in response.get_data(as_text=True)


def test_session_cookie_flags(client, f, tree):
    """Is the session cookie HttpOnly and SameSite=Lax?"""
    f.user("gb01", tree["v1"])
    response = client.login("gb01")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_secure_cookie_when_configured(monkeypatch, tmp_path):
    """With SESSION_COOKIE_SECURE set, are cookies marked Secure?"""
    from quizapp.config import from_environment

    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    assert from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("target, expected", [
    ("/users/", "/users/"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("http:/evil.example", "/"),
])
def test_next_redirects_only_inside_the_site(client, f, tree, target, expected):
    """Does ?next= ever send a person to another site? (must not)"""
    f.user("org01", tree["jia"], role="organiser")
    client.get(f"/login?next={target}")
    response = client.post("/login", {"login": "org01", "password": "Passw0rd!x", "next": target})
    assert response.headers["Location"] == expected


def test_login_form_without_csrf_is_refused(client, f, tree):
    """Is a sign-in POST without a CSRF token refused?"""
    f.user("gb01", tree["v1"])
    response = client.post("/login", {"login": "gb01", "password": "Passw0rd!x"}, csrf=False)
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_reset_password_forces_change_and_ends_sessions(client, make_client, f, tree):
    """Does a reset give a temporary password, end old sessions and force a change at next sign-in?"""
    person = f.user("gb01", tree["v1"])
    f.user("org01", tree["jia"], role="organiser")
    cadre = make_client()
    cadre.login("gb01")
    client.login("org01")
    page = client.post(f"/users/{person.id}/reset-password").get_data(as_text=True)
    import re
    temp = re.search(r'class="password-box">([^<]+)<', page).group(1)
    assert cadre.get("/").headers["Location"].startswith("/login")
    fresh = make_client()
    assert fresh.login("gb01", temp).status_code == 302
    assert fresh.get("/").headers["Location"] == "/password"
    db.session.expire_all()
    assert db.session.get(User, person.id).must_change_password
