"""Issue 11 in Chromium: the offline queue's answers given before the deadline count when delivered after it,
and an answer the server refuses stays in the browser, listed with the reason."""
import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp.exams import sitting
from quizapp.exams.models import Attempt
from quizapp.extensions import db

from test_exam_browser import _choose, _exam, _responses, _start

pytestmark = pytest.mark.browser


def test_offline_answers_given_before_the_deadline_count_when_delivered_after_it(f, tree, context, page,
                                                                                 live_server, sign_in):
    """Offline from before the deadline until after deadline + grace: does the page's queued answer (with its own
    time) count, and the attempt get submitted by the page's retried timeout submission?"""
    exam = _exam(f, tree, close_in=timedelta(seconds=14))
    cadre = f.user("gb0101", tree["v1"])
    sign_in("gb0101", "Passw0rd!x")
    _start(page, live_server, exam)
    context.set_offline(True)
    _choose(page, "A")
    page.wait_for_selector("#exam-js .save-state.pending")
    db.session.expire_all()
    deadline = db.session.scalar(sa.select(Attempt.deadline).where(Attempt.user_id == cadre.id))
    time.sleep(max(0.0, (deadline - sitting.utcnow()).total_seconds() + sitting.grace_seconds() + 2))
    context.set_offline(False)  # now past deadline + grace: only the answer's own time can save it
    page.wait_for_url("**/result", timeout=30000)
    attempt, responses = _responses(cadre)
    assert responses[1] == "A" and attempt.status == "submitted" and attempt.score == 20


def test_a_refused_answer_is_kept_and_listed_with_the_reason(f, tree, context, page, live_server, sign_in):
    """The attempt is submitted from another device while this page is offline with an unsent answer: when the
    page reconnects, is that answer listed as not accepted, with the reason, and kept in localStorage?"""
    exam = _exam(f, tree)
    cadre = f.user("gb0102", tree["v1"])
    sign_in("gb0102", "Passw0rd!x")
    _start(page, live_server, exam)
    context.set_offline(True)
    page.click("text=下一题")
    _choose(page, "C")
    page.wait_for_selector("#exam-js .save-state.pending")
    attempt = db.session.scalar(sa.select(Attempt).where(Attempt.user_id == cadre.id))
    sitting.submit_attempt(attempt)  # the other device
    db.session.commit()
    context.set_offline(False)
    page.wait_for_selector("#exam-js .exam-refused:not([hidden])", timeout=20000)
    listed = page.inner_text("#exam-js .exam-refused")
    assert "第 2 题" in listed and "本场考试已交卷" in listed and "查看成绩" in listed
    kept = json.loads(page.evaluate("localStorage.getItem('quizapp.exam.' + "
                                    "document.getElementById('exam-app').dataset.attempt)"))
    assert kept["refused"]["2"]["response"] == "C"
    _, responses = _responses(cadre)
    assert responses[2] == ""
