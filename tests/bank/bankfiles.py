"""Question files built in memory for the bank tests (and the browser test): xlsx, csv, template rows."""
import csv
import io

import xlsxwriter

from quizapp.bank.rows import COLUMNS


def make_xlsx(sheets, *, merge_title=None):
    """An .xlsx from {sheet: rows}, written raw (no formula escaping), optionally with a merged title row."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        start = 0
        if merge_title:
            sheet.merge_range(0, 0, 0, 8, merge_title)
            start = 1
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None and value != "":
                    sheet.write(start + r, c, value)
    workbook.close()
    return buffer.getvalue()


def make_csv(rows, *, encoding="utf-8", bom=False):
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    data = text.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def row(qtype="单选", stem="根据宪法，中华人民共和国的一切权力属于（ ）。", options=("人民", "政党", "国务院", "法院"),
        answer="A", **extra):
    """A row in the template layout; ``extra`` fills 解析, 难度, 分类, 法律依据, 条款, 法规版本, 标签 by column name."""
    cells = [qtype, stem, *list(options) + [""] * (8 - len(options)), answer]
    cells += [extra.get(name, "") for name in COLUMNS[11:]]
    return cells


CASE_TEXT = ("某牧区乡的牧民扎西与邻村牧民多吉因草场界线发生争执，双方各执一份承包合同，界桩多年前已被雪灾冲毁。"
             "村人民调解委员会主动介入，召集双方和两村村委会成员到现场踏勘。")


def case_rows(case_id="CY-01", text=CASE_TEXT, count=3, qtypes=("单选", "多选", "不定项")):
    """A 案例分析 group: ``count`` sub-questions, the material on the first row only."""
    rows = []
    for i in range(count):
        qtype = qtypes[i % len(qtypes)]
        answer = {"单选": "B", "多选": "AC", "不定项": "C", "判断": "正确"}[qtype]
        options = () if qtype == "判断" else ("甲方案", "乙方案", "丙方案", "丁方案")
        rows.append(row(qtype, f"本案中，关于第{i + 1}个问题，下列说法正确的是（ ）。", options, answer,
                        法律依据="《中华人民共和国人民调解法》", 条款="第十七条", 法规版本="2010-08-28",
                        案例编号=case_id, 案例材料=text if i == 0 else ""))
    return rows


GOOD_ROWS = [
    row(),
    row("多选", "禁毒工作实行（ ）并举的方针。", ("禁种", "禁制", "禁贩", "禁吸"), "ABCD", 难度="中", 分类="社会治理/禁毒",
        法律依据="《中华人民共和国禁毒法》", 条款="第四条", 法规版本="2007-12-29", 标签="国际禁毒日;应知应会"),
    row("判断", "每年12月4日为国家宪法日。", (), "正确", 难度="易", 分类="宪法/宪法实施"),
]
