"""Every menu item of every role can be reached on a 360-px phone and at 1366×768, 退出 and 修改密码 always."""
import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1366, "height": 768}


def _people(f, tree):
    f.user("zuzhi1", tree["jia"], role="organiser")
    f.user("lingdao1", tree["jia"], role="leader")
    f.user("ganbu1", tree["v1"])
    return {"admin": "admin01", "organiser": "zuzhi1", "leader": "lingdao1", "cadre": "ganbu1"}


def _reachable(page, locator):
    """Scrolled into view (inside the menu if need be), is the element on screen and the topmost thing there?"""
    locator.scroll_into_view_if_needed()
    return page.evaluate(
        """(el) => { const r = el.getBoundingClientRect();
                     const x = r.left + r.width / 2, y = r.top + r.height / 2;
                     const inside = r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
                     const hit = document.elementFromPoint(x, y);
                     return inside && (hit === el || el.contains(hit)); }""", locator.element_handle())


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1366"])
def test_every_menu_item_is_reachable(f, tree, page, live_server, sign_in, viewport):
    """For each role, can every item of the open menu, and 退出 and 修改密码, be scrolled to and tapped?"""
    page.set_viewport_size(viewport)
    for role, login in _people(f, tree).items():
        page.context.clear_cookies()
        sign_in(login, "Passw0rd!x")
        page.wait_for_url(f"{live_server}/")
        for label in ("修改密码", "退出"):
            assert _reachable(page, page.locator(".whoami").get_by_text(label)), (role, label)
        page.click(".menu summary")
        links = page.locator(".menu-panel a")
        assert links.count() >= 5, role
        groups = page.locator(".menu-group h2").all_inner_texts()
        for index in range(links.count()):
            assert _reachable(page, links.nth(index)), (role, viewport, links.nth(index).inner_text())
        assert groups[-1] == "我的"
        if role == "cadre":
            assert "管理" not in groups and "统计" not in groups
        else:
            assert "统计" in groups
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], (role, width)


def test_cadre_bottom_bar_on_a_phone_only(f, tree, page, live_server, sign_in):
    """Does a cadre get the 首页/学习/考试/练习/我的 bar on a phone, leading to 我的 with 退出, and not at 1366 px?"""
    _people(f, tree)
    page.set_viewport_size(PHONE)
    sign_in("ganbu1", "Passw0rd!x")
    page.wait_for_url(f"{live_server}/")
    bar = page.locator(".bottombar")
    assert bar.locator("a").all_inner_texts() == ["首页", "学习", "考试", "练习", "我的"]
    assert _reachable(page, bar.get_by_text("我的"))
    bar.get_by_text("考试").click()
    page.wait_for_url(f"{live_server}/exams/")
    assert page.locator(".bottombar a[aria-current]").inner_text() == "考试"
    bar.get_by_text("我的").click()
    page.wait_for_url(f"{live_server}/mine")
    assert "学法档案" in page.inner_text("main") and "退出登录" in page.inner_text("main")
    page.set_viewport_size(DESKTOP)
    assert not bar.is_visible()
