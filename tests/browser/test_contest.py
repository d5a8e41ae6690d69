"""A 知识竞赛 from join to leaderboard: the projector at 1920×1080 and a phone, each polling the server."""
import re

import pytest
from playwright.sync_api import expect

from quizapp.engage.models import Contest
from quizapp.extensions import db

pytestmark = pytest.mark.browser


def signed_in(context, live_server, login):
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "Passw0rd!x")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    return page


def test_contest_from_join_to_leaderboard(f, tree, browser, context, live_server):
    """Can an organiser build a contest, show it on a projector, and step it while a phone joins, answers and
    sees its verdict, with distributions and the leaderboard on the big screen?"""
    f.user("org_live", tree["jia"], role="organiser")
    f.user("gb_live", tree["v1"], name="扎西")
    bank = f.bank("法治讲堂题库")
    for n in range(5):
        f.question(bank, stem=f"第{n + 1}道竞赛题：下列说法正确的是（ ）。",
                   options=[f"正确说法{n}", f"错误说法{n}", "无关说法", "都不对"])

    projector_context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    projector_context.set_default_timeout(15000)
    try:
        screen = signed_in(projector_context, live_server, "org_live")
        screen.goto(f"{live_server}/contests/new")
        screen.fill("input[name=title]", "宪法日知识竞赛")
        screen.select_option("select[name=bank_id]", label="法治讲堂题库")
        screen.select_option("select[name=count]", "5")
        screen.click("button:has-text('创建竞赛')")
        screen.wait_for_url(re.compile(r".*/contests/\d+/screen$"))
        contest = db.session.scalar(db.select(Contest))
        assert screen.locator("[data-code]").inner_text() == contest.join_code
        assert screen.locator("img.screen-qr").evaluate("img => img.naturalWidth") > 0

        phone = signed_in(context, live_server, "gb_live")
        phone.goto(f"{live_server}/contests/?code={contest.join_code}")
        phone.click("button:has-text('加入竞赛')")
        phone.wait_for_url(re.compile(r".*/contests/\d+/play$"))
        expect(screen.locator("[data-players]")).to_have_text("1")

        screen.click("button:has-text('开始竞赛')")
        expect(phone.locator("[data-stem]")).to_contain_text("竞赛题")
        assert "第 1 / 5 题" in phone.inner_text("[data-progress]")
        phone.check("input[name=response][value=A]")
        phone.click("button:has-text('提交')")
        expect(phone.locator("[data-verdict]")).to_contain_text("已提交")
        expect(screen.locator("[data-answered]")).to_contain_text("已作答 1")

        screen.click("button:has-text('提前结束本题')")
        expect(screen.locator("[data-options] li.is-key .count")).to_have_text("1 人")
        assert "1 人" in screen.locator("[data-options] li.is-key").inner_text()
        assert "扎西" in screen.inner_text("[data-leaderboard]")
        assert "一村两委" in screen.inner_text("[data-units]")
        expect(phone.locator("[data-verdict]")).to_have_text("回答正确")
        expect(phone.locator("[data-score]")).to_contain_text("第 1 名")
        assert not phone.locator("button:has-text('提交')").is_visible()
        assert screen.evaluate("document.documentElement.scrollWidth") <= 1920

        screen.reload()  # the projector recovers its state from the server
        assert "扎西" in screen.inner_text("[data-leaderboard]") and "第 1 / 5 题" in screen.inner_text("main")
        screen.on("dialog", lambda dialog: dialog.accept())
        screen.click("button:has-text('结束竞赛')")
        screen.wait_for_url(re.compile(r".*/results$"))
        assert "扎西" in screen.inner_text("[data-board]") and "法治讲堂" in screen.inner_text("main")
    finally:
        projector_context.close()
