"""The 法律明白人 track: a learning path for people of that 人员类别, its certificate, and village coverage.

The path is what organisers already make, marked for the track: published materials whose audience is the
法律明白人 category, cases tagged 法律明白人, and a qualifying exam whose audience is that category. Passing
the exam after completing every material and case earns the certificate. Leaders see per village how many
certified 法律明白人 there are against the target (LEGAL_AIDES_PER_VILLAGE, three by default) and who of
the village's 法律明白人 has not finished. Services flush, never commit.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from ..accounts.models import Unit, User
from ..accounts.scope import scope_path
from ..accounts.services import unit_full_name
from ..common.clock import utcnow
from ..common.errors import ServiceError
from ..exams.access import exams_for_user_stmt
from ..exams.models import Exam, ExamResult
from ..extensions import db
from ..study.materials import visible_materials
from ..study.models import Material, MaterialCategory, StudyProgress
from .cases import CASE_CATEGORY, visible_cases
from .models import Case, LegalAideCertificate

CATEGORY = "legal_aide"
TRACK_TAG = "法律明白人"
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass
class Step:
    kind: str  # material, case, exam
    title: str
    done: bool
    target_id: int


@dataclass
class Progress:
    steps: list[Step] = field(default_factory=list)
    exam: Exam | None = None
    certificate: LegalAideCertificate | None = None

    @property
    def done_count(self):
        return sum(step.done for step in self.steps)

    @property
    def complete(self):
        return self.exam is not None and all(step.done for step in self.steps)


def in_track(user: User) -> bool:
    return user.category == CATEGORY


def path_materials(user: User) -> list[Material]:
    """Published materials meant for 法律明白人 that the person may read (cases are listed as cases)."""
    return list(db.session.scalars(
        visible_materials(user).where(Material.category != CASE_CATEGORY,
                                      sa.exists().where(MaterialCategory.material_id == Material.id,
                                                        MaterialCategory.category == CATEGORY))
        .order_by(Material.title, Material.id)))


def path_cases(user: User) -> list[Case]:
    """Cases tagged 法律明白人 that the person may read."""
    return [case for case in db.session.scalars(visible_cases(user).order_by(Case.title, Case.id))
            if TRACK_TAG in (case.tags or [])]


def qualifying_exams(user: User) -> sa.Select:
    """Published exams of the person whose audience is the 法律明白人 category."""
    return exams_for_user_stmt(user).where(Exam.audience_categories.contains(f",{CATEGORY},"))


def progress(user: User) -> Progress:
    """Each step of the path with whether it is done (a material's or case's reading completed in any year;
    the exam passed), the exam to sit, and the certificate if issued."""
    materials = path_materials(user)
    cases = path_cases(user)
    wanted = {m.id for m in materials} | {c.material_id for c in cases if c.material_id}
    completed = set(db.session.scalars(
        sa.select(StudyProgress.material_id).where(StudyProgress.user_id == user.id,
                                                   StudyProgress.material_id.in_(wanted),
                                                   StudyProgress.completed_at.is_not(None)))) if wanted else set()
    steps = [Step("material", m.title, m.id in completed, m.id) for m in materials]
    steps += [Step("case", c.title, c.material_id in completed, c.id) for c in cases]
    exams = db.session.scalars(qualifying_exams(user).order_by(Exam.open_at.desc(), Exam.id.desc())).all()
    passed = set(db.session.scalars(sa.select(ExamResult.exam_id).where(
        ExamResult.user_id == user.id, ExamResult.passed.is_(True), ExamResult.exam_id.in_([e.id for e in exams]))))
    exam = next((e for e in exams if e.id in passed), exams[0] if exams else None)
    if exam is not None:
        steps.append(Step("exam", exam.title, exam.id in passed, exam.id))
    certificate = db.session.scalar(sa.select(LegalAideCertificate).where(LegalAideCertificate.user_id == user.id))
    return Progress(steps, exam, certificate)


def issue_certificate(user: User) -> LegalAideCertificate:
    """The person's certificate, issued once on completing the path; refused (with the reason) before."""
    if not in_track(user):
        raise ServiceError("只有人员类别为“法律明白人”的人员可以领取法律明白人证书。")
    state = progress(user)
    if state.certificate is not None:
        return state.certificate
    if state.exam is None:
        raise ServiceError("尚未安排法律明白人考核，暂不能领取证书。")
    if not state.complete:
        left = [step.title for step in state.steps if not step.done]
        raise ServiceError(f"还有 {len(left)} 项未完成：{'、'.join(left[:5])}。")
    certificate = LegalAideCertificate(code=_new_code(), user_id=user.id, name=user.name,
                                       unit_name=unit_full_name(user.unit), exam_id=state.exam.id,
                                       issued_at=utcnow())
    db.session.add(certificate)
    db.session.flush()
    return certificate


def _new_code() -> str:
    while True:
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        code = f"FLMBR-{raw[:4]}-{raw[4:]}"
        if db.session.scalar(sa.select(LegalAideCertificate.id).where(LegalAideCertificate.code == code)) is None:
            return code


# ---------------------------------------------------------------- coverage per village

@dataclass
class VillageRow:
    unit: Unit
    trained: int = 0
    members: int = 0
    missing: list[User] = field(default_factory=list)  # the village's 法律明白人 without a certificate
    required: int = 3

    @property
    def shortfall(self):
        return max(0, self.required - self.trained)

    @property
    def met(self):
        return self.trained >= self.required


def coverage(viewer: User) -> list[VillageRow]:
    """Per administrative village in the viewer's scope: certified 法律明白人 against the target, and the
    village's 法律明白人 still without a certificate (two queries, whatever the number of villages)."""
    required = int(current_app.config.get("LEGAL_AIDES_PER_VILLAGE", 3))
    path = scope_path(viewer)
    villages = sa.select(Unit).where(Unit.kind == "village")
    if path is not None:
        villages = villages.where(Unit.path.startswith(path))
    rows = {unit.id: VillageRow(unit, required=required)
            for unit in db.session.scalars(villages.order_by(Unit.path))}
    if not rows:
        return []
    people = db.session.execute(
        sa.select(User, LegalAideCertificate.id)
        .outerjoin(LegalAideCertificate, LegalAideCertificate.user_id == User.id)
        .where(User.unit_id.in_(list(rows)), User.category == CATEGORY, User.active.is_(True))
        .order_by(User.name, User.id)).all()
    for person, certificate_id in people:
        row = rows[person.unit_id]
        row.members += 1
        if certificate_id is None:
            row.missing.append(person)
        else:
            row.trained += 1
    return list(rows.values())
