"""Results: review policies, no key before it is due, regrades, item statistics, certificates and the 错题本."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from examkit import only_attempt
from factories import START
from quizapp.audit.models import AuditEntry
from quizapp.bank.models import Question
from quizapp.common.errors import ServiceError
from quizapp.exams import grading, queries, setup, sitting
from quizapp.exams.models import Attempt, AttemptItem, Certificate, ExamResult
from quizapp.extensions import db
from quizapp.practice.models import MistakeEntry


def _start(client, exam):
    return client.post(f"/api/exams/{exam.id}/start", json={"confirm": True}).get_json()["attempt_id"]


def _secrets(attempt):
    """Texts that would betray the key: every 解析 of the paper."""
    db.session.expire_all()
    return [item.explanation for item in db.session.scalars(
        sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt.id))]


def _assert_no_key(body, explanations):
    text = body if isinstance(body, str) else str(body)
    for word in ("tag-ok", "解析：", '"key"', '"correct"', '"explanation"', "data-key", "is-key"):
        assert word not in text, word
    for explanation in explanations:
        assert explanation not in text


def test_no_key_in_any_page_or_response_before_review(client, make_exam, f, tree, clock, app):
    """Before the window closes, does no exam page or JSON response carry a key, a correct flag or a 解析?"""
    app.config["EXAM_QUESTIONS_PER_PAGE"] = 2
    exam = make_exam(review_policy="after_close")
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    bodies = [client.get("/exams/").get_data(as_text=True), client.get(f"/exams/{exam.id}").get_data(as_text=True)]
    start = client.post(f"/api/exams/{exam.id}/start", json={"confirm": True})
    bodies.append(start.get_data(as_text=True))
    attempt = only_attempt(exam, cadre)
    for page in (1, 2, 3):
        bodies.append(client.get(f"/exams/attempts/{attempt.id}?page={page}").get_data(as_text=True))
    bodies.append(client.get(f"/api/exams/attempts/{attempt.id}/state").get_data(as_text=True))
    bodies.append(client.post(f"/api/exams/attempts/{attempt.id}/answers",
                              json={"answers": [{"position": 1, "response": "A", "seq": 1}]}).get_data(as_text=True))
    bodies.append(client.post(f"/api/exams/attempts/{attempt.id}/leave", json={}).get_data(as_text=True))
    bodies.append(client.get(f"/exams/attempts/{attempt.id}/submit").get_data(as_text=True))
    bodies.append(client.post(f"/api/exams/attempts/{attempt.id}/submit", json={}).get_data(as_text=True))
    bodies.append(client.get(f"/exams/attempts/{attempt.id}/result").get_data(as_text=True))
    bodies.append(client.get(f"/api/exams/attempts/{attempt.id}/state").get_data(as_text=True))
    bodies.append(client.get("/exams/results").get_data(as_text=True))
    bodies.append(client.get(f"/exams/{exam.id}").get_data(as_text=True))
    explanations = _secrets(attempt)
    for body in bodies:
        _assert_no_key(body, explanations)
    assert "考试全部结束后" in bodies[-4]


def test_after_close_review_opens_when_window_closes(client, make_exam, f, tree, clock):
    """With review after close, are keys hidden after submitting and shown once the exam window has closed?"""
    exam = make_exam(review_policy="after_close", close_at=START + timedelta(hours=3))
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    client.post(f"/api/exams/attempts/{attempt_id}/submit", json={})
    assert "is-key" not in client.get(f"/exams/attempts/{attempt_id}/result").get_data(as_text=True)
    clock.advance(hours=3)
    page = client.get(f"/exams/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "is-key" in page and _secrets(only_attempt(exam, cadre))[0] in page


def test_after_close_waits_for_makeup_and_personal_closes(client, make_exam, f, tree, clock):
    """Is the review held back while a 补考 round or a person's later close could still leak the key?"""
    exam = make_exam(close_at=START + timedelta(hours=3), makeup_enabled=True,
                     makeup_open_at=START + timedelta(days=1), makeup_close_at=START + timedelta(days=2))
    f.user("gb1", tree["v1"])
    other = f.user("gb2", tree["v1"])
    setup.save_override(tree["admin"], exam, other, close_at=START + timedelta(days=4), reason="出差")
    db.session.commit()
    client.login("gb1")
    attempt_id = _start(client, exam)
    client.post(f"/api/exams/attempts/{attempt_id}/submit", json={})
    for hours in (4, 24 * 2 + 1):
        clock.now = START + timedelta(hours=hours)
        assert "is-key" not in client.get(f"/exams/attempts/{attempt_id}/result").get_data(as_text=True)
    clock.now = START + timedelta(days=4)
    assert "is-key" in client.get(f"/exams/attempts/{attempt_id}/result").get_data(as_text=True)


