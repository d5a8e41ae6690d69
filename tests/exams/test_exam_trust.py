"""Issue 11: an answer given before the deadline counts however late the server processes it; one given after
never does; replies say truthfully what was stored; a stale no-JavaScript tab never overwrites a newer answer."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from examkit import only_attempt
from factories import START
from quizapp.common.arrival import parse_request_start
from quizapp.exams import sitting
from quizapp.exams.models import AttemptItem
from quizapp.extensions import db

DEADLINE = START + timedelta(minutes=30)


def _iso(moment):
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _start(client, exam):
    response = client.post(f"/api/exams/{exam.id}/start", json={"confirm": True})
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response.get_json()["attempt_id"]


def _item(attempt_id, position):
    db.session.expire_all()
    return db.session.scalar(sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt_id,
                                                          AttemptItem.position == position))


@pytest.fixture
def stall(app, clock):
    """stall(seconds): POSTs are processed ``seconds`` after they reached the app (a stalled worker); the GETs
    the test client makes for CSRF tokens are not delayed."""
    stamp = app.wsgi_app
    inner = stamp.wsgi_app
    delay = {"seconds": 0}

    def stalled(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST":
            clock.advance(seconds=delay["seconds"])
        return inner(environ, start_response)

    stamp.wsgi_app = stalled

    def set_delay(seconds):
        delay["seconds"] = seconds

    yield set_delay
    stamp.wsgi_app = inner


@pytest.fixture
def sitting_cadre(client, make_exam, f, tree, clock):
    exam = make_exam(time_limit=30)
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    return exam, cadre, _start(client, exam)


def test_stalled_worker_save_and_submit_sent_in_time_are_accepted(client, sitting_cadre, clock, stall):
    """A save and a submit that reached the app before the deadline but were processed 14 s after it (past the
    grace): are both answers stored, is the submission this request's, and is it recorded at its arrival?"""
    exam, cadre, attempt_id = sitting_cadre
    clock.set(DEADLINE - timedelta(seconds=2))
    stall(14)
    saved = client.post(f"/api/exams/attempts/{attempt_id}/answers",
                        json={"answers": [{"position": 1, "response": "B", "seq": 1}]})
    assert clock.now > DEADLINE + timedelta(seconds=10)  # processed after deadline + grace
    assert saved.status_code == 200 and saved.get_json()["saved"][0]["status"] == "stored"
    clock.set(DEADLINE - timedelta(seconds=1))
    submitted = client.post(f"/api/exams/attempts/{attempt_id}/submit",
                            json={"answers": [{"position": 2, "response": "A", "seq": 1}]})
    body = submitted.get_json()
    assert submitted.status_code == 200
    assert body["submitted"] is True and body["already"] is False and body["submit_kind"] == "manual"
    assert body["stored"] == [2] and body["refused"] == []
    attempt = only_attempt(exam, cadre)
    assert attempt.submitted_at == DEADLINE - timedelta(seconds=1)
    assert [_item(attempt_id, 1).response, _item(attempt_id, 2).response] == ["B", "A"]


def test_offline_answers_given_in_time_and_delivered_in_the_window_count(client, sitting_cadre, clock):
    """Answers made offline before the deadline and replayed 60 s after deadline + grace: stored; the same replay
    without the page's own timestamps: refused as late."""
    _exam, _cadre, attempt_id = sitting_cadre
    clock.set(DEADLINE + timedelta(seconds=70))
    replay = client.post(f"/api/exams/attempts/{attempt_id}/answers", json={"answers": [
        {"position": 1, "response": "A", "seq": 1, "at": _iso(DEADLINE - timedelta(seconds=30))},
        {"position": 2, "response": "B", "seq": 1}]})
    saved = replay.get_json()["saved"]
    assert replay.status_code == 200
    assert [(s["position"], s["status"]) for s in saved] == [(1, "stored"), (2, "late")]
    assert saved[1]["reason"] == sitting.LATE
    assert _item(attempt_id, 1).response == "A" and _item(attempt_id, 2).response == ""


