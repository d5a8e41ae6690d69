"""Demo: this month's 月度测试 for the demo township, drawn from the shipped system banks (idempotent)."""
import calendar
from datetime import datetime

import sqlalchemy as sa

from ..accounts.models import Unit, User
from ..bank.models import Bank, Question
from ..common.clock import local_to_utc, to_local, utcnow
from ..common.errors import ServiceError
from ..extensions import db
from . import services
from .models import Exam

TEMPLATE = "monthly"


def _system_counts():
    rows = db.session.execute(
        sa.select(Question.qtype, sa.func.count()).join(Bank, Bank.id == Question.bank_id)
        .where(Bank.unit_id.is_(None), Question.status == "active").group_by(Question.qtype)).all()
    return dict(rows)


def load_demo(township_name, now=None):
    """Publish the current month's test for every cadre of the township; returns {"exam": message}."""
    township = db.session.scalar(sa.select(Unit).where(Unit.name == township_name))
    actor = db.session.scalar(sa.select(User).where(User.role == "admin").order_by(User.id))
    if township is None or actor is None:
        return {"exam": "未找到演示乡镇或管理员，未创建演示考试。"}
    local = to_local(now or utcnow())
    title = f"{local.year}年{local.month}月学法月度测试"
    if db.session.scalar(sa.select(Exam.id).where(Exam.title == title, Exam.unit_id == township.id)) is not None:
        return {"exam": f"演示考试“{title}”已存在。"}
    template = services.blueprint_templates().get(TEMPLATE)
    if template is None:
        return {"exam": "缺少组卷模板 question_bank/blueprints/monthly.json，未创建演示考试。"}
    counts = _system_counts()
    short = [f"{rule['qtype']} 需要 {rule['count']} 道、现有 {counts.get(rule['qtype'], 0)} 道"
             for rule in template["rules"] if counts.get(rule["qtype"], 0) < rule["count"]]
    if short:
        return {"exam": "系统题库题量不足（" + "；".join(short) + "）。请先运行 "
                        "flask --app quizapp bank load-shipped 加载内置题库，再运行 demo。"}
    last_day = calendar.monthrange(local.year, local.month)[1]
    values = {
        "title": title, "kind": "monthly", "period": f"{local.year}-{local.month:02d}",
        "description": "本月学法测试：50 题，60 分钟，满分 100 分，60 分合格。请认真作答。",
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
        exam = services.create_exam(actor, values)
        problems = services.apply_template(actor, exam, exam.variants[0], template)
        if problems:
            raise ServiceError(problems)
        services.publish(actor, exam)
    except ServiceError as error:
        db.session.rollback()
        return {"exam": "未能创建演示考试：" + "；".join(error.messages)}
    return {"exam": f"已发布演示考试“{title}”（{township_name}全体干部，{to_local(exam.close_at).day}日 23:59 截止）。"}
