"""Taking an exam: start, deadline, resume, saves with sequence numbers, expiry and grace, submitting once."""
import json
from datetime import timedelta

import sqlalchemy as sa

from examkit import answer_all_correctly, only_attempt, run_parallel, signed_in_clients
from factories import START
from quizapp.exams import sitting
from quizapp.exams.models import Attempt, AttemptItem, ExamResult
from quizapp.extensions import db


def _start(client, exam):
    response = client.post(f"/api/exams/{exam.id}/start", json={"confirm": True})
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response.get_json()["attempt_id"]


def _save(client, attempt_id, position, response, seq, **extra):
    return client.post(f"/api/exams/attempts/{attempt_id}/answers",
                       json={"answers": [{"position": position, "response": response, "seq": seq, **extra}]})


def _item(attempt_id, position):
    db.session.expire_all()
    return db.session.scalar(sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt_id,
                                                          AttemptItem.position == position))


def test_server_decides_deadline_and_sends_its_clock(client, make_exam, f, tree, clock):
    """Is the deadline start + limit, stored at start, and does the state carry the server's clock?"""
    exam = make_exam(time_limit=45)
    f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    state = client.get(f"/api/exams/attempts/{attempt_id}/state").get_json()
    assert state["attempt"]["deadline"] == "2026-11-10T01:45:00.000Z"
    assert state["attempt"]["server_now"] == "2026-11-10T01:00:00.000Z"
    clock.advance(minutes=10)
    again = client.get(f"/api/exams/attempts/{attempt_id}/state").get_json()
    assert again["attempt"]["deadline"] == state["attempt"]["deadline"]  # a reload changes nothing
    assert again["attempt"]["server_now"] == "2026-11-10T01:10:00.000Z"


def test_deadline_capped_by_close_time(client, make_exam, f, tree, clock):
    """Does a cadre starting 20 minutes before the close get 20 minutes, not the full limit?"""
    exam = make_exam(time_limit=60, close_at=START + timedelta(minutes=20))
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    _start(client, exam)
    assert only_attempt(exam, cadre).deadline == START + timedelta(minutes=20)


def test_resume_on_reload_second_tab_and_other_device(client, make_client, make_exam, f, tree, clock):
    """Do a reload, a second start and another device all resume the same attempt with its answers and time?"""
    exam = make_exam()
    f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    assert _save(client, attempt_id, 2, "B", 1).status_code == 200
    clock.advance(minutes=7)
    phone = make_client()
    phone.login("gb1")
    again = phone.post(f"/api/exams/{exam.id}/start", json={"confirm": True})
    assert again.status_code == 200 and again.get_json() == {**again.get_json(), "attempt_id": attempt_id,
                                                             "created": False}
    state = phone.get(f"/api/exams/attempts/{attempt_id}/state").get_json()
    assert state["items"][1]["response"] == "B" and state["items"][1]["seq"] == 1
    assert state["attempt"]["deadline"] == "2026-11-10T02:00:00.000Z"
    page = phone.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert "继续答题" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1


def test_old_save_arriving_late_never_overwrites_newer(client, make_exam, f, tree, clock):
    """When seq 2 lands before seq 1, does the answer stay the seq-2 one?"""
    exam = make_exam()
    f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    newer = _save(client, attempt_id, 1, "C", 2)
    assert newer.get_json()["saved"] == [{"position": 1, "seq": 2, "accepted": True, "status": "stored",
                                          "reason": ""}]
    older = _save(client, attempt_id, 1, "A", 1)
    assert older.status_code == 200
    assert older.get_json()["saved"] == [{"position": 1, "seq": 1, "accepted": False, "status": "superseded",
                                          "reason": sitting.SUPERSEDED}]
    assert _item(attempt_id, 1).response == "C"
    same = _save(client, attempt_id, 1, "D", 2)  # a retried request with the same number changes nothing
    assert same.get_json()["saved"][0]["accepted"] is False
    assert _item(attempt_id, 1).response == "C"
    assert _save(client, attempt_id, 1, "", 3).get_json()["saved"][0]["accepted"]  # clearing is an answer too
    assert _item(attempt_id, 1).response == ""


