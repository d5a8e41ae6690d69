"""Turning one row of cells into a question: spellings, splitting, validation messages and the fingerprint."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizapp.bank import qtypes
from quizapp.bank.rows import fingerprint, fold_text, parse_record, split_citation, split_options


def parse(**cells):
    record = {"qtype": "单选", "stem": "题干（ ）。", "opt_A": "甲", "opt_B": "乙", "opt_C": "丙", "opt_D": "丁",
              "answer": "B"}
    record.update(cells)
    return parse_record({k: v for k, v in record.items() if v is not None})


def problems_of(**cells):
    values, problems = parse(**cells)
    assert values is None, "expected the row to be rejected"
    return problems


@pytest.mark.parametrize("text, code", [
    ("单选", "single"), ("单选题", "single"), ("单项选择", "single"), ("单项选择题", "single"), (" 单 选 ", "single"),
    ("多选", "multiple"), ("多选题", "multiple"), ("多项选择", "multiple"), ("多项选择题", "multiple"),
    ("判断", "judge"), ("判断题", "judge"), ("是非题", "judge"), ("【判断题】", "judge"),
])
def test_type_spellings(text, code):
    """Is each way files name a type recognised?"""
    assert qtypes.from_name(text).code == code


@pytest.mark.parametrize("text", ["ABD", "A,B,D", "A、B、D", "A B D", "a，b，d", "ＡＢＤ", "D,A,B", "A;B;D", "abd"])
def test_multiple_answer_spellings(text):
    """Do letters with any separator, case or width give the sorted key ABD?"""
    values, problems = parse(qtype="多选", answer=text)
    assert problems == [] and values["answer"] == "ABD"


@pytest.mark.parametrize("text, key", [
    ("对", "A"), ("错", "B"), ("正确", "A"), ("错误", "B"), ("√", "A"), ("×", "B"), ("✓", "A"), ("✗", "B"),
    ("是", "A"), ("否", "B"), ("T", "A"), ("F", "B"), ("t", "A"), ("f", "B"), ("Y", "A"), ("N", "B"),
    ("A", "A"), ("B", "B"), ("Ｔ", "A"), ("正确。", "A"),
])
def test_judge_answer_spellings(text, key):
    """Is every spelling of right/wrong read as the stored key A (正确) / B (错误), with the fixed options?"""
    values, problems = parse(qtype="判断", opt_A="", opt_B="", opt_C="", opt_D="", answer=text)
    assert problems == []
    assert values["answer"] == key and values["options"] == ["正确", "错误"]


def test_judge_letters_follow_the_files_own_options():
    """When a file fills 选项A=错 选项B=对 (as 问卷星 does), does answer B mean 正确?"""
    values, problems = parse(qtype="判断", opt_A="错", opt_B="对", opt_C="", opt_D="", answer="B")
    assert problems == [] and values["answer"] == "A" and values["options"] == ["正确", "错误"]


@pytest.mark.parametrize("cell", ["A.甲 B.乙 C.丙 D.丁", "A、甲；B、乙；C、丙；D、丁", "A．甲\nB．乙\nC．丙\nD．丁",
                                  "甲\n乙\n丙\n丁", "(A)甲 (B)乙 (C)丙 (D)丁", "A:甲  B:乙  C:丙  D:丁"])
def test_options_in_one_cell(cell):
    """Are options written in one cell (in the 选项 column or all in 选项A) split into four?"""
    for cells in ({"options": cell, "opt_A": "", "opt_B": "", "opt_C": "", "opt_D": ""},
                  {"opt_A": cell, "opt_B": "", "opt_C": "", "opt_D": ""}):
        values, problems = parse(**cells)
        assert problems == [] and values["options"] == ["甲", "乙", "丙", "丁"]


def test_split_options_does_not_cut_inside_text():
    """Does a letter inside an option (B超) stay part of the text?"""
    assert split_options("A．B超检查 B．CT检查") == ["B超检查", "CT检查"]


def test_own_label_is_stripped_from_option_cells():
    """Is "A. 全国人大" in the 选项A column stored as "全国人大"?"""
    values, _ = parse(opt_A="A. 全国人大", opt_B="B、国务院")
    assert values["options"][:2] == ["全国人大", "国务院"]


@pytest.mark.parametrize("cells, column, fragment", [
    ({"stem": ""}, "stem", "题干为空"),
    ({"stem": "长" * 1001}, "stem", "题干超过 1000 个字符"),
    ({"qtype": "填空"}, "qtype", "未知的题型“填空”"),
    ({"qtype": ""}, "qtype", "题型为空"),
    ({"answer": "E"}, "answer", "答案 E 不在已填写的选项中"),
    ({"answer": ""}, "answer", "答案为空"),
    ({"answer": "AB"}, "answer", "单选题只能有一个答案"),
    ({"answer": "对"}, "answer", "答案“对”无法识别"),
    ({"qtype": "多选", "answer": "A"}, "answer", "多选题至少要有两个正确答案"),
    ({"qtype": "多选", "opt_C": "", "opt_D": "", "answer": "AB"}, "options", "多选题至少需要 3 个选项"),
    ({"opt_C": ""}, "opt_C", "选项C为空，但后面的选项D已填写"),
    ({"qtype": "判断", "opt_A": "", "opt_B": "", "opt_C": "", "opt_D": "", "answer": "也许"}, "answer",
     "答案“也许”无法识别"),
    ({"qtype": "判断", "answer": "正确"}, "options", "判断题的选项固定为"),
    ({"difficulty": "很难"}, "difficulty", "未知的难度“很难”"),
    ({"version": "去年"}, "version", "法规版本“去年”不是日期"),
    ({"opt_B": "甲"}, "opt_B", "选项B与选项A相同"),
    ({"score": "两分"}, "score", "分值“两分”应为 0 到 100 之间的数字"),
])
def test_each_bad_cell_is_named(cells, column, fragment):
    """Does each kind of bad row come back with its column and a Chinese reason?"""
    problems = problems_of(**cells)
    assert any(key == column and fragment in message for key, message in problems), problems


def test_a_row_reports_every_problem_at_once():
    """Are all of a row's problems reported together, not just the first?"""
    keys = {key for key, _ in problems_of(stem="", difficulty="超难", answer="Z")}
    assert {"stem", "difficulty", "answer"} <= keys


