"""Report test scenarios on top of tests/factories.py: exams sat to exact scores, study time, materials, sessions.

Scores are exact because every test exam is a fixed paper of ten 判断题 of equal points: answering k of
them correctly scores k tenths of the full marks. Used by tests/reports and tests/browser/test_reports.py.
"""
import itertools
from datetime import date, datetime, timedelta, timezone

from quizapp.accounts import services as account_services
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
        """The admin deactivates ``user`` at ``when`` (the accounts service stamps the clock's time)."""
        self.clock.set(when)
        account_services.set_active(self.admin, user, False)
        db.session.commit()

    # ------------------------------------------------------------ exams

    def bank(self):
        """The bank every report exam draws from: ten 判断题 whose key is 正确."""
        if self._bank is None:
            self._bank = self.f.bank("报表测试题库")
            self.f.questions(10, bank=self._bank, qtype="judge", category="宪法")
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
        return self.f.exam(
            self.admin, owner=owner or self.tree["county"], audience=audience or [self.tree["county"]],
            rules=[("judge", 10)], points={"judge": points}, bank=bank,
            title=title or f"{period} 学法测试 {next(_serial)}", kind="monthly" if len(period) == 7 else "annual", period=period,
            open_at=opens, close_at=closes, required=required, categories=list(categories),
            audience_shufa_only=shufa_only, pass_mark=6 * points,
            bands=bands or [["优秀", 9 * points], ["良好", 8 * points], ["合格", 6 * points]], attempts_allowed=attempts,
            counting=counting, unseen_first=False, makeup_enabled=makeup is not None,
            makeup_open_at=makeup[0] if makeup else None, makeup_close_at=makeup[1] if makeup else None,
            shuffle_questions=False, shuffle_options=False)

    def sit(self, exam, user, score, when=None, *, submit=True):
        """``user`` sits ``exam`` at ``when`` and scores ``score`` points (a multiple of the points per question)."""
        now = self.clock.set(when or exam.open_at + timedelta(hours=1))
        return self.f.sit(exam, user, correct=round(score / (exam.full_marks / 10)), now=now, submit=submit)

    # ------------------------------------------------------------ figures

    def figures(self, unit, period):
        """The roll-up's figures of ``unit``'s subtree for a period key such as "2026-03" (as writes left them)."""
        from quizapp.reports import rollup
        from quizapp.reports.periods import Period

        period = Period.parse(period)
        db.session.expire_all()
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
        """A finished reading of ``material``, written directly: the service reaches it only through a page's
        heartbeats, which would also credit study time and so change the very figures these tests compare."""
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
        offline_services.confirm_session(self.admin, session)
        db.session.commit()
        return session


def shufa_batch(client, query=""):
    """POST the 述法 batch export, follow it to its job's page (jobs run at once in tests) and fetch the file."""
    response = client.post(f"/reports/shufa/export?{query}", {})
    assert response.status_code == 302, response.get_data(as_text=True)
    job_page = response.headers["Location"]
    page = client.get(job_page).get_data(as_text=True)
    assert 'data-status="done"' in page and 'id="job-file"' in page, page
    response = client.get(job_page + "/file")
    response.get_data()  # buffered, so the file can be closed here
    response.close()
    return response
