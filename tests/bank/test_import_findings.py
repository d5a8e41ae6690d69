"""Issue 17's six spreadsheet findings and issue 12's findings 6-7: each a test that fails on the old importer."""
import json

import pytest
import sqlalchemy as sa

from bankfiles import make_tall_xlsx, make_xlsx
from quizapp.bank import importer
from quizapp.bank.models import Question
from quizapp.bank.rows import COLUMNS
from quizapp.common.spreadsheets import SpreadsheetError
from quizapp.extensions import db


def read(rows, **kw):
    return importer.read_questions(make_xlsx({"Sheet1": rows}), "题库.xlsx", **kw)


def messages(preview):
    return {(p.row, p.column): p.message for p in preview.problems}


# ---- finding 1: no key by inference


def test_stem_and_answer_only_never_become_judge_by_letter():
    """With only 题干 and 答案 columns, is an A/B answer a row error (never 判断 A→正确), while 正确/错 still import?"""
    rows = [["题干", "答案"], ["下列属于行政处罚的是（ ）。", "A"], ["乡镇人民政府可以（ ）。", "B"],
            ["宪法是国家的根本法。", "正确"], ["村委会每届任期三年。", "错"]]
    preview = read(rows)
    assert [(item.row, item.values["qtype"], item.values["answer"]) for item in preview.accepted] == [
        (4, "judge", "A"), (5, "judge", "B")]
    found = messages(preview)
    assert set(found) == {(2, "答案"), (3, "答案")}
    assert all(message.startswith("没有选项列，无法确定题型") for message in found.values())


# ---- finding 2: compare after whitespace and width folding only


def test_options_differing_in_punctuation_are_not_identical():
    """Are C++ and C, “/” and “\\”, <% = x %> and <% x %> different options (no false "identical options")?"""
    rows = [COLUMNS,
            ["单选", "下列哪种语言支持类（ ）。", "C++", "C", "Go", "", "", "", "", "", "A"],
            ["单选", "路径分隔符是（ ）。", "“/”", "“\\”", "“|”", "", "", "", "", "", "A"],
            ["单选", "正确的写法是（ ）。", "<% = x %>", "<% x %>", "<%# x %>", "", "", "", "", "", "A"]]
    preview = read(rows)
    assert not preview.problems
    assert [item.values["options"][:2] for item in preview.accepted] == [
        ["C++", "C"], ["“/”", "“\\”"], ["<% = x %>", "<% x %>"]]


def test_statement_is_not_a_duplicate_of_a_question_differing_in_punctuation():
    """Is "……正确使用、（ ）和保养方法。" a different question from "……正确使用和保养方法。" (not dropped as a duplicate)?"""
    rows = [COLUMNS,
            ["判断", "职工应掌握设备的正确使用和保养方法。", "", "", "", "", "", "", "", "", "正确"],
            ["判断", "职工应掌握设备的正确使用、（ ）和保养方法。", "", "", "", "", "", "", "", "", "错误"],
            ["判断", "职工应掌握设备的正确使用和保养方法 。", "", "", "", "", "", "", "", "", "正确"]]
    preview = read(rows)
    assert [item.row for item in preview.accepted] == [2, 3]
    assert [(d.row, d.same_as) for d in preview.duplicates] == [(4, ("Sheet1", 2))]  # only spacing differs


# ---- finding 3: labels stripped only when they are the option's own


def test_option_text_that_starts_like_a_label_is_kept():
    """Are "a = 2, b = 1" and "C:\\InetPub" kept whole, while "A. 宪法" loses its label and the preview shows it?"""
    rows = [COLUMNS,
            ["单选", "执行后 a 的值（ ）。", "a = 2, b = 1", "a = 1, b = 2", "a = 3", "", "", "", "", "", "A"],
            ["单选", "网站默认目录是（ ）。", "D:\\www", "E:\\www", "C:\\InetPub\\wwwroot", "", "", "", "", "", "C"],
            ["单选", "根本法是（ ）。", "A. 宪法", "B、法律", "C：行政法规", "(D) 规章", "", "", "", "", "A"]]
    preview = read(rows)
    assert not preview.problems
    assert [item.values["options"] for item in preview.accepted] == [
        ["a = 2, b = 1", "a = 1, b = 2", "a = 3"], ["D:\\www", "E:\\www", "C:\\InetPub\\wwwroot"],
        ["宪法", "法律", "行政法规", "规章"]]
    assert [item[2:] for item in preview.stripped_labels] == [
        ("A", "A. 宪法", "宪法"), ("B", "B、法律", "法律"), ("C", "C：行政法规", "行政法规"), ("D", "(D) 规章", "规章")]
    assert preview.report()["stripped_count"] == 4