def test_mark_for_review_is_stored(client, make_exam, f, tree, clock):
    """Is a question marked for review (without an answer) kept in the attempt's state?"""
    exam = make_exam()
    f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    _save(client, attempt_id, 3, "", 1, marked=True)
    state = client.get(f"/api/exams/attempts/{attempt_id}/state").get_json()
    assert state["items"][2]["marked"] is True


def test_invalid_saves_are_refused(client, make_exam, f, tree, clock):
    """Are unknown positions, impossible letters and malformed bodies refused without saving?"""
    exam = make_exam()
    f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    assert _save(client, attempt_id, 99, "A", 1).status_code == 400
    assert _save(client, attempt_id, 1, "H", 1).status_code == 400
    assert client.post(f"/api/exams/attempts/{attempt_id}/answers", json={"answers": "x"}).status_code == 400
    assert client.post(f"/api/exams/attempts/{attempt_id}/answers", json=[1]).status_code == 400
    assert _save(client, attempt_id, 1, "A", 0).status_code == 400
    assert _item(attempt_id, 1).response == ""


def test_save_without_csrf_header_is_refused(client, make_exam, f, tree, clock):
    """Is an answer save without the CSRF header refused with a message telling the cadre to refresh?"""
    exam = make_exam()
    f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    response = client.post(f"/api/exams/attempts/{attempt_id}/answers", csrf=False,
                           json={"answers": [{"position": 1, "response": "A", "seq": 1}]})
    assert response.status_code == 400
    assert "刷新" in response.get_json()["error"]


def test_save_within_grace_is_accepted(client, make_exam, f, tree, clock):
    """Is an answer arriving 5 seconds after the deadline (network lag) still saved?"""
    exam = make_exam(time_limit=30)
    f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    clock.advance(minutes=30, seconds=5)
    assert _save(client, attempt_id, 1, "B", 1).status_code == 200
    assert _item(attempt_id, 1).response == "B"


def test_save_after_deadline_and_grace_is_refused_and_attempt_closed(client, make_exam, f, tree, clock):
    """Is a save after deadline + grace refused, and once the late-delivery window is over, the attempt closed
    with what was saved and a clear message?"""
    exam = make_exam(time_limit=30)
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    _save(client, attempt_id, 1, "B", 1)
    clock.advance(minutes=30, seconds=11)
    late = _save(client, attempt_id, 2, "A", 1)  # made after the deadline + grace: never credited
    assert late.status_code == 200 and late.get_json()["saved"][0]["status"] == "late"
    assert _item(attempt_id, 2).response == ""
    clock.advance(minutes=2)  # past the late-delivery window: the next write collects the attempt
    late = _save(client, attempt_id, 2, "A", 1)
    assert late.status_code == 409
    body = late.get_json()
    assert "考试时间已到" in body["error"] and body["closed"] is True
    assert _item(attempt_id, 2).response == ""
    attempt = only_attempt(exam, cadre)
    assert attempt.status == "submitted" and attempt.submit_kind == "overdue"
    assert attempt.submitted_at == START + timedelta(minutes=30)
    assert attempt.time_used == 1800
    assert db.session.scalar(sa.select(ExamResult).where(ExamResult.user_id == cadre.id)) is not None
    again = _save(client, attempt_id, 2, "A", 2)
    assert again.status_code == 409 and "已交卷" in again.get_json()["error"]