def test_immediate_review_shows_answers_after_submit(client, make_exam, f, tree, clock):
    """With immediate review, is the key absent while sitting and shown, with 解析 and 未作答, right after submitting?"""
    exam = make_exam(review_policy="immediate")
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    state = client.get(f"/api/exams/attempts/{attempt_id}/state").get_data(as_text=True)
    _assert_no_key(state, _secrets(only_attempt(exam, cadre)))
    client.post(f"/api/exams/attempts/{attempt_id}/submit", json={})
    page = client.get(f"/exams/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "is-key" in page and "解析" in page and "未作答" in page


def test_score_only_never_shows_answers(client, make_exam, f, tree, clock):
    """With score-only review, does the result page show score and band but never the keys, even a month later?"""
    exam = make_exam(review_policy="score")
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    client.post(f"/api/exams/attempts/{attempt_id}/submit", json={})
    clock.advance(days=30)
    page = client.get(f"/exams/attempts/{attempt_id}/result").get_data(as_text=True)
    _assert_no_key(page, _secrets(only_attempt(exam, cadre)))
    assert "只公布成绩" in page
    assert "不合格" in page  # the score and band are always shown


def _mistakes(user):
    db.session.expire_all()
    return db.session.scalars(sa.select(MistakeEntry).where(MistakeEntry.user_id == user.id)).all()


def test_wrong_answers_reach_the_mistake_book_once_review_opens(client, runner, make_exam, f, tree, clock):
    """Do an exam's wrong answers land in the 错题本 when the review opens (not before), exactly once?"""
    exam = make_exam(review_policy="after_close", close_at=START + timedelta(hours=3))
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    client.post(f"/api/exams/attempts/{attempt_id}/submit", json={})
    assert _mistakes(cadre) == []
    clock.advance(hours=4)
    runner.invoke(args=["exams", "close-overdue"])
    assert len(_mistakes(cadre)) == 5
    client.get(f"/exams/attempts/{attempt_id}/result")
    client.get("/exams/results")
    runner.invoke(args=["exams", "close-overdue"])
    entries = _mistakes(cadre)
    assert len(entries) == 5 and all(e.wrong_count == 1 and e.source == "exam" for e in entries)
    assert only_attempt(exam, cadre).outcomes_recorded is True


def test_immediate_review_records_mistakes_at_submit(client, make_exam, f, tree, clock):
    """With immediate review, do just the missed questions enter the 错题本 at submit, once despite a double submit?"""
    exam = make_exam(review_policy="immediate")
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    attempt_id = _start(client, exam)
    first = only_attempt(exam, cadre).items[0]
    client.post(f"/api/exams/attempts/{attempt_id}/answers",
                json={"answers": [{"position": 1, "response": first.key, "seq": 1}]})
    client.post(f"/api/exams/attempts/{attempt_id}/submit", json={})
    client.post(f"/api/exams/attempts/{attempt_id}/submit", json={})
    assert {e.question_id for e in _mistakes(cadre)} == {i.question_id for i in only_attempt(exam, cadre).items[1:]}


def test_score_only_never_records_mistakes(client, make_exam, f, tree, clock):
    """With score-only review, does nothing enter the 错题本, even after the window closes?"""
    exam = make_exam(review_policy="score", close_at=START + timedelta(hours=2))
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    client.post(f"/api/exams/attempts/{_start(client, exam)}/submit", json={})
    clock.advance(days=2)
    client.get("/exams/results")
    assert _mistakes(cadre) == []


def _answer(person, attempt, responses):
    sitting.save_answers(person, attempt.id, [{"position": p, "response": r, "seq": 1} for p, r in responses.items()])
    sitting.submit_attempt(attempt)
    db.session.commit()


def test_regrade_after_key_correction(make_exam, f, tree, clock):
    """After a key is corrected in the bank, does a regrade recompute scores and results, audited?"""
    questions = f.questions(2, qtype="single")
    exam = make_exam(rules=[("single", 2)], points={"single": 50}, fill=False, shuffle_options=False,
                     shuffle_questions=False)
    people = [f.user(f"gb{i}", tree["v1"]) for i in range(2)]
    attempts = [sitting.start_attempt(exam, p)[0] for p in people]
    db.session.commit()
    assert [i.question_id for i in attempts[0].items] == [q.id for q in questions]
    _answer(people[0], attempts[0], {1: "B", 2: "A"})
    _answer(people[1], attempts[1], {1: "A", 2: "A"})

    def scores():
        db.session.expire_all()
        return [db.session.scalar(sa.select(ExamResult.score).where(ExamResult.user_id == p.id)) for p in people]

    assert scores() == [50, 100]
    questions[0].answer = "B"
    db.session.commit()
    assert [(q.id, old) for q, old in grading.key_changes(exam)] == [(questions[0].id, "A")]
    with pytest.raises(ServiceError, match="答案无效"):
        grading.regrade(tree["admin"], exam, {questions[0].id: "Z"})
    rekeyed, changed = grading.regrade(tree["admin"], exam)
    db.session.commit()
    assert (rekeyed, changed) == (1, 2)
    assert scores() == [100, 50]
    assert [a.passed for a in db.session.scalars(sa.select(Attempt).order_by(Attempt.user_id))] == [True, False]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "exam.regrade"))
    assert entry is not None and "2 份成绩变化" in entry.summary
    with pytest.raises(ServiceError, match="无需重新评分"):
        grading.regrade(tree["admin"], exam)