# ---- finding 4: real spellings


def test_bracketed_instruction_headers_and_other_spellings():
    """Are 问题内容, 正确答案(只能输入ABCD否则报错) and 正确选项 read as 题干 and 答案?"""
    for answer_header in ["正确答案(只能输入ABCD否则报错)", "正确选项"]:
        rows = [["题型", "问题内容", "选项A", "选项B", "选项C", answer_header],
                ["单选", "根本法是（ ）。", "宪法", "法律", "规章", "A"]]
        preview = read(rows)
        assert [item.values["answer"] for item in preview.accepted] == ["A"], answer_header


def test_letter_plus_text_answers_are_checked_against_the_option():
    """Is "B、《史记》" accepted when option B is 《史记》, "A、正确" for 判断, and a mismatch an error naming both?"""
    rows = [["题型", "题干", "选项A", "选项B", "选项C", "答案"],
            ["单选", "我国第一部纪传体通史是（ ）。", "《汉书》", "《史记》", "《资治通鉴》", "B、《史记》"],
            ["判断", "宪法是国家的根本法。", "", "", "", "A、正确"],
            ["单选", "我国第一部编年体通史是（ ）。", "《汉书》", "《史记》", "《左传》", "B、《左传》"]]
    preview = read(rows)
    assert [(item.row, item.values["answer"]) for item in preview.accepted] == [(2, "B"), (3, "A")]
    assert messages(preview) == {(4, "答案"): "答案“B、《左传》”中的文字与选项B“《史记》”不一致"}


def test_letter_plus_text_answer_without_type_column_is_not_asked_for_a_type():
    """Finding 5: is a letter-plus-text answer read (not reported as "请增加题型列") when the file has no 题型?"""
    rows = [["题干", "选项A", "选项B", "选项C", "答案"], ["第一部纪传体通史是（ ）。", "《汉书》", "《史记》", "《左传》", "B、《史记》"]]
    preview = read(rows)
    assert not preview.problems and preview.accepted[0].values["answer"] == "B"


def test_options_separated_by_slashes_in_one_cell():
    """Are options written "宪法/法律/行政法规" in one 选项 cell split into three?"""
    rows = [["题型", "题干", "选项", "答案"], ["单选", "根本法是（ ）。", "宪法/法律/行政法规", "A"]]
    assert read(rows).accepted[0].values["options"] == ["宪法", "法律", "行政法规"]


def test_numeric_type_codes_need_a_confirmed_mapping():
    """Are numeric 题型 codes errors until a mapping is given, then read by that mapping (never guessed)?"""
    rows = [COLUMNS, ["1", "根本法是（ ）。", "宪法", "法律", "", "", "", "", "", "", "A"],
            ["3", "宪法是国家的根本法。", "", "", "", "", "", "", "", "", "正确"]]
    refused = read(rows)
    assert not refused.accepted and refused.type_codes_found == ["1", "3"]
    assert all("数字代码" in message for message in messages(refused).values())
    mapped = read(rows, type_codes={"1": "single", "3": "judge"})
    assert [item.values["qtype"] for item in mapped.accepted] == ["single", "judge"]


def test_header_refusal_lists_headers_and_nearest_spelling():
    """When no header is found, does the message list the headers found and the nearest known spelling?"""
    rows = [["序号", "题面", "正确答按", "备注"], ["1", "根本法是（ ）。", "A", ""]]
    with pytest.raises(SpreadsheetError) as refused:
        read(rows)
    message = str(refused.value)
    assert "序号、题面、正确答按、备注" in message
    assert "“正确答按”最接近的已知写法是“正确答案”" in message and "缺少“答案”列" in message


# ---- finding 5: a second table in one sheet


def test_second_table_in_a_sheet_is_read_with_its_own_columns():
    """Is a second table under the first, with its columns in another order, read with its own header?"""
    rows = [["题型", "题干", "选项A", "选项B", "答案"], ["单选", "根本法是（ ）。", "宪法", "法律", "A"], [],
            ["题干", "答案", "题型"], ["宪法是国家的根本法。", "正确", "判断"]]
    preview = read(rows)
    assert not preview.problems
    assert [(item.row, item.values["qtype"], item.values["stem"]) for item in preview.accepted] == [
        (2, "single", "根本法是（ ）。"), (5, "judge", "宪法是国家的根本法。")]


