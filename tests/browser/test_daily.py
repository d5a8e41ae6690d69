"""A cadre on a phone opens 首页, does today's 每日一练 with feedback after each answer, and sees the streak."""
import re
from datetime import datetime, timezone

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def clock_start():
    return datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)


def test_daily_five_from_home_with_feedback_and_streak(f, tree, clock, page, live_server, sign_in):
    """Does the 首页 card start five questions, give 解析 after each, and count the day in the streak?"""
    f.user("gb_daily_b", tree["v1"], name="每日干部")
    bank = f.bank("每日题库")
    stems = [f"第{n}道每日题：宪法规定的事项是（ ）。" for n in range(1, 8)]
    for n, stem in enumerate(stems, 1):
        f.question(bank, stem=stem, options=[f"对的说法{n}", f"错的说法{n}", "无关的说法", "都不对"],
                   explanation=f"第{n}题的解析。")
    sign_in("gb_daily_b", "Passw0rd!x")
    page.wait_for_url(f"{live_server}/")
    card = page.locator("#daily-card")
    assert "连续 0 天" in card.inner_text()
    card.locator("button:has-text('开始今日一练')").click()
    page.wait_for_url(re.compile(r".*/daily/\d+$"))

    for n in range(5):
        body = page.inner_text("main")
        assert f"第 {n + 1} / 5 题" in body and "解析" not in body
        # Options are shuffled per session (as in 模拟练习): choose by text, not by letter.
        wanted = "错的说法" if n == 0 else "对的说法"
        page.locator("label.option", has_text=wanted).locator("input[name=response]").check()
        page.click("button:has-text('提交答案')")
        page.wait_for_url(re.compile(r".*/feedback/\d+$"))
        body = page.inner_text("main")
        assert ("回答错误" if n == 0 else "回答正确") in body
        assert "解析" in body and "查看法条" in body and "再次出现在每日一练中" in body
        if n == 0:
            assert "2026年12月08日" in body
        page.click("a:has-text('下一题'), a:has-text('查看今日结果')")

    page.wait_for_url(re.compile(r".*/summary$"))
    assert "答对 4 题" in page.inner_text("main").replace("\n", "")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"{live_server}/")
    card = page.locator("#daily-card")
    assert "连续 1 天" in card.inner_text() and "今日已完成" in card.inner_text()
    assert page.locator("#daily-card .daily-list li").count() == 5
    assert page.locator("#daily-card td.done").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
