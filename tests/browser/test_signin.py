"""A cadre signs in for the first time, changes the password and sees the home page."""
import pytest

pytestmark = pytest.mark.browser


def test_first_sign_in_forces_password_change_then_home(f, tree, page, live_server, sign_in):
    """Does a cadre with a new account get sent to change the password, and then see their own home page?"""
    f.user("gb0001", tree["v1"], name="王建国", must_change=True, password="Chushi@123")

    sign_in("gb0001", "Chushi@123")
    page.wait_for_url(f"{live_server}/password")
    assert "请先设置新密码" in page.content()

    page.fill("input[name=old_password]", "Chushi@123")
    page.fill("input[name=new_password]", "Xinmima@456")
    page.fill("input[name=confirm]", "Xinmima@456")
    page.click("main button[type=submit]")

    page.wait_for_url(f"{live_server}/")
    body = page.inner_text("main")
    assert "王建国，您好" in body
    assert "示范县/甲乡/一村两委" in body
    assert "密码已修改" in body

    # The new password works in a fresh browser session; the old one does not.
    page.context.clear_cookies()
    sign_in("gb0001", "Chushi@123")
    assert "登录名或密码不正确" in page.inner_text("main")
    sign_in("gb0001", "Xinmima@456")
    page.wait_for_url(f"{live_server}/")


def test_wrong_password_message_on_a_phone_sized_screen(f, tree, page, live_server, sign_in):
    """Is a failed sign-in explained in Chinese, with the form still usable at 390 px?"""
    f.user("gb0002", tree["v1"])
    sign_in("gb0002", "wrong-password")
    assert "登录名或密码不正确" in page.inner_text("main")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
