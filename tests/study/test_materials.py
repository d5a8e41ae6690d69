"""学习园地: audience, managing in scope, PDFs checked and served safely, required reading, shipped files."""
import io
from datetime import date

import pytest
import sqlalchemy as sa

from quizapp.common.errors import ServiceError
from quizapp.extensions import db
from quizapp.study import materials as service
from quizapp.study.materials import MaterialInput
from quizapp.study.models import Material, MaterialFile, MaterialRequirement, StudyProgress

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _visible_titles(user):
    return set(db.session.scalars(service.visible_materials(user).with_only_columns(Material.title)))


# ---------------------------------------------------------------- audience

def test_audience_by_owner_units_and_categories(people, tree, make_material):
    """Does each cadre see exactly the materials whose audience includes them?"""
    make_material(None, "系统资料")
    make_material(people["organiser"], "甲乡资料", unit=tree["jia"])
    make_material(people["organiser"], "一村资料", unit=tree["jia"], audience_unit_ids=[tree["v1"].id])
    make_material(people["organiser"], "二村资料", unit=tree["jia"], audience_unit_ids=[tree["v2"].id])
    make_material(people["organiser"], "村干部资料", unit=tree["jia"], audience_categories=["village"])
    make_material(people["organiser"], "草稿", unit=tree["jia"], publish=False)
    assert _visible_titles(people["cadre"]) == {"系统资料", "甲乡资料", "一村资料"}
    assert _visible_titles(people["cadre2"]) == {"系统资料", "甲乡资料", "一村资料", "村干部资料"}
    assert _visible_titles(people["other"]) == {"系统资料"}


def test_cadre_gets_404_for_materials_not_for_them(people, tree, make_material, client):
    """Is a material outside the cadre's audience, or unpublished, a 404 (page and PDF)?"""
    theirs = make_material(people["organiser_yi"], unit=tree["yi"])
    draft = make_material(None, publish=False)
    client.login("gb01")
    for material in (theirs, draft):
        assert client.get(f"/materials/{material.id}").status_code == 404
        assert client.get(f"/materials/{material.id}/file.pdf").status_code == 404


def test_index_lists_required_first_with_progress(people, make_material, client, clock):
    """Does 学习园地 show required materials first with their due date?"""
    make_material(None, "普通资料")
    required = make_material(None, "必学资料")
    service.add_requirement(people["organiser"], required, 2026, people["organiser"].unit, date(2026, 6, 30))
    db.session.commit()
    client.login("gb01")
    page = client.get("/materials/").get_data(as_text=True)
    assert page.index("必学资料") < page.index("普通资料") and "2026年6月30日前" in page
    only = client.get("/materials/?required=1").get_data(as_text=True)
    assert "必学资料" in only and "普通资料" not in only


# ---------------------------------------------------------------- managing

def _form(**values):
    data = {"title": "新资料", "category": "法律法规", "sector": "土地与农村", "kind": "markdown", "body": "正文内容",
            "minutes": "15", "sources": "《中华人民共和国土地管理法》", "unit_id": "0"}
    data.update(values)
    return data


def test_organiser_creates_edits_and_publishes(people, tree, client):
    """Can an organiser create a material for their township, publish it and withdraw it?"""
    client.login("zz01")
    response = client.post("/materials/new", data=_form(unit_id=str(tree["jia"].id)))
    assert response.status_code == 302
    material = db.session.scalar(sa.select(Material))
    assert (material.category, material.unit_id, material.published) == ("法律法规/土地与农村", tree["jia"].id, False)
    client.post(f"/materials/{material.id}/publish", data={"published": "1"})
    db.session.expire_all()
    assert material.published
    response = client.post(f"/materials/{material.id}/edit", data=_form(unit_id=str(tree["jia"].id), title="改后"))
    assert response.status_code == 302
    db.session.expire_all()
    assert material.title == "改后"
    client.post(f"/materials/{material.id}/publish", data={"published": "0"})
    db.session.expire_all()
    assert not material.published


