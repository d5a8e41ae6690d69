"""A cadre practises, misses one question, finds it in the 错题本 and redoes it until it leaves."""
import re

import pytest

pytestmark = pytest.mark.browser


def make_questions(f):
    """Five 单选 in a system bank, key A each; returns their stems."""
    stems = [f"第{n}道练习题：宪法规定的事项是（ ）。" for n in range(1, 6)]
    bank = f.bank("宪法题库")
    for n, stem in enumerate(stems, 1):
        f.question(bank, stem=stem, options=[f"对的说法{n}", f"错的说法{n}", "无关的说法", "都不对"],
                   explanation=f"第{n}题的解析。")
    return stems


def test_practise_miss_one_redo_twice_and_see_it_leave(f, tree, page, live_server, sign_in):
    """Does the whole practice and 错题本 loop work in a phone-sized browser?"""
    f.user("gb_browser", tree["v1"], name="练习干部")
    stems = make_questions(f)
    sign_in("gb_browser", "Passw0rd!x")
    page.wait_for_url(f"{live_server}/")

    page.click("summary[aria-label=菜单]")
    page.click("nav >> text=模拟练习")
    page.wait_for_url(f"{live_server}/practice/")
    page.select_option("select[name=count]", "5")
    page.click("text=开始练习 >> nth=-1")
    page.wait_for_url(re.compile(r".*/practice/\d+$"))

    missed = None
    for n in range(5):
        assert f"第 {n + 1} / 5 题" in page.inner_text("main")
        assert "解析" not in page.inner_text("main")
        stem = next(s for s in stems if s in page.inner_text("main"))
        number = stems.index(stem) + 1
        # Practice shows options in its own order, so the cadre picks by text, not by letter.
        choice = f"错的说法{number}" if n == 2 else f"对的说法{number}"
        if n == 2:
            missed = stem
        page.locator("label.option", has_text=choice).locator("input").check()
        page.click("button:has-text('提交答案')")
        page.wait_for_url(re.compile(r".*/feedback/\d+$"))
        body = page.inner_text("main")
        assert ("回答错误" if n == 2 else "回答正确") in body
        assert "解析" in body and "查看法条" in body
        page.click("a:has-text('下一题'), a:has-text('查看练习结果')")

    page.wait_for_url(re.compile(r".*/summary$"))
    assert "80" in page.inner_text(".score")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390

    for round_ in (1, 2):
        page.click("summary[aria-label=菜单]")
        page.click("nav >> text=错题本")
        page.wait_for_url(f"{live_server}/practice/mistakes")
        card = page.locator("section.mistake", has_text=missed)
        assert card.count() == 1
        card.locator("button:has-text('重做此题')").click()
        page.wait_for_url(re.compile(r".*/practice/\d+$"))
        assert missed in page.inner_text("main")
        page.locator("label.option", has_text=f"对的说法{stems.index(missed) + 1}").locator("input").check()
        page.click("button:has-text('提交答案')")
        page.wait_for_url(re.compile(r".*/feedback/0$"))
        body = page.inner_text("main")
        assert "回答正确" in body
        assert ("再答对 1 次即移出" if round_ == 1 else "本题已移出错题本") in body

    page.goto(f"{live_server}/practice/mistakes")
    assert missed not in page.inner_text("main")
    assert "错题本中没有符合条件的题目" in page.inner_text("main")
    page.select_option("select[name=status]", "mastered")
    page.click("button:has-text('筛选')")
    assert missed in page.inner_text("main")
