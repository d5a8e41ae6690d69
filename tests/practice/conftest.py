"""Fixtures for practice tests: banks and questions made directly with the models, and a movable clock."""
import itertools
from datetime import date, datetime, timedelta, timezone

import pytest

from quizapp.bank.models import Bank, Question
from quizapp.extensions import db

_counter = itertools.count(1)
START = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


class QuestionFactory:
    def bank(self, name=None, unit=None):
        bank = Bank(name=name or f"题库{next(_counter)}", unit_id=unit.id if unit else None)
        db.session.add(bank)
        db.session.commit()
        return bank

    def question(self, bank, stem=None, *, qtype="single", options=None, answer="A", category="宪法/总纲",
                 law_name="《中华人民共和国宪法》", law_article="第二条", explanation=None, status="active", **values):
        n = next(_counter)
        if options is None:
            options = ["正确", "错误"] if qtype == "judge" else [f"选项甲{n}", f"选项乙{n}", f"选项丙{n}", f"选项丁{n}"]
        question = Question(bank_id=bank.id, qtype=qtype, stem=stem or f"测试题干{n}（ ）。", options=options,
                            answer=answer, explanation=explanation if explanation is not None else f"解析内容{n}",
                            category=category, law_name=law_name, law_article=law_article,
                            law_version=values.pop("law_version", date(2018, 3, 11)), tags=[], status=status,
                            fingerprint=f"fp{n}", **values)
        db.session.add(question)
        db.session.commit()
        return question

    def many(self, bank, count, **values):
        return [self.question(bank, **values) for _ in range(count)]


@pytest.fixture
def qf(app):
    return QuestionFactory()


class Clock:
    """A clock the test moves by hand; the app reads it through app.config["CLOCK"]."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(app):
    clock = Clock(START)
    app.config["CLOCK"] = clock
    return clock


@pytest.fixture
def cadre(f, tree):
    return f.user("gb_practice", tree["v1"], name="王练习")


@pytest.fixture
def cadre_client(client, cadre):
    client.login("gb_practice")
    return client
