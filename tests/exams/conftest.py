"""Exam fixtures: the movable clock, the question factory and an exam builder that goes through the services."""
from datetime import timedelta

import pytest

from examkit import START, Clock, QuestionFactory, _serial
from quizapp.exams import papers, setup
from quizapp.extensions import db


@pytest.fixture
def clock(app):
    clock = Clock(START)
    app.config["CLOCK"] = clock
    return clock


@pytest.fixture
def qf(app):
    return QuestionFactory()


@pytest.fixture
def make_exam(app, clock, tree, qf):
    """make_exam(**settings, rules=[(qtype, count)], points={...}) -> a published exam for 甲乡 by default."""

    def build(*, rules=(("single", 3), ("multiple", 1), ("judge", 1)), points=None, publish=True, owner=None,
              audience=None, fill=True, **settings):
        actor = tree["admin"]
        owner = owner or tree["county"]
        audience = audience or [tree["jia"]]
        points = points or {"single": 20, "multiple": 20, "judge": 20}
        if fill:
            for qtype, count in rules:
                qf.many(count + 2, qtype)
        values = {
            "title": settings.pop("title", f"测试考试{next(_serial)}"), "kind": "monthly", "period": "2026-11",
            "description": "", "unit_id": owner.id, "audience_ids": [u.id for u in audience],
            "open_at": START - timedelta(hours=1), "close_at": START + timedelta(days=2), "time_limit": 60,
            "required": True, "categories": [], "audience_shufa_only": False, "full_marks": 100, "pass_mark": 60,
            "bands": [["优秀", 90], ["良好", 80], ["合格", 60]], "multi_scoring": "all", "attempts_allowed": 1,
            "counting": "best", "unseen_first": True, "makeup_enabled": False, "makeup_open_at": None,
            "makeup_close_at": None, "makeup_attempts": 1, "shuffle_questions": True, "shuffle_options": True,
            "review_policy": "after_close",
        }
        total = sum(count * points[qtype] for qtype, count in rules)
        values["full_marks"] = settings.pop("full_marks", total)
        values.update(settings)
        exam = setup.create_exam(actor, values)
        variant = exam.variants[0]
        variant.points = points
        for qtype, count in rules:
            papers.add_rule(actor, exam, variant, qtype=qtype, count=count)
        if publish:
            setup.publish(actor, exam)
        db.session.commit()
        return exam

    return build
