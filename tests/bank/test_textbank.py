"""Question banks as Word documents and pasted text: every layout of issue 17, errors that name where and why,
hostile documents, the CLI's JSON, and the Word export that reads back to the same questions."""
import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from bankfiles import ALL_LAYOUT_KEYS, ALL_LAYOUTS, GOOD_ROWS, make_docx
from quizapp.bank import importer, services
from quizapp.bank.models import Question
from quizapp.bank.rows import COLUMNS, parse_record
from quizapp.common.spreadsheets import SpreadsheetError
from quizapp.extensions import db


def keys_by_type(preview):
    found = {}
    for item in preview.accepted:
        found.setdefault(item.values["qtype"], []).append(item.values["answer"])
    return found


def text(source, **kw):
    return importer.read_text_questions("\n".join(source), "粘贴的文本.txt", **kw)


def test_every_layout_in_a_word_document():
    """Are all the layouts (headings, tags, numbering, options, keys, answer table) read with the document's keys?"""
    preview = importer.read_questions(make_docx(ALL_LAYOUTS), "题库.docx")
    assert not preview.problems, [str(p) for p in preview.problems]
    assert keys_by_type(preview) == ALL_LAYOUT_KEYS
    assert preview.section_counts == {"一、单项选择题（每题2分，共12分）": {"single": 6},
                                      "二、多项选择题": {"multiple": 2}, "三、判断题": {"judge": 7}}
    first, second, third, fourth, fifth = (item.values for item in preview.accepted[:5])
    assert first["explanation"] == "宪法第二条。" and first["difficulty"] == "easy"
    assert (first["law_name"], first["law_article"]) == ("《中华人民共和国宪法》", "第二条")
    assert second["stem"] == "国家宪法日是每年的（ ）。" and second["options"][1] == "12月4日"
    assert third["stem"] == "村民委员会每届任期\n（ ）年。"
    assert fourth["options"] == ["罚款", "批评教育", "约谈", "谈话提醒"]
    assert fifth["stem"] == "下列不属于行政强制措施的是_____。"
    judges = [item.values["stem"] for item in preview.accepted if item.values["qtype"] == "judge"]
    assert judges[0] == "宪法是国家的根本法。" and judges[4] == "乡镇人民政府是基层国家行政机关。"


def test_the_same_layouts_as_pasted_text():
    """Does pasted text with the same layouts give the same questions, errors naming lines instead of paragraphs?"""
    lines = [block if isinstance(block, str) else " ".join(cell for row in block for cell in row) for block in ALL_LAYOUTS]
    preview = text(lines)
    assert not preview.problems and keys_by_type(preview) == ALL_LAYOUT_KEYS


@pytest.mark.parametrize("lines, where, message", [
    (["一、单项选择题", "1. 甲（ ）。", "A.一 B.二 C.三", "答案：D"], "第 4 行", "答案 D 不在已填写的选项中"),
    (["一、单项选择题", "1. 甲（ ）。", "A.一 B.二 C.三", "答案：AB"], "第 4 行", "单选题只能有一个答案"),
    (["一、单项选择题", "1. 甲（ ）。", "A.一", "C.二", "D.三", "答案：A"], "第 3 行", "选项顺序有误或有缺漏"),
    (["一、单项选择题", "1. 甲（ ）。", "A.一 B.二 C.三", "答案：A", "3. 乙（ ）。", "A.一 B.二", "答案：A"],
     "第 5 行", "题号 3 不连续"),
    (["一、单项选择题", "1. 甲（ ）。", "A.一 B.二 C.三"], "第 2 行", "没有找到答案"),
    (["三、判断题", "1. 宪法是根本法。", "答案：X"], "第 3 行", "答案“X”无法识别"),
    (["1. 甲（ ）。", "答案：A"], "第 2 行", "没有选项列，无法确定题型"),
    (["一、单项选择题", "1. 甲（ ）。", "A.一 B.二", "答案：A", "参考答案：1-1 B"], "第 5 行", "与题中的答案“A”不一致"),
])
def test_errors_name_question_place_and_reason(lines, where, message):
    """Is each question that cannot be read without a guess an error with its section, number, line and reason?"""
    preview = text(lines)
    assert not [item for item in preview.accepted if item.row != 1 or "3. 乙（ ）。" not in lines]
    found = [(p.row, p.column, p.message) for p in preview.problems]
    assert any(column == where and message in text_ for _, column, text_ in found), found
    assert {p.row for p in preview.problems} <= {1, 3}