@pytest.mark.parametrize("made, arrives", [
    (timedelta(seconds=11), timedelta(seconds=12)),     # made after deadline + grace, says so
    (timedelta(seconds=-5), timedelta(seconds=140)),    # claims in time but arrives after the window
])
def test_answer_made_after_the_deadline_is_never_credited(client, sitting_cadre, clock, made, arrives):
    """Is an answer whose own time is after deadline + grace, or that arrives after the late-delivery window
    (whatever it claims), refused and the attempt graded without it?"""
    exam, cadre, attempt_id = sitting_cadre
    clock.set(DEADLINE + arrives)
    response = client.post(f"/api/exams/attempts/{attempt_id}/submit", json={"answers": [
        {"position": 1, "response": "A", "seq": 1, "at": _iso(DEADLINE + made)}]})
    body = response.get_json()
    assert body["refused"][0]["position"] == 1 and body["stored"] == []
    assert _item(attempt_id, 1).response == ""
    assert only_attempt(exam, cadre).status == "submitted"


def test_a_forged_early_timestamp_gains_at_most_the_window(client, sitting_cadre, clock):
    """A page claiming its answer was made long ago is judged as made at most 120 s before arrival."""
    _exam, _cadre, attempt_id = sitting_cadre
    clock.set(DEADLINE + timedelta(seconds=10 + 121))  # collection time has passed
    late = client.post(f"/api/exams/attempts/{attempt_id}/answers", json={"answers": [
        {"position": 1, "response": "A", "seq": 1, "at": _iso(START)}]})
    assert late.status_code == 409 and late.get_json()["saved"][0]["accepted"] is False
    assert _item(attempt_id, 1).response == ""


@given(arrived_s=st.integers(0, 10_000), claimed_s=st.one_of(st.none(), st.integers(-10_000, 20_000)),
       window=st.integers(0, 600))
def test_answer_time_is_bounded_by_arrival_and_the_window(arrived_s, claimed_s, window):
    """Whatever the page claims, the answer time lies in [arrival − window, arrival]."""
    arrived = START + timedelta(seconds=arrived_s)
    claimed = None if claimed_s is None else START + timedelta(seconds=claimed_s)
    given_at = sitting.answer_time(arrived, claimed, window)
    assert arrived - timedelta(seconds=window) <= given_at <= arrived
    if claimed is not None and arrived - timedelta(seconds=window) <= claimed <= arrived:
        assert given_at == claimed


def test_submit_reply_says_a_second_submit_did_nothing(client, sitting_cadre, clock):
    """Does the second submit say it did not submit (already closed) and refuse the answers it carried?"""
    _exam, _cadre, attempt_id = sitting_cadre
    first = client.post(f"/api/exams/attempts/{attempt_id}/submit", json={}).get_json()
    assert first["submitted"] is True and first["already"] is False
    second = client.post(f"/api/exams/attempts/{attempt_id}/submit",
                         json={"answers": [{"position": 1, "response": "A", "seq": 5}]}).get_json()
    assert second["submitted"] is False and second["already"] is True
    assert second["stored"] == [] and second["refused"][0]["reason"] == "本场考试已交卷，答案不能再修改。"


def test_trusted_proxy_request_start_is_used_within_its_bound(app, client, sitting_cadre, clock):
    """With TRUST_REQUEST_START, is a proxy's earlier X-Request-Start the arrival (at most 60 s earlier)?"""
    _exam, _cadre, attempt_id = sitting_cadre
    clock.set(DEADLINE + timedelta(seconds=40))
    header = {"X-Request-Start": f"t={(DEADLINE - timedelta(seconds=1)).timestamp():.3f}"}
    body = {"answers": [{"position": 1, "response": "A", "seq": 1}]}
    ignored = client.post(f"/api/exams/attempts/{attempt_id}/answers", json=body, headers=header)
    assert ignored.get_json()["saved"][0]["status"] == "late"  # not configured: the header is not trusted
    app.config["TRUST_REQUEST_START"] = True
    used = client.post(f"/api/exams/attempts/{attempt_id}/answers", json=body, headers=header)
    assert used.get_json()["saved"][0]["status"] == "stored"


