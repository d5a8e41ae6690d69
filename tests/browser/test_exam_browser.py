"""A cadre sits an exam in Chromium: reload mid-way, answer offline, run out of time, and without JavaScript."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from quizapp.exams.models import Attempt, AttemptItem
from quizapp.extensions import db

pytestmark = pytest.mark.browser


def _exam(f, tree, *, close_in=timedelta(days=1), questions=5, time_limit=60):
    """A published exam for 甲乡 of ``questions`` 单选 (key A) × equal points, shuffling off for predictable pages.

    Its window is in real time (no test clock): the page's own timer runs in the browser.
    """
    bank = f.bank()
    f.questions(questions, bank=bank)
    return f.exam(tree["admin"], owner=tree["county"], audience=[tree["jia"]], rules=[("single", questions)],
                  points={"single": 100 / questions}, full_marks=100, bank=bank, title="浏览器测试考试",
                  close_at=datetime.now(timezone.utc) + close_in, time_limit=time_limit, shuffle_questions=False,
                  shuffle_options=False, review_policy="immediate")


def _responses(user):
    db.session.expire_all()
    attempt = db.session.scalar(sa.select(Attempt).where(Attempt.user_id == user.id))
    return attempt, {i.position: i.response for i in db.session.scalars(
        sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt.id))}


def _start(page, live_server, exam):
    page.goto(f"{live_server}/exams/{exam.id}")
    page.check("input[name=confirm]")
    page.click("form.start-form button[type=submit]")
    page.wait_for_selector("#exam-js .js-question")


def _choose(page, letter):
    page.locator("#exam-js .options label").filter(has_text=f"{letter}.").first.click()


def test_take_exam_and_reload_midway(f, tree, page, live_server, sign_in):
    """Are answers saved as given, and after a reload still there with the same remaining time?"""
    exam = _exam(f, tree)
    cadre = f.user("gb0001", tree["v1"], name="王建国")
    sign_in("gb0001", "Passw0rd!x")
    _start(page, live_server, exam)
    assert "第 1 题 / 共 5 题" in page.inner_text("#exam-js")
    _choose(page, "A")
    page.wait_for_selector("#exam-js .save-state.saved")
    assert page.inner_text("#exam-js .save-state") == "已保存"
    page.click("text=下一题")
    _choose(page, "B")
    page.wait_for_selector("#exam-js .save-state.saved")
    page.click("#exam-js .exam-mark input")
    page.wait_for_selector("#exam-js .save-state.saved")
    timer_before = page.inner_text("#exam-js .timer")
    attempt, responses = _responses(cadre)
    assert responses[1] == "A" and responses[2] == "B"

    page.reload()
    page.wait_for_selector("#exam-js .js-question")
    assert "第 3 题" in page.inner_text("#exam-js .question-number")  # the first unanswered
    assert page.locator("#exam-js .cells .cell.answered").count() == 2
    assert page.locator("#exam-js .cells .cell.marked").count() == 1
    page.click("#exam-js .cells .cell >> text='2'")
    assert page.locator("#exam-js .options input[value=B]").is_checked()
    timer_after = page.inner_text("#exam-js .timer")
    assert timer_before.startswith("剩余时间 59:") or timer_before.startswith("剩余时间 1:00")
    assert timer_after.startswith("剩余时间 59:")  # a reload does not reset the clock

    page.click("#exam-js .exam-buttons >> text=交卷")
    dialog = page.inner_text("#exam-js .exam-dialog")
    assert "还有 3 题未作答：3、4、5" in dialog and "标记待检查：2" in dialog
    page.click("text=确认交卷")
    page.wait_for_url(f"{live_server}/exams/attempts/{attempt.id}/result")
    assert "20" in page.inner_text("main .stats")
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).status == "submitted"


def test_answers_given_offline_are_sent_when_back_online(f, tree, context, page, live_server, sign_in):
    """Offline: are answers kept and shown 离线待发送, then saved when the connection returns?"""
    exam = _exam(f, tree)
    cadre = f.user("gb0002", tree["v1"])
    sign_in("gb0002", "Passw0rd!x")
    _start(page, live_server, exam)
    context.set_offline(True)
    _choose(page, "A")
    page.wait_for_selector("#exam-js .save-state.pending")
    assert page.inner_text("#exam-js .save-state") == "离线待发送"
    page.click("text=下一题")
    _choose(page, "C")
    page.wait_for_selector("#exam-js .net.offline")
    assert page.locator("#exam-js .cells .cell.pending").count() == 2
    _, responses = _responses(cadre)
    assert responses[1] == "" and responses[2] == ""
    stored = page.evaluate("Object.keys(JSON.parse(localStorage.getItem('quizapp.exam.' + "
                           "document.getElementById('exam-app').dataset.attempt)).answers)")
    assert sorted(stored) == ["1", "2"]

    context.set_offline(False)
    page.wait_for_selector("#exam-js .save-state.saved", timeout=15000)
    page.wait_for_function("document.querySelectorAll('#exam-js .cells .cell.pending').length === 0")
    _, responses = _responses(cadre)
    assert responses[1] == "A" and responses[2] == "C"
    assert page.inner_text("#exam-js .net") == "网络正常"


def test_timer_runs_out_and_the_page_submits(f, tree, page, live_server, sign_in):
    """When the time is up, does the page submit by itself with the saved answers?"""
    exam = _exam(f, tree, close_in=timedelta(seconds=25))
    cadre = f.user("gb0003", tree["v1"])
    sign_in("gb0003", "Passw0rd!x")
    _start(page, live_server, exam)
    _choose(page, "A")
    page.wait_for_selector("#exam-js .save-state.saved")
    page.wait_for_url("**/result", timeout=45000)
    body = page.inner_text("main")
    assert "考试成绩" in body and "考试时间已到" in body
    attempt, responses = _responses(cadre)
    assert attempt.status == "submitted" and attempt.submit_kind in ("timeout", "overdue")
    assert responses[1] == "A" and attempt.score == 20


def test_exam_without_javascript(f, tree, browser, live_server):
    """With JavaScript off, can a cadre start, answer page by page, see unanswered ones listed and submit?"""
    exam = _exam(f, tree, questions=12)
    cadre = f.user("gb0004", tree["v1"])
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=login]", "gb0004")
        page.fill("input[name=password]", "Passw0rd!x")
        page.click("main button[type=submit]")
        page.goto(f"{live_server}/exams/{exam.id}")
        page.check("input[name=confirm]")
        page.click("form.start-form button[type=submit]")
        assert page.is_visible("#exam-form") and not page.is_visible("#exam-js")
        assert "第 1 / 2 页" in page.inner_text("#exam-form")
        for position in range(1, 11):
            page.check(f"input[name=q{position}][value=A]")
        page.click("#exam-form button[name=next]")
        assert "第 1 页答案已保存" in page.inner_text("main")
        assert "第 2 / 2 页" in page.inner_text("#exam-form")
        page.check("input[name=q11][value=B]")
        page.click("#exam-form button[name=finish]")
        assert "还有 1 题未作答" in page.inner_text("main")
        page.click("main form button[type=submit]")
        page.wait_for_url("**/result")
        attempt, responses = _responses(cadre)
        assert responses[11] == "B" and responses[12] == ""
        assert attempt.status == "submitted" and round(attempt.score, 2) == round(100 / 12 * 10, 2)
        assert "解析：" in page.inner_text("main")  # immediate review
    finally:
        context.close()
