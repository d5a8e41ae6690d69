"""Issue 11: practice and the 错题本 never reveal the key or 解析 of a question in a cadre's open attempt or in an
exam whose answers are not yet released (one rule: exams.access.question_ids_hidden_from)."""
import re
from datetime import timedelta

import sqlalchemy as sa

from quizapp.exams import sitting
from quizapp.exams.access import question_ids_hidden_from
from quizapp.exams.models import AttemptItem
from quizapp.extensions import db
from quizapp.practice import services as practice
from quizapp.practice.models import PracticeSession


def _paper(attempt):
    return set(db.session.scalars(sa.select(AttemptItem.question_id).where(AttemptItem.attempt_id == attempt.id)))


def _hidden(user, now):
    return set(db.session.scalars(question_ids_hidden_from(user.id, now)))


def _all_practisable(user):
    return set(db.session.scalars(practice.practisable(user)))


def test_practice_never_draws_a_question_of_an_open_attempt(make_exam, f, tree, clock):
    """With an open attempt, does practice (even asking for every question) leave out all of its questions?"""
    exam = make_exam(rules=(("single", 3), ("judge", 2)))
    cadre = f.user("gb1", tree["v1"])
    attempt, _ = sitting.start_attempt(exam, cadre)
    db.session.commit()
    paper = _paper(attempt)
    assert paper <= _hidden(cadre, clock.now)
    assert not paper & _all_practisable(cadre)
    session, _ = practice.start_session(cadre, count=50)
    assert not paper & set(session.question_ids)


def test_a_colleague_cannot_practise_questions_drawn_into_a_running_exam(make_exam, f, tree, clock):
    """Are questions in anyone's attempt of an exam still running hidden from a colleague who has not started?"""
    exam = make_exam(rules=(("single", 3),))
    first = f.user("gb1", tree["v1"])
    colleague = f.user("gb2", tree["v1"])
    attempt, _ = sitting.start_attempt(exam, first)
    sitting.submit_attempt(attempt)
    db.session.commit()
    paper = _paper(attempt)
    assert not paper & _all_practisable(colleague)
    assert not paper & _all_practisable(first)  # review opens after close: still hidden from the cadre too
    clock.set(exam.close_at + timedelta(seconds=1))  # every window closed: back to practice
    assert paper <= _all_practisable(colleague)
    assert not _hidden(colleague, clock.now)


def test_immediate_review_releases_only_the_cadres_own_paper(make_exam, f, tree, clock):
    """Under 交卷后立即查看, are the cadre's own submitted questions released to them but not to colleagues?"""
    exam = make_exam(rules=(("single", 3),), review_policy="immediate")
    first = f.user("gb1", tree["v1"])
    colleague = f.user("gb2", tree["v1"])
    attempt, _ = sitting.start_attempt(exam, first)
    sitting.submit_attempt(attempt)
    db.session.commit()
    paper = _paper(attempt)
    assert paper <= _all_practisable(first)
    assert not paper & _all_practisable(colleague)


def test_fixed_paper_questions_are_hidden_before_anyone_starts(make_exam, f, tree, clock):
    """Is a question on a published exam's fixed paper hidden before any attempt exists, and not before publishing?"""
    from quizapp.exams import papers, setup

    exam = make_exam(rules=(("single", 1),), publish=False)
    cadre = f.user("gb1", tree["v1"])
    chosen = f.questions(2, qtype="single")
    variant = exam.variants[0]
    papers.add_fixed_questions(tree["admin"], exam, variant, [q.id for q in chosen])
    db.session.commit()
    assert not {q.id for q in chosen} & _hidden(cadre, clock.now)  # a draft reveals nothing to anyone
    setup.publish(tree["admin"], exam)
    db.session.commit()
    assert {q.id for q in chosen} <= _hidden(cadre, clock.now)


def test_practice_feedback_and_mistakes_conceal_a_question_that_entered_an_exam(client, make_exam, f, tree, clock):
    """A question practised (and missed) before the exam, then drawn into the cadre's open attempt: does the
    practice feedback stop showing the key and 解析, and the 错题本 leave it out (saying so)?"""
    question = f.questions(1, qtype="judge", explanation="解析：机密内容")[0]
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    response = client.post("/practice/start", {"category": "", "law": "", "qtype": "judge", "count": "5"})
    session = db.session.get(PracticeSession, int(re.search(r"/practice/(\d+)$", response.location).group(1)))
    seq = session.question_ids.index(question.id)
    for position in range(seq):
        client.post(f"/practice/{session.id}/answer", {"seq": str(position), "response": "A"})
    client.post(f"/practice/{session.id}/answer", {"seq": str(seq), "response": "B"})  # wrong: into the 错题本
    shown = client.get(f"/practice/{session.id}/feedback/{seq}").get_data(as_text=True)
    assert "解析：机密内容" in shown  # not yet in any exam
    exam = make_exam(rules=(("judge", 1),), fill=False)
    sitting.start_attempt(exam, cadre)
    db.session.commit()
    shown = client.get(f"/practice/{session.id}/feedback/{seq}").get_data(as_text=True)
    assert "考试结束前不显示" in shown
    assert "解析：机密内容" not in shown and "answer-key" not in shown and "is-key" not in shown
    assert "回答正确" not in shown and "回答错误" not in shown
    mistakes = client.get("/practice/mistakes").get_data(as_text=True)
    assert question.stem not in mistakes and "考试结束前暂不显示" in mistakes
