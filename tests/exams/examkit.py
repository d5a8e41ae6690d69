"""Exam test helpers: a clock tests can move, questions made directly, threads and shared sessions."""
import hashlib
import itertools
import re
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from quizapp.bank.models import Bank, Question
from quizapp.bank.qtypes import JUDGE_OPTIONS
from quizapp.exams.models import Attempt, AttemptItem
from quizapp.extensions import db

START = datetime(2026, 11, 10, 1, 0, tzinfo=timezone.utc)  # 09:00 in Asia/Shanghai
_serial = itertools.count(1)


class Clock:
    """app.config["CLOCK"]: a callable returning the current (test) time."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)
        return self.now


class QuestionFactory:
    def bank(self, name="测试题库", unit=None):
        bank = db.session.scalar(sa.select(Bank).where(Bank.name == name,
                                                       Bank.unit_id.is_(None) if unit is None else Bank.unit_id == unit.id))
        if bank is None:
            bank = Bank(name=name, unit_id=unit.id if unit else None)
            db.session.add(bank)
            db.session.commit()
        return bank

    def question(self, bank=None, qtype="single", *, answer=None, options=None, category="宪法", law="《中华人民共和国宪法》",
                 difficulty="medium", stem=None, explanation=None):
        bank = bank or self.bank()
        n = next(_serial)
        if qtype == "judge":
            options = JUDGE_OPTIONS
            answer = answer or "A"
        elif qtype == "multiple":
            options = options or [f"多选{n}甲", f"多选{n}乙", f"多选{n}丙", f"多选{n}丁"]
            answer = answer or "AB"
        else:
            options = options or [f"单选{n}甲", f"单选{n}乙", f"单选{n}丙", f"单选{n}丁"]
            answer = answer or "A"
        stem = stem or f"第{n}道{qtype}题的题干（ ）。"
        explanation = explanation or f"第{n}题的解析：依据宪法第{n}条。"
        question = Question(bank_id=bank.id, qtype=qtype, stem=stem, options=list(options), answer=answer,
                            explanation=explanation, difficulty=difficulty, category=category, law_name=law,
                            law_article="第一条", tags=[], fingerprint=hashlib.sha256(stem.encode()).hexdigest())
        db.session.add(question)
        db.session.commit()
        return question

    def many(self, count, qtype="single", bank=None, **kw):
        return [self.question(bank, qtype, **kw) for _ in range(count)]


def csrf_of(html):
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match
    return match.group(1)


def answer_all_correctly(attempt, client):
    """Post the right answer for every item through the JSON endpoint (test helper reading the stored keys)."""
    keys = db.session.execute(sa.select(AttemptItem.position, AttemptItem.key)
                              .where(AttemptItem.attempt_id == attempt.id)).all()
    payload = {"answers": [{"position": p, "response": k, "seq": 1} for p, k in keys]}
    return client.post(f"/api/exams/attempts/{attempt.id}/answers", json=payload)


def only_attempt(exam, user):
    db.session.expire_all()
    return db.session.scalar(sa.select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == user.id))


def signed_in_clients(app, client, login, count):
    """``count`` test clients sharing one signed-in session (tabs of one browser) and its CSRF token."""
    client.login(login)
    token = client.csrf_token()
    cookie = client.get_cookie("session")
    clients = []
    for _ in range(count):
        other = app.test_client()
        other.set_cookie("session", cookie.value, domain=cookie.domain)
        clients.append(other)
    return clients, token


def run_parallel(functions):
    """Run the callables at once (released by a barrier) and return their results in order."""
    import threading

    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)
    errors = []

    def runner(index, fn):
        try:
            barrier.wait(timeout=10)
            results[index] = fn()
        except Exception as error:  # surfaced to the test below
            import traceback
            errors.append("".join(traceback.format_exception(error)))

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, "\n".join(errors)
    return results