def test_submit_after_grace_keeps_only_answers_saved_in_time(client, make_exam, f, tree, clock):
    """Does a late submit carrying answers ignore them and close with the answers saved by the deadline?"""
    exam = make_exam(time_limit=30)
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    _save(client, attempt_id, 1, "B", 1)
    clock.advance(minutes=45)
    response = client.post(f"/api/exams/attempts/{attempt_id}/submit",
                           json={"answers": [{"position": 2, "response": "A", "seq": 1}]})
    assert response.status_code == 200
    assert response.get_json()["status"] == "submitted"
    assert _item(attempt_id, 2).response == ""
    assert only_attempt(exam, cadre).submitted_at == START + timedelta(minutes=30)


def test_timeout_submit_within_grace_saves_the_last_answers(client, make_exam, f, tree, clock):
    """When the page's timer submits with queued answers inside the grace, are they counted?"""
    exam = make_exam(time_limit=30)
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    clock.advance(minutes=30, seconds=3)
    response = client.post(f"/api/exams/attempts/{attempt_id}/submit", json={
        "timeout": True, "answers": [{"position": 1, "response": "A", "seq": 1}]})
    assert response.get_json()["submit_kind"] == "timeout"
    assert _item(attempt_id, 1).response == "A"
    assert only_attempt(exam, cadre).status == "submitted"


def test_close_overdue_is_idempotent(runner, make_exam, f, tree, clock, app):
    """Does the cron command close each abandoned attempt once, with its saved answers, and nothing on a rerun?"""
    exam = make_exam(time_limit=30)
    people = [f.user(f"gb{i}", tree["v1"]) for i in range(3)]
    for person in people:
        attempt, _ = sitting.start_attempt(exam, person)
        db.session.commit()
    first = db.session.scalar(sa.select(Attempt).where(Attempt.user_id == people[0].id))
    sitting.save_answers(people[0], first.id, [{"position": 1, "response": first.items[0].key, "seq": 1}])
    db.session.commit()
    clock.advance(minutes=20)
    result = runner.invoke(args=["exams", "close-overdue", "--json"])
    assert json.loads(result.output)["closed"] == 0
    clock.advance(minutes=13)
    result = runner.invoke(args=["exams", "close-overdue", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["closed"] == 3
    again = runner.invoke(args=["exams", "close-overdue"])
    assert "已收卷 0 份" in again.output
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Attempt).order_by(Attempt.user_id)).all()
    assert [a.status for a in rows] == ["submitted"] * 3
    assert [a.submit_kind for a in rows] == ["overdue"] * 3
    assert rows[0].score == first.items[0].points
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamResult)) == 3


def test_my_exams_shows_overdue_attempt_as_collecting_until_the_sweep(client, runner, make_exam, f, tree, clock):
    """After the deadline, does 我的考试 show the attempt as being collected (not closing it itself), and as
    未通过 (its one attempt used, nothing answered) once the cron sweep has collected it?"""
    exam = make_exam(time_limit=30)
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    _start(client, exam)
    clock.advance(hours=1)
    page = client.get("/exams/").get_data(as_text=True)
    assert only_attempt(exam, cadre).status == "open"
    assert "时间已到，系统正在收卷" in page and "继续答题" not in page
    runner.invoke(args=["exams", "close-overdue"])
    page = client.get("/exams/").get_data(as_text=True)
    assert only_attempt(exam, cadre).status == "submitted"
    assert exam.title in page.split('id="failed"')[1].split("</section>")[0]


def test_double_submit_gives_one_submission(client, make_exam, f, tree, clock):
    """Do a double click and a retried request submit once and report the same result?"""
    exam = make_exam()
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    first = client.post(f"/api/exams/attempts/{attempt_id}/submit", json={}).get_json()
    clock.advance(seconds=2)
    second = client.post(f"/api/exams/attempts/{attempt_id}/submit", json={}).get_json()
    assert first["submitted"] is True and second["submitted"] is False and second["already"] is True
    assert first["result_url"] == second["result_url"]
    assert only_attempt(exam, cadre).submitted_at == START
    form_again = client.post(f"/exams/attempts/{attempt_id}/submit", {})
    assert form_again.status_code == 302 and "/result" in form_again.location