@pytest.mark.parametrize("text, code", [("易", "easy"), ("容易", "easy"), ("中", "medium"), ("", "medium"),
                                        ("难", "hard"), ("较难", "hard")])
def test_difficulty_spellings(text, code):
    """Are 易/中/难 and their common variants read, with 中 as the default?"""
    assert parse(difficulty=text)[0]["difficulty"] == code


def test_combined_citation_is_split():
    """Is 《中华人民共和国宪法》第三十三条 in 法律依据 split into law and article when 条款 is empty?"""
    values, _ = parse(law="《中华人民共和国宪法》第三十三条", article="", version="2018-03-11")
    assert (values["law_name"], values["law_article"]) == ("《中华人民共和国宪法》", "第三十三条")
    assert split_citation("《中华人民共和国宪法》（2018年3月11日修正）第三十三条第二款", "") == (
        "《中华人民共和国宪法》", "第三十三条第二款", "2018年3月11日修正")
    assert split_citation("中央全面依法治国工作会议（2020年11月）", "") == ("中央全面依法治国工作会议（2020年11月）", "", "")


@pytest.mark.parametrize("text", ["2018-03-11", "2018/3/11", "2018.3.11", "2018年3月11日", "2018-03-11 00:00:00",
                                  "43170"])
def test_version_dates(text):
    """Are the usual ways of writing the version date (and a spreadsheet date cell) read?"""
    assert parse(version=text)[0]["law_version"] == date(2018, 3, 11)


def test_tags_and_category_are_normalised():
    """Are tags split on any separator and category paths joined with "/"?"""
    values, _ = parse(tags="应知应会；国家宪法日, 应知应会", category=" 宪法 ／ 国家机构 ")
    assert values["tags"] == ["应知应会", "国家宪法日"] and values["category"] == "宪法/国家机构"


