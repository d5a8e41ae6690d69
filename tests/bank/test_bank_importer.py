"""Reading whole question files: layouts, encodings, hostile files, duplicates, and all-or-nothing apply."""
import io
import zipfile

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from bankfiles import GOOD_ROWS, make_csv, make_xlsx, row
from quizapp.bank import importer, services
from quizapp.bank.models import ImportRecord, Question
from quizapp.bank.rows import COLUMNS, REQUIRED, SYNONYMS
from quizapp.common import spreadsheets
from quizapp.common.spreadsheets import SpreadsheetError
from quizapp.extensions import db


def read(data, name="题库.xlsx"):
    return importer.read_questions(data, name)


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_template_layout_with_title_rows():
    """Is the header found under a merged title row and an empty row, and every type read?"""
    data = make_xlsx({"题库": [[], COLUMNS] + GOOD_ROWS}, merge_title="2025年度学法考试题库")
    preview = read(data)
    assert preview.total == 3 and not preview.problems
    assert preview.by_type == {"single": 1, "multiple": 1, "judge": 1}
    rows = [item.row for item in preview.accepted]
    assert rows == [4, 5, 6]  # Excel's numbering: title row 1, blank row 2, header row 3


def test_synonym_headers_in_another_order_and_empty_rows():
    """Does a hand-typed sheet with 题目/类型/正确答案/A…D headers and empty rows import?"""
    header = ["序号", "题目", "类型", "A", "B", "C", "D", "正确答案", "答案解析", "难易程度", "知识点", "出处"]
    rows = [header,
            ["1", "宪法规定国家尊重和保障（ ）。", "单项选择题", "人权", "特权", "物权", "债权", "a", "第三十三条", "容易",
             "宪法/公民权利", "《中华人民共和国宪法》第三十三条"],
            [],
            ["2", "村委会每届任期五年。", "是非题", "", "", "", "", "√", "", "", "", ""]]
    preview = read(make_xlsx({"Sheet1": rows}))
    assert not preview.problems and len(preview.accepted) == 2
    first = preview.accepted[0].values
    assert first["law_name"] == "《中华人民共和国宪法》" and first["law_article"] == "第三十三条"
    assert any("序号" in note for note in preview.notes)


def test_several_sheets_and_type_from_sheet_name():
    """Are all sheets with a header read, a sheet named 判断题 without a 题型 column typed by its name, and 填写说明 skipped?"""
    judge = [["题干", "答案"], ["宪法是国家的根本法。", "对"], ["国家宪法日是3月15日。", "错"]]
    data = make_xlsx({"单选题": [COLUMNS, GOOD_ROWS[0]], "判断题": judge,
                      "填写说明": [["栏目", "说明"], ["题干", "必填"]], "封面": [["2025年学法考试"]]})
    preview = read(data)
    assert preview.sheets == ["单选题", "判断题"]
    assert [item.values["qtype"] for item in preview.accepted] == ["single", "judge", "judge"]
    assert any("封面" in note for note in preview.notes)


def test_type_inferred_from_answer_when_no_type_column():
    """With no 题型 column anywhere, is the type inferred from the answer?"""
    rows = [["题目", "选项A", "选项B", "选项C", "答案"], ["甲（ ）", "一", "二", "三", "B"], ["乙（ ）", "一", "二", "三", "AC"],
            ["丙。", "", "", "", "错误"]]
    preview = read(make_xlsx({"Sheet1": rows}))
    assert [item.values["qtype"] for item in preview.accepted] == ["single", "multiple", "judge"]


@pytest.mark.parametrize("encoding, bom", [("utf-8", False), ("utf-8", True), ("gbk", False), ("gb18030", False)])
def test_csv_encodings(encoding, bom):
    """Are UTF-8 (with or without BOM), GBK and GB18030 CSV files read with the Chinese intact?"""
    preview = read(make_csv([COLUMNS] + GOOD_ROWS, encoding=encoding, bom=bom), "题库.csv")
    assert not preview.problems and len(preview.accepted) == 3
    assert preview.accepted[0].values["stem"] == GOOD_ROWS[0][1]


def test_options_in_one_cell_column():
    """Does a 问卷星-style file with all options in one 选项 cell import?"""
    rows = [["题型", "题干", "选项", "答案"], ["单选", "下列属于行政处罚的是（ ）。", "A.罚款 B.批评教育 C.约谈 D.谈话提醒", "A"],
            ["多选", "下列属于行政强制措施的是（ ）。", "A、查封场所；B、扣押财物；C、冻结存款；D、警告", "ABC"]]
    preview = read(make_xlsx({"Sheet1": rows}))
    assert [item.values["options"] for item in preview.accepted] == [
        ["罚款", "批评教育", "约谈", "谈话提醒"], ["查封场所", "扣押财物", "冻结存款", "警告"]]