def test_concurrent_submits_from_two_tabs_give_one_submission(app, client, make_exam, f, tree, clock):
    """Do two tabs submitting at the same instant (threads) produce exactly one submission?"""
    exam = make_exam()
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    tabs, token = signed_in_clients(app, client, "gb1", 4)
    results = run_parallel([
        (lambda tab=tab: tab.post(f"/api/exams/attempts/{attempt_id}/submit", json={},
                                  headers={"X-CSRFToken": token}).get_json()) for tab in tabs])
    assert sorted(r["submitted"] for r in results) == [False, False, False, True]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamResult)
                             .where(ExamResult.user_id == cadre.id)) == 1
    assert only_attempt(exam, cadre).status == "submitted"


def test_ten_parallel_starts_create_one_attempt(app, client, make_exam, f, tree, clock):
    """Do ten simultaneous starts of a one-attempt exam create exactly one attempt, returned to all ten?"""
    exam = make_exam(attempts_allowed=1)
    cadre = f.user("gb1", tree["v1"])
    tabs, token = signed_in_clients(app, client, "gb1", 10)
    url = f"/api/exams/{exam.id}/start"
    responses = run_parallel([
        (lambda tab=tab: tab.post(url, json={"confirm": True},
                                  headers={"X-CSRFToken": token})) for tab in tabs])
    assert all(r.status_code in (200, 201) for r in responses), [r.get_data(as_text=True) for r in responses]
    ids = {r.get_json()["attempt_id"] for r in responses}
    assert len(ids) == 1
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt).where(Attempt.user_id == cadre.id)) == 1


def test_page_leaves_are_counted(client, make_exam, f, tree, clock):
    """Are the times a cadre leaves the exam page added up and kept on their result?"""
    exam = make_exam()
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    client.post(f"/api/exams/attempts/{attempt_id}/leave", json={})
    total = client.post(f"/api/exams/attempts/{attempt_id}/leave", json={"count": 2}).get_json()
    assert total == {"page_leaves": 3}
    client.post(f"/api/exams/attempts/{attempt_id}/submit", json={})
    result = db.session.scalar(sa.select(ExamResult).where(ExamResult.user_id == cadre.id))
    assert result.page_leaves == 3


def test_fast_attempt_is_flagged_not_failed(client, make_exam, f, tree, clock):
    """Is an attempt answered in seconds flagged for organisers, with its score kept?"""
    exam = make_exam()
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    answer_all_correctly(only_attempt(exam, cadre), client)
    clock.advance(seconds=4)
    done = client.post(f"/api/exams/attempts/{attempt_id}/submit", json={}).get_json()
    assert done["score"] == 100 and done["passed"] is True
    attempt = only_attempt(exam, cadre)
    assert attempt.flagged_fast is True
    result = db.session.scalar(sa.select(ExamResult).where(ExamResult.user_id == cadre.id))
    assert result.flagged is True and result.passed is True


def test_csrf_token_survives_a_90_minute_exam(client, make_exam, f, tree, clock, monkeypatch, app):
    """In a 90-minute exam, is the token from the start still accepted for saves and the submission at the end?"""
    import time

    assert app.config["WTF_CSRF_TIME_LIMIT"] is None
    exam = make_exam(time_limit=90)
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    token = client.csrf_token()
    attempt_id = _start(client, exam)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 95 * 60)  # the token's and session's own clock
    clock.advance(minutes=89)
    headers = {"X-CSRFToken": token}
    saved = client._client.post(f"/api/exams/attempts/{attempt_id}/answers", headers=headers,
                                json={"answers": [{"position": 1, "response": "A", "seq": 1}]})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    done = client._client.post(f"/api/exams/attempts/{attempt_id}/submit", headers=headers, json={})
    assert done.status_code == 200 and done.get_json()["submitted"] is True
    assert only_attempt(exam, cadre).submit_kind == "manual"


