"""Question files built in memory for the bank tests (and the browser test): xlsx, csv, template rows."""
import ast
import csv
import io
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import xlsxwriter

from quizapp.bank import importer
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


def tiny_png():
    """A valid 1×1 PNG, for a question with a picture."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


def make_docx(blocks):
    """A .docx from blocks: a string is a paragraph, a list of rows is a table, ("image", text) a paragraph
    with that text and a picture."""
    from docx import Document
    from docx.shared import Cm

    document = Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
        elif isinstance(block, tuple):
            paragraph = document.add_paragraph(block[1])
            paragraph.add_run().add_picture(io.BytesIO(tiny_png()), width=Cm(1))
        else:
            table = document.add_table(rows=len(block), cols=len(block[0]))
            for r, cells in enumerate(block):
                for c, text in enumerate(cells):
                    table.cell(r, c).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# Every layout of issue 17 in one Word document; ALL_LAYOUT_KEYS are its keys, section by section.
ALL_LAYOUTS = [
    "2025年度学法用法考试题库",
    "一、单项选择题（每题2分，共12分）",
    "1．根据宪法，中华人民共和国的一切权力属于（ ）。",                 # 1． numbering
    "A．人民", "B．中国共产党", "C．全国人民代表大会", "D．国务院",        # one option per paragraph
    "答案：A",                                                        # 答案：line
    "解析：宪法第二条。",
    "难度：易",
    "依据：《中华人民共和国宪法》第二条",
    "2、国家宪法日是每年的（ B ）。",                                   # 1、 numbering, key in the blank
    "A.3月15日 B.12月4日 C.10月1日 D.7月1日",                          # options on one line
    "（3）村民委员会每届任期",                                          # （1） numbering, stem over two paragraphs
    "（ ）年。",
    "A、三", "B、五", "C、四", "D、六",                                  # A、 labels
    "【答案】B",                                                      # 【答案】
    "第4题 下列属于行政处罚的是（ ）。",                                 # 第1题 numbering
    [["Ａ．罚款", "Ｂ．批评教育"], ["Ｃ．约谈", "Ｄ．谈话提醒"]],          # two-column table, full-width labels
    "正确答案：A",                                                    # 正确答案：
    "5.【单选题】下列不属于行政强制措施的是_____。",                     # type tag, _____ blank
    "A:查封场所", "B:扣押财物", "C:冻结存款", "D:罚款",                   # A: labels
    "参考答案：D",                                                    # 参考答案： for one question
    "6. 行政复议机关是（  ）。",                                        # key only in the answer table
    "A.上一级主管部门 B.法院 C.检察院 D.公安机关",
    "二、多项选择题",
    "1. 禁毒工作实行（ ）并举的方针。",
    "A.禁种 B.禁制 C.禁贩 D.禁吸",
    "【答案】ABCD",
    "【解析】禁毒法第四条。",
    "2.（多选）下列属于行政强制措施的有（ ）。",                        # （多选） tag
    "A:查封场所", "B:扣押财物", "C:冻结存款", "D:警告",
    "三、判断题",
    "1. 宪法是国家的根本法。（√）",
    "2. 国家宪法日是3月15日。（×）",
    "3. 村委会每届任期五年。（对）",
    "4. 村委会每届任期三年。（错）",
    "5. 乡镇人民政府是基层国家行政机关。正确",
    "6. 我国实行联邦制。错误",
    "7. 我国实行单一制。（ ）",
    "参考答案：",
    "一、6.A",
    "二、2. ABC",
    "三、7.√",
]
ALL_LAYOUT_KEYS = {"single": ["A", "B", "B", "A", "D", "A"], "multiple": ["ABCD", "ABC"],
                   "judge": ["A", "B", "A", "B", "A", "B", "A"]}


def read_capped(files: dict) -> tuple[dict, int]:
    """Read each of ``files`` ({name: bytes}) with ``read_workbook`` in a child limited to 1.5 GB of address
    space (never in the test process): {name: (outcome, seconds)} — "read" or the refusal's text — and the
    child's peak RSS in MB. A file that reached calamine's dense grid fails the child or shows in the peak."""
    child = textwrap.dedent("""
        import pickle, resource, sys, time
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
        from quizapp.common.spreadsheets import SpreadsheetError, read_workbook
        outcomes = {}
        for name, data in pickle.loads(sys.stdin.buffer.read()).items():
            started = time.perf_counter()
            try:
                read_workbook(data, max_rows=%d)
                outcome = "read"
            except SpreadsheetError as error:
                outcome = str(error)
            outcomes[name] = (outcome, time.perf_counter() - started)
        # VmHWM, this process's own peak (ru_maxrss would carry the forking pytest worker's across exec)
        status = open("/proc/self/status").read()
        peak = int(status.split("VmHWM:")[1].split()[0]) // 1024
        print(repr((outcomes, peak)))
    """ % importer.MAX_ROWS)
    done = subprocess.run([sys.executable, "-c", child], input=pickle.dumps(files), capture_output=True,
                          timeout=120, cwd=str(Path(importer.__file__).parents[2]))
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return ast.literal_eval(done.stdout.decode())
