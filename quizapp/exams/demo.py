"""Demo: this month's 月度测试 for the demo township, drawn from the shipped system banks (idempotent)."""
import calendar
import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..accounts.models import Unit, User
from ..bank.models import Bank, Question
from ..bank.qtypes import LETTERS
from ..bank.units import CASE
from ..common.clock import local_to_utc, to_local, utcnow
from ..common.errors import ServiceError
from ..extensions import db
from .access import audience_users_stmt
from .models import Exam
from .papers import apply_template, blueprint_templates
from .setup import create_exam, publish
from .sitting import save_answers, start_attempt, submit_attempt

# The paper with 案例分析 and 不定项 when the shipped banks hold them, else the plain one.
TEMPLATES = ("monthly_case", "monthly")
TEMPLATE = TEMPLATES[-1]


def _system_counts():
    """Active stand-alone questions of the system banks by type, and their 案例分析 cases under "case"."""
    system = sa.select(Bank.id).where(Bank.unit_id.is_(None))
    active = (Question.status == "active", Question.bank_id.in_(system))
    rows = db.session.execute(sa.select(Question.qtype, sa.func.count()).where(*active, Question.case_id == "")
                              .group_by(Question.qtype)).all()
    cases = db.session.scalar(sa.select(sa.func.count()).select_from(
        sa.select(Question.bank_id, Question.case_id).where(*active, Question.case_id != "").distinct().subquery()))
    return {**dict(rows), CASE: cases or 0}


def _shortages(template, counts):
    return [f"{rule['qtype']} 需要 {rule['count']} 道、现有 {counts.get(rule['qtype'], 0)} 道"
            for rule in template["rules"] if counts.get(rule["qtype"], 0) < rule["count"]]


def choose_template():
    """The first of TEMPLATES the system banks can fill, with the shortages of the plain one otherwise."""
    templates, counts = blueprint_templates(), _system_counts()
    for name in TEMPLATES:
        if name in templates and not _shortages(templates[name], counts):
            return templates[name], []
    plain = templates.get(TEMPLATE)
    return plain, _shortages(plain, counts) if plain else []


def load_demo(township_name, now=None, history_months=2):
    """Publish the current month's test for every cadre of the township, after the tests of the previous
    months taken by most cadres (so reports have figures); returns {"exam": message}."""
    township = db.session.scalar(sa.select(Unit).where(Unit.name == township_name))
    actor = db.session.scalar(sa.select(User).where(User.role == "admin").order_by(User.id))
    if township is None or actor is None:
        return {"exam": "未找到演示乡镇或管理员，未创建演示考试。"}
    local = to_local(now or utcnow())
    messages = []
    for back in range(history_months, 0, -1):
        year, month = local.year, local.month - back
        while month < 1:
            year, month = year - 1, month + 12
        messages.append(_monthly_exam(township, actor, year, month, taken_by_demo_cadres=True))
    messages.append(_monthly_exam(township, actor, local.year, local.month))
    return {"exam": "\n".join(messages)}


def _monthly_exam(township, actor, year, month, taken_by_demo_cadres=False):
    """One 月度测试 for the township in the given month (idempotent by title)."""
    local = datetime(year, month, 1)
    title = f"{local.year}年{local.month}月学法月度测试"
    if db.session.scalar(sa.select(Exam.id).where(Exam.title == title, Exam.unit_id == township.id)) is not None:
        return f"演示考试“{title}”已存在。"
    template, short = choose_template()
    if template is None:
        return "缺少组卷模板 question_bank/blueprints/monthly.json，未创建演示考试。"
    if short:
        return ("系统题库题量不足（" + "；".join(short) + "）。请先运行 "
                "flask --app quizapp bank load-shipped 加载内置题库，再运行 demo。")
    last_day = calendar.monthrange(local.year, local.month)[1]
    values = {
        "title": title, "kind": "monthly", "period": f"{local.year}-{local.month:02d}",
        "description": f"本月学法测试：{template.get('name', '').partition('：')[2] or '60 分钟，满分 100 分'}。请认真作答。",
        "unit_id": township.id, "audience_ids": [township.id],
        "open_at": local_to_utc(datetime(local.year, local.month, 1, 0, 0)),
        "close_at": local_to_utc(datetime(local.year, local.month, last_day, 23, 59)),
        "time_limit": template.get("time_limit", 60), "required": True, "categories": [],
        "audience_shufa_only": False, "full_marks": template.get("full_marks", 100),
        "pass_mark": template.get("pass_mark", 60), "multi_scoring": "all", "attempts_allowed": 2,
        "counting": "best", "unseen_first": True, "makeup_enabled": False, "makeup_open_at": None,
        "makeup_close_at": None, "makeup_attempts": 1, "shuffle_questions": True, "shuffle_options": True,
        "review_policy": "after_close",
    }
    try:
        exam = create_exam(actor, values)
        problems = apply_template(actor, exam, exam.variants[0], template)
        if problems:
            raise ServiceError(problems)
        publish(actor, exam)
    except ServiceError as error:
        db.session.rollback()
        return "未能创建演示考试：" + "；".join(error.messages)
    if taken_by_demo_cadres:
        taken = _simulate_sittings(exam)
        return f"已生成往月演示考试“{title}”及 {taken} 人的作答记录。"
    return f"已发布演示考试“{title}”（{township.name}全体干部，{to_local(exam.close_at).day}日 23:59 截止）。"


def _simulate_sittings(exam):
    """Most of the audience sit a past exam through the real services, each with a steady, seeded skill."""
    people = db.session.scalars(audience_users_stmt(exam).order_by(User.id)).all()
    taken = 0
    for person in people:
        rng = random.Random(f"{exam.period}:{person.login}")
        if person.role != "cadre" or rng.random() < 0.08:  # a few never sit it: the 未参考名单 is not empty
            continue
        skill = 0.55 + 0.4 * random.Random(person.login).random()
        started = exam.open_at + timedelta(days=rng.randint(0, 20), hours=rng.randint(8, 20))
        attempt, _ = start_attempt(exam, person, now=started)
        answers = []
        for item in attempt.items:
            wrong = [x for x in LETTERS[: len(item.options)] if x not in item.key] or [item.key[1:]]
            response = item.key if rng.random() < skill else rng.choice(wrong)
            answers.append({"position": item.position, "response": response, "seq": 1})
        save_answers(person, attempt.id, answers, now=started + timedelta(minutes=20))
        submit_attempt(attempt, now=started + timedelta(minutes=rng.randint(18, 50)))
        taken += 1
    return taken
