"""以案释法: case files, loading, the library pages, law links, practising a case, required reading, own cases."""
import re
from datetime import date

import pytest
import sqlalchemy as sa

from quizapp.engage import cases
from quizapp.engage.models import Case
from quizapp.extensions import db
from quizapp.practice.models import PracticeSession
from quizapp.study import materials as study_materials
from quizapp.study.models import Material

CASE = """---
title: 牧民草场边界纠纷的调解
category: 典型案例
laws: 《中华人民共和国草原法》（2021年4月29日修正）; 《中华人民共和国人民调解法》（2010年8月28日）
questions: caoyuan.csv#CY-02
tags: 草场;人民调解
---
## 案情
甲村牧民扎西与乙村牧民多吉因冬季草场边界发生争执，双方各执一词。

## 问题
乡镇应当如何处理这起草原权属争议？

## 分析
草原所有权、使用权的争议，由当事人协商解决；协商不成的，由有关人民政府处理，见[第十六条](law:中华人民共和国草原法@2021-04-29#第十六条)。

## 法律依据
- [《中华人民共和国草原法》第十六条](law:中华人民共和国草原法@2021-04-29#第十六条)：草原权属争议先协商，协商不成由政府处理。
"""


def write_case(folder, name="caoyuan-bianjie.md", text=CASE):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def case_questions(f):
    """Two 案例分析 questions of group CY-02 in the shipped 草原 bank (tagged with the code), and one other."""
    from quizapp.bank.services import SHIPPED_BANK_NAMES

    bank = f.bank(SHIPPED_BANK_NAMES.get("caoyuan", "caoyuan"))
    group = f.questions(2, bank=bank, tags=("CY-02",), law_name="《中华人民共和国草原法》", law_article="第十六条")
    f.question(bank, tags=("CY-03",))
    return group


# ---------------------------------------------------------------- the file format

def test_a_case_file_is_read_into_its_four_parts():
    """Are the header and the 案情/问题/分析/法律依据 sections read as written?"""
    case = cases.parse_case_file(CASE)
    assert case.title == "牧民草场边界纠纷的调解"
    assert case.tags == ["草场", "人民调解"] and case.question_refs == "caoyuan.csv#CY-02"
    assert case.facts.startswith("甲村牧民") and case.issue.startswith("乡镇应当")
    assert "law:中华人民共和国草原法@2021-04-29#第十六条" in case.basis
    assert cases.minutes_for(case) >= 1


@pytest.mark.parametrize("text,message", [
    ("title: x\n", "信息头"),
    (CASE.replace("title: 牧民草场边界纠纷的调解\n", ""), "title"),
    (CASE.replace("## 问题", "## 思考"), "未知的小标题"),
    (CASE.replace("## 分析\n", "## 案情\n"), "重复"),
    (CASE.split("## 法律依据")[0], "法律依据"),
    (CASE.replace("](law:中华人民共和国草原法@2021-04-29#第十六条)：", "："), "法条"),
    (CASE.replace("category: 典型案例", "category: 宪法"), "category"),
])
def test_a_bad_case_file_is_refused_with_the_reason(text, message):
    """Does each kind of broken file give a Chinese reason naming what is wrong?"""
    with pytest.raises(cases.CaseFileError) as error:
        cases.parse_case_file(text)
    assert message in str(error.value)


# ---------------------------------------------------------------- loading

def test_loading_makes_a_case_with_its_material_and_questions_once(f, tmp_path, case_questions, runner):
    """Does `flask cases load` make the case, its published 典型案例 material and its questions, and is a
    second run a no-op?"""
    folder = write_case(tmp_path / "cases")
    (folder / "broken.md").write_text("no header", encoding="utf-8")
    result = runner.invoke(args=["cases", "load", str(folder)])
    assert result.exit_code == 1 and "新增 1 个" in result.output and "broken.md" in result.output
    row = db.session.scalar(sa.select(Case))
    assert row.source_file == "cases/caoyuan-bianjie.md" and row.unit_id is None
    assert row.question_ids == [q.id for q in case_questions]
    material = db.session.get(Material, row.material_id)
    assert material.category == "典型案例" and material.published and "## 分析" in material.body
    (folder / "broken.md").unlink()
    again = runner.invoke(args=["cases", "load", str(folder)])
    assert again.exit_code == 0 and "未变 1 个" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1


def test_questions_are_found_in_the_bank_their_file_was_imported_into(f):
    """Is a group found through the import record of its file when the bank's name is not the file's?"""
    from quizapp.bank.models import ImportRecord

    bank = f.bank("治安管理处罚法")
    wanted = f.questions(2, bank=bank, tags=("ZA-01",))
    f.question(f.bank("别的题库"), tags=("ZA-01",))
    db.session.add(ImportRecord(bank_id=bank.id, filename="zhian_guanli_chufa.csv", sha256="0" * 64))
    db.session.commit()
    assert cases.resolve_questions("zhian_guanli_chufa.csv#ZA-01") == [q.id for q in wanted]
    assert cases.resolve_questions("zhian_guanli_chufa.csv#ZA-02; nonsense") == []


def test_a_changed_file_updates_the_case_in_place(f, tmp_path):
    """Does a new edition of a file update its case and material, keeping their ids?"""
    folder = write_case(tmp_path / "cases")
    cases.load_case_files(folder)
    db.session.commit()
    first = db.session.scalar(sa.select(Case))
    ids = (first.id, first.material_id)
    write_case(folder, text=CASE.replace("牧民草场边界纠纷的调解", "草场边界纠纷的调解（修订）"))
    summary = cases.load_case_files(folder)
    db.session.commit()
    assert summary.updated == ["caoyuan-bianjie.md"]
    row = db.session.scalar(sa.select(Case))
    assert (row.id, row.material_id) == ids and row.title == "草场边界纠纷的调解（修订）"
    assert row.material.title == row.title