@pytest.mark.parametrize("values, message", [
    ({"title": ""}, "请填写标题"),
    ({"minutes": "0"}, "1 至 600"),
    ({"body": ""}, "请填写正文"),
    ({"category": "宪法", "sector": "土地"}, "只有“法律法规”类可以填写领域"),
])
def test_material_form_problems(people, tree, client, values, message):
    """Are form mistakes shown in Chinese next to the form, saving nothing?"""
    client.login("zz01")
    page = client.post("/materials/new", data=_form(unit_id=str(tree["jia"].id), **values)).get_data(as_text=True)
    assert message in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Material)) == 0


def test_organiser_cannot_manage_outside_scope(people, tree, client, make_material):
    """Can an organiser neither edit another township's material nor a system one, nor create one elsewhere?"""
    theirs = make_material(people["organiser_yi"], unit=tree["yi"])
    system = make_material(None)
    client.login("zz01")
    assert client.get(f"/materials/{theirs.id}/edit").status_code == 404
    assert client.get(f"/materials/{system.id}/edit").status_code == 404
    assert client.post(f"/materials/{system.id}/publish", data={"published": "0"}).status_code == 404
    page = client.post("/materials/new", data=_form(unit_id=str(tree["yi"].id))).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Material)) == 2
    assert "不是有效的选择" in page  # another township is not among the organiser's units


def test_audience_units_must_lie_within_the_owner(people, tree):
    """Is an audience unit outside the owning unit refused?"""
    with pytest.raises(ServiceError) as error:
        service.create_material(people["organiser"], MaterialInput(
            title="x", category="宪法", body="y", unit_id=tree["v1"].id, audience_unit_ids=[tree["v2"].id]),
            max_pdf_bytes=1000)
    assert "面向单位须在资料所属单位的范围内。" in error.value.messages


def test_cadre_cannot_reach_management(people, client, make_material):
    """Are the management pages a 404 for a cadre?"""
    material = make_material(None)
    client.login("gb01")
    for url in ("/materials/manage", "/materials/new", f"/materials/{material.id}/edit",
                f"/materials/{material.id}/requirements"):
        assert client.get(url).status_code == 404, url


def test_studied_material_cannot_be_deleted(people, tree, make_material, client):
    """Is a material with study records kept (withdraw instead), and one without deleted?"""
    studied = make_material(people["organiser"], unit=tree["jia"])
    fresh = make_material(people["organiser"], unit=tree["jia"])
    db.session.add(StudyProgress(user_id=people["cadre"].id, year=2026, material_id=studied.id, seconds=30))
    db.session.commit()
    client.login("zz01")
    page = client.post(f"/materials/{studied.id}/delete", follow_redirects=True).get_data(as_text=True)
    assert "不能删除" in page and db.session.get(Material, studied.id) is not None
    client.post(f"/materials/{fresh.id}/delete")
    assert db.session.scalars(sa.select(Material.id)).all() == [studied.id]


# ---------------------------------------------------------------- PDF

