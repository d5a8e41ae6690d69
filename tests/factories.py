"""The one set of builders for test data: a movable clock, units, people, banks, questions, exams and sittings.

Everything is made through the app's own services, so test data meets the
rules real data meets (a question passes the import's validation, an exam the
exam rules). Each builder commits, as the view or command would. Fixtures in
tests/conftest.py expose them: ``clock`` and ``f``.
"""
import csv
import functools
import io
import itertools
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from unittest import mock

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from quizapp.accounts import services
from quizapp.bank import services as bank_services
from quizapp.bank.models import Bank, Question
from quizapp.bank.qtypes import JUDGE_OPTIONS, LETTERS
from quizapp.common.clock import to_local, utcnow
from quizapp.exams import papers as exam_papers, setup as exam_setup, sitting as exam_sitting
from quizapp.exams.models import AttemptItem
from quizapp.extensions import db

UTC = timezone.utc
PASSWORD = "Passw0rd!x"
# Where the clock starts unless a folder's conftest overrides the ``clock_start`` fixture.
START = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai
DEFAULT_BANK = "测试题库"
# The actor for services that need one where a test has nobody in particular: audited as no one (the system).
SYSTEM = SimpleNamespace(id=None)
_counter = itertools.count(1)


class Clock:
    """The app's clock in tests: set as app.config["CLOCK"], which quizapp.common.clock.utcnow() reads."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def set(self, moment):
        self.now = moment
        return moment

    def advance(self, **delta):
        self.now += timedelta(**delta)
        return self.now


@functools.lru_cache(maxsize=8)
def _cached_hash(password):
    """Hash each test password once per run: scrypt is slow on purpose, and tests make many people."""
    return generate_password_hash(password)


def _wrong(item):
    """A response that earns nothing for ``item``: an option outside its key (under partial scoring too)."""
    return next((letter for letter in LETTERS[:len(item.options)] if letter not in item.key), item.key[0])


class Factories:
    """The ``f`` fixture: builders that commit, so what they make is there for pages, threads and the CLI."""

    # ------------------------------------------------------------ units and people

    def unit(self, name, parent=None, kind="organ"):
        """A unit under ``parent`` (None: a top-level unit), made by the system."""
        unit = services.create_unit(None, name, parent, kind)
        db.session.commit()
        return unit

    def user(self, login=None, unit=None, *, role="cadre", password=PASSWORD, must_change=False, active=True,
             **values):
        """A person (a cadre unless ``role`` says otherwise) in ``unit``, or in a new unit of their own;
        with ``active=False``, deactivated as an administrator would (stamped with the clock's time)."""
        login = login or f"user{next(_counter):04d}"
        if unit is None:
            unit = self.unit(f"单位{next(_counter)}")
        fields = {"name": values.pop("name", f"测试{login}"), "login": login, "unit_id": unit.id, "role": role,
                  "rank": values.pop("rank", "none"), "category": values.pop("category", "general"),
                  "shufa": values.pop("shufa", False), "title": values.pop("title", ""),
                  "phone": values.pop("phone", "")}
        if values:
            raise TypeError(f"f.user() does not set {sorted(values)}: add the field here, through the service")
        with mock.patch.object(services, "generate_password_hash", _cached_hash):
            user, _ = services.create_user(None, fields, password=password)
            if must_change:  # as after an administrator's reset, with a known password
                services.set_password(user, password, must_change=True)
        if not active:
            services.set_active(SYSTEM, user, False)
        db.session.commit()
        return user

    # ------------------------------------------------------------ banks and questions

    def bank(self, name=None, unit=None):
        """A new bank of ``unit`` (None: a system bank), named ``name`` or 题库N."""
        bank = bank_services.create_bank(None, name or f"题库{next(_counter)}", unit)
        db.session.commit()
        return bank

    def default_bank(self):
        """The system bank questions go to when a test names none (exam rules draw from every usable bank)."""
        bank = db.session.scalar(sa.select(Bank).where(Bank.name == DEFAULT_BANK, Bank.unit_id.is_(None)))
        return bank or self.bank(DEFAULT_BANK)

    def question(self, bank=None, **values):
        """One active question (单选 with key A unless told) in ``bank`` or the default bank."""
        question = self._question(bank or self.default_bank(), **values)
        db.session.commit()
        return question

    def questions(self, count, *, bank=None, **values):
        """``count`` questions alike but for their numbered stems and options, committed together."""
        bank = bank or self.default_bank()
        made = [self._question(bank, **values) for _ in range(count)]
        db.session.commit()
        return made

    def case(self, bank=None, *, size=3, case_id=None, text=None, qtypes=("single", "multiple", "indefinite"),
             variant_group=""):
        """A 案例分析 case of ``size`` sub-questions, imported through the bank's importer (key A, AB, A…)."""
        from quizapp.bank import importer
        from quizapp.bank.qtypes import REGISTRY
        from quizapp.bank.rows import COLUMNS, to_row

        bank = bank or self.default_bank()
        n = next(_counter)
        case_id = case_id or f"CASE-{n}"
        text = text or f"第{n}号案例材料：某乡村委会在换届选举中发生争议，乡政府接到村民来信。"
        rows = [COLUMNS]
        for i in range(size):
            code = qtypes[i % len(qtypes)]
            rows.append(to_row({"qtype": code, "stem": f"本案中，第{n}号案例的第{i + 1}小题（ ）。",
                                "options": [f"案{n}选项{i}{m}" for m in "甲乙丙丁"],
                                "answer": "AB" if REGISTRY[code].several and code == "multiple" else "A",
                                "explanation": "", "difficulty": "medium", "category": "案例/测试",
                                "law_name": "", "law_article": "", "law_version": None, "tags": [],
                                "case_id": case_id, "case_text": text, "variant_group": variant_group if i == 0 else ""},
                               first_in_case=i == 0))
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerows(rows)
        preview = importer.read_questions(buffer.getvalue().encode("utf-8"), f"{case_id}.csv")
        assert not preview.problems, [p.message for p in preview.problems]
        importer.apply_import(None, bank, preview)
        db.session.commit()
        return db.session.scalars(sa.select(Question).where(Question.bank_id == bank.id, Question.case_id == case_id)
                                  .order_by(Question.id)).all()

    def _question(self, bank, *, qtype="single", stem=None, options=None, answer=None, explanation=None,
                  difficulty="medium", category="宪法/总纲", law_name="《中华人民共和国宪法》", law_article="第二条",
                  law_version="2018-03-11", tags=(), status="active", variant_group=""):
        """Through the bank's own create_question (the rules an imported row meets), then retired if asked."""
        n = next(_counter)
        if qtype == "judge":
            options = options or JUDGE_OPTIONS
            answer = answer or "A"
        else:
            options = options or [f"选项{n}{mark}" for mark in "甲乙丙丁"]
            answer = answer or ("AB" if qtype == "multiple" else "A")
        record = {"qtype": qtype, "stem": stem or f"第{n}道测试题的题干（ ）。", "answer": answer,
                  "explanation": f"解析内容{n}" if explanation is None else explanation,
                  "difficulty": difficulty, "category": category, "law": law_name or "", "article": law_article or "",
                  "version": str(law_version or ""), "tags": ";".join(tags), "variant_group": variant_group}
        record.update({f"opt_{letter}": text for letter, text in zip(LETTERS, options)})
        question = bank_services.create_question(None, bank, record)
        if status != "active":
            bank_services.set_question_status(None, question, status)
        return question

    # ------------------------------------------------------------ exams

    def exam(self, actor, *, owner, audience, rules=(("single", 3), ("multiple", 1), ("judge", 1)), points=None,
             bank=None, publish=True, **settings):
        """An exam made as an organiser makes it: settings, the paper's points and rules, then published.

        Defaults: a monthly, required exam open from an hour ago for two days (by the app's clock), 60
        minutes, shuffled, full marks the paper's total, pass at 60%. The banks must already hold what
        the ``rules`` draw (from ``bank`` when given, else any bank usable by ``owner``).
        """
        points = points or {"single": 20, "multiple": 20, "judge": 20}
        now = utcnow()
        full = sum(count * points[qtype] for qtype, count in rules)
        values = {
            "title": f"测试考试{next(_counter)}", "kind": "monthly", "period": to_local(now).strftime("%Y-%m"),
            "description": "", "unit_id": owner.id, "audience_ids": [u.id for u in audience],
            "open_at": now - timedelta(hours=1), "close_at": now + timedelta(days=2), "time_limit": 60,
            "required": True, "categories": [], "audience_shufa_only": False, "full_marks": full,
            "pass_mark": round(full * 0.6, 2),
            "bands": [["优秀", round(full * 0.9, 2)], ["良好", round(full * 0.8, 2)], ["合格", round(full * 0.6, 2)]],
            "multi_scoring": "all", "attempts_allowed": 1, "counting": "best", "unseen_first": True,
            "makeup_enabled": False, "makeup_open_at": None, "makeup_close_at": None, "makeup_attempts": 1,
            "shuffle_questions": True, "shuffle_options": True, "review_policy": "after_close",
        }
        values.update(settings)
        exam = exam_setup.create_exam(actor, values)
        variant = exam.variants[0]
        exam_papers.save_variant(actor, exam, variant, name=variant.name, mode="blueprint", categories=[],
                                   ranks=[], points=points)
        for qtype, count in rules:
            exam_papers.add_rule(actor, exam, variant, qtype=qtype, count=count, bank_id=bank.id if bank else None)
        if publish:
            exam_setup.publish(actor, exam)
        db.session.commit()
        return exam

    def sit(self, exam, person, *, correct=0, now=None, submit=True):
        """``person`` starts ``exam``, answers the first ``correct`` items (by position) right and the rest
        wrong, and submits ten minutes later (unless ``submit`` is false); returns the attempt."""
        now = now or utcnow()
        attempt, _ = exam_sitting.start_attempt(exam, person, now)
        items = db.session.scalars(sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
                                   .order_by(AttemptItem.position)).all()
        answers = [{"position": item.position, "response": item.key if i < correct else _wrong(item), "seq": 1}
                   for i, item in enumerate(items)]
        exam_sitting.save_answers(person, attempt.id, answers, now)
        if submit:
            exam_sitting.submit_attempt(attempt, now + timedelta(minutes=10))
        db.session.commit()
        return attempt
