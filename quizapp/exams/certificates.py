"""Yearly 合格证书: who qualifies (every required exam of the year passed), issuing once with a code, and the
public check of a code.

Services flush and never commit.
"""
from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..accounts.services import unit_full_name
from ..common.clock import utcnow
from ..common.errors import ServiceError
from ..extensions import db
from .access import exams_for_user_stmt
from ..audit.services import record
from .models import Certificate, CertificateSetting, Exam, ExamResult
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


# ---------------------------------------------------------------- issuing unit, seal, PDF

SEAL_MAX_BYTES = 2 * 1024 * 1024
SEAL_MAX_SIDE = 600


def certificate_setting() -> CertificateSetting | None:
    return db.session.scalar(sa.select(CertificateSetting).limit(1))


def issuer_name(certificate=None) -> str:
    """The issuing unit printed on certificates: the admin's setting, else the top unit of the holder's tree."""
    setting = certificate_setting()
    if setting is not None and setting.issuer_name:
        return setting.issuer_name
    if certificate is not None and certificate.user is not None:
        unit = certificate.user.unit
        while unit.parent is not None:
            unit = unit.parent
        return unit.name
    return ""


def seal_png() -> bytes | None:
    setting = certificate_setting()
    return setting.seal_png if setting is not None else None


def _seal_from_upload(data: bytes) -> bytes:
    """A checked, re-encoded PNG (at most SEAL_MAX_SIDE pixels a side, transparency kept) from an upload."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > SEAL_MAX_BYTES:
        raise ServiceError([("seal", "印章图片不能超过 2 MB。")])
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG"):
                raise ServiceError([("seal", "印章图片须为 PNG 或 JPG 格式（建议透明背景的 PNG）。")])
            image.load()
            image = image.convert("RGBA")
            image.thumbnail((SEAL_MAX_SIDE, SEAL_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError) as error:
        raise ServiceError([("seal", "无法识别该图片，请上传 PNG 或 JPG 格式的印章图片。")]) from error


def update_certificate_setting(actor, *, issuer: str, seal: bytes | None = None, remove_seal: bool = False):
    """Change the issuing unit's name and seal (administrators only); recorded in the audit log."""
    if actor is None or actor.role != "admin":
        raise ServiceError("只有系统管理员可以修改证书设置。")
    issuer = (issuer or "").strip()
    if len(issuer) > 100:
        raise ServiceError([("issuer_name", "发证单位名称不超过 100 个字符。")])
    setting = certificate_setting()
    if setting is None:
        setting = CertificateSetting()
        db.session.add(setting)
    changes = {}
    if setting.issuer_name != issuer:
        changes["发证单位"] = [setting.issuer_name or "", issuer]
        setting.issuer_name = issuer
    if seal:
        setting.seal_png = _seal_from_upload(seal)
        changes["印章"] = ["", "已上传新印章"]
    elif remove_seal and setting.seal_png:
        setting.seal_png = None
        changes["印章"] = ["有", "已删除"]
    setting.updated_by_id = actor.id
    if changes:
        record(actor, "certificate.settings", "certificate_settings", None, "证书设置", changes=changes)
    db.session.flush()
    return setting


def certificate_pdf(certificate, verify_url: str) -> bytes:
    """The certificate on one A4 page: text, issuing unit, the seal over the date, and a QR code to verify."""
    from reportlab.lib.utils import ImageReader

    from ..common import pdf as pdfkit
    from ..common.clock import format_date_cn
    from ..common.pdf import CJK, MONO, PAGE_HEIGHT, PAGE_WIDTH, mm

    buffer, pdf = pdfkit.new_document(f"{certificate.year}年度学法考试合格证书")
    pdf.setStrokeColorRGB(0.72, 0.53, 0.04)
    pdf.setLineWidth(3)
    pdf.rect(15 * mm, 15 * mm, PAGE_WIDTH - 30 * mm, PAGE_HEIGHT - 30 * mm)
    pdf.setLineWidth(1)
    pdf.rect(18 * mm, 18 * mm, PAGE_WIDTH - 36 * mm, PAGE_HEIGHT - 36 * mm)
    pdf.setFillColorRGB(0.72, 0.11, 0.11)
    pdf.setFont(CJK, 34)
    pdf.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 55 * mm, "合 格 证 书")
    pdf.setFillColorRGB(0, 0, 0)
    left, width = 32 * mm, PAGE_WIDTH - 64 * mm
    body = (f"　　{certificate.name}同志（{certificate.unit_name}）参加{certificate.year}年度干部学法用法考试，"
            "以下必考考试成绩合格，特发此证。")
    y = PAGE_HEIGHT - 80 * mm
    pdf.setFont(CJK, 15)
    for line in pdfkit.wrap(body, width, CJK, 15):
        pdf.drawString(left, y, line)
        y -= 10 * mm
    pdf.setFont(CJK, 12)
    for title in certificate.exam_titles:
        for line in pdfkit.wrap(f"· {title}", width - 8 * mm, CJK, 12):
            pdf.drawString(left + 8 * mm, y, line)
            y -= 7 * mm
    issuer = issuer_name(certificate)
    right = PAGE_WIDTH - 35 * mm
    base = 75 * mm
    seal = seal_png()
    if seal:
        size = 42 * mm
        pdf.drawImage(ImageReader(io.BytesIO(seal)), right - 45 * mm, base - 12 * mm, size, size, mask="auto",
                      preserveAspectRatio=True)
    pdf.setFont(CJK, 14)
    if issuer:
        pdf.drawRightString(right, base + 12 * mm, issuer)
    pdf.drawRightString(right, base, format_date_cn(certificate.issued_at))
    pdfkit.draw_qr(pdf, verify_url, 30 * mm, 28 * mm, 32 * mm)
    pdf.setFont(CJK, 10)
    pdf.drawString(66 * mm, 48 * mm, "证书编号（验证码）：")
    pdf.setFont(MONO, 13)
    pdf.drawString(66 * mm, 41 * mm, certificate.code)
    pdf.setFont(CJK, 9)
    pdf.drawString(66 * mm, 34 * mm, "扫描二维码或访问下列网址核验：")
    pdf.setFont(MONO, 8)
    pdf.drawString(66 * mm, 29 * mm, verify_url[:90])
    return pdfkit.finish(buffer, pdf)