@pytest.mark.parametrize("data, message", [
    (b"", "文件是空的"),
    (b"<html><script>alert(1)</script></html>", "不是 PDF"),
    (b"MZ\x90\x00" + PDF, "不是 PDF"),
    (PDF[:-7], "缺少文件结束标记"),
    (PDF.replace(b"/Catalog", b"/Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "含有脚本"),
    (PDF.replace(b"/Catalog", b"/Catalog /OpenAction << /S /Launch /F (cmd.exe) >>"), "含有脚本"),
    (b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF", "过大"),
])
def test_pdf_checks(data, message):
    """Is a file that is not a clean, whole PDF of acceptable size refused with a Chinese reason?"""
    problems = service.pdf_problems(data, max_bytes=1500)
    assert problems and message in problems[0]


def test_clean_pdf_is_accepted():
    """Does an ordinary PDF pass?"""
    assert service.pdf_problems(PDF, max_bytes=10_000) == []


def test_pdf_upload_and_safe_serving(people, tree, client):
    """Is an uploaded PDF served inline as application/pdf from our own URL, shown via <object>?"""
    client.login("zz01")
    response = client.post("/materials/new", data=_form(
        unit_id=str(tree["jia"].id), kind="pdf", body="", pdf=(io.BytesIO(PDF), "学习.pdf")),
        content_type="multipart/form-data")
    assert response.status_code == 302
    material = db.session.scalar(sa.select(Material))
    client.post(f"/materials/{material.id}/publish", data={"published": "1"})
    client.post("/logout")
    client.login("gb01")
    page = client.get(f"/materials/{material.id}").get_data(as_text=True)
    assert f'<object class="pdf-view" data="/materials/{material.id}/file.pdf" type="application/pdf"' in page
    served = client.get(f"/materials/{material.id}/file.pdf")
    assert served.status_code == 200 and served.data == PDF
    assert served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("inline; filename*=UTF-8''")
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_fake_pdf_upload_is_refused(people, tree, client):
    """Is an HTML file renamed .pdf refused on the form?"""
    client.login("zz01")
    page = client.post("/materials/new", data=_form(
        unit_id=str(tree["jia"].id), kind="pdf", body="", pdf=(io.BytesIO(b"<html>hi</html>"), "假.pdf")),
        content_type="multipart/form-data").get_data(as_text=True)
    assert "不是 PDF" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Material)) == 0


def test_pdf_size_limit_is_configurable(people, tree, client, app):
    """Is a PDF over MATERIAL_PDF_MAX_BYTES refused?"""
    app.config["MATERIAL_PDF_MAX_BYTES"] = 50
    client.login("zz01")
    page = client.post("/materials/new", data=_form(
        unit_id=str(tree["jia"].id), kind="pdf", body="", pdf=(io.BytesIO(PDF), "大.pdf")),
        content_type="multipart/form-data").get_data(as_text=True)
    assert "过大" in page


# ---------------------------------------------------------------- required reading

def test_requirements_in_scope(people, tree, make_material, client):
    """Can an organiser require a system material of their township, but not of another township?"""
    material = make_material(None)
    client.login("zz01")
    page = client.get(f"/materials/{material.id}/requirements").get_data(as_text=True)
    assert "甲乡" in page and "乙乡" not in page.split("添加必学要求")[1]
    response = client.post(f"/materials/{material.id}/requirements",
                           data={"year": "2026", "unit_id": str(tree["jia"].id), "due_date": "2026-06-30"})
    assert response.status_code == 302
    page = client.post(f"/materials/{material.id}/requirements",
                       data={"year": "2026", "unit_id": str(tree["yi"].id), "due_date": "2026-06-30"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MaterialRequirement)) == 1
    with pytest.raises(ServiceError) as refused:
        service.add_requirement(people["organiser"], material, 2026, tree["yi"], date(2026, 6, 30))
    assert refused.value.messages == ["您不能为该单位设置这份资料的必学要求。"]


def test_requirement_due_date_in_its_year(people, make_material):
    """Is a due date outside the requirement's year refused?"""
    material = make_material(None)
    with pytest.raises(ServiceError) as error:
        service.add_requirement(people["organiser"], material, 2026, people["organiser"].unit, date(2027, 1, 31))
    assert "截止日期须在 2026 年内。" in error.value.messages


def test_requirement_applies_to_the_subtree(people, tree, make_material):
    """Does a requirement for 甲乡 reach a cadre of 一村 but not one of 乙乡, and one for all reach both?"""
    for_jia = make_material(None, "甲乡必学")
    for_all = make_material(None, "全员必学")
    service.add_requirement(people["organiser"], for_jia, 2026, tree["jia"], date(2026, 9, 1))
    service.add_requirement(db.session.get(type(people["cadre"]), tree["admin"].id), for_all, 2026, None,
                            date(2026, 12, 1))
    db.session.commit()
    from quizapp.study.services import required_materials

    assert [m.title for m, _, _ in required_materials(people["cadre"], 2026)] == ["甲乡必学", "全员必学"]
    assert [m.title for m, _, _ in required_materials(people["other"], 2026)] == ["全员必学"]
    assert required_materials(people["cadre"], 2025) == []


# ---------------------------------------------------------------- shipped files

SHIPPED = """---
title: 宪法学习要点
category: 宪法
sources: 《中华人民共和国宪法》; 《宪法修正案》
minutes: 15
---
## 一、要点

见[第三十三条](law:中华人民共和国宪法#第三十三条)。
"""


def test_loading_shipped_materials_is_idempotent(app, tmp_path, runner):
    """Does `flask materials load DIR` create, then leave unchanged, then update a material in place?"""
    (tmp_path / "xianfa.md").write_text(SHIPPED, encoding="utf-8")
    first = runner.invoke(args=["materials", "load", str(tmp_path)])
    assert first.exit_code == 0 and "新增 1 份" in first.output
    material = db.session.scalar(sa.select(Material))
    assert (material.title, material.minutes, material.published, material.unit_id) == ("宪法学习要点", 15, True, None)
    assert material.source_lines == ["《中华人民共和国宪法》", "《宪法修正案》"]
    assert "未变 1 份" in runner.invoke(args=["materials", "load", str(tmp_path)]).output
    (tmp_path / "xianfa.md").write_text(SHIPPED.replace("minutes: 15", "minutes: 20"), encoding="utf-8")
    assert "更新 1 份" in runner.invoke(args=["materials", "load", str(tmp_path)]).output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Material)) == 1
    assert db.session.scalar(sa.select(Material.minutes)) == 20


