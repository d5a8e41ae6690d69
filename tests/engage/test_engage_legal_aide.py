"""法律明白人 track: the learning path, the certificate on completion only, and coverage per village."""
import pytest
import sqlalchemy as sa

from quizapp.common.errors import ServiceError
from quizapp.engage import cases, legal_aide
from quizapp.engage.models import LegalAideCertificate
from quizapp.extensions import db
from quizapp.study import materials as study_materials
from quizapp.study.models import StudyProgress


def complete_reading(user, material_id, when):
    """A reading completed as the study heartbeat records it (time and end reached)."""
    db.session.add(StudyProgress(user_id=user.id, year=when.year, material_id=material_id, seconds=600,
                                 reached_end=True, completed_at=when))
    db.session.commit()


@pytest.fixture
def track(f, tree, clock):
    """A 法律明白人 path for the county: one material for the category, one tagged case, a qualifying exam."""
    admin = tree["admin"]
    values = study_materials.MaterialInput(title="法律明白人基础知识", category="法律法规/社会治理", body="正文",
                                           audience_categories=["legal_aide"])
    material = study_materials.create_material(None, values, max_pdf_bytes=0)
    study_materials.set_published(None, material, True)
    other = study_materials.create_material(None, study_materials.MaterialInput(
        title="领导干部专题", category="宪法", body="正文", audience_categories=["leading"]), max_pdf_bytes=0)
    study_materials.set_published(None, other, True)
    case = cases.create_case(admin, cases.CaseInput(
        title="调解邻里纠纷", facts="案情。", issue="问题？", analysis="分析。",
        basis="- [第十七条](law:中华人民共和国人民调解法@2010-08-28#第十七条)：当事人拒绝调解的，不得调解。",
        tags=["法律明白人", "人民调解"]))
    db.session.commit()
    bank = f.bank()
    f.questions(5, bank=bank)
    exam = f.exam(admin, owner=tree["county"], audience=[tree["county"]], bank=bank, rules=(("single", 5),),
                  categories=["legal_aide"], title="法律明白人考核", review_policy="immediate")
    return {"material": material, "case": case, "exam": exam}


def test_path_lists_materials_case_and_exam_for_legal_aides_only(f, tree, track):
    """Does a 法律明白人's path hold the category's material, the tagged case and the qualifying exam, and no
    material meant for others?"""
    aide = f.user("fl_aide", tree["v1"], category="legal_aide")
    state = legal_aide.progress(aide)
    assert [(s.kind, s.title, s.done) for s in state.steps] == [
        ("material", "法律明白人基础知识", False), ("case", "调解邻里纠纷", False), ("exam", "法律明白人考核", False)]
    cadre = f.user("fl_cadre", tree["v1"])
    assert [s.kind for s in legal_aide.progress(cadre).steps] == ["case"]  # a case is readable by all


def test_certificate_only_after_every_step(f, tree, track, clock):
    """Is the certificate refused (naming what is left) until the material, case and exam are done, then
    issued once with a code?"""
    aide = f.user("fl_aide2", tree["v1"], category="legal_aide", name="卓玛")
    with pytest.raises(ServiceError) as refused:
        legal_aide.issue_certificate(aide)
    assert "3 项未完成" in refused.value.messages[0]
    complete_reading(aide, track["material"].id, clock.now)
    complete_reading(aide, track["case"].material_id, clock.now)
    f.sit(track["exam"], aide, correct=1)  # failed
    with pytest.raises(ServiceError) as refused:
        legal_aide.issue_certificate(aide)
    assert "法律明白人考核" in refused.value.messages[0]
    # The exam allows one attempt: passing another qualifying exam also completes the path.
    exam2 = f.exam(tree["admin"], owner=tree["county"], audience=[tree["county"]], rules=(("single", 5),),
                   categories=["legal_aide"], title="法律明白人补充考核")
    f.sit(exam2, aide, correct=5)
    certificate = legal_aide.issue_certificate(aide)
    db.session.commit()
    assert certificate.name == "卓玛" and certificate.code.startswith("FLMBR-") and certificate.exam_id == exam2.id
    assert legal_aide.issue_certificate(aide).id == certificate.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LegalAideCertificate)) == 1


