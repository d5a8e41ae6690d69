"""Parsing official law texts: the reference files, small texts in every format, and every error."""

import datetime as dt
import io
import re

import docx
import pytest
from lawfiles import LAWS_DIR
from hypothesis import given, settings
from hypothesis import strategies as st

from quizapp.common.lawtext import (
    LawParseError,
    cn_to_int,
    int_to_cn,
    parse_article_ref,
    parse_law,
    parse_law_text,
    split_article_list,
)

LAW_FILES = sorted(p for p in LAWS_DIR.glob("*.md") if p.name != "README.md") if LAWS_DIR.is_dir() else []
NO_LAWS = pytest.mark.skipif(not LAW_FILES, reason=f"reference law texts not found in {LAWS_DIR} (set QUIZAPP_LAWS_DIR)")
CN = "零〇一二两三四五六七八九十百千"


def law_file_params():
    if LAW_FILES:
        return [pytest.param(p, id=p.stem) for p in LAW_FILES]
    return [pytest.param(None, id="no-laws-dir", marks=pytest.mark.skip(reason=f"reference law texts not found in {LAWS_DIR}"))]


def load(name):
    path = LAWS_DIR / name
    return parse_law(path.read_bytes(), path.name)


def file_body(path):
    """The part of a reference file after its header marker."""
    return path.read_text(encoding="utf-8").split("<!-- INFO END -->", 1)[1]


# --------------------------------------------------------------------------
# The reference files


@pytest.mark.parametrize("path", law_file_params())
def test_reference_file_parses_completely(path):
    """Does every reference file parse, with the title, every article and every heading it holds?"""
    law = parse_law(path.read_bytes(), path.name)
    title_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert law.title == title_line.lstrip("#").strip()
    assert law.short_title == law.title.removeprefix("中华人民共和国")

    keys = [a.key for a in law.articles]
    for before, after in zip(keys, keys[1:]):
        assert after in {(before[0], before[1] + 1), (before[0] + 1, 0)}, (before, after)

    body = file_body(path)
    article_lines = re.findall(rf"(?m)^第([{CN}]+)条(?:之[{CN}]+)?[ \u3000]", body)
    if law.is_amendment:
        # Amendment articles continue the amendment numbering; the rest are quoted articles of the constitution.
        assert len(law.articles) == law.articles[-1].number - law.articles[0].number + 1
        assert len(law.articles) < len(article_lines)
    else:
        assert len(law.articles) == len(article_lines)

    headings = ["".join(h.lstrip("#").split()) for h in re.findall(r"(?m)^#{2,}.*$", body)]
    assert ["".join(n.label.split()) for n in law.nodes] == [h for h in headings if h]


@NO_LAWS
@pytest.mark.parametrize(
    ("name", "version", "history_date"),
    [
        ("宪法.md", dt.date(2018, 3, 11), "2018年3月11日"),
        ("行政复议法(2023-09-01).md", dt.date(2023, 9, 1), "2023年9月1日"),
        ("监察法(2024-12-25).md", dt.date(2024, 12, 25), "2024年12月25日"),
        ("信访工作条例(2022-02-25).md", dt.date(2022, 2, 25), "2022年2月25日"),
        ("土地管理法(2019-08-26).md", dt.date(2019, 8, 26), "2019年8月26日"),
        ("刑法.md", dt.date(2023, 12, 29), "2023年12月29日"),
        ("民法典-总则.md", dt.date(2020, 5, 28), "2020年5月28日"),
    ],
)
def test_version_date_is_latest_adoption_amendment_or_revision(name, version, history_date):
    """Is the version date the latest adoption/amendment/revision (or 发布) named in the file's history?"""
    law = load(name)
    assert any(h.startswith(history_date) for h in law.history)
    assert law.version_date == version