def test_indefinite_section_reads_as_the_registry_type():
    """Is a 不定项 section (a type the registry knows) read as 不定项 with its one-or-more letters, not refused?"""
    preview = text(["一、不定项选择题", "1. 甲（ ）。", "A.一 B.二 C.三", "答案：AB", "2. 乙（ ）。", "A.一 B.二 C.三", "答案：C"])
    assert not preview.problems
    assert [(item.values["qtype"], item.values["answer"]) for item in preview.accepted] == [
        ("indefinite", "AB"), ("indefinite", "C")]


def test_picture_in_a_question_is_an_error_not_dropped():
    """Is a question with a picture reported (not imported without it), and the other questions still read?"""
    data = make_docx(["三、判断题", "1. 宪法是国家的根本法。（√）", ("image", "2. 下图所示标志表示禁止通行。（√）")])
    preview = importer.read_questions(data, "题库.docx")
    assert [item.row for item in preview.accepted] == [1]
    assert [(p.row, p.column) for p in preview.problems] == [(2, "第 3 段")]
    assert "图片" in preview.problems[0].message


def _docx_with(extra: dict, content_type=b""):
    buffer = io.BytesIO()
    with zipfile.ZipFile(make_docx(["1. 甲"]) and io.BytesIO(make_docx(["三、判断题", "1. 甲。（√）"]))) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml" and content_type:
                data = data.replace(b"</Types>", content_type + b"</Types>")
            target.writestr(item, data)
        for name, data in extra.items():
            target.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("data, message", [
    (_docx_with({"word/vbaProject.bin": b"\x00" * 100}), "宏"),
    (_docx_with({}, b'<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.'
                    b'macroEnabled.main+xml"/>'), "宏"),
    (_docx_with({f"word/media/x{i}.xml": "x" for i in range(2100)}), "条目过多"),
    (_docx_with({"word/bomb.xml": "0" * (60 * 1024 * 1024)}), "压缩比异常"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "旧版 Word"),
])
def test_hostile_and_unsupported_documents_are_refused(data, message):
    """Are macro documents, zip bombs, too many entries and old .doc files refused before any parsing?"""
    with pytest.raises(SpreadsheetError, match=message):
        importer.read_questions(data, "题库.doc" if data.startswith(b"\xd0") else "题库.docx")


