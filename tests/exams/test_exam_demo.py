"""The demo's monthly test: published from the shipped template when the system banks can fill it."""
import sqlalchemy as sa

from factories import START
from quizapp.exams import papers
from quizapp.exams.demo import load_demo
from quizapp.exams.models import Exam, ExamResult
from quizapp.extensions import db


def test_demo_exam_waits_for_the_banks_then_is_published_once(tree, f, clock):
    """Without banks, is the message clear and nothing created; with them, one 50-question exam, once?"""
    message = load_demo("甲乡", history_months=0)["exam"]
    assert "load-shipped" in message and db.session.scalar(sa.select(sa.func.count()).select_from(Exam)) == 0
    f.questions(25, qtype="single")
    f.questions(10, qtype="multiple")
    f.questions(15, qtype="judge")
    assert "已发布演示考试" in load_demo("甲乡", history_months=0)["exam"]
    db.session.commit()
    exam = db.session.scalar(sa.select(Exam))
    assert exam.title == "2026年11月学法月度测试" and exam.status == "published" and exam.period == "2026-11"
    assert [u.name for u in exam.audience_units] == ["甲乡"]
    assert papers.variant_question_count(exam.variants[0]) == 50 and papers.variant_total(exam.variants[0]) == 100
    assert exam.time_limit == 60 and exam.pass_mark == 60
    assert exam.open_at <= START <= exam.close_at
    assert "已存在" in load_demo("甲乡", history_months=0)["exam"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Exam)) == 1


def test_demo_history_months_are_sat_through_the_services(f, tree, clock):
    """Do the demo's earlier months come with real graded sittings, so leaders' reports have figures?"""
    for n in range(6):
        f.user(f"demo{n}", tree["v1"])
    f.questions(25, qtype="single")
    f.questions(10, qtype="multiple")
    f.questions(15, qtype="judge")
    messages = load_demo("甲乡", history_months=1)["exam"]
    db.session.commit()
    assert "2026年10月学法月度测试" in messages and "作答记录" in messages
    past = db.session.scalar(sa.select(Exam).where(Exam.period == "2026-10"))
    results = db.session.scalars(sa.select(ExamResult).where(ExamResult.exam_id == past.id)).all()
    assert 4 <= len(results) <= 6
    assert all(past.open_at <= r.submitted_at <= past.close_at and 0 <= r.score <= 100 for r in results)
    assert "已存在" in load_demo("甲乡", history_months=1)["exam"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamResult)) == len(results)
