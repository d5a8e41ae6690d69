"""Report test builders: a movable clock, exams sat to exact scores through the exam services, study records.

Scores are exact because every test exam is a fixed paper of ten 判断题 of equal points: answering k of
them correctly scores k tenths of the full marks. Used by tests/reports and tests/browser/test_reports.py.
"""
import hashlib
import itertools
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from quizapp.bank.models import Bank, Question
from quizapp.bank.qtypes import JUDGE_OPTIONS
from quizapp.exams import papers as exam_papers, setup as exam_setup, sitting as exam_sitting
from quizapp.exams.models import AttemptItem
from quizapp.extensions import db
from quizapp.study import materials
from quizapp.study import offline as offline_services
from quizapp.study import services as study_services
from quizapp.study.models import StudyProgress

UTC = timezone.utc
_serial = itertools.count(1)


def at(year, month, day, hour=10):
    """A moment in Asia/Shanghai local time, as aware UTC."""
    return datetime(year, month, day, hour, tzinfo=UTC) - timedelta(hours=8)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def set(self, moment):
        self.now = moment
        return moment


class World:
    """Builds exams, sittings, study time, materials and offline sessions for report tests."""

    def __init__(self, tree, clock, f):
        self.tree, self.clock, self.f = tree, clock, f
        self.admin = tree["admin"]
        self._bank = None

    # ------------------------------------------------------------ people

    def person(self, login, unit, *, joined=None, **values):
        """A person who joined at ``joined`` (default: 2025-12-01, before every test exam)."""
        self.clock.set(joined or at(2025, 12, 1))
        return self.f.user(login, unit, **values)

    def deactivate(self, user, when):
        user.active = False
        user.deactivated_at = when
        db.session.commit()

    # ------------------------------------------------------------ exams

    def bank(self):
        if self._bank is None:
            self._bank = Bank(name="报表测试题库")
            db.session.add(self._bank)
            db.session.flush()
            for n in range(10):
                stem = f"报表测试判断题{n}"
                db.session.add(Question(bank_id=self._bank.id, qtype="judge", stem=stem, options=list(JUDGE_OPTIONS),
                                        answer="A", explanation="解析", difficulty="medium", category="宪法",
                                        law_name="《中华人民共和国宪法》", law_article="第一条", tags=[],
                                        fingerprint=hashlib.sha256(stem.encode()).hexdigest()))
            db.session.commit()
        return self._bank

    def exam(self, period="2026-03", *, opens=None, closes=None, audience=None, owner=None, counting="best",
             attempts=1, makeup=None, categories=(), shufa_only=False, required=True, bands=None, title=None,
             points=10):
        """A published exam of ten 判断题 × ``points`` (pass 60%; 优秀 90%) with a window in ``period``'s month."""
        bank = self.bank()
        year, month = int(period[:4]), int(period[5:7]) if len(period) == 7 else 6
        opens = opens or at(year, month, 5)
        closes = closes or at(year, month, 20)
        self.clock.set(opens - timedelta(days=1))
        values = {
            "title": title or f"{period} 学法测试 {next(_serial)}", "kind": "monthly" if len(period) == 7 else "annual",
            "period": period, "description": "", "unit_id": (owner or self.tree["county"]).id,
            "audience_ids": [u.id for u in (audience or [self.tree["county"]])],
            "open_at": opens, "close_at": closes, "time_limit": 60, "required": required,
            "categories": list(categories), "audience_shufa_only": shufa_only, "full_marks": 10 * points,
            "pass_mark": 6 * points,
            "bands": bands or [["优秀", 9 * points], ["良好", 8 * points], ["合格", 6 * points]], "multi_scoring": "all",
            "attempts_allowed": attempts, "counting": counting, "unseen_first": False,
            "makeup_enabled": makeup is not None, "makeup_open_at": makeup[0] if makeup else None,
            "makeup_close_at": makeup[1] if makeup else None, "makeup_attempts": 1, "shuffle_questions": False,
            "shuffle_options": False, "review_policy": "after_close",
        }
        exam = exam_setup.create_exam(self.admin, values)
        variant = exam.variants[0]
        variant.points = {"single": points, "multiple": points, "judge": points}
        exam_papers.add_rule(self.admin, exam, variant, qtype="judge", count=10, bank_id=bank.id)
        exam_setup.publish(self.admin, exam)
        db.session.commit()
        return exam

    def sit(self, exam, user, score, when=None, *, submit=True):
        """``user`` sits ``exam`` at ``when`` and scores ``score`` points (a multiple of the points per question)."""
        now = when or exam.open_at + timedelta(hours=1)
        self.clock.set(now)
        attempt, _ = exam_sitting.start_attempt(exam, user, now)
        items = db.session.execute(sa.select(AttemptItem.position, AttemptItem.key)
                                   .where(AttemptItem.attempt_id == attempt.id)
                                   .order_by(AttemptItem.position)).all()
        right = round(score / (exam.full_marks / 10))
        answers = [{"position": position, "response": key if i < right else ("B" if key == "A" else "A"), "seq": 1}
                   for i, (position, key) in enumerate(items)]
        exam_sitting.save_answers(user, attempt.id, answers, now)
        if submit:
            exam_sitting.submit_attempt(attempt, now + timedelta(minutes=10))
        db.session.commit()
        return attempt

    # ------------------------------------------------------------ figures

    def figures(self, unit, period):
        """The roll-up's figures of ``unit``'s subtree for a period key such as "2026-03" (rebuilt first)."""
        from quizapp.reports import rollup
        from quizapp.reports.periods import Period

        period = Period.parse(period)
        rollup.refresh(period.year)
        return rollup.total(unit, period)

    # ------------------------------------------------------------ study

    def credit(self, user, minutes, when, category="宪法", source="material"):
        study_services.add_credit(user, source, category, minutes * 60, when)
        db.session.commit()

    def material(self, title="必学资料", *, year=2026, due=date(2026, 3, 31), unit=None, minutes=30,
                 category="习近平法治思想", audience_units=(), audience_categories=()):
        """A published material, required in ``year`` (of everyone, or of ``unit``'s subtree), via the study services."""
        self.clock.set(at(year, 1, 2))
        values = materials.MaterialInput(title=title, category=category, body="正文", minutes=minutes,
                                         audience_unit_ids=[u.id for u in audience_units],
                                         audience_categories=list(audience_categories))
        material = materials.create_material(self.admin, values, max_pdf_bytes=1024)
        materials.set_published(self.admin, material, True)
        materials.add_requirement(self.admin, material, year, unit, due)
        db.session.commit()
        return material

    def complete(self, user, material, *, year=2026, seconds=1800, when=None):
        when = when or at(year, 3, 10)
        db.session.add(StudyProgress(user_id=user.id, year=year, material_id=material.id, seconds=seconds,
                                     reached_end=True, completed_at=when, first_at=when, last_at=when))
        db.session.commit()

    def offline(self, unit, attendees, *, kind="法治讲堂", topic="宪法宣讲", held_on=date(2026, 3, 12), minutes=90,
                public=0, category="宪法"):
        self.clock.set(at(held_on.year, held_on.month, held_on.day, 18))
        session = offline_services.create_session(self.admin, {
            "kind": kind, "topic": topic, "category": category, "held_on": held_on, "minutes": minutes,
            "unit_id": unit.id, "speaker": "", "location": "", "public_count": public, "notes": ""})
        offline_services.add_attendees(self.admin, session, [u.id for u in attendees])
        db.session.commit()
        return session
