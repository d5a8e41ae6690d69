"""Reading untrusted spreadsheets safely and writing exports that Excel will not execute.

Every importer (accounts, question banks, sign-in sheets) goes through
``read_workbook``: the file type is decided by content, not by name; .xlsx
archives are checked for entry count and uncompressed size before any parser
touches them; every cell is read as text and formulas are never evaluated.

Every export goes through one writer, ``StreamingWorkbook`` (rows out one by
one, text formula-escaped), and one response, ``xlsx_download``: small files
as bytes (``write_xlsx``), large ones streamed from a temporary file.
"""
from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from numbers import Number

from .clock import format_datetime

MAX_ZIP_ENTRIES = 2000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
DEFAULT_MAX_ROWS = 20000
DEFAULT_MAX_CELL = 5000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


class SpreadsheetError(Exception):
    """The file as a whole cannot be read; the message is Chinese and user-facing."""


@dataclass
class RowProblem:
    """One problem in one row (and column) of an uploaded sheet; every importer reports these, all at once.

    ``row`` is the Excel row number (None when the problem is the whole file);
    ``column`` is the header text the person sees.
    """

    sheet: str
    row: int | None
    column: str
    message: str

    def as_dict(self):
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}

    def __str__(self):
        where = "" if self.sheet in ("", "CSV") else f"工作表“{self.sheet}”"
        if self.row:
            where += f"第 {self.row} 行"
        if self.column:
            where += f"「{self.column}」"
        return f"{where}：{self.message}" if where else self.message


@dataclass
class Sheet:
    name: str
    rows: list[list[str]]  # rows[i] is Excel row i + 1


@dataclass
class Table:
    """A sheet with its header found: ``records`` are (excel_row, {canonical column: text})."""

    sheet: str
    header_row: int
    columns: dict[str, int]
    records: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)


def sniff_kind(data: bytes) -> str:
    """'xlsx', 'xls' or 'csv', decided by the bytes."""
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        return "xls"
    head = data[:4096]
    if b"\x00" in head.replace(b"\x00\x00", b"") or _looks_binary(head):
        raise SpreadsheetError("文件不是有效的表格文件（支持 .xlsx、.xls、.csv）。")
    return "csv"


def _looks_binary(head: bytes) -> bool:
    control = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    return len(head) > 0 and control / len(head) > 0.05