@pytest.mark.parametrize("value, seconds", [("t=1700000000.123", 1700000000.123), ("1700000000123", 1700000000.123),
                                            ("1700000000123456", 1700000000.123456), ("x", None), ("", None)])
def test_request_start_formats(value, seconds):
    parsed = parse_request_start(value)
    assert (parsed.timestamp() if parsed else None) == pytest.approx(seconds) if seconds else parsed is None


def test_stale_no_javascript_tab_never_overwrites_a_newer_answer(client, sitting_cadre, clock, app):
    """An old tab drawn when question 1 was A (version 1) posts A again after B was saved elsewhere: is B kept,
    the cadre told, and the tab's other, current answers saved?"""
    app.config["EXAM_QUESTIONS_PER_PAGE"] = 5
    _exam, _cadre, attempt_id = sitting_cadre
    client.post(f"/api/exams/attempts/{attempt_id}/answers",
                json={"answers": [{"position": 1, "response": "A", "seq": 1}]})
    page = client.get(f"/exams/attempts/{attempt_id}?page=1").get_data(as_text=True)
    assert 'name="v1" type="hidden" value="1"' in page
    client.post(f"/api/exams/attempts/{attempt_id}/answers",
                json={"answers": [{"position": 1, "response": "B", "seq": 2}]})
    stale = client.post(f"/exams/attempts/{attempt_id}?page=1",
                        {"q1": "C", "v1": "1", "q2": "A", "v2": "0", "next": "1"}, follow_redirects=True)
    text = stale.get_data(as_text=True)
    assert _item(attempt_id, 1).response == "B" and _item(attempt_id, 2).response == "A"
    assert "第 1 题的答案已在其他页面或设备上更新，保留了较新的答案" in text
    fresh = client.post(f"/exams/attempts/{attempt_id}?page=1", {"q1": "C", "v1": "2", "q2": "A", "v2": "1",
                                                                 "save": "1"}, follow_redirects=True)
    assert "第 1 页答案已保存" in fresh.get_data(as_text=True) and _item(attempt_id, 1).response == "C"


def test_no_javascript_post_that_arrived_in_time_is_saved(client, sitting_cadre, clock, stall, app):
    """A plain-form page that reached the app before the deadline but was processed after the grace: saved."""
    _exam, _cadre, attempt_id = sitting_cadre
    clock.set(DEADLINE - timedelta(seconds=1))
    stall(30)
    client.post(f"/exams/attempts/{attempt_id}?page=1", {"q1": "B", "v1": "0", "save": "1"})
    assert _item(attempt_id, 1).response == "B"


def _down(*args, **kwargs):
    raise sa.exc.OperationalError("UPDATE exam_attempt_items", {}, Exception(
        "connection failed: FATAL:  the database system is starting up\nDETAIL: more"))


def test_database_down_gives_503_with_retry_after_and_one_log_line(client, sitting_cadre, monkeypatch, caplog):
    """A save while the database restarts: 503, Retry-After, a Chinese JSON message, one log line without a
    traceback; a page gets the friendly 503 page."""
    _exam, _cadre, attempt_id = sitting_cadre
    monkeypatch.setattr(sitting, "save_answers", _down)
    caplog.set_level("WARNING")
    response = client.post(f"/api/exams/attempts/{attempt_id}/answers",
                           json={"answers": [{"position": 1, "response": "A", "seq": 1}]})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "数据库暂时不可用" in response.get_json()["error"] and response.get_json()["retry"] is True
    records = [r for r in caplog.records if r.name.startswith("quizapp") or r.levelname == "ERROR"]
    assert len(records) == 1 and records[0].exc_info is None
    assert "starting up" in records[0].getMessage() and "DETAIL" not in records[0].getMessage()
    monkeypatch.setattr(sitting, "load_standing", _down)
    page = client.get(f"/exams/{_exam.id}")
    assert page.status_code == 503 and "系统暂时无法访问" in page.get_data(as_text=True)