def test_no_external_fetch_for_linked_pictures(monkeypatch):
    """Is a picture linked to an outside address only reported, never fetched?"""
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("reading a document must not open a connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    rels = (b'<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'image" Target="http://example.invalid/a.png" TargetMode="External"/>')
    data = _docx_with({})
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "word/_rels/document.xml.rels":
                content = content.replace(b"</Relationships>", rels + b"</Relationships>")
            target.writestr(item, content)
    preview = importer.read_questions(buffer.getvalue(), "题库.docx")
    assert len(preview.accepted) == 1


def test_cli_imports_docx_and_txt_with_the_json_shape(runner, tmp_path):
    """Does `bank import FILE.docx|FILE.txt --json` give file/accepted/duplicates/rejected with row = question number?"""
    good = tmp_path / "题库.docx"
    good.write_bytes(make_docx(ALL_LAYOUTS))
    result = runner.invoke(args=["bank", "import", str(good), "--bank", "县题库", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"file": str(good), "accepted": 15, "duplicates": 0, "rejected": []}
    bad = tmp_path / "粘贴.txt"
    bad.write_text("一、单项选择题\n1. 新题甲（ ）。\nA.一 B.二 C.三\n答案：D\n", encoding="utf-8")
    dry = runner.invoke(args=["bank", "import", str(bad), "--bank", "县题库", "--json", "--dry-run"])
    assert dry.exit_code == 1
    assert json.loads(dry.stdout)["rejected"] == [{"sheet": "一、单项选择题", "row": 1, "column": "第 4 行",
                                                   "message": "答案 D 不在已填写的选项中"}]
    stored = db.session.scalars(sa.select(Question.answer).order_by(Question.id)).all()
    assert stored == [key for code in ("single", "multiple", "judge") for key in ALL_LAYOUT_KEYS[code]]


def test_duplicates_against_the_bank_and_valid_only(app, jia_bank):
    """Are questions already in the bank duplicates, and is apply all-or-nothing unless valid_only is chosen?"""
    importer.apply_import(None, jia_bank, importer.preview_import(make_docx(ALL_LAYOUTS[:10]), jia_bank, "a.docx"))
    db.session.commit()
    mixed = ["一、单项选择题（每题2分，共12分）", *ALL_LAYOUTS[2:10], "2. 新题（ ）。", "A.一 B.二", "答案：C"]
    preview = importer.preview_import(make_docx(mixed), jia_bank, "b.docx")
    assert [d.row for d in preview.duplicates] == [1] and preview.problems and not preview.accepted
    from quizapp.common.errors import ServiceError

    with pytest.raises(ServiceError):
        importer.apply_import(None, jia_bank, preview)


def test_word_export_reads_back_to_the_same_questions(app, jia_bank):
    """Round trip: does a bank exported to .docx import back with every field the importer reads unchanged?"""
    from bankfiles import make_xlsx, row

    rows = GOOD_ROWS + [row(stem="多段题干第一段\n第二段（ ）。", options=("甲", "乙\n续行"), answer="B", 解析="第一段\n第二段"),
                        row("判断", "没有依据的判断题。", (), "错误", 法规版本="")]
    source = importer.read_questions(make_xlsx({"题库": [COLUMNS + ["分值"]] + [r + ["2"] for r in rows]}), "a.xlsx")
    assert not source.problems
    data = services.export_docx_bytes([item.values for item in source.accepted], title="甲乡题库")
    back = importer.read_questions(data, "导出.docx")
    assert not back.problems
    fields = ["qtype", "stem", "options", "answer", "explanation", "difficulty", "category", "law_name", "law_article",
              "law_version", "tags", "score_hint", "fingerprint"]
    order = {"single": 0, "multiple": 1, "judge": 2}
    expected = sorted((item.values for item in source.accepted), key=lambda v: order[v["qtype"]])
    assert [[v[f] for f in fields] for v in (item.values for item in back.accepted)] == \
        [[v[f] for f in fields] for v in expected]


def test_word_template_imports_its_examples():
    """Does the .docx template (with 填写说明) import as its three example questions and nothing else?"""
    preview = importer.read_questions(services.template_docx_bytes(), "试题导入模板.docx")
    assert not preview.problems and [item.values["qtype"] for item in preview.accepted] == ["single", "multiple", "judge"]
    assert any("不在任何试题中" in note for note in preview.notes)
    assert parse_record  # the template's examples are the spreadsheet template's, read by the same rules


def test_answer_tables_per_part_and_never_assigned_by_guess():
    """Are answers given after each part matched to that part, while an end table without parts, for numbers that
    restart in each part, is not spread over the wrong questions (each is an error instead)?"""
    per_part = text(["一、单项选择题", "1. 甲（ ）。", "A.一 B.二", "参考答案：1-1 B", "二、判断题", "1. 乙。（ ）",
                     "参考答案：1.×"])
    assert not per_part.problems and [item.values["answer"] for item in per_part.accepted] == ["B", "B"]
    ambiguous = text(["一、单项选择题", "1. 甲（ ）。", "A.一 B.二", "二、判断题", "1. 乙。", "参考答案：", "1.B 1.×"])
    assert not ambiguous.accepted
    assert all("没有找到答案" in p.message for p in ambiguous.problems)


def test_cli_text_output_names_part_number_and_line(runner, tmp_path):
    """Does the CLI's plain output say “part” 第 N 题（第 M 行） for a text bank, not a sheet row?"""
    path = tmp_path / "题.txt"
    path.write_text("一、单项选择题\n1. 甲（ ）。\nA.一 B.二\n答案：C\n", encoding="utf-8")
    result = runner.invoke(args=["bank", "import", str(path), "--bank", "县题库"])
    assert result.exit_code == 1
    assert "“一、单项选择题”第 1 题（第 4 行）：答案 C 不在已填写的选项中" in result.output


def test_letter_and_text_table_and_tag_before_number():
    """Are options in a letter | text table read, and a tag written before the number given to that question?"""
    data = make_docx(["【多选题】1. 下列属于行政强制措施的有（ ）。", [["A", "查封场所"], ["B", "扣押财物"], ["C", "警告"]],
                      "答案：AB", "【判断题】2. 宪法是根本法。（√）"])
    preview = importer.read_questions(data, "题库.docx")
    assert not preview.problems
    assert [(item.values["qtype"], item.values["options"], item.values["answer"]) for item in preview.accepted] == [
        ("multiple", ["查封场所", "扣押财物", "警告"], "AB"), ("judge", ["正确", "错误"], "A")]


def test_more_spellings_range_answer_table_and_metadata():
    """Are [判断] tags, (  ) blanks, 答案解析：, 分值/考点/标签/法规版本 lines and a "1-5 ACBDA 6-7 AB √" table read?"""
    lines = ["一、单项选择题（每题1分）"]
    for n in range(1, 6):
        lines += [f"{n}. 第{n}题(  )。", "A.甲 B.乙 C.丙 D.丁"]
    lines += ["二、多项选择题", "6. 第6题（ ）。", "A.甲 B.乙 C.丙", "7. 第7题（ ）。", "A.甲 B.乙 C.丙",
              "三、判断题", "8.[判断] 第8题。", "答案解析：第一段", "第二段", "分值：2", "考点：宪法/总纲", "标签：应知应会;宪法日",
              "依据：《中华人民共和国宪法》第三十三条", "法规版本：2018-03-11",
              "参考答案：1-5 ACBDA", "6-8 AB ABC √"]
    preview = text(lines)
    assert not preview.problems, [str(p) for p in preview.problems]
    assert [item.values["answer"] for item in preview.accepted] == list("ACBDA") + ["AB", "ABC", "A"]
    judge = preview.accepted[-1].values
    assert judge["explanation"] == "第一段\n第二段" and judge["score_hint"] == 2.0
    assert (judge["category"], judge["tags"]) == ("宪法/总纲", ["应知应会", "宪法日"])
    assert (judge["law_article"], judge["law_version"].isoformat()) == ("第三十三条", "2018-03-11")


def test_word_automatic_numbering():
    """Is a bank typed as a Word numbered list (numbers in numbering.xml, not in the text) read with its numbers?"""
    from docx import Document

    document = Document()
    document.add_paragraph("一、单项选择题")
    document.add_paragraph("根本法是（ ）。", style="List Number")
    document.add_paragraph("A.宪法 B.法律")
    document.add_paragraph("答案：A")
    document.add_paragraph("基本法律由（ ）制定。", style="List Number")
    document.add_paragraph("A.全国人大 B.国务院")
    document.add_paragraph("答案：A")
    buffer = io.BytesIO()
    document.save(buffer)
    preview = importer.read_questions(buffer.getvalue(), "自动编号.docx")
    assert not preview.problems, [str(p) for p in preview.problems]
    assert [(item.row, item.values["stem"]) for item in preview.accepted] == [(1, "根本法是（ ）。"),
                                                                              (2, "基本法律由（ ）制定。")]
