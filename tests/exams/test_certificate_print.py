"""Certificates carry the issuing unit, an optional seal and a QR code to the public verify page, as A4 and PDF."""
import base64
import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from quizapp.audit.models import AuditEntry
from quizapp.exams import certificates, sitting
from quizapp.extensions import db

from test_exam_results import _answer


def _png(size=(300, 300)):
    out = io.BytesIO()
    Image.new("RGBA", size, (200, 0, 0, 180)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def issued(client, make_exam, f, tree, clock):
    exam = make_exam(title="2026年11月学法考试", required=True)
    cadre = f.user("gb1", tree["v1"], name="王建国")
    attempt, _ = sitting.start_attempt(exam, cadre)
    db.session.commit()
    _answer(cadre, attempt, {i.position: i.key for i in attempt.items})
    client.login("gb1")
    client.post("/exams/certificates/2026", {})
    return cadre


def test_certificate_names_issuer_and_links_the_public_address(app, client, issued, tree):
    """Is the issuer the top unit by default, and does the QR code point at PUBLIC_BASE_URL, not the request host?"""
    app.config["PUBLIC_BASE_URL"] = "https://xuefa.example.gov.cn"
    page = client.get("/exams/certificates/2026").get_data(as_text=True)
    assert 'id="cert-issuer">示范县<' in page
    url = re.search(r'id="verify-url">([^<]+)<', page).group(1)
    assert url.startswith("https://xuefa.example.gov.cn/verify/")
    assert 'class="cert-qr" src="data:image/svg+xml' in page and "印章" not in page.split("cert-issuer")[1][:200]


def test_admin_sets_issuer_and_seal_then_pdf_carries_them(client, make_client, issued, tree):
    """Can the admin set the issuing unit and upload a seal (audited), shown on the page and in the A4 PDF?"""
    admin = make_client()
    admin.login("admin01")
    response = admin.post("/manage/exams/certificate-settings",
                          {"issuer_name": "示范县全面依法治县委员会办公室", "seal": (io.BytesIO(_png()), "seal.png")},
                          content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get("/exams/certificates/2026").get_data(as_text=True)
    assert 'id="cert-issuer">示范县全面依法治县委员会办公室<' in page and 'class="cert-seal"' in page
    seal = client.get("/exams/certificates/seal.png")
    assert seal.status_code == 200 and seal.data.startswith(b"\x89PNG")
    pdf = client.get("/exams/certificates/2026.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert b"/Subtype /Image" in pdf.data  # the seal
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "certificate.settings")) == 1


@pytest.mark.parametrize("upload, message", [
    (b"not an image", "无法识别该图片"),
    (b"GIF89a" + base64.b64decode("AQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="), "PNG 或 JPG"),
])
def test_bad_seal_is_refused(client, tree, upload, message):
    """Is a file that is not a PNG or JPEG image refused with a reason, and nothing stored?"""
    client.login("admin01")
    page = client.post("/manage/exams/certificate-settings", {"issuer_name": "x", "seal": (io.BytesIO(upload), "a.png")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert message in page
    assert certificates.seal_png() is None


def test_only_admins_change_certificate_settings(client, f, tree):
    """Is an organiser refused the certificate settings page?"""
    f.user("org1", tree["jia"], role="organiser")
    client.login("org1")
    assert client.get("/manage/exams/certificate-settings").status_code in (403, 404)


def test_no_pdf_without_a_certificate(client, f, tree):
    """Is the PDF refused to someone who has no certificate for that year?"""
    f.user("gb2", tree["v1"])
    client.login("gb2")
    assert client.get("/exams/certificates/2026.pdf").status_code == 404
