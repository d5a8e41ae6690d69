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


GOOD_ROWS = [
    row(),
    row("多选", "禁毒工作实行（ ）并举的方针。", ("禁种", "禁制", "禁贩", "禁吸"), "ABCD", 难度="中", 分类="社会治理/禁毒",
        法律依据="《中华人民共和国禁毒法》", 条款="第四条", 法规版本="2007-12-29", 标签="国际禁毒日;应知应会"),
    row("判断", "每年12月4日为国家宪法日。", (), "正确", 难度="易", 分类="宪法/宪法实施"),
]