def test_no_certificate_for_other_categories_or_without_an_exam(f, tree, clock):
    cadre = f.user("fl_cadre2", tree["v1"])
    with pytest.raises(ServiceError, match="法律明白人"):
        legal_aide.issue_certificate(cadre)
    aide = f.user("fl_aide3", tree["v1"], category="legal_aide")
    with pytest.raises(ServiceError, match="尚未安排"):
        legal_aide.issue_certificate(aide)


def test_pages_claim_and_certificate(f, tree, track, client, clock):
    """Does the path page offer the certificate once complete, and does claiming show it?"""
    aide = f.user("fl_aide4", tree["v1"], category="legal_aide", name="次仁")
    client.login("fl_aide4")
    page = client.get("/legal-aides/").get_data(as_text=True)
    assert "已完成 <b data-done>0</b> / 3" in page and "领取法律明白人证书" not in page
    assert client.post("/legal-aides/certificate").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LegalAideCertificate)) == 0
    complete_reading(aide, track["material"].id, clock.now)
    complete_reading(aide, track["case"].material_id, clock.now)
    f.sit(track["exam"], aide, correct=5)
    assert "领取法律明白人证书" in client.get("/legal-aides/").get_data(as_text=True)
    response = client.post("/legal-aides/certificate")
    assert response.headers["Location"].endswith("/legal-aides/certificate")
    page = client.get("/legal-aides/certificate").get_data(as_text=True)
    assert "次仁" in page and "FLMBR-" in page


def test_coverage_per_village_with_who_is_missing(f, tree, app, make_client):
    """Does the coverage page count certified 法律明白人 per village against three, list the uncertified ones,
    and show a township leader only their own villages?"""
    for n in range(3):
        person = f.user(f"fl_v1_{n}", tree["v1"], category="legal_aide", name=f"一村明白人{n}")
        db.session.add(LegalAideCertificate(code=f"T-{n}", user_id=person.id, name=person.name, unit_name="一村"))
    f.user("fl_v2_a", tree["v2"], category="legal_aide", name="二村未完成甲")
    done = f.user("fl_v2_b", tree["v2"], category="legal_aide", name="二村已完成")
    db.session.add(LegalAideCertificate(code="T-9", user_id=done.id, name=done.name, unit_name="二村"))
    f.user("fl_v3_a", tree["v3"], category="legal_aide", name="三村明白人")
    f.user("fl_v1_cadre", tree["v1"], name="一村普通干部")
    db.session.commit()
    f.user("leader_jia", tree["jia"], role="leader")

    rows = {row.unit.name: row for row in legal_aide.coverage(tree["admin"])}
    assert (rows["一村两委"].trained, rows["一村两委"].met, rows["一村两委"].missing) == (3, True, [])
    assert rows["二村两委"].trained == 1 and rows["二村两委"].shortfall == 2
    assert [p.name for p in rows["二村两委"].missing] == ["二村未完成甲"]
    assert rows["三村两委"].trained == 0

    leader = make_client()
    leader.login("leader_jia")
    page = leader.get("/legal-aides/coverage").get_data(as_text=True)
    assert "一村两委" in page and "二村未完成甲" in page and "三村两委" not in page
    assert "已达标 <b>1</b> / 2" in page
    app.config["LEGAL_AIDES_PER_VILLAGE"] = 4
    assert "已达标 <b>0</b> / 2" in leader.get("/legal-aides/coverage").get_data(as_text=True)
    cadre = make_client()
    cadre.login("fl_v1_cadre")
    assert cadre.get("/legal-aides/coverage").status_code == 404
