"""Bulk import of accounts: preview names every bad row; apply is all or nothing."""
import io
import json

import openpyxl
import pytest
import sqlalchemy as sa

from quizapp.accounts import importer
from quizapp.accounts.models import Unit, User
from quizapp.common.errors import ServiceError
from quizapp.common.spreadsheets import RowProblem, SpreadsheetError
from quizapp.extensions import db

HEADER = ["姓名", "登录名", "单位", "职务", "职级", "人员类别", "是否述法对象", "角色"]


def xlsx(rows, title=None, sheet="人员名单"):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding="utf-8"):
    text = "\r\n".join(",".join(r) for r in [HEADER] + rows) + "\r\n"
    return text.encode(encoding)


GOOD = [
    ["张三", "13800000001", "示范县/甲乡/一村两委", "村委会主任", "无", "村“两委”干部", "否", "干部"],
    ["李四", "GM0102", "示范县/甲乡", "副乡长", "副科及以下", "领导干部", "是", "领导"],
]


def _count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_good_xlsx_under_a_title_row_imports_everything(tree):
    """Is the header found under a merged title row, and are all rows created in one go?"""
    plan = importer.plan_import(tree["admin"], xlsx(GOOD, title="2026年度学法人员名单"))
    assert plan.ok and len(plan.rows) == 2
    created = importer.apply_import(tree["admin"], plan, filename="名单.xlsx")
    db.session.commit()
    zhang = db.session.scalar(sa.select(User).where(User.login == "13800000001"))
    li = db.session.scalar(sa.select(User).where(User.login == "GM0102"))
    assert zhang.category == "village" and zhang.must_change_password and zhang.unit_id == tree["v1"].id
    assert li.role == "leader" and li.shufa and li.rank == "fuke"
    assert len(created) == 2 and all(len(p) == 9 for _, p in created)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings(tree, encoding):
    """Are UTF-8, UTF-8 with BOM and GBK (Excel on Chinese Windows) CSV files all read?"""
    plan = importer.plan_import(tree["admin"], csv_bytes(GOOD, encoding))
    assert plan.ok, [str(p) for p in plan.problems]
    assert plan.rows[0]["name"] == "张三"


@pytest.mark.parametrize("row, column, message", [
    (["", "x001", "示范县/甲乡", "", "", "", "", ""], "姓名", "缺少姓名"),
    (["王五", "", "示范县/甲乡", "", "", "", "", ""], "登录名", "缺少登录名"),
    (["王五", "bad login", "示范县/甲乡", "", "", "", "", ""], "登录名", "格式不正确"),
    (["王五", "x001", "示范县/丙乡", "", "", "", "", ""], "单位", "不存在"),
    (["王五", "x001", "", "", "", "", "", ""], "单位", "缺少单位"),
    (["王五", "x001", "示范县/甲乡", "", "处长", "", "", ""], "职级", "未知的职级"),
    (["王五", "x001", "示范县/甲乡", "", "", "群众", "", ""], "人员类别", "未知的人员类别"),
    (["王五", "x001", "示范县/甲乡", "", "", "", "也许", ""], "是否述法对象", "应填“是”或“否”"),
    (["王五", "x001", "示范县/甲乡", "", "", "", "", "老板"], "角色", "未知的角色"),
    (["王五", "exists01", "示范县/甲乡", "", "", "", "", ""], "登录名", "在系统中已存在"),
])
def test_each_bad_row_kind_is_named(f, tree, row, column, message):
    """Is each kind of bad row reported with sheet, Excel row number, column and reason?"""
    f.user("exists01", tree["v1"])
    plan = importer.plan_import(tree["admin"], xlsx([GOOD[0], row], title="标题"))
    assert len(plan.problems) == 1
    problem = plan.problems[0]
    assert (problem.sheet, problem.row, problem.column) == ("人员名单", 4, column)
    assert message in problem.message
    assert "第 4 行" in str(problem)


def test_duplicate_login_within_the_file(tree):
    """Is the second use of a login name in the file reported, pointing at the first?"""
    plan = importer.plan_import(tree["admin"], xlsx([GOOD[0], GOOD[0]]))
    assert len(plan.problems) == 1 and "与工作表“人员名单”第 2 行重复" in plan.problems[0].message


