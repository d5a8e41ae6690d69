"""Yearly 合格证书: who qualifies (every required exam of the year passed), issuing once with a code, and the
public check of a code.

Services flush and never commit.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..accounts.services import unit_full_name
from ..common.clock import utcnow
from ..common.errors import ServiceError
from ..extensions import db
from .access import exams_for_user_stmt
from .models import Certificate, Exam, ExamResult
from .sitting import close_overdue

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def required_exams_stmt(user, year):
    return (exams_for_user_stmt(user).where(Exam.required.is_(True), Exam.period.startswith(str(year)))
            .order_by(Exam.open_at))


@dataclass
class CertificateStatus:
    year: int
    exams: list = field(default_factory=list)  # [(exam, result or None)]

    @property
    def eligible(self):
        return bool(self.exams) and all(r is not None and r.passed for _, r in self.exams)

    @property
    def missing(self):
        return [e for e, r in self.exams if r is None or not r.passed]

    @property
    def exam_ids(self):
        return [e.id for e, _ in self.exams]

    def needs_issue(self, certificate) -> bool:
        """A qualifying person has no certificate yet, or one that lacks an exam passed since."""
        return self.eligible and (certificate is None or certificate.exam_ids != self.exam_ids)


def certificate_status(user, year) -> CertificateStatus:
    exams = db.session.scalars(required_exams_stmt(user, year)).all()
    results = {r.exam_id: r for r in db.session.scalars(
        sa.select(ExamResult).where(ExamResult.user_id == user.id, ExamResult.exam_id.in_([e.id for e in exams])))}
    return CertificateStatus(year=year, exams=[(e, results.get(e.id)) for e in exams])


def find_certificate(user, year) -> Certificate | None:
    """The certificate already issued to this person for ``year`` (a read: pages never issue one)."""
    return db.session.scalar(sa.select(Certificate).where(Certificate.user_id == user.id, Certificate.year == year))


def issue_certificate(user, year, now=None):
    """The person's certificate for ``year``, issued once when they first ask and qualify (a later ask adds the
    required exams passed since).

    A write, so it first collects this person's attempts whose time ran out: their results count.
    """
    close_overdue(now or utcnow(), user_id=user.id)
    existing = find_certificate(user, year)
    status = certificate_status(user, year)
    if not status.eligible:
        if existing is not None:
            return existing
        raise ServiceError("尚未通过本年度全部必考考试，暂不能生成合格证书。")
    ids = status.exam_ids
    titles = [e.title for e, _ in status.exams]
    if existing is not None:
        if existing.exam_ids != ids:
            existing.exam_ids, existing.exam_titles = ids, titles
            db.session.flush()
        return existing
    certificate = Certificate(user_id=user.id, year=year, name=user.name, unit_name=unit_full_name(user.unit),
                              exam_ids=ids, exam_titles=titles, code=_new_code(), issued_at=utcnow())
    db.session.add(certificate)
    db.session.flush()
    return certificate


def _new_code():
    while True:
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
        code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        if db.session.scalar(sa.select(Certificate.id).where(Certificate.code == code)) is None:
            return code


def normalise_code(text):
    raw = re.sub(r"[^A-Z0-9]", "", (text or "").upper())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}" if len(raw) == 12 else ""


def verify_certificate(code):
    """(certificate, still valid) for a code, or (None, False). Valid while every listed exam is still passed."""
    code = normalise_code(code)
    if not code:
        return None, False
    certificate = db.session.scalar(sa.select(Certificate).where(Certificate.code == code))
    if certificate is None:
        return None, False
    passed = db.session.scalar(sa.select(sa.func.count()).select_from(ExamResult).where(
        ExamResult.user_id == certificate.user_id, ExamResult.exam_id.in_(certificate.exam_ids or [-1]),
        ExamResult.passed.is_(True)))
    return certificate, passed == len(certificate.exam_ids or [])