@NO_LAWS
@pytest.mark.parametrize(
    ("name", "effective"),
    [
        ("行政复议法(2023-09-01).md", dt.date(2024, 1, 1)),  # final article of the 2023 revision
        ("信访工作条例(2022-02-25).md", dt.date(2022, 5, 1)),
        ("民法典-总则.md", dt.date(2021, 1, 1)),  # "2021年1月1日 施行" in the history
        ("土地管理法(2019-08-26).md", None),  # final article names 1999, before the 2019 amendment
        ("宪法.md", None),  # 1982 施行 predates the 2018 amendment
    ],
)
def test_effective_date_only_when_it_belongs_to_the_current_version(name, effective):
    """Is the in-force date taken from the history or final article only when it is for this version?"""
    assert load(name).effective_date == effective


@NO_LAWS
def test_constitution_structure():
    """Does the constitution keep its 序言, chapters, sections and article paths?"""
    law = load("宪法.md")
    assert len(law.preamble) == 13
    assert law.preamble[0].startswith("中国是世界上历史最悠久的国家之一")
    assert [n.label for n in law.nodes if n.kind == "章"] == [
        "第一章 总纲", "第二章 公民的基本权利和义务", "第三章 国家机构", "第四章 国旗、国歌、国徽、首都",
    ]
    assert len(law.articles) == 143
    art33 = law.article(33)
    assert art33.label == "第三十三条"
    assert art33.heading_path == ("第二章 公民的基本权利和义务",)
    assert art33.paragraphs[0] == "凡具有中华人民共和国国籍的人都是中华人民共和国公民。"
    assert len(art33.paragraphs) == 4
    assert law.article(60).heading_path == ("第三章 国家机构", "第一节 全国人民代表大会")
    chapter3 = next(n for n in law.nodes if n.label == "第三章 国家机构")
    assert chapter3.articles[0] == (57, 0) and chapter3.articles[-1] == (140, 0)
    section7 = next(n for n in law.nodes if n.label == "第七节 监察委员会")
    assert section7.articles == [(123, 0), (124, 0), (125, 0), (126, 0), (127, 0)]
    # 第六十二条 is one 款 listing sixteen 项.
    assert len(law.article(62).paragraphs) == 17
    assert len(law.article(62).clauses) == 1


@NO_LAWS
def test_criminal_law_inserted_articles_annexes_and_footnote():
    """Are 之一 articles numbered, and annexes and footnotes kept out of the last article?"""
    law = load("刑法.md")
    inserted = law.article(120, 1)
    assert inserted.label == "第一百二十条之一"
    assert inserted.heading_path == ("第二编 分则", "第二章 危害公共安全罪")
    assert law.article(120, 3).label == "第一百二十条之三"
    last = law.articles[-1]
    assert last.label == "第四百五十二条" and last.heading_path == ("附则",)
    assert len(last.paragraphs) == 3
    assert [a.title for a in law.appendices] == ["附件一", "附件二"]
    assert law.notes[0].startswith("①")


@NO_LAWS
def test_civil_code_part_starts_mid_numbering():
    """Does a 民法典 part file parse with its own first article number and the part as subtitle?"""
    law = load("民法典-婚姻家庭编.md")
    assert (law.title, law.subtitle) == ("中华人民共和国民法典", "婚姻家庭编")
    assert law.articles[0].label == "第一千零四十条"
    assert "男不得早于二十二周岁" in law.article(1047).text
    annex = load("民法典-附则.md")
    assert annex.subtitle == "附则" and annex.nodes == []
    assert [a.number for a in annex.articles] == [1259, 1260]


@NO_LAWS
def test_constitutional_amendment_keeps_quoted_articles_inside_its_own():
    """Are the amendment's own articles 第三十二条–第五十二条, with the quoted new articles inside 第五十二条?"""
    law = load("宪法修正案（2018年）.md")
    assert law.is_amendment
    assert [a.number for a in law.articles] == list(range(32, 53))
    quoted = law.article(52).paragraphs
    assert "第七节 监察委员会" in quoted
    assert any(p.startswith("第一百二十三条 中华人民共和国各级监察委员会") for p in quoted)
    assert law.nodes == []