def test_rejected_rows_name_sheet_row_and_column():
    """Does every bad row come back with its sheet, Excel row number, column and reason?"""
    rows = [COLUMNS, GOOD_ROWS[0], row(stem=""), row(answer="E"), row("判断", "宪法是根本法。", (), "大概")]
    preview = read(make_xlsx({"题库": rows}, merge_title="标题"))
    found = {(p.sheet, p.row, p.column) for p in preview.problems}
    assert found == {("题库", 4, "题干"), ("题库", 5, "答案"), ("题库", 6, "答案")}
    assert preview.rejected_rows == 3 and len(preview.accepted) == 1
    assert str(preview.problems[0]) == "工作表“题库”第 4 行「题干」：题干为空"


def test_duplicates_within_file_are_reported_not_rejected():
    """Is a repeated question (other spacing, width and option order) a duplicate of the earlier row?"""
    again = row(stem="根据宪法, 中华人民共和国的一切权力属于( )。", options=("政党", "人民", "国务院", "法院"), answer="B")
    preview = read(make_xlsx({"题库": [COLUMNS, GOOD_ROWS[0], again]}))
    assert len(preview.accepted) == 1 and not preview.problems
    assert [(d.row, d.same_as) for d in preview.duplicates] == [(3, ("题库", 2))]
    assert "第 2 行重复" in preview.duplicates[0].message


def test_duplicates_against_the_bank(app, jia_bank):
    """Are questions already in the bank (including retired ones) found with one query and left out?"""
    first = importer.preview_import(make_xlsx({"题库": [COLUMNS] + GOOD_ROWS[:2]}), jia_bank, "a.xlsx")
    importer.apply_import(None, jia_bank, first)
    db.session.commit()
    retired = db.session.scalar(sa.select(Question).where(Question.qtype == "multiple"))
    services.set_question_status(None, retired, "retired")
    db.session.commit()
    second = importer.preview_import(make_xlsx({"题库": [COLUMNS] + GOOD_ROWS}), jia_bank, "b.xlsx")
    assert [item.values["qtype"] for item in second.accepted] == ["judge"]
    assert {d.existing_id for d in second.duplicates} == set(db.session.scalars(sa.select(Question.id)))
    assert any("已停用" in d.message for d in second.duplicates)


def test_same_file_again_is_pointed_out(app, jia_bank):
    """Does a second upload of the same bytes into the same bank list the earlier import?"""
    data = make_xlsx({"题库": [COLUMNS] + GOOD_ROWS})
    importer.apply_import(None, jia_bank, importer.preview_import(data, jia_bank, "a.xlsx"))
    db.session.commit()
    again = importer.preview_import(data, jia_bank, "a (1).xlsx")
    assert [r.accepted for r in again.previous] == [3]
    assert not again.accepted and len(again.duplicates) == 3


def test_apply_records_the_import(app, jia_bank, org):
    """Does apply store every accepted question with its file, sheet and row, and an ImportRecord with the report?"""
    data = make_xlsx({"题库": [COLUMNS] + GOOD_ROWS + [row(stem="")]})
    preview = importer.preview_import(data, jia_bank, "县模板.xlsx")
    record = importer.apply_import(org, jia_bank, preview, valid_only=True)
    db.session.commit()
    assert (record.total_rows, record.accepted, record.duplicates, record.rejected) == (4, 3, 0, 1)
    assert record.sha256 == preview.sha256 and record.imported_by_id == org.id
    assert record.report["problems"][0]["row"] == 5 and record.report["valid_only"] is True
    questions = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert [(q.import_id, q.import_sheet, q.import_row) for q in questions] == [(record.id, "题库", r) for r in (2, 3, 4)]
    assert questions[1].tags == ["国际禁毒日", "应知应会"] and questions[1].law_version.isoformat() == "2007-12-29"


def test_rejected_rows_need_an_explicit_choice(app, jia_bank):
    """With rejected rows and no choice, does apply refuse and write nothing?"""
    preview = importer.preview_import(make_xlsx({"题库": [COLUMNS, GOOD_ROWS[0], row(stem="")]}), jia_bank, "a.xlsx")
    with pytest.raises(importer.ServiceError, match="只导入无误的行"):
        importer.apply_import(None, jia_bank, preview)
    db.session.rollback()
    assert count(Question) == 0 and count(ImportRecord) == 0


