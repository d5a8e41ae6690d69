"""待办 on 首页 and 我的考试 tell the truth about a failed required exam that still has a chance left."""
from datetime import timedelta

from factories import START
from quizapp.exams import sitting
from quizapp.extensions import db


def _fail(exam, cadre):
    attempt, _ = sitting.start_attempt(exam, cadre)
    db.session.commit()
    sitting.submit_attempt(attempt)  # nothing answered: 0 points, 不合格
    db.session.commit()


def _todo(client):
    page = client.get("/").get_data(as_text=True)
    return page.split("<h2>待办</h2>")[1].split("</section>")[0]


def test_failed_required_exam_with_makeup_left_stays_in_todo(client, make_exam, f, tree, clock):
    """Does a failed required exam stay in 待办 (with days left) while a 补考 round is still to come or open,
    and leave it once no chance is left?"""
    exam = make_exam(title="十一月月考", makeup_enabled=True, makeup_open_at=START + timedelta(days=3),
                     makeup_close_at=START + timedelta(days=27), makeup_attempts=1)
    cadre = f.user("gb1", tree["v1"])
    _fail(exam, cadre)
    client.login("gb1")
    todo = _todo(client)
    assert "十一月月考" in todo and "未通过，可补考" in todo and "目前没有待参加的考试" not in todo

    clock.advance(days=4)  # the 补考 round is open: 23 days to go
    todo = _todo(client)
    assert "十一月月考" in todo and "还剩 23 天" in todo and "剩余 1 次" in todo
    mine = client.get("/exams/").get_data(as_text=True)
    assert "十一月月考" in mine.split('id="retry"')[1].split("</section>")[0]
    assert "参加补考" in mine

    _fail(exam, cadre)  # the 补考 failed too: nothing left to do
    todo = _todo(client)
    assert "十一月月考" not in todo and "目前没有待参加的考试" in todo
    mine = client.get("/exams/").get_data(as_text=True)
    assert "十一月月考" in mine.split('id="failed"')[1].split("</section>")[0]


def test_passed_exam_leaves_todo(client, make_exam, f, tree, clock):
    """Does a passed exam leave 待办 and show under 已通过, even with attempts left?"""
    exam = make_exam(title="十一月月考", attempts_allowed=3, pass_mark=0)
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    assert "十一月月考" in _todo(client)
    _fail(exam, cadre)  # scores 0, which passes a pass mark of 0
    assert "十一月月考" not in _todo(client)
    mine = client.get("/exams/").get_data(as_text=True)
    assert "十一月月考" in mine.split('id="passed"')[1].split("</section>")[0]
