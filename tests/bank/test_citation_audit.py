"""Auditing question citations against law texts: each check passing, failing and left unchecked."""

import datetime as dt
import json
from fractions import Fraction

import pytest
from lawfiles import LAWS_DIR

from quizapp.bank.citation_audit import (
    LAW_NOT_AVAILABLE,
    VERSION_NOT_AVAILABLE,
    audit_question,
    audit_questions,
    build_index,
    key_figures,
    normalise_title,
    report_to_json,
    report_to_text,
    text_figures,
)


SAMPLE_LAW = """# 中华人民共和国示例法

2005年3月1日 第十届全国人民代表大会常务委员会第十四次会议通过

2015年6月1日 第十二届全国人民代表大会常务委员会第十五次会议修正

2020年1月1日 第十三届全国人民代表大会常务委员会第十五次会议修订

<!-- INFO END -->

## 第一章 总则

第一条 为了示例，制定本法。

第二条 年满十八周岁的公民有申请权。

申请人应当在收到通知之日起60日内提出申请。

第三条 罚款数额为五万元以上十万元以下；情节严重的，处三分之二以上的罚款。

## 第二章 附则

第四条 行政机关应当自受理之日起二十日内作出决定；二十日内不能作出决定的，经本机关负责人批准，可以延长十日。

第五条 本法自2020年6月1日起施行。
"""

SAMPLE_PART_2 = """# 中华人民共和国示例法典
# 第二编

2020年5月28日 第十三届全国人民代表大会第三次会议通过

<!-- INFO END -->

## 第一章 结婚

第十一条 结婚年龄，男不得早于二十二周岁，女不得早于二十周岁。
"""

SAMPLE_PART_1 = """# 中华人民共和国示例法典
# 第一编

2020年5月28日 第十三届全国人民代表大会第三次会议通过

<!-- INFO END -->

## 第一章 基本规定

第一条 示例。

第二条 示例。
"""