def test_fingerprint_folds_width_space_and_option_order_only():
    """Do two spellings of the same question (width, spaces, option order) share a fingerprint, and a different type or option not?"""
    a = fingerprint("single", "根据宪法，公民年满十八周岁有选举权（ ）。", ["甲", "乙ＡＢ", "丙"])
    b = fingerprint("single", "根据宪法, 公民年满十八周岁有选举权( )。", ["丙", "乙AB", " 甲 "])
    assert a == b
    assert a != fingerprint("multiple", "根据宪法，公民年满十八周岁有选举权（ ）。", ["甲", "乙ＡＢ", "丙"])
    assert a != fingerprint("single", "根据宪法，公民年满十八周岁有选举权（ ）。", ["甲", "乙ＡＢ", "丁"])
    assert fold_text(" Ａ，b！ c ") == "A,b!c"


@pytest.mark.parametrize("one, other", [
    ("C++", "C"), ("“/”", "“\\”"), ("<% = x %>", "<% x %>"), ("Ab", "ab"),
    ("使用者应掌握设备的正确使用、（ ）和保养方法。", "使用者应掌握设备的正确使用和保养方法。"),
])
def test_texts_differing_in_punctuation_or_case_are_not_the_same(one, other):
    """Issue 17 finding 2: is punctuation (and case) kept when comparing options and questions?"""
    assert fold_text(one) != fold_text(other)
    assert fingerprint("judge", one, []) != fingerprint("judge", other, [])
    values, problems = parse(opt_A=one, opt_B=other, opt_C="丙", opt_D="丁")
    assert problems == [] and values["options"][:2] == [one, other]


def test_formula_escape_quote_is_removed():
    """Does a stem exported as '=SUM(1) come back as =SUM(1)?"""
    assert parse(stem="'=SUM(1)，对吗（ ）")[0]["stem"] == "=SUM(1)，对吗（ ）"


@pytest.mark.parametrize("cells", [
    {},
    {"qtype": "判断", "opt_A": "", "opt_B": "", "opt_C": "", "opt_D": "", "answer": "对"},
    {"opt_A": "A. 甲", "opt_B": "B. 乙", "difficulty": "难", "law": "《宪法》第三十三条", "tags": "宪法;权利"},
    {"opt_C": "", "opt_D": "丁"},
    {"answer": "E", "difficulty": "很难", "version": "去年", "score": "200"},
])
def test_a_table_found_clean_is_parsed_as_row_by_row(cells):
    """For stripped cells with nothing to clean, does parse_record(clean=True) give exactly the row-by-row result?"""
    from quizapp.bank.rows import needs_cleaning

    record = {"qtype": "单选", "stem": "题干（ ）。", "opt_A": "甲", "opt_B": "乙", "opt_C": "丙", "opt_D": "丁",
              "answer": "B", "explanation": "", "category": ""} | cells
    assert not needs_cleaning([record])
    assert parse_record(record, clean=True) == parse_record(record)


def test_one_dirty_cell_makes_the_table_cleaned_row_by_row():
    """Does one invisible character or escaped formula anywhere in a table make it be cleaned, as before?"""
    from bankfiles import make_xlsx, row
    from quizapp.bank import importer
    from quizapp.bank.rows import COLUMNS, needs_cleaning

    assert needs_cleaning([{"stem": "甲"}] * 1500 + [{"stem": "题\u200b干"}])
    assert needs_cleaning([{"stem": "甲", "opt_A": "'=1+1"}])
    data = make_xlsx({"题库": [COLUMNS, row(), row(stem="宪法\u200b规定（ ）。", options=("'=1+1", "乙", "丙", "丁"))]})
    accepted = importer.read_questions(data, "x.xlsx").accepted
    assert [item.values["stem"] for item in accepted][1] == "宪法规定（ ）。"
    assert accepted[1].values["options"][0] == "=1+1"


@given(st.lists(st.dictionaries(st.sampled_from(["stem", "opt_A", "answer"]),
                                st.text(alphabet="甲 '=+-@\t\r\x00\u200b\ufeffA", max_size=6)), max_size=4))
def test_the_table_search_for_cells_to_clean_agrees_with_the_row_regex(records):
    """Does the substring search over a table find exactly what the row-by-row regex finds?"""
    from quizapp.bank.rows import _NEEDS_CLEANING, needs_cleaning

    joined = "\x00".join(value for record in records for value in record.values())
    assert needs_cleaning(records) == (_NEEDS_CLEANING.search(joined) is not None)