def test_error_mid_apply_leaves_nothing(app, jia_bank, monkeypatch):
    """When the second insert batch fails, does the rollback leave no question and no import record?"""
    rows = [COLUMNS] + [row(stem=f"第{i}题：依照规定应当（ ）。") for i in range(25)]
    preview = importer.preview_import(make_xlsx({"题库": rows}), jia_bank, "big.xlsx")
    monkeypatch.setattr(importer, "INSERT_CHUNK", 10)
    real, calls = importer._insert_chunk, []

    def failing(chunk, constant):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real(chunk, constant)

    monkeypatch.setattr(importer, "_insert_chunk", failing)
    with pytest.raises(RuntimeError):
        importer.apply_import(None, jia_bank, preview)
    assert count(Question) == 10  # the first batch was written inside the open transaction...
    db.session.rollback()
    assert count(Question) == 0 and count(ImportRecord) == 0  # ...and the rollback took it all back


def test_round_trip_export_then_import(app, jia_bank, yi_bank):
    """Does exporting a bank and importing the file give back the same questions, formulas and all?"""
    rows = [COLUMNS] + GOOD_ROWS + [
        row(stem="=HYPERLINK(\"http://x\")是否合法（ ）", options=("-1", "+2", "@3", "正常"), answer="D", 解析="=1+1",
            分类="测试/公式", 标签="甲;乙"),
        row("多选", "第二题（ ）", ("一", "二", "三", "四", "五", "六", "七", "八"), "ACEGH", 难度="难")]
    importer.apply_import(None, jia_bank, importer.preview_import(make_xlsx({"题库": rows}), jia_bank, "a.xlsx"))
    db.session.commit()
    original = db.session.scalars(sa.select(Question).where(Question.bank_id == jia_bank.id)
                                  .order_by(Question.id)).all()
    exported = services.export_bytes(original)
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        # Every cell's text, wherever the writer keeps it (inline strings in constant-memory mode).
        xml = "".join(archive.read(name).decode() for name in archive.namelist()
                      if name.startswith(("xl/worksheets/", "xl/sharedStrings")))
    assert "'=HYPERLINK" in xml and "'-1" in xml and "'+2" in xml and "'@3" in xml and "<f>" not in xml
    preview = importer.preview_import(exported, yi_bank, "export.xlsx")
    assert not preview.problems and not preview.duplicates
    fields = ("qtype", "stem", "options", "answer", "explanation", "difficulty", "category", "law_name",
              "law_article", "law_version", "tags", "fingerprint")
    assert [{k: item.values[k] for k in fields} for item in preview.accepted] == [
        {k: getattr(q, k) for k in fields} for q in original]


def test_template_imports_nothing_but_reads_cleanly(app):
    """Is the blank template recognised as header-only, and do its examples import without errors?"""
    template = services.template_bytes()
    with pytest.raises(SpreadsheetError, match="只有表头"):
        read(template)
    from quizapp.common.spreadsheets import read_workbook

    examples = [sheet for sheet in read_workbook(template) if sheet.name == "示例"][0]
    preview = read(make_xlsx({"示例题": examples.rows}))
    assert not preview.problems and preview.by_type == {"single": 2, "multiple": 1, "indefinite": 1, "judge": 1}
    assert [item.values["case_id"] for item in preview.accepted].count("CY-01") == 2


# ---------------------------------------------------------------- hostile files

def _zip(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


HOSTILE = {
    "empty": (b"", "文件是空的"),
    "png named xlsx": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "不是有效的表格文件"),
    "pdf": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(0, 32)) * 50, "不是有效的表格文件"),
    "truncated xlsx": (None, "已损坏"),
    "zip bomb": (_zip({"[Content_Types].xml": "<x/>", "xl/workbook.xml": b"0" * (210 * 1024 * 1024)}), "解压后过大"),
    "too many entries": (_zip({f"xl/f{i}.xml": "x" for i in range(2100)}), "条目过多"),
    "zip that is not a workbook": (_zip({"readme.txt": "hello"}), "不是有效的 Excel 工作簿"),
    "no header": (make_csv([["姓名", "单位"], ["张三", "甲乡"]]), "没有找到表头"),
    "header only": (make_csv([COLUMNS]), "只有表头"),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_files_are_refused_with_a_message(kind):
    """Is each hostile or unusable file refused as a whole with a Chinese message and no stack trace?"""
    data, message = HOSTILE[kind]
    if data is None:
        data = make_xlsx({"题库": [COLUMNS] + GOOD_ROWS})[:400]
    with pytest.raises(SpreadsheetError, match=message):
        read(data)