@NO_LAWS
def test_title_and_history_broken_over_lines_are_joined():
    """Is a title repeated over two lines ignored and a history entry broken over three lines joined?"""
    law = load("地方各级人民代表大会和地方各级人民政府组织法(2022-03-11).md")
    assert law.title == "中华人民共和国地方各级人民代表大会和地方各级人民政府组织法"
    entry_2015 = next(h for h in law.history if h.startswith("2015年8月29日"))
    assert entry_2015.endswith("代表法〉的决定》第五次修正")
    assert len(law.history) == 9
    assert law.version_date == dt.date(2022, 3, 11)


# --------------------------------------------------------------------------
# Small texts in each format

PLAIN_TEXT = """中华人民共和国示例法

（2001年3月1日第九届全国人民代表大会常务委员会第二十次会议通过　根据2010年4月29日第十一届全国人民代表大会常务委员会第十四次会议《关于修改〈中华人民共和国示例法〉的决定》修正）

目　　录

第一章　总　　则
第二章　管　　理
　第一节　一般规定
　第二节　特别规定
第三章　附　　则

第一章　总　　则

第一条　为了示例，制定本法。
第二条　本法适用于示例。
示例应当遵循下列原则：
（一）合法；
（二）合理。
前款规定的原则适用于全部示例。
第二章　管　　理
第一节　一般规定
第三条　管理示例。
第三条之一　插入的条文。
第三条之二　又一条插入的条文。
第二节　特别规定
第四条　特别示例，期限为三十日。
第三章　附　　则
第五条　本法自2010年10月1日起施行。
"""


def check_plain_text_law(law):
    assert law.title == "中华人民共和国示例法"
    assert law.history == [
        "2001年3月1日第九届全国人民代表大会常务委员会第二十次会议通过",
        "根据2010年4月29日第十一届全国人民代表大会常务委员会第十四次会议《关于修改〈中华人民共和国示例法〉的决定》修正",
    ]
    assert law.version_date == dt.date(2010, 4, 29)
    assert law.effective_date == dt.date(2010, 10, 1)
    assert [(n.kind, n.number, n.label, n.line) for n in law.nodes] == [
        ("章", 1, "第一章 总则", 13),
        ("章", 2, "第二章 管理", 21),
        ("节", 1, "第一节 一般规定", 22),
        ("节", 2, "第二节 特别规定", 26),
        ("章", 3, "第三章 附则", 28),
    ]
    assert [a.label for a in law.articles] == ["第一条", "第二条", "第三条", "第三条之一", "第三条之二", "第四条", "第五条"]
    assert law.nodes[1].articles == [(3, 0), (3, 1), (3, 2), (4, 0)]
    second = law.article(2)
    assert second.paragraphs == ["本法适用于示例。", "示例应当遵循下列原则：", "（一）合法；", "（二）合理。", "前款规定的原则适用于全部示例。"]
    assert second.clauses == ["本法适用于示例。", "示例应当遵循下列原则：\n（一）合法；\n（二）合理。", "前款规定的原则适用于全部示例。"]
    inserted = law.article(3, 1)
    assert (inserted.suffix, inserted.heading_path, inserted.line) == (1, ("第二章 管理", "第一节 一般规定"), 24)


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda s: s.encode("utf-8"), id="utf-8"),
        pytest.param(lambda s: s.encode("utf-8-sig"), id="utf-8-bom"),
        pytest.param(lambda s: s.encode("gbk"), id="gbk"),
        pytest.param(lambda s: s.encode("gb18030"), id="gb18030"),
        pytest.param(lambda s: s.replace("\n", "\r\n").encode("utf-16"), id="utf-16-crlf"),
    ],
)
def test_plain_text_with_full_width_spaces_and_table_of_contents(encode):
    """Does a .txt download parse in each encoding, skipping the 目录 and keeping the real headings?"""
    check_plain_text_law(parse_law(encode(PLAIN_TEXT), "示例法.txt"))