# ---- finding 6: --valid-only with nothing accepted


def test_valid_only_exits_non_zero_when_nothing_was_imported(runner, tmp_path):
    """Does `bank import --valid-only` exit non-zero (and write nothing) when no row was accepted?"""
    path = tmp_path / "bad.xlsx"
    path.write_bytes(make_xlsx({"题库": [["题干", "答案"], ["甲（ ）", "A"], ["乙（ ）", "B"]]}))
    result = runner.invoke(args=["bank", "import", str(path), "--bank", "县题库", "--valid-only", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["accepted"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0


def test_type_code_option_on_the_cli(runner, tmp_path):
    """Does `--type-code 1=single` give numeric codes their meaning on the command line?"""
    path = tmp_path / "codes.xlsx"
    path.write_bytes(make_xlsx({"题库": [COLUMNS, ["1", "根本法是（ ）。", "宪法", "法律", "", "", "", "", "", "", "A"]]}))
    refused = runner.invoke(args=["bank", "import", str(path), "--bank", "县题库", "--json"])
    assert refused.exit_code == 1
    result = runner.invoke(args=["bank", "import", str(path), "--bank", "县题库", "--json", "--type-code", "1=单选"])
    assert result.exit_code == 0 and json.loads(result.stdout)["accepted"] == 1


# ---- issue 12, finding 7: spellings not on the list, formula cells (see test_bank_importer), one duplicate rule


@pytest.mark.parametrize("spelling", ["X", "x", "V", "v", "大概", "A、错误"])
def test_judge_spellings_not_on_the_list_are_row_errors(spelling):
    """Is a 判断 answer not on the documented list (a Latin X is not ×) a row error, never stored as a key?"""
    preview = read([COLUMNS, ["判断", "宪法是国家的根本法。", "", "", "", "", "", "", "", "", spelling]])
    assert not preview.accepted and list(messages(preview)) == [(2, "答案")]


# ---- issue 12, finding 6: limits while reading


def test_tall_file_is_refused_before_any_parser_builds_its_rows(monkeypatch):
    """Is a small .xlsx that inflates to far more rows than the limit refused by a streamed scan, in little memory?"""
    import tracemalloc

    import python_calamine

    def parser_called(*args, **kwargs):
        raise AssertionError("the parser must not see a file over the row limit")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", parser_called)
    monkeypatch.setattr(python_calamine, "load_workbook", parser_called)
    data = make_tall_xlsx(60_000)
    tracemalloc.start()
    try:
        with pytest.raises(SpreadsheetError, match="数据行数超过上限（20000 行）"):
            importer.read_questions(data, "tall.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024


def test_file_at_the_limit_still_reads():
    """Is a file with exactly the allowed number of rows read in full (the scan stops only past the limit)?"""
    preview = importer.read_questions(make_tall_xlsx(importer.MAX_ROWS), "tall.xlsx")
    assert preview.total == importer.MAX_ROWS
    assert len(preview.accepted) == 1 and len(preview.duplicates) == importer.MAX_ROWS - 1


def test_migration_recomputes_stored_fingerprints(f, jia_bank):
    """Does migration w3imports01 give every stored question the fingerprint the new duplicate rule computes?"""
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from quizapp.bank.rows import fingerprint

    question = f.question(jia_bank, stem="C++ 是（ ）。", options=["C++", "C", "Go"])
    db.session.execute(sa.update(Question).values(fingerprint="0" * 64))
    db.session.commit()
    path = next((Path(__file__).resolve().parents[2] / "migrations" / "versions").glob("*_w3imports01_*.py"))
    spec = importlib.util.spec_from_file_location("w3imports01", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with Operations.context(MigrationContext.configure(db.session.connection())):
        module.upgrade()
    db.session.commit()
    db.session.refresh(question)
    assert question.fingerprint == fingerprint(question.qtype, question.stem, question.options)


def test_stripped_labels_list_only_real_removals():
    """Are 判断 rows with 对/错 options and options split from one cell left out of the stripped-label list?"""
    rows = [COLUMNS, ["判断", "宪法是根本法。", "对", "错", "", "", "", "", "", "", "对"],
            ["单选", "根本法是（ ）。", "A.宪法 B.法律", "", "", "", "", "", "", "", "A"],
            ["单选", "基本法是（ ）。", "A.宪法", "B.法律", "", "", "", "", "", "", "A"]]
    preview = read(rows)
    assert not preview.problems and [item[1] for item in preview.stripped_labels] == [4, 4]