@pytest.fixture
def laws_dir(tmp_path):
    (tmp_path / "示例法(2020-01-01).md").write_text(SAMPLE_LAW, encoding="utf-8")
    (tmp_path / "示例法典-第一编.md").write_text(SAMPLE_PART_1, encoding="utf-8")
    (tmp_path / "示例法典-第二编.md").write_text(SAMPLE_PART_2, encoding="utf-8")
    (tmp_path / "示例条例.txt").write_bytes("示例条例\n（2022年2月25日发布）\n第一条　示例。\n".encode("gbk"))
    (tmp_path / "README.md").write_text("# Notes\n\nNot a law.\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def index(laws_dir):
    return build_index(laws_dir)


def question(**overrides):
    base = {
        "ident": "sample.csv:2",
        "type": "single",
        "stem": "公民年满（ ）周岁有申请权。",
        "options": {"A": "十六周岁", "B": "十八周岁", "C": "二十周岁", "D": "二十二周岁"},
        "answer": "B",
        "law": "《中华人民共和国示例法》",
        "article": "第二条",
        "version": "2020-01-01",
    }
    base.update(overrides)
    return base


def statuses(audit):
    return {r.check: r.status for r in audit.results}


def result(audit, check):
    return next(r for r in audit.results if r.check == check)


# --------------------------------------------------------------------------
# The index


def test_index_reads_titles_versions_and_merges_parts(index):
    """Does the index key laws by normalised title and version, merging the parts of one code?"""
    assert set(index.laws) == {"示例法", "示例法典", "示例条例"}
    assert list(index.laws["示例法"]) == [dt.date(2020, 1, 1)]
    code = index.laws["示例法典"][dt.date(2020, 5, 28)]  # no date in the file names: the history's
    assert sorted(code.articles) == [(1, 0), (2, 0), (11, 0)]
    assert code.sources == ["示例法典-第一编.md", "示例法典-第二编.md"]
    assert list(index.laws["示例条例"]) == [dt.date(2022, 2, 25)]
    assert index.errors == []


def test_index_reports_unreadable_files(laws_dir):
    """Is a law file that cannot be parsed listed with its error rather than stopping the audit?"""
    (laws_dir / "坏文件(2020-01-01).md").write_text("# 坏文件\n\n第一条 甲。\n\n第三条 丙。\n", encoding="utf-8")
    index = build_index(laws_dir)
    assert index.errors == [("坏文件(2020-01-01).md", "第 5 行：条文编号不连续：第一条之后是第三条")]
    report = audit_questions([question()], index)
    assert "坏文件(2020-01-01).md" in report_to_text(report)


@pytest.mark.parametrize(
    ("title", "key"),
    [("《中华人民共和国宪法》", "宪法"), ("中华人民共和国宪法", "宪法"), ("《信访工作条例》", "信访工作条例"),
     ("《中华人民共和国宪法修正案（2018年）》", "宪法修正案(2018年)"), (" 《 民法典 》", "民法典")],
)
def test_normalise_title(title, key):
    """Do titles match however they are written (book-title marks, 中华人民共和国, full-width)?"""
    assert normalise_title(title) == key


# --------------------------------------------------------------------------
# The checks


def test_correct_citation_passes_every_check(index):
    """Does a question citing the right law, version, article and figure pass all four checks?"""
    audit = audit_question(question(), index)
    assert statuses(audit) == dict.fromkeys(("law_known", "version_exists", "article_exists", "figure_in_article"), "pass")
    assert audit.status == "pass"
    assert "十八周岁" in result(audit, "figure_in_article").detail


@pytest.mark.parametrize("version", ["2020-01-01", dt.date(2020, 1, 1), dt.datetime(2020, 1, 1, 8, 0)])
def test_version_may_be_a_date_or_a_string(index, version):
    """Is the cited version accepted as a date, a datetime or a YYYY-MM-DD string?"""
    assert result(audit_question(question(version=version), index), "version_exists").status == "pass"


@pytest.mark.parametrize(
    ("article", "detail"),
    [
        ("第九条", "没有第九条"),
        ("第二条、第九条", "没有第九条"),
        ("第二条之一", "没有第二条之一"),
        ("第二条第三款", "第二条只有 2 款，没有第 3 款"),
        ("序言", "没有序言"),
    ],
)
def test_wrong_article_fails(index, article, detail):
    """Does citing an article or 款 the version does not have fail, naming what is missing?"""
    audit = audit_question(question(article=article), index)
    assert result(audit, "article_exists").status == "fail"
    assert detail in result(audit, "article_exists").detail
    assert result(audit, "figure_in_article").status == "unchecked"


def test_existing_clause_passes(index):
    """Does a cited 款 that exists pass?"""
    audit = audit_question(question(article="第二条第二款", options={"A": "30日", "B": "60日"}), index)
    assert statuses(audit)["article_exists"] == "pass"
    assert statuses(audit)["figure_in_article"] == "pass"


@pytest.mark.parametrize("version", ["2019-01-01", "2005-03-02", "2020-13-01", "去年", ""])
def test_wrong_version_fails(index, version):
    """Does a version date the law never had (or no valid date) fail, and stop the article checks?

    A date after the folder's latest text is not "wrong" but "not available" (see below): the folder may be behind.
    """
    audit = audit_question(question(version=version), index)
    assert result(audit, "version_exists").status == "fail"
    assert statuses(audit)["article_exists"] == "unchecked"
    assert audit.status == "fail"
    report = audit_questions([question(version=version)], index)
    assert report.failures[0][1].check == "version_exists"


@pytest.mark.parametrize(
    ("version", "words"),
    [("2015-06-01", "旧版本"), ("2025-06-27", "资料可能未更新")],
    ids=["older-version-in-history", "newer-than-folder"],
)
def test_version_missing_from_folder_is_unchecked_and_listed(index, version, words):
    """Is a real version the folder lacks reported 'unchecked: version not available', never passed?"""
    report = audit_questions([question(version=version, ident="q:7")], index)
    audit = report.questions[0]
    checks = statuses(audit)
    assert checks["version_exists"] == "unchecked"
    assert checks["article_exists"] == checks["figure_in_article"] == "unchecked"
    assert words in result(audit, "version_exists").detail
    assert report.unchecked == {VERSION_NOT_AVAILABLE: ["q:7"]}
    assert audit.status == "unchecked"


@pytest.mark.parametrize(
    ("law", "article"),
    [("《习近平法治思想学习纲要》", ""), ("中央全面依法治国工作会议（2020年11月）", ""), ("《中华人民共和国治安管理处罚法》", "第一条")],
)
def test_unknown_law_is_unchecked(index, law, article):
    """Is a source without a law text in the folder reported 'unchecked: law text not available'?"""
    report = audit_questions([question(law=law, article=article, ident="x:1")], index)
    assert set(statuses(report.questions[0]).values()) == {"unchecked"}
    assert report.unchecked == {LAW_NOT_AVAILABLE: ["x:1"]}
    assert report.totals["law_known"]["unchecked"] == 1


def test_missing_article_is_unchecked(index):
    """Is a question that names no article reported as not checkable, not as passing?"""
    audit = audit_question(question(article=""), index)
    assert statuses(audit)["article_exists"] == "unchecked"
    assert statuses(audit)["figure_in_article"] == "unchecked"


@pytest.mark.parametrize(
    ("options", "answer", "status"),
    [
        ({"A": "十六周岁", "B": "二十周岁"}, "B", "fail"),
        ({"A": "18周岁", "B": "20周岁"}, "A", "pass"),  # Arabic key, Chinese law
        ({"A": "十八", "B": "二十"}, "A", "pass"),  # a bare numeral option
        ({"A": "17岁", "B": "19岁"}, "A", "fail"),
        ({"A": "公民", "B": "法人"}, "A", "n/a"),  # no figure in the key
    ],
)
def test_figure_of_single_choice_key(index, options, answer, status):
    """Is the correct option's figure looked for in the cited article, in either numeral style?"""
    audit = audit_question(question(options=options, answer=answer), index)
    assert result(audit, "figure_in_article").status == status


def test_chinese_key_matches_arabic_law(index):
    """Does a Chinese-numeral key (六十日) match an Arabic figure in the law (60日)?"""
    audit = audit_question(question(options={"A": "三十日", "B": "六十日"}, answer="B"), index)
    assert result(audit, "figure_in_article").status == "pass"


@pytest.mark.parametrize(
    ("stem", "answer", "status"),
    [
        ("行政机关应当自受理之日起20日内作出决定，经批准可以延长10日。", "T", "pass"),
        ("行政机关应当自受理之日起三十日内作出决定。", "T", "fail"),
        ("罚款数额为5万元以上10万元以下。", "T", "pass"),
        ("情节严重的，处百分之五十以上的罚款。", "T", "fail"),
        ("情节严重的，处2/3以上的罚款。", "T", "pass"),
        ("行政机关应当自受理之日起三十日内作出决定。", "F", "n/a"),
        ("行政机关应当自受理之日起三十日内作出决定。", "错误", "n/a"),
        ("行政机关应当自受理之日起20日内作出决定。", "A", "pass"),  # the bank stores 正确 as A
    ],
)
def test_figure_of_judge_question(index, stem, answer, status):
    """Is a true statement's figures checked, and a false statement skipped with a reason?"""
    audit = audit_question(
        question(type="judge", stem=stem, options={}, answer=answer, article="第三条、第四条"), index
    )
    figure = result(audit, "figure_in_article")
    assert figure.status == status
    if answer in ("F", "错误"):
        assert "跳过" in figure.detail


def test_multiple_choice_figures_not_applicable(index):
    """Are multiple-choice keys left out of the figure check, saying so?"""
    audit = audit_question(question(type="multiple", answer="AB"), index)
    assert result(audit, "figure_in_article").status == "n/a"
    assert statuses(audit)["article_exists"] == "pass"


def test_answer_letter_without_option_is_unchecked(index):
    """Is a single-choice key pointing at a missing option reported, not passed?"""
    audit = audit_question(question(answer="E"), index)
    assert result(audit, "figure_in_article").status == "unchecked"


def test_merged_code_articles_are_found(index):
    """Is an article of a code split over several files found in the merged version?"""
    audit = audit_question(
        question(
            law="《中华人民共和国示例法典》", article="第十一条", version="2020-05-28",
            type="judge", stem="结婚年龄，男不得早于22周岁。", options={}, answer="T",
        ),
        index,
    )
    assert audit.status == "pass"


# --------------------------------------------------------------------------
# Figures


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("男不得早于二十二周岁", [22]),
        ("23周岁", [23]),
        ("十八", [18]),
        ("处三至五年有期徒刑", [3, 5]),
        ("百分之二十", [Fraction(1, 5)]),
        ("20%", [Fraction(1, 5)]),
        ("三分之二以上", [Fraction(2, 3)]),
        ("罚款5万元", [50000]),
        ("罚款五万元", [50000]),
        ("１０日内", [10]),
        ("《中华人民共和国刑法修正案（十一）》第十七条规定，已满十四周岁", [14]),
        ("（2018年修正）宪法第三十三条规定，公民在法律面前一律平等", []),
        ("统一领导、分级负责", []),
    ],
)
def test_key_figures(text, values):
    """Are the figures of a key found: Arabic, Chinese before units, fractions, percentages, not ordinals?"""
    assert [f.value for f in key_figures(text)] == values