def test_regrade_with_an_exam_only_correction_via_the_page(client, make_exam, f, tree, clock):
    """Can an organiser correct one question's key for this exam on the statistics page and see scores change?"""
    exam = make_exam(rules=[("judge", 5)], points={"judge": 20}, close_at=START + timedelta(hours=2))
    cadre = f.user("gb1", tree["v1"])
    attempt, _ = sitting.start_attempt(exam, cadre)
    db.session.commit()
    _answer(cadre, attempt, {i.position: "B" for i in attempt.items})  # every key is 正确 (A)
    assert only_attempt(exam, cadre).score == 0
    client.login("admin01")
    question_id = attempt.items[0].question_id
    response = client.post(f"/manage/exams/{exam.id}/correct-key", {"question_id": question_id, "key": "错误"})
    assert response.status_code == 302
    assert only_attempt(exam, cadre).score == 20
    result = db.session.scalar(sa.select(ExamResult).where(ExamResult.user_id == cadre.id))
    assert result.score == 20


@pytest.mark.parametrize("typed, stored, message", [
    ("b", "B", "答案为 B"),
    ("Ｄ", "D", "答案为 D"),
    ("也许", "A", "无法识别答案“也许”：应填选项字母，如 B"),
    ("AB", "A", "单选题只能有一个答案"),
])
def test_key_correction_reads_the_key_as_the_question_type_does(client, make_exam, f, tree, clock, typed,
                                                                 stored, message):
    """Is a corrected 单选 key read by the type registry (case and full-width folded), with an unreadable or
    invalid key refused with the type's own message and nothing regraded?"""
    f.questions(2, qtype="single")
    exam = make_exam(rules=[("single", 2)], points={"single": 50}, fill=False, shuffle_options=False)
    cadre = f.user("gb1", tree["v1"])
    attempt, _ = sitting.start_attempt(exam, cadre)
    db.session.commit()
    _answer(cadre, attempt, {i.position: "A" for i in attempt.items})
    client.login("admin01")
    item = attempt.items[0]
    page = client.post(f"/manage/exams/{exam.id}/correct-key", {"question_id": item.question_id, "key": typed},
                       follow_redirects=True).get_data(as_text=True)
    assert message in page
    db.session.expire_all()
    assert db.session.get(AttemptItem, item.id).key == stored