def test_no_javascript_path_pages_save_on_next(client, make_exam, f, tree, clock, app):
    """Without JavaScript: does each page save on 下一页, and 交卷 list the unanswered questions first?"""
    app.config["EXAM_QUESTIONS_PER_PAGE"] = 2
    exam = make_exam()
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    start = client.post(f"/exams/{exam.id}/start", {"confirm": "y"})
    attempt = only_attempt(exam, cadre)
    assert start.location.endswith(f"/exams/attempts/{attempt.id}")
    page = client.get(f"/exams/attempts/{attempt.id}").get_data(as_text=True)
    assert 'name="q1"' in page and 'name="q2"' in page and 'name="q3"' not in page
    assert "第 1 / 3 页" in page
    multiple = [i for i in attempt.items if i.qtype == "multiple"]
    response = client.post(f"/exams/attempts/{attempt.id}?page=1", {"q1": "B", "q2": "A", "m2": "y", "next": "下一页"})
    assert response.status_code == 302 and response.location.endswith("page=2")
    assert _item(attempt.id, 1).response == "B" and _item(attempt.id, 2).marked is True
    page3 = client.get(f"/exams/attempts/{attempt.id}?page=3").get_data(as_text=True)
    assert 'name="q5"' in page3
    position = multiple[0].position
    target = (position - 1) // 2 + 1
    client.post(f"/exams/attempts/{attempt.id}?page={target}", {f"q{position}": ["A", "C"], "save": "1"})
    assert _item(attempt.id, position).response == "AC"
    confirm = client.post(f"/exams/attempts/{attempt.id}?page=3", {"finish": "1"})
    assert confirm.location.endswith(f"/exams/attempts/{attempt.id}/submit")
    listing = client.get(confirm.location).get_data(as_text=True)
    assert "未作答" in listing
    done = client.post(f"/exams/attempts/{attempt.id}/submit", {})
    assert done.location.endswith(f"/exams/attempts/{attempt.id}/result")
    assert only_attempt(exam, cadre).status == "submitted"


def test_no_javascript_page_after_time_goes_to_result(client, make_exam, f, tree, clock):
    """Does a page posted after the grace close the attempt and explain it?"""
    exam = make_exam(time_limit=30)
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    client.post(f"/exams/{exam.id}/start", {"confirm": "y"})
    attempt = only_attempt(exam, cadre)
    clock.advance(minutes=31)
    response = client.post(f"/exams/attempts/{attempt.id}?page=1", {"q1": "B", "next": "1"}, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "考试时间已到" in body
    assert _item(attempt.id, 1).response == ""


def test_start_requires_confirmation(client, make_exam, f, tree, clock):
    """Is starting refused until the cadre ticks the confirmation, on the page and the API, with no attempt made?"""
    exam = make_exam()
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    response = client.post(f"/exams/{exam.id}/start", {}, follow_redirects=True)
    assert "请先勾选" in response.get_data(as_text=True)
    assert only_attempt(exam, cadre) is None
    assert client.post(f"/api/exams/{exam.id}/start", json={}).status_code == 400


def test_two_letters_for_a_single_choice_count_as_no_answer(client, make_exam, f, tree, clock):
    """Is "AB" for a 单选 saved as no answer (as the type reads it), and a letter beyond the options refused?"""
    exam = make_exam()
    f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    assert _save(client, attempt_id, 1, "A", 1).get_json()["saved"][0]["accepted"]
    both = _save(client, attempt_id, 1, "AB", 2)
    assert both.status_code == 200 and both.get_json()["saved"][0]["accepted"]
    assert _item(attempt_id, 1).response == "" and _item(attempt_id, 1).seq == 2
    judge = len(_item(attempt_id, 5).options)
    assert judge == 2 and _save(client, attempt_id, 5, "C", 1).status_code == 400
