"""Reads are reads: exam pages never write or commit, yet tell the truth about an attempt whose time is up;
writes, the sweep and the job function collect it."""
import contextlib
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from examkit import only_attempt
from factories import START

from quizapp.exams import sitting
from quizapp.exams.models import Attempt, Certificate, ExamResult
from quizapp.extensions import db
from quizapp.practice.models import MistakeEntry

WRITES = ("INSERT", "UPDATE", "DELETE")


@contextlib.contextmanager
def no_writes():
    """Record every commit and every INSERT/UPDATE/DELETE sent to the database while the block runs."""
    seen = {"commits": 0, "writes": []}

    def on_commit(session):
        seen["commits"] += 1

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split(None, 1)[0].upper() in WRITES:
            seen["writes"].append(statement.split("\n")[0][:80])

    sa.event.listen(sa.orm.Session, "after_commit", on_commit)
    sa.event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        sa.event.remove(sa.orm.Session, "after_commit", on_commit)
        sa.event.remove(db.engine, "before_cursor_execute", on_execute)


def _start(client, exam):
    response = client.post(f"/api/exams/{exam.id}/start", json={"confirm": True})
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response.get_json()["attempt_id"]


def _count(model):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_exam_pages_issue_no_commit_and_no_write(client, make_client, make_exam, f, tree, clock):
    """Do /exams/, /exams/results, the exam, attempt, result, state, certificate and organiser pages send no
    INSERT/UPDATE/DELETE and no commit, even with an overdue attempt, a review that has opened and a
    certificate that could be issued?"""
    done = make_exam(title="已考完", review_policy="after_close", close_at=START + timedelta(minutes=40))
    running = make_exam(title="超时未收卷", time_limit=30, review_policy="immediate", owner=tree["jia"],
                        required=False)
    cadre = f.user("gb1", tree["v1"])
    attempt, _ = sitting.start_attempt(done, cadre)
    db.session.commit()
    sitting.save_answers(cadre, attempt.id, [{"position": i.position, "response": i.key, "seq": 1}
                                             for i in attempt.items])
    sitting.submit_attempt(attempt)
    db.session.commit()
    f.user("zz1", tree["jia"], role="organiser")
    client.login("gb1")
    overdue_id = _start(client, running)
    clock.advance(hours=1)  # past the deadline and grace; the first exam's review is now open
    organiser = make_client()
    organiser.login("zz1")
    before = (_count(ExamResult), _count(MistakeEntry), _count(Certificate))

    with no_writes() as seen:
        pages = {url: client.get(url) for url in (
            "/exams/", "/exams/results", f"/exams/{running.id}", f"/exams/{done.id}",
            f"/exams/attempts/{overdue_id}", f"/exams/attempts/{overdue_id}/submit",
            f"/exams/attempts/{overdue_id}/result", f"/exams/attempts/{attempt.id}/result",
            f"/api/exams/attempts/{overdue_id}/state", "/exams/certificates/2026")}
        pages.update({url: organiser.get(url) for url in (
            f"/manage/exams/{running.id}", f"/manage/exams/{running.id}/roster",
            f"/manage/exams/{running.id}/roster.xlsx", f"/manage/exams/{running.id}/stats",
            f"/manage/exams/{running.id}/attempts/{overdue_id}")})
    assert all(r.status_code in (200, 302) for r in pages.values()), {u: r.status_code for u, r in pages.items()}
    assert seen == {"commits": 0, "writes": []}
    assert only_attempt(running, cadre).status == "open"
    assert (_count(ExamResult), _count(MistakeEntry), _count(Certificate)) == before


def test_time_up_attempt_is_shown_as_being_collected_never_as_answerable(client, make_exam, f, tree, clock):
    """Past its deadline but not yet collected, is the attempt shown everywhere as 时间已到、系统正在收卷, with no
    way to answer and no score presented as final?"""
    exam = make_exam(time_limit=30, attempts_allowed=2, review_policy="immediate")
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    first = _start(client, exam)
    client.post(f"/api/exams/attempts/{first}/submit", json={})  # 0 points, counted
    clock.advance(minutes=5)
    second = _start(client, exam)
    client.post(f"/api/exams/attempts/{second}/answers", json={"answers": [{"position": 1, "response": "A",
                                                                             "seq": 1}]})
    clock.advance(minutes=31)

    listing = client.get("/exams/").get_data(as_text=True)
    collecting = listing.split('id="collecting"')[1].split("</section>")[0]
    assert exam.title in collecting and "时间已到，系统正在收卷" in collecting and "收卷后更新" in collecting
    assert "继续答题" not in listing
    page = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert "时间已到，系统正在收卷" in page and "立即收卷并查看成绩" in page and "继续答题" not in page
    assert "开始考试" not in page
    take = client.get(f"/exams/attempts/{second}")
    assert take.status_code == 302 and take.location.endswith(f"/exams/attempts/{second}/result")
    assert client.get(f"/exams/attempts/{second}/submit").status_code == 302
    result = client.get(f"/exams/attempts/{second}/result").get_data(as_text=True)
    assert "时间已到，系统正在收卷" in result and "本次得分" not in result and "本场考试计入成绩" not in result
    assert "is-key" not in result  # no review for an attempt that is not graded yet
    results = client.get("/exams/results").get_data(as_text=True)
    assert "系统正在收卷" in results and "收卷后更新" in results
    state = client.get(f"/api/exams/attempts/{second}/state").get_json()["attempt"]
    assert state["status"] == "open" and state["server_now"] > state["deadline"]
    assert only_attempt_no(exam, cadre, 2).status == "open"

    late = client.post(f"/api/exams/attempts/{second}/answers",
                       json={"answers": [{"position": 2, "response": "A", "seq": 1}]})
    assert late.status_code == 409 and late.get_json()["closed"] is True  # the write collects it
    collected = only_attempt_no(exam, cadre, 2)
    assert collected.status == "submitted" and collected.submit_kind == "overdue"
    assert collected.submitted_at == START + timedelta(minutes=35)
    assert collected.items[1].response == ""
    shown = client.get(f"/exams/attempts/{second}/result").get_data(as_text=True)
    assert "本次得分" in shown and "系统收卷" in shown


