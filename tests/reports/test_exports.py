"""Exports: every table downloads as .xlsx, formula-looking text is made inert, large exports are streamed."""
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from quizapp.audit.models import AuditEntry
from quizapp.extensions import db
from quizapp.common.spreadsheets import SheetSpec, cell_value, write_workbook, write_xlsx, xlsx_download

from reportkit import shufa_batch, at

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DANGEROUS = ["=HYPERLINK(\"http://x\")", "+SUM(1,2)", "-2+3", "@cmd"]


@pytest.fixture
def risky(world, tree):
    """People and an exam whose names look like spreadsheet formulas."""
    made = [world.person(f"prisk{i}", tree["v1"], name=text, title=text, phone="=1+1", shufa=True)
            for i, text in enumerate(DANGEROUS)]
    exam = world.exam("2026-03", title="=2*3 学法测试")
    for person in made[:2]:
        world.sit(exam, person, 80)
    world.material("@必学资料", due=date(2026, 3, 31))
    world.offline(tree["v1"], made, topic="=宪法宣讲", held_on=date(2026, 3, 12), public=5)
    world.clock.set(at(2026, 3, 28))
    return made


def _book(response):
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.get_data()))


def _all_text(book):
    return [cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if isinstance(cell.value, str)]


@pytest.mark.parametrize("url", [
    "/reports/?period=2026-03", "/reports/units/{v1}/people?period=2026-03", "/reports/units/{v1}/rankings?period=2026-03",
    "/reports/units/{v1}/unfinished?period=2026-03", "/reports/shufa/{person}?year=2026",
    "/reports/annual?year=2026", "/reports/annual/records/people?year=2026",
    "/reports/annual/records/sat?year=2026", "/reports/annual/records/sessions?year=2026",
    "/reports/annual/records/attendance?year=2026", "/reports/annual/records/shufa?year=2026",
    "/reports/people/{person}?year=2026",
])
def test_exports_escape_formulas(client, tree, risky, url):
    """No cell of any export starts with = + - @: such text gets a leading quote and stays text."""
    client.login("admin01")
    url = url.format(v1=tree["v1"].id, person=risky[0].id)
    sep = "&" if "?" in url else "?"
    book = _book(client.get(url + sep + "format=xlsx"))
    texts = _all_text(book)
    assert texts, url
    assert not [t for t in texts if t[:1] in ("=", "+", "-", "@")], url
    assert not [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
                if cell.data_type == "f"], url


def test_people_export_has_the_names_escaped(client, tree, risky):
    """The escaped text keeps its content behind the quote."""
    client.login("admin01")
    book = _book(client.get(f"/reports/units/{tree['v1'].id}/people?period=2026-03&format=xlsx"))
    texts = _all_text(book)
    assert "'=HYPERLINK(\"http://x\")" in texts and "'@cmd" in texts


def test_unfinished_export_lists_items_with_phones(client, tree, risky):
    """The 未完成名单 export has one line per person naming every unfinished item, with unit and phone."""
    client.login("admin01")
    book = _book(client.get(f"/reports/units/{tree['county'].id}/unfinished?period=2026-03&format=xlsx"))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[2]]
    assert header == ["单位", "姓名", "职务", "联系电话", "未完成（项）", "未完成事项", "已提醒（次）"]
    lines = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert len(lines) == 4  # four people: the required material for all four, the exam for the two absent
    assert all(line[3] == "'=1+1" for line in lines)
    assert sorted(line[4] for line in lines) == [1, 1, 2, 2]
    assert all("未参考" in line[5] for line in lines if line[4] == 2)


def test_batch_export_is_a_job_escaped_and_audited(client, tree, risky):
    """The 述法 batch workbook is made by a job (file offered on the job's page), escaped and audited."""
    client.login("admin01")
    response = shufa_batch(client, "year=2026")
    assert response.status_code == 200
    texts = _all_text(openpyxl.load_workbook(io.BytesIO(response.get_data())))
    assert not [t for t in texts if t[:1] in ("=", "+", "-", "@")]
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    assert [s.title for s in book.worksheets] == ["述法对象汇总", "考试明细", "线下学法", "必修资料"]
    summary = book["述法对象汇总"]
    assert summary.max_row == 2 + len(risky)
    summaries = db.session.scalars(sa.select(AuditEntry.summary).where(AuditEntry.action == "reports.export")).all()
    assert any("述法对象学法情况（批量）" in s for s in summaries)


def test_workbook_writer_escapes_and_types(tmp_path):
    """The writer keeps numbers numeric, writes booleans as 是/否 and escapes every text cell."""
    path = str(tmp_path / "t.xlsx")
    rows = write_workbook(path, [SheetSpec("表", ["名称", "数值", "是否"], [["=cmd", 12.5, True], ["普通", 3, False]],
                                           title="@标题")])
    assert rows == 2
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet["A1"].value == "'@标题"
    assert [c.value for c in sheet[3]] == ["'=cmd", 12.5, "是"]
    assert [c.value for c in sheet[4]] == ["普通", 3, "否"]
    assert cell_value(date(2026, 3, 1)) == "2026-03-01"


def test_long_sheet_names_are_cut_and_unique(tmp_path):
    """Excel's 31-character sheet-name limit and uniqueness are respected."""
    path = str(tmp_path / "t.xlsx")
    name = "很长的工作表名称" * 5
    write_workbook(path, [SheetSpec(name, ["a"], []), SheetSpec(name, ["a"], []), SheetSpec("a/b", ["a"], [])])
    titles = [s.title for s in openpyxl.load_workbook(path).worksheets]
    assert len(titles[0]) <= 31 and titles[0] != titles[1] and len(titles[1]) <= 31
    assert titles[2] == "a_b"


def test_small_workbooks_go_through_the_same_writer():
    """Does a workbook built in memory (templates, error reports) escape, type and freeze like the streamed ones?"""
    data = write_xlsx({"名单": [["姓名", "分数", "得分"], ["=cmd", 7, Decimal("88.5")], ["-1", None, 2.5]],
                       "空表": []}, column_widths={"名单": [10, 40, 8]})
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["名单"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["姓名", "分数", "得分"], ["'=cmd", 7, 88.5], ["'-1", None, 2.5]]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold
    assert book["空表"].max_row == 1 and book["空表"]["A1"].value is None


def test_one_download_response_for_bytes_and_streamed_sheets(app):
    """Do bytes and sheets come out as the same kind of download, the sheets streamed with their length?"""
    with app.test_request_context():
        whole = xlsx_download(write_xlsx({"表": [["a"], ["b"]]}), "名单")
        streamed = xlsx_download([SheetSpec("表", ["a"], [["b"]])], "名单.xlsx")
    assert streamed.is_streamed and not whole.is_streamed
    for response in (whole, streamed):
        assert response.mimetype == XLSX
        assert response.headers["Content-Disposition"] == "attachment; filename*=UTF-8''%E5%90%8D%E5%8D%95.xlsx"
        assert response.headers["Cache-Control"] == "no-store"
        rows = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(response.get_data())).active]
        assert rows == [["a"], ["b"]]
    assert int(streamed.headers["Content-Length"]) == len(streamed.get_data())