def test_text_figures_take_every_numeral():
    """Does the law side read every numeral, so a key figure is found wherever the article states it?"""
    values = {f.value for f in text_figures("第六十条 每届任期五年。三分之二以上，百分之五十，1.5万元，二〇二一年")}
    assert {60, 5, Fraction(2, 3), Fraction(1, 2), 15000, 2021} <= values


# --------------------------------------------------------------------------
# The report


def test_report_totals_json_and_text(index):
    """Do the totals, JSON and Chinese text report agree on passes, failures and unchecked reasons?"""
    questions = [
        question(ident="q:1"),
        question(ident="q:2", article="第九条"),
        question(ident="q:3", law="《习近平法治思想学习纲要》", article="", version="2021-07-01"),
        question(ident="q:4", version="2025-06-27"),
    ]
    report = audit_questions(questions, index)
    totals = report.totals
    assert totals["law_known"] == {"pass": 3, "fail": 0, "unchecked": 1, "n/a": 0, "checked": 3}
    assert totals["article_exists"] == {"pass": 1, "fail": 1, "unchecked": 2, "n/a": 0, "checked": 2}
    assert [(ident, r.check) for ident, r in report.failures] == [("q:2", "article_exists")]
    assert report.unchecked[LAW_NOT_AVAILABLE] == ["q:3"]
    assert report.unchecked[VERSION_NOT_AVAILABLE] == ["q:4"]

    data = json.loads(report_to_json(report))
    assert data["questions"] == 4
    assert data["totals"]["article_exists"]["fail"] == 1
    assert data["failures"][0]["ident"] == "q:2"
    assert data["results"][0]["checks"][0] == {"check": "law_known", "status": "pass", "detail": data["results"][0]["checks"][0]["detail"], "reason": ""}
    assert "没有第九条" in report_to_json(report)  # Chinese kept readable, not escaped

    text = report_to_text(report)
    assert text.startswith("法条引用核对报告\n共核对题目 4 道。")
    assert "q:2  条文存在：" in text
    assert "资料中没有该法律文本（1）：q:3" in text
    assert "资料中没有所引版本（1）：q:4" in text