def test_markdown_with_bom_has_clean_title():
    """Does a UTF-8 BOM stay out of the title of a Markdown file?"""
    text = "# 中华人民共和国示例法\n\n2020年1月1日 通过\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 示例。\n"
    law = parse_law(b"\xef\xbb\xbf" + text.encode("utf-8"), "示例法.MD")
    assert law.title == "中华人民共和国示例法"
    assert law.version_date == dt.date(2020, 1, 1)
    assert law.articles[0].heading_path == ("第一章 总则",)


def test_docx_built_with_python_docx():
    """Does a .docx parse paragraph by paragraph, like a text file?"""
    document = docx.Document()
    for paragraph in PLAIN_TEXT.split("\n"):
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    check_plain_text_law(parse_law(buffer.getvalue(), "示例法.docx"))


def test_title_broken_over_two_lines_and_history_without_parentheses():
    """Is a plain-text title on two lines joined, and each history line read?"""
    text = (
        "中华人民共和国地方各级人民代表大会\n和地方各级人民政府组织法\n"
        "1979年7月1日第五届全国人民代表大会第二次会议通过\n"
        "2022年3月11日第十三届全国人民代表大会第五次会议第六次修正\n"
        "第一章　总则\n第一条　示例。\n第二条　本法自公布之日起施行。\n"
    )
    law = parse_law_text(text)
    assert law.title == "中华人民共和国地方各级人民代表大会和地方各级人民政府组织法"
    assert law.short_title == "地方各级人民代表大会和地方各级人民政府组织法"
    assert law.version_date == dt.date(2022, 3, 11)
    assert law.effective_date is None  # 公布 date of the current version is not stated


def test_regulation_issued_date_and_publication_day_in_force():
    """Is a regulation's version its 发布 date, and 自发布之日起施行 read as that date?"""
    text = "示例条例\n（2022年1月24日审议批准　2022年2月25日发布）\n第一条　示例。\n第二条　本条例自发布之日起施行。\n"
    law = parse_law_text(text)
    assert law.history == ["2022年1月24日审议批准", "2022年2月25日发布"]
    assert law.version_date == dt.date(2022, 2, 25)
    assert law.effective_date == dt.date(2022, 2, 25)


def test_preamble_without_heading_and_sections_without_chapters():
    """Are paragraphs before the first article a preamble, and 节 allowed in a law without 章?"""
    text = "示例规定\n为了示例，制定本规定。\n第一节　一般规定\n第一条　示例。\n第二节　其他规定\n第二条　示例。\n"
    law = parse_law_text(text)
    assert law.preamble == ["为了示例，制定本规定。"]
    assert [n.label for n in law.nodes] == ["第一节 一般规定", "第二节 其他规定"]
    assert law.article(2).heading_path == ("第二节 其他规定",)


def test_book_and_sub_book_headings_nest():
    """Do 编, 分编, 章 and 节 nest, with chapters numbered on across 分编?"""
    text = (
        "示例法典\n第一编　总则\n第一章　基本规定\n第一条　示例。\n"
        "第二编　合同\n第一分编　通则\n第一章　一般规定\n第二条　示例。\n"
        "第二分编　典型合同\n第二章　买卖合同\n第一节　一般规定\n第三条　示例。\n"
    )
    law = parse_law_text(text)
    assert law.article(3).heading_path == ("第二编 合同", "第二分编 典型合同", "第二章 买卖合同", "第一节 一般规定")
    assert next(n for n in law.nodes if n.label == "第二编 合同").articles == [(2, 0), (3, 0)]


def test_article_label_on_its_own_line_and_arabic_numbers():
    """Is an article whose label stands alone given the next paragraph as its first?"""
    law = parse_law_text("示例法\n第1条\n示例内容。\n第2条 第二条内容。\n")
    assert [(a.label, a.paragraphs) for a in law.articles] == [("第一条", ["示例内容。"]), ("第二条", ["第二条内容。"])]


