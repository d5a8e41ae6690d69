"""Demo: the shipped 以案释法 cases, and a past 法律明白人 qualifying test sat by the township's 法律明白人, so the
certificates and the leader's coverage per village have real figures (idempotent, through the services)."""
import random
from datetime import timedelta

import sqlalchemy as sa

from ..accounts.models import Unit, User
from ..bank.models import Bank, Question
from ..bank.qtypes import LETTERS
from ..common.clock import to_local, utcnow
from ..common.errors import ServiceError
from ..exams import papers, setup, sitting
from ..exams.access import audience_users_stmt
from ..exams.models import Exam
from ..extensions import db
from . import legal_aide
from .cases import default_cases_dir, load_case_files

TITLE = "法律明白人资格考核（演示）"
# Shipped banks the demo test draws from, in order of preference.
BANKS = ("人民调解法", "信访工作条例", "法律援助法")


def load_demo(township_name: str) -> dict:
    cases = load_case_files(default_cases_dir())
    return {"cases_loaded": len(cases.created), "legal_aide": _qualifying_test(township_name)}


def _qualifying_test(township_name: str) -> str:
    township = db.session.scalar(sa.select(Unit).where(Unit.name == township_name))
    actor = db.session.scalar(sa.select(User).where(User.role == "admin").order_by(User.id))
    if township is None or actor is None:
        return "未找到演示乡镇或管理员，未创建法律明白人考核。"
    if db.session.scalar(sa.select(Exam.id).where(Exam.title == TITLE)) is not None:
        return f"演示考试“{TITLE}”已存在。"
    bank = db.session.scalar(
        sa.select(Bank).join(Question, Question.bank_id == Bank.id)
        .where(Bank.unit_id.is_(None), Bank.name.in_(BANKS), Question.qtype == "single", Question.status == "active")
        .group_by(Bank.id).having(sa.func.count() >= 10).order_by(Bank.name))
    if bank is None:
        return "内置题库中没有可用于法律明白人考核的题目（请先加载内置题库）。"
    now = utcnow()
    values = {
        "title": TITLE, "kind": "special", "period": str(to_local(now - timedelta(days=40)).year), "description": "法律明白人资格考核：10 道单选题，60 分合格。",
        "unit_id": township.id, "audience_ids": [township.id], "open_at": now - timedelta(days=40),
        "close_at": now - timedelta(days=10), "time_limit": 30, "required": False, "categories": ["legal_aide"],
        "audience_shufa_only": False, "full_marks": 100, "pass_mark": 60,
        "bands": [["优秀", 90], ["良好", 80], ["合格", 60]], "multi_scoring": "all", "attempts_allowed": 1,
        "counting": "best", "unseen_first": True, "makeup_enabled": False, "makeup_open_at": None,
        "makeup_close_at": None, "makeup_attempts": 1, "shuffle_questions": True, "shuffle_options": True,
        "review_policy": "after_close"}
    try:
        exam = setup.create_exam(actor, values)
        variant = exam.variants[0]
        papers.save_variant(actor, exam, variant, name=variant.name, mode="blueprint", categories=[], ranks=[],
                            points={"single": 10, "multiple": 10, "judge": 10})
        papers.add_rule(actor, exam, variant, qtype="single", count=10, bank_id=bank.id)
        setup.publish(actor, exam)
    except ServiceError as error:
        db.session.rollback()
        return "未能创建法律明白人考核：" + "；".join(error.messages)
    certified = 0
    for person in db.session.scalars(audience_users_stmt(exam).order_by(User.id)).all():
        rng = random.Random(f"legal-aide:{person.login}")
        if rng.random() < 0.25:  # some have not sat it: the coverage page lists who is missing
            continue
        started = exam.open_at + timedelta(days=rng.randint(1, 25), hours=rng.randint(8, 18))
        attempt, _ = sitting.start_attempt(exam, person, now=started)
        skill = 0.5 + 0.45 * rng.random()
        answers = [{"position": item.position, "seq": 1,
                    "response": item.key if rng.random() < skill else next(
                        x for x in LETTERS[: len(item.options)] if x not in item.key)} for item in attempt.items]
        sitting.save_answers(person, attempt.id, answers, now=started + timedelta(minutes=12))
        sitting.submit_attempt(attempt, now=started + timedelta(minutes=15))
        db.session.flush()
        try:
            legal_aide.issue_certificate(person)
            certified += 1
        except ServiceError:
            pass  # failed the test: still to be certified
    return f"已生成“{TITLE}”及作答记录，{certified} 名法律明白人取得证书。"
