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


def make_tall_xlsx(rows, *, ratio=156, seed=7):
    """A small .xlsx whose one sheet inflates to ``rows`` rows of ~500 bytes, with an overall compression ratio
    of about ``ratio`` (under the zip-bomb limits): the shape of issue 12's 1.3 MB → 192 MiB file. Rows repeat
    (no cell references, which Excel may omit) and a random picture sets the ratio, so building it is cheap."""
    import random
    import zipfile

    rng = random.Random(seed)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
                         '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                         'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
                         'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
                         'worksheet+xml"/></Types>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                         'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
                         'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                         'relationships"><sheets><sheet name="题库" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                         'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                         'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                         '</Relationships>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                        b'2006/main"><sheetData>')
            header = "".join(f'<c t="inlineStr"><is><t>{t}</t></is></c>' for t in ["题型", "题干", "答案", "解析"])
            sheet.write(f"<row>{header}</row>".encode())
            filler = "依法行政" * 26
            one = ('<row><c t="inlineStr"><is><t>判断</t></is></c><c t="inlineStr"><is><t>宪法是国家的根本法。'
                   f'</t></is></c><c t="inlineStr"><is><t>正确</t></is></c><c t="inlineStr"><is><t>{filler}</t>'
                   '</is></c></row>').encode()
            block = one * 1000
            for _ in range(rows // 1000):
                sheet.write(block)
            sheet.write(one * (rows % 1000) + b"</sheetData></worksheet>")
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        picture = max(0, int(info.file_size / ratio) - info.compress_size)
        archive.writestr("xl/media/image1.png", rng.randbytes(picture), zipfile.ZIP_STORED)
    return buffer.getvalue()