def check_zip(data: bytes):
    """Refuse damaged archives and zip bombs before any XML parser sees them."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SpreadsheetError("文件已损坏，无法作为 .xlsx 打开。") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise SpreadsheetError("文件结构异常（包含的条目过多），已拒绝。")
        total = sum(entry.file_size for entry in entries)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise SpreadsheetError("文件解压后过大，疑似恶意文件，已拒绝。")
        compressed = sum(entry.compress_size for entry in entries) or 1
        if total > 10 * 1024 * 1024 and total / compressed > MAX_COMPRESSION_RATIO:
            raise SpreadsheetError("文件压缩比异常，疑似恶意文件，已拒绝。")
        names = {entry.filename for entry in entries}
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise SpreadsheetError("文件不是有效的 Excel 工作簿。")


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), then GB18030 (a superset of GBK) as Excel on Chinese Windows saves."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise SpreadsheetError("无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV，或使用 .xlsx。") from None


def read_workbook(data: bytes, max_bytes: int | None = None) -> list[Sheet]:
    """Every sheet of the file as rows of text cells."""
    if not data:
        raise SpreadsheetError("文件是空的。")
    if max_bytes and len(data) > max_bytes:
        raise SpreadsheetError(f"文件过大（超过 {max_bytes // (1024 * 1024)} MB）。")
    kind = sniff_kind(data)
    if kind == "csv":
        text = decode_text(data)
        sample = text[:4096]
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        rows = [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
        return [Sheet("CSV", rows)]
    if kind == "xlsx":
        check_zip(data)
    try:
        import pandas as pd  # only here: pandas and numpy cost ~1 s and ~100 MB at start-up in every worker

        frames = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=str,
                               engine="calamine", keep_default_na=False, na_filter=False)
    except Exception:  # calamine raises many kinds on damaged files
        raise SpreadsheetError("文件已损坏或格式不受支持，无法读取。") from None
    # Whole-frame conversion (not cell by cell): a 10,000-row file stays close to the bare read.
    return [Sheet(str(name), frame.fillna("").replace(["nan", "NaT", "None"], "").to_numpy(dtype=object).tolist())
            for name, frame in frames.items()]


_HEADER_JUNK = re.compile(r"[\s*＊:：()（）\[\]【】]")


def normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _HEADER_JUNK.sub("", text)


def find_tables(sheets, synonyms: dict[str, str], required: set[str], *, scan_rows=20,
                max_rows=DEFAULT_MAX_ROWS, max_cell=DEFAULT_MAX_CELL):
    """Locate the header row of each sheet (even under title rows) and map its columns.

    ``synonyms`` maps a normalised header text to a canonical column name. A
    row is the header when it names every ``required`` column. Sheets
    without such a row are skipped. Returns (tables, problems) where problems
    are RowProblems, named by canonical column, for cells that break the limits.
    """
    tables, problems, total = [], [], 0
    for sheet in sheets:
        header_index = None
        for index, row in enumerate(sheet.rows[:scan_rows]):
            found = {synonyms.get(normalise_header(cell)) for cell in row} - {None}
            if required <= found:
                header_index = index
                break
        if header_index is None:
            continue
        columns, unknown = {}, []
        for col, cell in enumerate(sheet.rows[header_index]):
            canonical = synonyms.get(normalise_header(cell))
            if canonical and canonical not in columns:
                columns[canonical] = col
            elif cell.strip() and not canonical:
                unknown.append(cell.strip())
        table = Table(sheet.name, header_index + 1, columns, unknown_headers=unknown)
        for index in range(header_index + 1, len(sheet.rows)):
            row = sheet.rows[index]
            if not any(cell.strip() for cell in row):
                continue
            total += 1
            if total > max_rows:
                raise SpreadsheetError(f"数据行数超过上限（{max_rows} 行），请拆分文件后分批导入。")
            record = {}
            for name, col in columns.items():
                value = row[col].strip() if col < len(row) else ""
                if len(value) > max_cell:
                    problems.append(RowProblem(sheet.name, index + 1, name, f"内容过长（超过 {max_cell} 个字符）"))
                    value = value[:max_cell]
                record[name] = value
            table.records.append((index + 1, record))
        tables.append(table)
    return tables, problems


def escape_formula(value):
    """Make a text cell inert in Excel: a leading = + - @ is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass
class SheetSpec:
    """One worksheet: a title line (optional), a header and rows, which may be produced lazily."""

    name: str
    header: list[str]
    rows: Iterable[list]
    widths: list[int] = field(default_factory=list)
    title: str = ""