def test_amendment_numbered_with_list_items():
    """Is a 刑法修正案-style amendment (一、二、…) read with its quoted articles inside each item?"""
    text = (
        "中华人民共和国刑法修正案（示例）\n（2020年12月26日通过）\n"
        "一、将刑法第十七条修改为：\n“第十七条　已满十六周岁的人犯罪，应当负刑事责任。”\n"
        "二、在刑法第一百三十四条后增加一条，作为第一百三十四条之一：\n三、本修正案自2021年3月1日起施行。\n"
    )
    law = parse_law_text(text)
    assert law.is_amendment
    assert [(a.label, len(a.paragraphs)) for a in law.articles] == [("第一条", 2), ("第二条", 1), ("第三条", 1)]
    assert law.effective_date == dt.date(2021, 3, 1)


# --------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("示例法\n第四条　甲。\n第五条　乙。\n第七条　丙。\n", 4, "条文编号不连续：第五条之后是第七条"),
        ("示例法\n第五条　甲。\n第四条　乙。\n", 3, "条文编号倒退：第五条之后是第四条"),
        ("示例法\n第五条　甲。\n第五条　乙。\n", 3, "条文编号重复：第五条之后又是第五条"),
        ("示例法\n第五条　甲。\n第五条之二　乙。\n", 3, "条文编号不连续：第五条之后是第五条之二"),
        ("示例法\n第五条之一　甲。\n第五条之三　乙。\n", 3, "条文编号不连续：第五条之一之后是第五条之三"),
        ("第一条　甲。\n第二条　乙。\n", 1, "缺少标题"),
        ("目录\n第一章　总则\n", 1, "缺少标题"),
        ("\n\n示例法\n（2020年1月1日通过）\n这里没有条文。\n", 5, "没有找到任何条文"),
        ("示例法\n第一节　甲\n第一条　甲。\n第一章　乙\n第二条　乙。\n", 2, "“第一节 甲”不在任何“章”之下"),
        ("示例法\n第一章　甲\n第一条　甲。\n第三章　乙\n第二条　乙。\n", 4, "章节编号不连续：第一章之后是第三章"),
        ("", 1, "文件是空的"),
    ],
    ids=["skip", "backwards", "repeat", "suffix-skip", "suffix-skip-2", "no-title", "toc-first",
         "no-article", "section-outside-chapter", "chapter-skip", "empty"],
)
def test_parse_errors_name_the_line(text, line, message):
    """Does each kind of broken text raise LawParseError naming the line where parsing failed?"""
    with pytest.raises(LawParseError) as caught:
        parse_law(text.encode("utf-8"), "示例法.txt")
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"第 {line} 行：")


@pytest.mark.parametrize(
    ("data", "line"),
    [
        pytest.param("示例法\n第一条　甲。\n".encode() + b"\x00\x01\x02\x03", 3, id="binary"),
        pytest.param("示例法\n第一条　甲。\n".encode() + b"\xff\xfe\xfa\xfb", 3, id="undecodable"),
        pytest.param("示例法\n\n\n第一条　甲\ufffd。\n".encode(), 4, id="replacement-char"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 2, id="png"),  # control byte 0x1a on line 2
    ],
)
def test_garbled_files_are_refused_with_their_line(data, line):
    """Is a binary or wrongly encoded file refused, naming the line of the first bad byte?"""
    with pytest.raises(LawParseError) as caught:
        parse_law(data, "示例法.txt")
    assert caught.value.line == line
    assert "乱码" in caught.value.message


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"not a zip", "示例法.docx", "无法读取 .docx 文件"),
        (b"%PDF-1.4", "示例法.pdf", "不支持的文件类型"),
    ],
)
def test_unreadable_documents_are_refused(data, name, message):
    """Are a broken .docx and an unsupported file type refused with a Chinese message?"""
    with pytest.raises(LawParseError) as caught:
        parse_law(data, name)
    assert caught.value.line is None
    assert message in str(caught.value)