def test_apply_refuses_a_plan_with_problems(tree):
    """Can a file with any bad row be applied? (must not: nothing is imported)"""
    plan = importer.plan_import(tree["admin"], xlsx([GOOD[0], ["", "", "", "", "", "", "", ""] + ["x"]]))
    before = _count()
    with pytest.raises(ServiceError, match="文件中有错误行"):
        importer.apply_import(tree["admin"], plan)
    assert _count() == before


def test_error_mid_apply_leaves_nothing(tree, monkeypatch):
    """If something fails half-way through apply, does the database stay unchanged?"""
    plan = importer.plan_import(tree["admin"], xlsx(GOOD))
    before = _count()
    real = importer.create_user
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "create_user", failing)
    with pytest.raises(RuntimeError):
        importer.apply_import(tree["admin"], plan)
    db.session.rollback()
    assert _count() == before


def test_missing_units_created_only_when_ticked(tree):
    """Are missing units an error by default, and created (with their parents) only when asked?"""
    rows = [["赵六", "z001", "示范县/甲乡/新村两委/一组", "", "", "", "", ""]]
    assert "不存在" in importer.plan_import(tree["admin"], xlsx(rows)).problems[0].message
    plan = importer.plan_import(tree["admin"], xlsx(rows), create_units=True)
    assert plan.ok and plan.missing_units == ["示范县/甲乡/新村两委/一组"]
    importer.apply_import(tree["admin"], plan)
    db.session.commit()
    group = db.session.scalar(sa.select(Unit).where(Unit.name == "一组"))
    assert group.parent.name == "新村两委" and group.parent.parent_id == tree["jia"].id


def test_organiser_cannot_import_outside_scope(f, tree):
    """Can an organiser of 甲乡 import people into 乙乡, or create units there? (must not)"""
    organiser = f.user("org01", tree["jia"], role="organiser")
    rows = [["赵六", "z001", "示范县/乙乡/三村两委", "", "", "", "", ""],
            ["钱七", "z002", "示范县/乙乡/新村", "", "", "", "", ""],
            ["孙八", "z003", "示范县/甲乡", "", "", "", "", "管理员"]]
    plan = importer.plan_import(organiser, xlsx(rows), create_units=True)
    messages = [p.message for p in plan.problems]
    assert len(messages) == 3
    assert "不在您的管理范围内" in messages[0] and "不在您的管理范围内" in messages[1]
    assert "只有系统管理员" in messages[2]


@pytest.mark.parametrize("data, message", [
    (b"", "文件是空的"),
    (b"\x00\x01\x02\x03binary\x00\x00garbage" * 20, "不是有效的表格文件"),
    (b"PK\x03\x04not really a zip", "已损坏"),
    ("姓名,登录名,单位\r\n".encode(), "只有表头"),
    ("a,b,c\r\n1,2,3\r\n".encode(), "没有找到表头"),
])
def test_hostile_or_empty_files_refused_whole(tree, data, message):
    """Are empty, binary, damaged, header-only and header-less files refused with a Chinese reason?"""
    with pytest.raises(SpreadsheetError, match=message):
        importer.plan_import(tree["admin"], data)