# --------------------------------------------------------------------------
# The reference texts


@pytest.mark.skipif(not LAWS_DIR.is_dir(), reason=f"reference law texts not found in {LAWS_DIR} (set QUIZAPP_LAWS_DIR)")
def test_reference_laws_civil_code_marriage_age():
    """Does a real citation (民法典 第一千零四十七条, the 2025 治安管理处罚法) pass, a wrong figure fail, and an absent version go unchecked?"""
    index = build_index(LAWS_DIR)
    assert index.errors == []
    right = {
        "ident": "minfadian.csv:12", "type": "judge", "options": {}, "answer": "T",
        "stem": "结婚年龄，男不得早于二十二周岁，女不得早于二十周岁。",
        "law": "《中华人民共和国民法典》", "article": "第一千零四十七条", "version": "2020-05-28",
    }
    wrong = {**right, "ident": "minfadian.csv:13", "stem": "结婚年龄，男不得早于二十三周岁。"}
    police = {**right, "ident": "zhian.csv:3", "law": "《中华人民共和国治安管理处罚法》", "article": "第一百一十九条",
              "stem": "违反治安管理行为事实清楚，证据确凿，处警告或者五百元以下罚款的，可以当场作出治安管理处罚决定。",
              "version": "2025-06-27"}
    original = {**police, "ident": "zhian.csv:4", "version": "2005-08-28"}
    report = audit_questions([right, wrong, police, original], index)
    assert report.questions[0].status == "pass"
    assert result(report.questions[1], "figure_in_article").status == "fail"
    # The 2025 revision is among the reference texts; the 2005 original is not.
    assert report.questions[2].status == "pass", report.questions[2].results
    assert report.unchecked == {VERSION_NOT_AVAILABLE: ["zhian.csv:4"]}


def test_preamble_citation_is_checked(tmp_path):
    """Is 序言 accepted as a citation of a law that has a preamble (and refused for one that has none)?"""
    (tmp_path / "宪法(2018-03-11).md").write_text(
        "# 中华人民共和国宪法\n\n2018年3月11日 修正\n\n<!-- INFO END -->\n\n## 序言\n\n"
        "中国是世界上历史最悠久的国家之一。\n\n## 第一章 总纲\n\n第一条 中华人民共和国是社会主义国家。\n",
        encoding="utf-8")
    (tmp_path / "人民调解法(2010-08-28).md").write_text(
        "# 中华人民共和国人民调解法\n\n2010年8月28日 通过\n\n<!-- INFO END -->\n\n第一条 为了完善人民调解制度。\n",
        encoding="utf-8")
    index = build_index(tmp_path)
    ok = audit_question({"type": "judge", "stem": "中国是世界上历史最悠久的国家之一。", "answer": "T",
                         "law": "《中华人民共和国宪法》", "article": "序言", "version": "2018-03-11"}, index)
    assert ok.status == "pass", ok.results
    both = audit_question({"type": "judge", "stem": "x", "answer": "F", "law": "《中华人民共和国宪法》",
                           "article": "序言、第一条", "version": "2018-03-11"}, index)
    assert both.status == "pass", both.results
    bad = audit_question({"type": "judge", "stem": "x", "answer": "F", "law": "《中华人民共和国人民调解法》",
                          "article": "序言", "version": "2010-08-28"}, index)
    assert bad.status == "fail"