def only_attempt_no(exam, user, number):
    db.session.expire_all()
    return db.session.scalar(sa.select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == user.id,
                                                      Attempt.attempt_no == number))


def test_collect_button_and_cron_sweep_close_a_time_up_attempt(client, runner, make_exam, f, tree, clock):
    """Does 立即收卷 (a POST) collect the attempt, and does `flask exams close-overdue` collect the others?"""
    exam = make_exam(time_limit=30)
    cadre = f.user("gb1", tree["v1"])
    other = f.user("gb2", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    sitting.start_attempt(exam, other)
    db.session.commit()
    clock.advance(hours=1)
    collect = client.post(f"/exams/attempts/{attempt_id}/submit", {})
    assert collect.status_code == 302 and collect.location.endswith("/result")
    assert only_attempt(exam, cadre).submit_kind == "overdue"
    mine = client.get("/exams/").get_data(as_text=True)  # collected with nothing answered: 未通过, no chance left
    assert exam.title in mine.split('id="failed"')[1].split("</section>")[0]
    assert only_attempt(exam, other).status == "open"
    swept = runner.invoke(args=["exams", "close-overdue", "--json"])
    assert json.loads(swept.output) == {"closed": 1, "reviews_released": 0}
    assert only_attempt(exam, other).status == "submitted"


def test_close_overdue_is_one_function_a_job_can_call(make_exam, f, tree, clock):
    """Does sitting.close_overdue(now) collect every overdue attempt (flushing; the caller commits) exactly once?"""
    exam = make_exam(time_limit=30)
    people = [f.user(f"gb{i}", tree["v1"]) for i in range(3)]
    for person in people:
        sitting.start_attempt(exam, person)
    db.session.commit()
    assert sitting.close_overdue(clock.advance(minutes=30, seconds=5)) == 0  # inside the grace
    assert sitting.close_overdue(clock.advance(minutes=1)) == 3
    db.session.commit()
    assert sitting.close_overdue(clock.now) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamResult)) == 3


@pytest.mark.parametrize("write", ["start_other", "leave", "certificate"])
def test_other_writes_collect_the_persons_overdue_attempt(client, make_exam, f, tree, clock, write):
    """Do starting another exam, a page-leave report and asking for the certificate collect an overdue attempt?"""
    exam = make_exam(title="2026年11月学法考试", time_limit=30, close_at=START + timedelta(days=2))
    later = make_exam(title="第二场", required=False, close_at=START + timedelta(days=2))
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    attempt = only_attempt(exam, cadre)
    client.post(f"/api/exams/attempts/{attempt_id}/answers", json={"answers": [
        {"position": i.position, "response": i.key, "seq": 1} for i in attempt.items]})
    clock.advance(hours=1)
    if write == "start_other":
        _start(client, later)
    elif write == "leave":
        assert client.post(f"/api/exams/attempts/{attempt_id}/leave", json={}).get_json() == {"page_leaves": 1}
    else:
        assert client.post("/exams/certificates/2026", {}).status_code == 302
        assert db.session.scalar(sa.select(Certificate.exam_ids)) == [exam.id]  # the collected pass counts
    collected = only_attempt(exam, cadre)
    assert collected.status == "submitted" and collected.submit_kind == "overdue" and collected.score == 100


def test_organiser_pages_label_time_up_attempts(client, make_exam, f, tree, clock):
    """Do the overview, roster, export and statistics tell organisers which attempts await collection?"""
    exam = make_exam(owner=tree["jia"], time_limit=30, close_at=START + timedelta(minutes=30))
    cadre = f.user("gb1", tree["v1"], name="李待收")
    sitting.start_attempt(exam, cadre)
    db.session.commit()
    f.user("zz1", tree["jia"], role="organiser")
    client.login("zz1")
    clock.advance(hours=1)
    assert "时间已到，待收卷" in client.get(f"/manage/exams/{exam.id}").get_data(as_text=True)
    roster = client.get(f"/manage/exams/{exam.id}/roster").get_data(as_text=True)
    assert "时间已到，待收卷" in roster and "待收卷 1 人" in roster
    stats = client.get(f"/manage/exams/{exam.id}/stats").get_data(as_text=True)
    assert "还有 1 份答卷时间已到" in stats
    assert only_attempt(exam, cadre).status == "open"
