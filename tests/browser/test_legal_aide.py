"""A 法律明白人 follows the learning path on a phone, opens a case from it, and claims the certificate."""
import pytest

from quizapp.engage import cases
from quizapp.extensions import db
from quizapp.study import materials as study_materials
from quizapp.study.models import StudyProgress

pytestmark = pytest.mark.browser


def test_path_to_certificate(f, tree, clock, page, live_server, sign_in):
    """Does the path show each step's state, lead to its case, and give the certificate once all are done?"""
    aide = f.user("fl_browser", tree["v1"], category="legal_aide", name="央金")
    material = study_materials.create_material(None, study_materials.MaterialInput(
        title="法律明白人应知应会", category="法律法规/社会治理", body="正文", audience_categories=["legal_aide"]),
        max_pdf_bytes=0)
    study_materials.set_published(None, material, True)
    case = cases.create_case(tree["admin"], cases.CaseInput(
        title="邻里宅基地纠纷的调解", facts="两户村民为宅基地边界争执。", issue="如何依法调解？", analysis="先查明事实，再依法调解。",
        basis="- [第十七条](law:中华人民共和国人民调解法@2010-08-28#第十七条)：当事人拒绝调解的，不得调解。",
        tags=["法律明白人"]))
    db.session.commit()
    for material_id in (material.id, case.material_id):
        db.session.add(StudyProgress(user_id=aide.id, year=2026, material_id=material_id, seconds=600,
                                     reached_end=True, completed_at=clock.now))
    db.session.commit()
    bank = f.bank()
    f.questions(5, bank=bank)
    exam = f.exam(tree["admin"], owner=tree["county"], audience=[tree["county"]], bank=bank, rules=(("single", 5),),
                  categories=["legal_aide"], title="法律明白人考核")

    sign_in("fl_browser", "Passw0rd!x")
    page.wait_for_url(f"{live_server}/")
    page.click("#daily-card a:has-text('法律明白人学习路径')")
    page.wait_for_url(f"{live_server}/legal-aides/")
    body = page.inner_text("main")
    assert "已完成 2 / 3 项" in body and "领取法律明白人证书" not in body
    page.click("a:has-text('邻里宅基地纠纷的调解')")
    assert "法律依据" in page.inner_text("main")
    assert page.locator("a.law-link").first.get_attribute("href").startswith("/laws/lookup?")

    f.sit(exam, aide, correct=5)
    page.goto(f"{live_server}/legal-aides/")
    assert "已完成 3 / 3 项" in page.inner_text("main")
    page.click("button:has-text('领取法律明白人证书')")
    page.wait_for_url(f"{live_server}/legal-aides/certificate")
    body = page.inner_text("main")
    assert "法律明白人证书" in body and "央金" in body and "FLMBR-" in body
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