def test_a_query_bug_is_still_a_500(client, sitting_cadre, monkeypatch):
    """Only an unreachable database is retryable: a broken query stays a 500 (and is logged as a bug)."""
    _exam, _cadre, attempt_id = sitting_cadre

    def broken(*args, **kwargs):
        raise sa.exc.ProgrammingError("SELECT nope", {}, Exception("no such column"))

    monkeypatch.setattr(sitting, "save_answers", broken)
    with pytest.raises(sa.exc.ProgrammingError):  # TESTING propagates unhandled errors
        client.post(f"/api/exams/attempts/{attempt_id}/answers",
                    json={"answers": [{"position": 1, "response": "A", "seq": 1}]})


def test_every_submission_is_audited_and_the_attempt_history_is_shown(app, client, make_client, make_exam, f,
                                                                      tree, clock):
    """Manual, swept and late-collected submissions each leave an audit entry with kind, UTC time and address;
    the organiser's attempt page shows start, resume on another device, page leaves, refused answers and submit."""
    from quizapp.audit.models import AuditEntry

    exam = make_exam(time_limit=30)
    cadre = f.user("gb1", tree["v1"])
    other = f.user("gb2", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    client.post(f"/api/exams/attempts/{attempt_id}/leave", json={"count": 2})
    phone = make_client()
    phone.login("gb1")
    phone.post(f"/api/exams/attempts/{attempt_id}/answers", json={"answers": [{"position": 1, "response": "A",
                                                                               "seq": 1}]},
               headers={"User-Agent": "Phone/1.0"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    sitting.start_attempt(exam, other)
    db.session.commit()
    clock.set(DEADLINE + timedelta(seconds=30))
    client.post(f"/api/exams/attempts/{attempt_id}/answers", json={"answers": [{"position": 2, "response": "B",
                                                                                "seq": 1}]})
    done = client.post(f"/api/exams/attempts/{attempt_id}/submit", json={}).get_json()
    assert done["submitted"] is True and done["submit_kind"] == "timeout"
    clock.set(DEADLINE + timedelta(minutes=5))
    assert sitting.close_overdue(clock.now) == 1
    db.session.commit()

    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "exam.submit")
                                 .order_by(AuditEntry.id)).all()
    assert len(entries) == 2
    assert entries[0].actor_id == cadre.id and entries[0].ip == "127.0.0.1"
    assert "时间到自动收卷" in entries[0].summary and "2026-11-10T01:30:00Z（UTC）" in entries[0].summary
    assert entries[1].actor_id is None and "系统收卷" in entries[1].summary

    organiser = make_client()
    organiser.login("admin01")
    page = organiser.get(f"/manage/exams/{exam.id}/attempts/{attempt_id}").get_data(as_text=True)
    history = page.split('id="events"')[1].split("</section>")[0]
    for text in ("开始作答", "离开考试页面 2 次", "在另一设备或网络上继续作答", "10.0.0.9",
                 "Phone/1.0", "作答时间晚于考试截止时间", "时间到自动收卷"):
        assert text in history, text


def test_organiser_collects_a_time_up_attempt_only_after_the_late_window(client, make_client, sitting_cadre, clock):
    """Can an organiser collect a time-up attempt (audited as 组织者收卷) — but not while in-time answers may still
    arrive?"""
    from quizapp.audit.models import AuditEntry

    _exam, cadre, attempt_id = sitting_cadre
    organiser = make_client()
    organiser.login("admin01")
    clock.set(DEADLINE + timedelta(seconds=30))
    early = organiser.post(f"/manage/exams/{_exam.id}/attempts/{attempt_id}/collect", {}, follow_redirects=True)
    assert "还不能收卷" in early.get_data(as_text=True)
    assert only_attempt(_exam, cadre).status == "open"
    clock.set(DEADLINE + timedelta(minutes=3))
    organiser.post(f"/manage/exams/{_exam.id}/attempts/{attempt_id}/collect", {})
    collected = only_attempt(_exam, cadre)
    assert collected.status == "submitted" and collected.submit_kind == "organiser"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "exam.submit"))
    assert "组织者收卷" in entry.summary and "操作人" in entry.summary