def test_item_statistics(client, make_exam, f, tree, clock):
    """After close, are correct rates, 27%-group discrimination and option counts right, and weak questions flagged?"""
    questions = f.questions(4, qtype="single")  # key A each
    exam = make_exam(rules=[("single", 4)], points={"single": 25}, fill=False, shuffle_options=False,
                     shuffle_questions=False, close_at=START + timedelta(hours=3))
    people = [f.user(f"gb{i:02d}", tree["v1"]) for i in range(10)]
    for i, person in enumerate(people):
        attempt, _ = sitting.start_attempt(exam, person)
        db.session.commit()
        by_question = {item.question_id: item.position for item in attempt.items}
        responses = {
            by_question[questions[0].id]: "A" if i < 5 else "B",
            by_question[questions[1].id]: "A" if i < 3 else "D",
            by_question[questions[2].id]: "C",
            by_question[questions[3].id]: "A",
        }
        clock.advance(minutes=1)
        _answer(person, attempt, responses)
    sitters, stats = queries.item_statistics(exam)
    assert sitters == 10
    by_id = {s.question.id: s for s in stats}
    assert (by_id[questions[0].id].correct_rate, by_id[questions[0].id].discrimination) == (50.0, 1.0)
    assert (by_id[questions[1].id].correct_rate, by_id[questions[1].id].discrimination) == (30.0, 1.0)
    hard = by_id[questions[2].id]
    assert hard.correct_rate == 0 and hard.discrimination == 0
    assert [(letter, count) for letter, _, count, _ in hard.option_counts] == [("A", 0), ("B", 0), ("C", 10), ("D", 0)]
    assert "正确率低于30%" in hard.review_reasons and any("错误选项" in r for r in hard.review_reasons)
    assert by_id[questions[3].id].review_reasons == ["区分度偏低"]
    client.login("admin01")
    assert "考试全部结束" in client.get(f"/manage/exams/{exam.id}/stats").get_data(as_text=True)
    clock.now = START + timedelta(hours=3)
    page = client.get(f"/manage/exams/{exam.id}/stats").get_data(as_text=True)
    assert "正确率 50.0%" in page and "区分度 1.0" in page and "建议复查" in page


def test_certificate_and_public_verification(client, make_client, make_exam, f, tree, clock):
    """Does passing the year's required exams give a printable certificate (issued by its button, once) whose code
    a stranger can check?"""
    exam = make_exam(title="2026年11月学法考试", required=True)
    optional = make_exam(title="专项测试", required=False)
    cadre = f.user("gb1", tree["v1"], name="王建国")
    client.login("gb1")
    assert "尚未通过" in client.get("/exams/certificates/2026").get_data(as_text=True)
    attempt, _ = sitting.start_attempt(exam, cadre)
    db.session.commit()
    _answer(cadre, attempt, {i.position: i.key for i in attempt.items})
    offer = client.get("/exams/certificates/2026").get_data(as_text=True)
    assert "生成合格证书" in offer and db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 0
    issued = client.post("/exams/certificates/2026", {})
    assert issued.status_code == 302 and issued.location.endswith("/exams/certificates/2026")
    page = client.get("/exams/certificates/2026").get_data(as_text=True)
    code = re.search(r"<b>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</b>", page).group(1)
    assert "合格证书" in page and "王建国" in page and "2026年11月学法考试" in page and optional.title not in page
    client.post("/exams/certificates/2026", {})
    assert code in client.get("/exams/certificates/2026").get_data(as_text=True)  # issued once
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 1
    stranger = make_client()
    check = stranger.get(f"/verify/{code.lower()}")
    body = check.get_data(as_text=True)
    assert check.status_code == 200 and "证书有效" in body
    assert "王建国" in body and "示范县/甲乡/一村两委" in body and "2026年度" in body and "2026年11月学法考试" in body
    assert "gb1" not in body and "100" not in body
    assert stranger.get("/verify/?code=" + code.replace("-", "")).status_code == 302
    assert stranger.get("/verify/ABCD-EFGH-JKLM").status_code == 404
    # a regrade that turns the pass into a fail invalidates the certificate
    for item in attempt.items:
        question = db.session.get(Question, item.question_id)
        question.answer = "B" if question.answer != "B" else "A"
    db.session.commit()
    grading.regrade(tree["admin"], exam)
    db.session.commit()
    assert "已失效" in stranger.get(f"/verify/{code}").get_data(as_text=True)


def test_results_page_lists_results(client, make_exam, f, tree, clock):
    """Does 我的成绩 list a submitted exam with its score and band?"""
    exam = make_exam(title="十一月测试")
    cadre = f.user("gb1", tree["v1"])
    attempt, _ = sitting.start_attempt(exam, cadre)
    db.session.commit()
    _answer(cadre, attempt, {i.position: i.key for i in attempt.items[:4]})
    client.login("gb1")
    page = client.get("/exams/results").get_data(as_text=True)
    assert "十一月测试" in page and "80" in page and "良好" in page