@pytest.mark.parametrize("text, message", [
    ("没有信息头", "第 1 行"),
    ("---\ntitle: x\ncategory: 宪法\nminutes: 十\n---\n正文", "minutes 应为整数"),
    ("---\ntitle: x\ncategory: 宪法\nminutes: 5\nauthor: y\n---\n正文", "无法识别的信息头"),
    ("---\ntitle: x\ncategory: 不存在\nminutes: 5\n---\n正文", "分类应为"),
    ("---\ntitle: x\ncategory: 宪法\nminutes: 5\n---\n", "正文是空的"),
    ("---\ntitle: x\nminutes: 5\n---\n正文", "缺少：category"),
])
def test_bad_shipped_files_are_reported(app, tmp_path, text, message):
    """Is every malformed shipped file reported by name with the reason, and nothing loaded from it?"""
    (tmp_path / "bad.md").write_text(text, encoding="utf-8")
    summary = service.load_material_files(tmp_path)
    assert summary.errors and summary.errors[0][0] == "bad.md" and message in summary.errors[0][1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Material)) == 0


def test_every_shipped_material_loads(app):
    """Do all the materials shipped in question_bank/materials load without error?"""
    folder = service.default_materials_dir()
    files = list(folder.glob("*.md"))
    if not files:
        pytest.skip(f"no shipped materials in {folder}")
    summary = service.load_material_files(folder)
    assert summary.errors == [] and len(summary.created) == len(files)


def test_pdf_material_can_be_switched_and_deleted(people, tree, client):
    """Can a PDF material be turned into Markdown (dropping the file) and a fresh one deleted with its file?"""
    client.login("zz01")
    for title in ("转为图文", "删除"):
        client.post("/materials/new", data=_form(unit_id=str(tree["jia"].id), kind="pdf", body="", title=title,
                                                 pdf=(io.BytesIO(PDF), "学习.pdf")),
                    content_type="multipart/form-data")
    switched, doomed = db.session.scalars(sa.select(Material).order_by(Material.id)).all()
    client.post(f"/materials/{switched.id}/edit", data=_form(unit_id=str(tree["jia"].id), title="转为图文"))
    assert client.post(f"/materials/{doomed.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.scalars(sa.select(Material.kind)).all() == ["markdown"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MaterialFile)) == 0