# --------------------------------------------------------------------------
# Numerals and references


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1), ("十", 10), ("十一", 11), ("二十", 20), ("三十三", 33), ("一百", 100), ("一百零五", 105),
        ("一百一十", 110), ("两百", 200), ("一千二百六十", 1260), ("一千零五", 1005), ("一千零五十", 1050),
        ("两", 2), ("零", 0), ("〇", 0), ("十万", 100000), ("一万零五", 10005), ("二〇一八", 2018),
        ("一九八二", 1982), ("３３", 33), ("33", 33), (" 三十三 ", 33),
    ],
)
def test_cn_to_int(text, value):
    """Are the numerals of law texts (with 零, 两, 〇, a leading 十, digit-by-digit years) read right?"""
    assert cn_to_int(text) == value


@pytest.mark.parametrize("text", ["", "百", "十十", "一百五", "一百零", "三十三条", "abc", "一万五"])
def test_cn_to_int_refuses_non_numerals_and_ambiguous_forms(text):
    """Are non-numerals and ambiguous colloquial forms (一百五) refused?"""
    with pytest.raises(ValueError):
        cn_to_int(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [(10, "十"), (11, "十一"), (33, "三十三"), (105, "一百零五"), (110, "一百一十"), (1260, "一千二百六十"),
     (1005, "一千零五"), (10000, "一万"), (100010, "十万零一十")],
)
def test_int_to_cn(value, text):
    """Are numbers written as law texts write them?"""
    assert int_to_cn(value) == text


@settings(database=None)
@given(st.integers(min_value=1, max_value=9999))
def test_numeral_round_trip_1_to_9999(n):
    """Does every article-sized number survive int_to_cn then cn_to_int?"""
    assert cn_to_int(int_to_cn(n)) == n


@settings(database=None)
@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_numeral_round_trip_large(n):
    """Do amounts with 万 and 亿 survive the round trip too?"""
    assert cn_to_int(int_to_cn(n)) == n


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("第三十三条", (33, 0, None)),
        ("33", (33, 0, None)),
        ("３３", (33, 0, None)),
        ("第33条", (33, 0, None)),
        ("第 三十三 条", (33, 0, None)),
        ("第三十三条第二款", (33, 0, 2)),
        ("第三十三条第2款", (33, 0, 2)),
        ("第一百二十条之一", (120, 1, None)),
        ("第１２０条之１", (120, 1, None)),
        ("第一百二十条之一第二款", (120, 1, 2)),
        ("第六十二条第一款第三项", (62, 0, 1)),
        ("三十三条", (33, 0, None)),
    ],
)
def test_parse_article_ref(text, ref):
    """Are article references read in Chinese, Arabic and full-width forms, with 款 and 之N?"""
    assert parse_article_ref(text) == ref


@pytest.mark.parametrize("text", ["", "宪法", "第三十三章", "第零条", "0", "第十十条", "第三十三条之", "序言"])
def test_parse_article_ref_none(text):
    """Is anything that is not an article reference answered with None?"""
    assert parse_article_ref(text) is None


@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("第十条、第十一条", [(10, 0, None), (11, 0, None)]),
        ("第十条，第十一条和第十二条", [(10, 0, None), (11, 0, None), (12, 0, None)]),
        ("第十条第一款、第二款", [(10, 0, 1), (10, 0, 2)]),
        ("第十条至第十二条", [(10, 0, None), (11, 0, None), (12, 0, None)]),
        ("第一百二十条之一、第一百二十条之二", [(120, 1, None), (120, 2, None)]),
        ("", []),
    ],
)
def test_split_article_list(text, refs):
    """Are lists, ranges and bare 款 items of a citation split into references?"""
    assert split_article_list(text) == refs


def test_split_article_list_refuses_a_non_reference():
    """Does an item that is not a reference raise with a Chinese message naming it?"""
    with pytest.raises(ValueError, match="无法识别的条文引用：序言"):
        split_article_list("第十条、序言")