def test_missing_folder_loads_nothing(app, tmp_path):
    assert cases.load_case_files(tmp_path / "none").created == []


# ---------------------------------------------------------------- pages

@pytest.fixture
def loaded(f, tmp_path, case_questions):
    cases.load_case_files(write_case(tmp_path / "cases"))
    db.session.commit()
    return db.session.scalar(sa.select(Case))


def test_library_and_case_page_with_law_links(f, tree, client, loaded):
    """Do the list and the case page show the case, its four parts, and law: links resolved to the 法规库?"""
    f.user("gb_case", tree["v1"])
    client.login("gb_case")
    listing = client.get("/cases/").get_data(as_text=True)
    assert "牧民草场边界纠纷的调解" in listing
    assert "牧民草场" in client.get("/cases/?q=草原法").get_data(as_text=True)
    assert "牧民草场" not in client.get("/cases/?q=宅基地").get_data(as_text=True)
    page = client.get(f"/cases/{loaded.id}").get_data(as_text=True)
    for heading in ("案情", "问题", "分析", "法律依据"):
        assert f"<h2>{heading}</h2>" in page
    assert "law:" not in page
    assert re.search(r'href="/laws/lookup\?law=[^"]+article=[^"]+" class="law-link"', page)
    assert "案例分析题（2 道）" in page and "练习本案题目" in page
    assert f"/materials/{loaded.material_id}" in page


def test_practising_a_case_draws_its_questions(f, tree, client, loaded, case_questions, clock):
    """Does 练习本案题目 start a practice session over exactly the case's questions?"""
    cadre = f.user("gb_case2", tree["v1"])
    client.login("gb_case2")
    response = client.post(f"/cases/{loaded.id}/practice")
    assert response.status_code == 302
    session_id = int(re.search(r"/practice/(\d+)$", response.headers["Location"]).group(1))
    session = db.session.get(PracticeSession, session_id)
    assert session.user_id == cadre.id and session.question_ids == [q.id for q in case_questions]
    assert session.label.startswith("以案释法：")
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_case_can_be_required_reading(f, tree, loaded, clock):
    """Once its material is required, is the case in the cadre's required materials for the year?"""
    from quizapp.study import services as study_services

    cadre = f.user("gb_case3", tree["v1"])
    study_materials.add_requirement(tree["admin"], loaded.material, 2026, None, date(2026, 12, 31))
    db.session.commit()
    required = study_services.required_materials(cadre, 2026)
    assert [m.id for m, *_ in required] == [loaded.material_id]


# ---------------------------------------------------------------- organisers' own cases

def _form(**changes):
    data = {"title": "宅基地审批中的常见错误", "laws": "《中华人民共和国土地管理法》", "tags": "宅基地",
            "facts": "某村村民申请第二处宅基地。", "issue": "乡镇能否批准？",
            "analysis": "一户只能拥有一处宅基地。",
            "basis": "- [第六十二条](law:中华人民共和国土地管理法@2019-08-26#第六十二条)：一户一宅。",
            "question_ids": ""}
    data.update(changes)
    return data


def test_organiser_adds_a_case_for_their_unit(f, tree, client, make_client):
    """Does an organiser's case belong to their unit, show to its people and stay hidden from another township?"""
    f.user("org_case", tree["jia"], role="organiser")
    client.login("org_case")
    question = f.question()
    response = client.post("/cases/new", _form(question_ids=str(question.id)))
    assert response.status_code == 302, response.get_data(as_text=True)
    row = db.session.scalar(sa.select(Case))
    assert row.unit_id == tree["jia"].id and row.question_ids == [question.id]
    assert row.material.unit_id == tree["jia"].id and row.material.category == "典型案例"

    f.user("gb_jia", tree["v1"])
    f.user("gb_yi", tree["v3"])
    f.user("org_yi", tree["yi"], role="organiser")
    jia, yi, org_yi = make_client(), make_client(), make_client()
    jia.login("gb_jia")
    yi.login("gb_yi")
    org_yi.login("org_yi")
    assert jia.get(f"/cases/{row.id}").status_code == 200
    assert yi.get(f"/cases/{row.id}").status_code == 404
    assert "宅基地审批" not in yi.get("/cases/").get_data(as_text=True)
    assert org_yi.get(f"/cases/{row.id}/edit").status_code == 404
    assert jia.get("/cases/new").status_code == 404


def test_case_form_reports_every_problem_at_once(f, tree, client):
    """Does a case without 案情 and 法条 link, and with a bad question number, list all three problems?"""
    f.user("org_case2", tree["jia"], role="organiser")
    client.login("org_case2")
    page = client.post("/cases/new", _form(facts="", basis="一户一宅。", question_ids="12 abc")).get_data(as_text=True)
    assert "请填写“案情”" in page and "法律依据应至少链接一条法条" in page and "题目编号应为数字" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Material)) == 0


def test_organiser_edits_their_case(f, tree, client):
    f.user("org_case3", tree["jia"], role="organiser")
    client.login("org_case3")
    client.post("/cases/new", _form())
    row = db.session.scalar(sa.select(Case))
    assert "宅基地审批中的常见错误" in client.get(f"/cases/{row.id}/edit").get_data(as_text=True)
    response = client.post(f"/cases/{row.id}/edit", _form(title="宅基地审批（修订）"))
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(Case, row.id)
    assert row.title == "宅基地审批（修订）" and row.material.title == "宅基地审批（修订）"