def test_size_row_and_cell_limits():
    """Are a file over the size limit and a file over the row limit refused, and an overlong cell rejected by row?"""
    data = make_csv([COLUMNS] + GOOD_ROWS)
    with pytest.raises(SpreadsheetError, match="文件过大"):
        importer.read_questions(data, "a.csv", max_bytes=100)
    many = make_csv([COLUMNS] + [row(stem=f"题{i}") for i in range(importer.MAX_ROWS + 1)])
    with pytest.raises(SpreadsheetError, match="数据行数超过上限"):
        read(many, "many.csv")
    long_cell = read(make_csv([COLUMNS, row(解析="长" * 6000)]), "long.csv")
    assert [(p.row, p.column) for p in long_cell.problems] == [(2, "解析"), (2, "解析")]
    assert "内容过长" in long_cell.problems[0].message


_CELLS = st.text(alphabet=["题", "干", "答", "案", "正", "确", "*", "【", " ", "\t", "\x00", "\x01", "x"], max_size=4)


@given(st.lists(st.lists(_CELLS, max_size=5), max_size=12), st.integers(0, 3))
@settings(max_examples=300, deadline=None)
def test_rows_that_may_start_a_table_are_found_by_one_search_as_row_by_row(rows, start):
    """Does the one search over a sheet's joined cells find exactly the rows the row-by-row header test passes,
    whatever the cells hold (the separators too)?"""
    first_chars = spreadsheets._first_chars(SYNONYMS, REQUIRED)
    expected = [index for index in range(start, len(rows)) if spreadsheets._may_be_header(rows[index], first_chars)]
    joined = ["\x00".join(row) for row in rows]
    assert spreadsheets._heading_like(rows, joined, start, first_chars) == expected


def test_long_cells_and_formulas_are_reported_row_by_row_in_two_tables():
    """With a second table in the sheet, an overlong cell and formulas, are the problems in row order (each row's
    long cells, then its formulas), the long text cut short, and each table's records its own?"""
    sheet = spreadsheets.Sheet("题库", [["题干", "答案", "解析"], ["甲", "A", "长" * 6000], ["", " ", ""],
                                        ["乙", "B", "x"], ["答案", "题干"], ["C", "丙"]],
                               formulas={(1, 1): "1+1", (3, 0): "", (5, 1): "A1"})
    tables, problems = spreadsheets.find_tables([sheet], SYNONYMS, REQUIRED)
    assert [(p.row, p.column, p.message[:6]) for p in problems] == [
        (2, "explanation", "内容过长（超"), (2, "answer", "单元格 B2"), (4, "stem", "单元格 A4"), (6, "stem", "单元格 B6")]
    assert [table.records for table in tables] == [
        [(2, {"stem": "甲", "answer": "A", "explanation": "长" * 5000}), (4, {"stem": "乙", "answer": "B", "explanation": "x"})],
        [(6, {"answer": "C", "stem": "丙"})]]


def test_formula_cells_are_row_errors_naming_the_cell():
    """Is a formula cell (=1+1 cached as 2, or a web call) a row error naming the cell, never run nor stored?"""
    buffer = io.BytesIO()
    import xlsxwriter

    workbook = xlsxwriter.Workbook(buffer)
    sheet = workbook.add_worksheet("题库")
    sheet.write_row(0, 0, COLUMNS)
    sheet.write_row(1, 0, GOOD_ROWS[0])
    sheet.write_formula(1, 1, '=WEBSERVICE("http://example.invalid")', None, "缓存的题干（ ）")
    sheet.write_row(2, 0, GOOD_ROWS[2])
    sheet.write_formula(2, 1, "=1+1", None, 2)
    sheet.write_row(3, 0, GOOD_ROWS[1])
    workbook.close()
    preview = read(buffer.getvalue())
    assert [item.row for item in preview.accepted] == [4]
    assert [(p.row, p.column) for p in preview.problems] == [(2, "题干"), (3, "题干")]
    assert "单元格 B2 是公式" in preview.problems[0].message and "WEBSERVICE" in preview.problems[0].message
    assert "单元格 B3 是公式（=1+1）" in preview.problems[1].message


def test_bulk_insert_stores_options_and_tags_as_json_would(app, jia_bank):
    """Do options and tags written by the bulk insert (its own JSON encoding) read back exactly, quotes and all?"""
    tricky = row(stem='引号"与反斜杠\\的题（ ）。', options=('A"B', "C\\D", "é", "中文"), answer="A", 标签='a"b;中\\文')
    preview = importer.preview_import(make_xlsx({"题库": [COLUMNS, tricky]}), jia_bank, "j.xlsx")
    importer.apply_import(None, jia_bank, preview)
    db.session.commit()
    db.session.expire_all()
    question = db.session.scalar(sa.select(Question))
    assert question.options == ['A"B', "C\\D", "é", "中文"] and question.tags == ['a"b', "中\\文"]
