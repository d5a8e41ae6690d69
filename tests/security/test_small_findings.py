"""Finding 8: huge page numbers, names with line breaks, and the one upload-size variable."""
import io
import secrets

import openpyxl
import pytest
import sqlalchemy as sa

from quizapp import create_app
from quizapp.accounts import importer
from quizapp.accounts.models import Unit, User
from quizapp.common.errors import ServiceError
from quizapp.extensions import db

HUGE = "99999999999999999999"


@pytest.mark.parametrize("page", [HUGE, "0", "-1", "abc", "1000001", "１"])
def test_out_of_range_page_numbers_are_404(client, f, tree, page):
    """Does ?page= beyond any list (or not a page number) give 404 on /users/ and a bank, never a 500?"""
    bank = f.bank("甲乡题库", tree["jia"])
    client.login("admin01")
    assert client.get(f"/users/?page={page}").status_code == 404
    assert client.get(f"/banks/{bank.id}/?page={page}").status_code == 404
    assert client.get("/audit/?page=" + page).status_code == 404


def test_real_page_numbers_still_work(client, tree):
    """Is page 1, or a page past the end of a short list, still an ordinary page?"""
    client.login("admin01")
    assert client.get("/users/?page=1").status_code == 200
    assert client.get("/users/?page=50").status_code == 200


@pytest.mark.parametrize("name", ["张\n三", "张\r三", "张\t三", "张\x00三", "张\u2028三", "张\x1b[31m三"])
def test_names_with_line_breaks_refused(client, tree, name):
    """Is a person's name (or title) with an embedded newline or control character refused on the form?"""
    client.login("admin01")
    form = {"name": name, "login": "nl001", "unit_id": tree["v1"].id, "title": "干事", "rank": "none",
            "category": "general", "role": "cadre", "phone": ""}
    page = client.post("/users/new", form).get_data(as_text=True)
    assert "控制字符" in page
    form.update(name="张三", title=name)
    assert "控制字符" in client.post("/users/new", form).get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.login == "nl001")) is None


def test_unit_names_and_titles_with_line_breaks_refused(client, f, tree):
    """Are unit names, bank names and exam titles with a line break refused by their services?"""
    client.login("admin01")
    page = client.post("/units/new", {"name": "一\n村", "kind": "village", "parent_id": tree["jia"].id})
    assert "控制字符" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(Unit).where(Unit.name.like("一%村"))) is None
    from quizapp.bank import services as bank_services

    with pytest.raises(ServiceError, match="控制字符"):
        bank_services.create_bank(None, "题库\n二", None)
    from quizapp.exams.setting_rules import setting_problems

    assert any("控制字符" in message for _, message in setting_problems({"title": "十一月\n考试"}))


def test_imported_names_with_line_breaks_never_stored(tree):
    """Does an account file whose name cell holds a newline import nothing?"""
    book = openpyxl.Workbook()
    book.active.title = "人员名单"
    book.active.append(["姓名", "登录名", "单位", "职务", "职级", "人员类别", "是否述法对象", "角色"])
    book.active.append(["张\n三", "nl002", "示范县/甲乡", "", "无", "一般干部", "否", "干部"])
    buffer = io.BytesIO()
    book.save(buffer)
    plan = importer.plan_import(tree["admin"], buffer.getvalue())
    if plan.ok:
        with pytest.raises(ServiceError, match="控制字符"):
            importer.apply_import(tree["admin"], plan)
        db.session.rollback()
    assert db.session.scalar(sa.select(User).where(User.login == "nl002")) is None


def test_one_upload_size_variable(monkeypatch, tmp_path):
    """Does UPLOAD_MAX_MB set both the file limit and the request limit, and does the old name stop start-up?"""
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", "SECRET_KEY": secrets.token_hex(32)}
    monkeypatch.setenv("UPLOAD_MAX_MB", "3")
    app = create_app(config)
    assert app.config["UPLOAD_MAX_BYTES"] == 3 * 1024 * 1024
    assert 3 * 1024 * 1024 < app.config["MAX_CONTENT_LENGTH"] <= 4 * 1024 * 1024
    monkeypatch.setenv("MAX_UPLOAD_MB", "16")
    with pytest.raises(RuntimeError, match="UPLOAD_MAX_MB"):
        create_app(config)
