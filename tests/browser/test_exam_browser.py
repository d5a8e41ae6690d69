"""A cadre sits an exam in Chromium: reload mid-way, answer offline, run out of time, and without JavaScript."""
import hashlib
import itertools
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from quizapp.bank.models import Bank, Question
from quizapp.exams import papers, setup
from quizapp.exams.models import Attempt, AttemptItem
from quizapp.extensions import db

pytestmark = pytest.mark.browser
_serial = itertools.count(1)


def _exam(tree, *, close_in=timedelta(days=1), questions=5, time_limit=60):
    """A published exam for 甲乡 of ``questions`` 单选 (key A) × equal points, shuffling off for predictable pages."""
    bank = Bank(name=f"浏览器测试题库{next(_serial)}")
    db.session.add(bank)
    db.session.flush()
    for n in range(questions):
        stem = f"浏览器测试第{n + 1}题（{bank.id}）"
        db.session.add(Question(bank_id=bank.id, qtype="single", stem=stem, answer="A", tags=[],
                                options=[f"正确选项{n + 1}", f"错误选项{n + 1}乙", f"错误选项{n + 1}丙"],
                                explanation=f"解析{n + 1}", fingerprint=hashlib.sha256(stem.encode()).hexdigest()))
    db.session.commit()
    now = datetime.now(timezone.utc)
    exam = setup.create_exam(tree["admin"], {
        "title": "浏览器测试考试", "kind": "monthly", "period": "2026-11", "description": "", "unit_id": tree["county"].id,
        "audience_ids": [tree["jia"].id], "open_at": now - timedelta(hours=1), "close_at": now + close_in,
        "time_limit": time_limit, "required": True, "categories": [], "audience_shufa_only": False,
        "full_marks": 100, "pass_mark": 60, "bands": [["优秀", 90], ["良好", 80], ["合格", 60]],
        "multi_scoring": "all", "attempts_allowed": 1, "counting": "best", "unseen_first": True,
        "makeup_enabled": False, "makeup_open_at": None, "makeup_close_at": None, "makeup_attempts": 1,
        "shuffle_questions": False, "shuffle_options": False, "review_policy": "immediate"})
    variant = exam.variants[0]
    variant.points = {"single": 100 / questions}
    papers.add_rule(tree["admin"], exam, variant, qtype="single", count=questions)
    setup.publish(tree["admin"], exam)
    db.session.commit()
    return exam


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
    exam = _exam(tree)
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
    exam = _exam(tree)
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
    exam = _exam(tree, close_in=timedelta(seconds=25))
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
    exam = _exam(tree, questions=12)
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