def cell_value(value):
    """What a cell shows: 是/否 for booleans, local time for datetimes, ISO for dates."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class StreamingWorkbook:
    """The one .xlsx writer: rows go out one by one (XlsxWriter constant_memory); sheets filled in turns.

    Strings are written as strings (never as formulas, URLs or numbers) and
    every text cell is formula-escaped, so nothing in the file runs when opened.
    ``target`` is a path or a binary file object.
    """

    def __init__(self, target):
        import xlsxwriter

        self.workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                                     "strings_to_urls": False, "strings_to_numbers": False,
                                                     "tmpdir": tempfile.gettempdir()})
        self.bold = self.workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True})
        self.heading = self.workbook.add_format({"bold": True, "font_size": 13})
        self.wrap = self.workbook.add_format({"text_wrap": True, "valign": "top"})
        self.used_names = set()
        self.written = 0

    def sheet(self, name: str, header: list, widths=(), title: str = ""):
        return SheetWriter(self, name, header, widths, title)

    def close(self):
        self.workbook.close()


class SheetWriter:
    def __init__(self, book: StreamingWorkbook, name, header, widths, title):
        self.book = book
        self.sheet = book.workbook.add_worksheet(_sheet_name(name, book.used_names))
        for col, width in enumerate(widths or ()):
            self.sheet.set_column(col, col, width, book.wrap if width >= 30 else None)
        self.row = -1
        if title:
            self.row += 1
            self.sheet.write_string(self.row, 0, escape_formula(title), book.heading)
        if header:
            self.row += 1
            for c, text in enumerate(header):
                self.sheet.write_string(self.row, c, escape_formula(str(text)), book.bold)
            self.sheet.freeze_panes(self.row + 1, 0)

    def append(self, values):
        self.row += 1
        self.book.written += 1
        for c, value in enumerate(values):
            value = cell_value(value)
            if value is None or value == "":
                continue
            if isinstance(value, str):
                self.sheet.write_string(self.row, c, escape_formula(value))
            elif isinstance(value, int):
                self.sheet.write_number(self.row, c, value)
            elif isinstance(value, Number):  # float, Decimal (a NUMERIC column), Fraction
                self.sheet.write_number(self.row, c, float(value))
            else:
                self.sheet.write_string(self.row, c, escape_formula(str(value)))


def _sheet_name(name: str, used: set) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "Sheet"
    candidate, n = clean, 2
    while candidate.lower() in used:
        suffix = f"({n})"
        candidate, n = clean[:31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def write_workbook(target, sheets) -> int:
    """Write ``sheets`` (SheetSpecs, or a callable filling a StreamingWorkbook) to ``target``; returns data rows."""
    book = StreamingWorkbook(target)
    if callable(sheets):
        sheets(book)
    else:
        for spec in sheets:
            writer = book.sheet(spec.name, spec.header, spec.widths, spec.title)
            for row in spec.rows:
                writer.append(row)
    book.close()
    return book.written


def write_xlsx(sheets: dict[str, list[list]], *, column_widths: dict[str, list[int]] | None = None) -> bytes:
    """A small workbook as bytes, from {sheet name: rows} whose first row is the header.

    For files built whole in memory (templates, error reports, one unit's
    list) that a service returns or a test uploads; the same writer as the
    streamed exports.
    """
    specs = [SheetSpec(name, rows[0] if rows else [], rows[1:], (column_widths or {}).get(name, []))
             for name, rows in sheets.items()]
    buffer = io.BytesIO()
    write_workbook(buffer, specs)
    return buffer.getvalue()


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024


def xlsx_download(content, filename: str):
    """The one .xlsx download response (a Chinese file name survives via RFC 5987).

    ``content`` is the file's bytes, or sheets (SheetSpecs, or a callable that
    fills a StreamingWorkbook): those are written to a temporary file and
    streamed, so an export reaching a province's worth of rows never holds
    the workbook in memory; the file is removed once sent.
    """
    from urllib.parse import quote

    from flask import Response

    if not filename.endswith(".xlsx"):
        filename += ".xlsx"
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}", "Cache-Control": "no-store"}
    if isinstance(content, bytes):
        return Response(content, mimetype=XLSX_MIME, headers=headers)
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="quizapp-export-")
    os.close(handle)
    try:
        write_workbook(path, content)
        size = os.path.getsize(path)
        stream = open(path, "rb")  # noqa: SIM115 (closed by the generator)
    except BaseException:
        os.unlink(path)
        raise
    os.unlink(path)  # the open handle keeps the data until the download ends

    def chunks():
        with stream:
            while True:
                block = stream.read(CHUNK)
                if not block:
                    break
                yield block

    return Response(chunks(), mimetype=XLSX_MIME, headers={**headers, "Content-Length": str(size)})
