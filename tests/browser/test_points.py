"""A cadre on a phone does today's 每日一练 and sees the 学法积分 it earned on 首页 and on 我的积分."""
import re
from datetime import datetime, timezone

import pytest

from quizapp.engage import points

pytestmark = pytest.mark.browser


@pytest.fixture
def clock_start():
    return datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)


def test_daily_set_points_on_home_and_my_points(app, f, tree, clock, page, live_server, sign_in):
    """Does finishing today's five questions (four right) show 5 + 4 points on the 首页 card and 我的积分,
    with the rule one click away?"""
    app.config["POINTS_ENABLED"] = True
    f.user("gb_points_b", tree["v1"], name="积分干部")
    bank = f.bank("积分题库")
    for n in range(1, 7):
        f.question(bank, stem=f"第{n}道积分题：宪法规定的事项是（ ）。",
                   options=[f"对的说法{n}", f"错的说法{n}", "无关的说法", "都不对"])
    sign_in("gb_points_b", "Passw0rd!x")
    page.wait_for_url(f"{live_server}/")
    assert "本年积分 0" in page.locator("#points-card").inner_text()

    page.locator("#daily-card button:has-text('开始今日一练')").click()
    page.wait_for_url(re.compile(r".*/daily/\d+$"))
    for n in range(5):
        wanted = "错的说法" if n == 0 else "对的说法"
        page.locator("label.option", has_text=wanted).locator("input[name=response]").check()
        page.click("button:has-text('提交答案')")
        page.wait_for_url(re.compile(r".*/feedback/\d+$"))
        page.click("a:has-text('下一题'), a:has-text('查看今日结果')")
    page.wait_for_url(re.compile(r".*/summary$"))

    expected = points.DAILY_DONE + 4 * points.DAILY_PER_CORRECT
    page.goto(f"{live_server}/")
    card = page.locator("#points-card")
    assert f"本年积分 {expected}" in card.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    card.locator("a:has-text('我的积分')").click()
    page.wait_for_url(f"{live_server}/points/")
    assert page.locator("[data-points-total]").inner_text() == str(expected)
    assert page.locator("[data-points-source=daily]").inner_text() == str(expected)
    assert "每日一练" in page.locator("#points-entries").inner_text()
    assert "不代替参考率、合格率和学时" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("a:has-text('积分规则')")
    page.wait_for_url(f"{live_server}/points/rules")
    assert f"每天最多 {points.DAILY_CAP} 分" in page.locator("#points-rules").inner_text()