def test_web_preview_then_apply(client, f, tree):
    """Does the web import show a preview, write nothing until confirmed, then import every row?"""
    f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    before = _count()
    page = client.post("/users/import", {"file": (io.BytesIO(xlsx(GOOD)), "名单.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "确认导入 2 人" in page and _count() == before
    import re

    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', page)
    token = token.group(1) if token else re.search(r'name="token"[^>]*value="([^"]+)"', page).group(1)
    done = client.post("/users/import/apply", {"token": token}).get_data(as_text=True)
    assert "已导入 2 人" in done and _count() == before + 2


def test_web_preview_lists_bad_rows_and_offers_no_import(client, f, tree):
    """With a bad row, does the preview list it and offer no way to import?"""
    f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    bad = [GOOD[0], ["", "x9", "示范县/甲乡", "", "", "", "", ""]]
    page = client.post("/users/import", {"file": (io.BytesIO(xlsx(bad)), "名单.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "缺少姓名" in page and "确认导入 1 人" not in page and "import/apply" not in page


def test_another_organiser_cannot_apply_my_upload(client, make_client, f, tree):
    """Is a staged upload usable only by the person who uploaded it?"""
    f.user("org01", tree["jia"], role="organiser")
    f.user("org02", tree["jia"], role="organiser")
    client.login("org01")
    page = client.post("/users/import", {"file": (io.BytesIO(xlsx(GOOD)), "名单.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    import re

    token = re.search(r'name="token"[^>]*value="([^"]+)"', page).group(1)
    other = make_client()
    other.login("org02")
    response = other.post("/users/import/apply", {"token": token}, follow_redirects=True)
    assert "预检结果已失效" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.login == "GM0102")) is None


def test_template_has_instructions(client, tree):
    """Does the downloadable template carry a 填写说明 sheet and the expected columns?"""
    client.login("admin01")
    book = openpyxl.load_workbook(io.BytesIO(client.get("/users/template.xlsx").data))
    assert book.sheetnames == ["人员名单", "填写说明"]
    assert [c.value for c in book["人员名单"][1]][:8] == HEADER


def test_template_round_trips_through_import(tree):
    """Does the template's own example import cleanly (so organisers can start from it)?"""
    plan = importer.plan_import(tree["admin"], importer.template_bytes(), create_units=True)
    assert plan.ok and len(plan.rows) == 2


def test_cli_dry_run_json_and_apply(runner, tree, tmp_path):
    """Does `flask users import --dry-run --json` report without writing, and a plain run import?"""
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(GOOD, "gbk"))
    before = _count()
    result = runner.invoke(args=["users", "import", str(path), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["accepted"] == 2 and report["rejected"] == [] and _count() == before
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0 and "已导入 2 个账号" in result.output
    db.session.expire_all()
    assert _count() == before + 2


def test_cli_reports_bad_rows_and_exits_non_zero(runner, tree, tmp_path):
    """Does the CLI name bad rows by sheet/row/column in JSON and exit non-zero, importing nothing?"""
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([GOOD[0], ["", "x9", "示范县/甲乡", "", "", "", "", ""]]))
    result = runner.invoke(args=["users", "import", str(path), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["rejected"] == [{"sheet": "CSV", "row": 3, "column": "姓名", "message": "缺少姓名"}]
    assert db.session.scalar(sa.select(User).where(User.login == "13800000001")) is None
    text = runner.invoke(args=["users", "import", str(path)])
    assert text.exit_code == 1 and "  第 3 行「姓名」：缺少姓名" in text.output  # a CSV has no sheet to name


def test_too_long_cells_are_row_problems_under_the_header_people_see(tree):
    """Is a cell over the length limit reported like any bad cell: same type, sheet, row and the Chinese column?"""
    plan = importer.plan_import(tree["admin"], xlsx([GOOD[0], ["王" * 5001, "x002", "示范县/甲乡"]]))
    problems = [p for p in plan.problems if "内容过长" in p.message]
    assert isinstance(problems[0], RowProblem)
    assert problems[0].as_dict() == {"sheet": "人员名单", "row": 3, "column": "姓名",
                                     "message": "内容过长（超过 5000 个字符）"}
    assert str(problems[0]) == "工作表“人员名单”第 3 行「姓名」：内容过长（超过 5000 个字符）"


def test_formula_cell_is_a_row_error_naming_the_cell(tree):
    """Issue 12.7: is a login written as a formula (=1+1, cached 2) a row error naming the cell, and nothing imported?"""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(HEADER)
    ws.append(GOOD[0])
    ws.append(["王五", "=1+1", *GOOD[1][2:]])
    buffer = io.BytesIO()
    book.save(buffer)
    plan = importer.plan_import(tree["admin"], buffer.getvalue())
    assert not plan.ok
    assert {(p.row, p.column) for p in plan.problems} == {(3, "登录名")}
    assert any("单元格 B3 是公式（=1+1）" in p.message for p in plan.problems)


def test_xls_account_list_imports_and_a_sparse_one_is_refused(tree):
    """Is a legacy .xls account list read like an .xlsx, and one with a stray cell at IV65536 refused by the
    position check (before calamine builds a 65,536 × 256 grid for it) with the sheet named?"""
    from xlsfiles import make_xls, make_xls_rows

    plan = importer.plan_import(tree["admin"], make_xls_rows({"人员名单": [HEADER] + GOOD}))
    assert plan.ok and len(plan.rows) == 2
    cells = {(r, c): value for r, row in enumerate([HEADER] + GOOD) for c, value in enumerate(row)}
    with pytest.raises(SpreadsheetError, match="工作表“人员名单”的单元格位置超出允许范围"):
        importer.plan_import(tree["admin"], make_xls({"人员名单": {**cells, (65535, 255): "x"}}))
