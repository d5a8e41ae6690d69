"""Reading untrusted spreadsheets safely and writing exports that Excel will not execute.

Every importer (accounts, question banks, sign-in sheets) goes through
``read_workbook``: the file type is decided by content, not by name; .xlsx
archives are checked for entry count and uncompressed size before any parser
touches them; every cell is read as text and formulas are never evaluated.

Every export goes through one writer, ``StreamingWorkbook`` (rows out one by
one, text formula-escaped), and one response, ``xlsx_download``: small files
as bytes (``write_xlsx``), large ones streamed from a temporary file.

One module (~880 lines) on purpose: the reading limits (size, zip, rows, cell positions, formulas) and the export
escaping must be read together to see that no path skips them.
"""
from __future__ import annotations

import csv
import gc
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import accumulate, count, repeat
from numbers import Number
from operator import add, itemgetter

from .clock import format_datetime

MAX_ZIP_ENTRIES = 2000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
DEFAULT_MAX_ROWS = 20000
# Title, blank and header rows a file may have besides its data rows before reading stops.
ROW_ALLOWANCE = 200
MAX_COLUMNS = 64  # also the furthest column (BL) a cell may sit in: calamine allocates every row that wide
# Excel's own bounds: the position check needs a row bound even when a caller sets no row limit.
EXCEL_ROWS = 1048576
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
        if self.column.startswith("第 ") and self.column.endswith(("段", "行")):  # a Word/text bank's question
            return f"“{self.sheet}”第 {self.row} 题（{self.column}）：{self.message}"
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
    # (row index, column index) -> formula text, for cells that hold a formula (only its cached value is in rows).
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)


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


def open_checked_zip(data: bytes, kind: str) -> zipfile.ZipFile:
    """The archive of an Office file (``kind``: ".xlsx", ".docx"), refused when damaged or a zip bomb (too many
    entries, too large unpacked, an abnormal compression ratio) before any XML parser sees it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SpreadsheetError(f"文件已损坏，无法作为 {kind} 打开。") from None
    entries = archive.infolist()
    total = sum(entry.file_size for entry in entries)
    compressed = sum(entry.compress_size for entry in entries) or 1
    problem = ("文件结构异常（包含的条目过多），已拒绝。" if len(entries) > MAX_ZIP_ENTRIES
               else "文件解压后过大，疑似恶意文件，已拒绝。" if total > MAX_UNCOMPRESSED_BYTES
               else "文件压缩比异常，疑似恶意文件，已拒绝。"
               if total > 10 * 1024 * 1024 and total / compressed > MAX_COMPRESSION_RATIO else None)
    if problem:
        archive.close()
        raise SpreadsheetError(problem)
    return archive


def check_zip(data: bytes):
    """Refuse damaged archives, zip bombs and archives that are not workbooks before any XML parser sees them."""
    with open_checked_zip(data, ".xlsx") as archive:
        names = {entry.filename for entry in archive.infolist()}
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


class paused_gc:
    """Pause the cyclic garbage collector around bulk reading: a 10,000-row import builds ~500,000 small objects,
    all kept, and each collection they trigger walks the growing heap again (~20 % of the import). Nothing made
    here is a cycle to collect; the collector runs again, as it was, on leaving."""

    def __enter__(self):
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was_enabled:
            gc.enable()


def read_workbook(data: bytes, max_bytes: int | None = None, max_rows: int | None = DEFAULT_MAX_ROWS) -> list[Sheet]:
    """Every sheet of the file as rows of text cells, formula cells marked.

    ``max_rows`` is enforced while reading: an .xlsx whose sheets hold more
    rows is refused after a streamed scan that stops at the limit, before any
    parser builds the rows (a 1 MB file can inflate to 200 MB of sheet XML).
    """
    if not data:
        raise SpreadsheetError("文件是空的。")
    if max_bytes and len(data) > max_bytes:
        raise SpreadsheetError(f"文件过大（超过 {max_bytes // (1024 * 1024)} MB）。")
    limit = None if max_rows is None else max_rows + ROW_ALLOWANCE
    kind = sniff_kind(data)
    if kind == "csv":
        text = decode_text(data)
        sample = text[:4096]
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        rows, filled = [], 0
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(row)
            filled += any(row)
            if limit is not None and filled > limit:
                raise _too_many_rows(max_rows)
        return [Sheet("CSV", rows)]
    formulas = {}
    if kind == "xlsx":
        check_zip(data)
        formulas = scan_xlsx(data, limit)
    else:
        scan_xls(data, limit)
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for name in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(name).to_python(
                skip_empty_area=False, nrows=None if limit is None else limit + 1)
            if limit is not None and len(rows) > limit:
                raise _too_many_rows(max_rows)
            # Most rows are text throughout: kept as calamine made them, checked by one C-level pass each.
            sheets.append(Sheet(str(name), [row if all(map(_is_text, row)) else
                                            [cell if cell.__class__ is str else _text(cell) for cell in row]
                                            for row in rows], formulas.get(str(name), {})))
    except SpreadsheetError:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # calamine raises many kinds on damaged files, and panics (a BaseException) on some
        raise SpreadsheetError("文件已损坏或格式不受支持，无法读取。") from None
    if limit is not None and sum(1 for sheet in sheets for row in sheet.rows if any(row)) > limit:
        raise _too_many_rows(max_rows)  # .xls: no streamed scan, so counted here (its size is bounded by max_bytes)
    return sheets


# BIFF records that place a cell (row, column in their first four bytes): NUMBER, LABELSST, LABEL, RK, BLANK,
# BOOLERR, FORMULA, RSTRING; MULRK and MULBLANK place a run of cells (6 and 2 bytes each) from their first column.
_XLS_CELLS = frozenset({0x0203, 0x00FD, 0x0204, 0x027E, 0x0201, 0x0205, 0x0006, 0x00D6})
_XLS_RUNS = {0x00BD: 6, 0x00BE: 2}
_XLS_BOF, _XLS_EOF, _XLS_BOUNDSHEET, _XLS_FILEPASS, _XLS_DIMENSIONS = 0x0809, 0x000A, 0x0085, 0x002F, 0x0200


def scan_xls(data: bytes, limit: int | None):
    """Refuse an .xls sheet with a cell placed beyond ``limit`` rows or ``MAX_COLUMNS`` columns before calamine
    reads it: calamine builds the same dense grid from A1 to the furthest cell as for .xlsx (a 5.6 KB file with
    cells at A1 and IV65536 cost it 1 GB). olefile takes the Workbook stream out of the compound file; each
    sheet's substream (at the offset its BOUNDSHEET gives) is walked record by record to its EOF, reading the
    row and column of every cell record and the declared DIMENSIONS. The walk is bounded by the stream's size;
    anything it cannot follow is left to calamine, which refuses a damaged file."""
    import struct

    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            name = next((name for name in ("Workbook", "Book") if ole.exists(name)), None)
            if name is None:
                raise SpreadsheetError("文件不是有效的 Excel 工作簿。")
            stream = ole.openstream(name).read()
    except SpreadsheetError:
        raise
    except Exception:  # olefile raises OSError, struct.error, IndexError … on damaged compound files
        raise SpreadsheetError("文件已损坏或格式不受支持，无法读取。") from None
    max_row = limit or EXCEL_ROWS
    unpack, size = struct.unpack_from, len(stream)
    sheets, pos = {}, 0
    while pos + 4 <= size:  # the globals substream: sheet names and offsets, up to its EOF
        kind, length = unpack("<HH", stream, pos)
        body = stream[pos + 4:pos + 4 + length]
        pos += 4 + length
        if kind == _XLS_FILEPASS:
            return  # encrypted: cell records are unreadable here, and calamine refuses the file
        if kind == _XLS_BOUNDSHEET and len(body) >= 8:
            sheets.setdefault(unpack("<I", body)[0], _xls_sheet_name(body))
        elif kind == _XLS_EOF:
            break
    budget = 2 * size  # bytes walked in all: sheets that share or overlap their records cannot make it quadratic
    for offset, sheet in sheets.items():
        place = _Place(sheet, max_row)
        pos, depth = offset, 0
        while pos + 4 <= size and budget > 0:
            kind, length = unpack("<HH", stream, pos)
            start, pos = pos + 4, pos + 4 + length
            budget -= 4 + length
            if kind in _XLS_CELLS:
                if length >= 4:
                    row, col = unpack("<HH", stream, start)
                    if row >= max_row or col >= MAX_COLUMNS:
                        raise place.refuse()
            elif kind in _XLS_RUNS:
                if length >= 6 and pos <= size:
                    row, first = unpack("<HH", stream, start)
                    last = max(unpack("<H", stream, pos - 2)[0], first + (length - 6) // _XLS_RUNS[kind] - 1)
                    if row >= max_row or last >= MAX_COLUMNS:
                        raise place.refuse()
            elif kind == _XLS_DIMENSIONS:  # calamine 0.9 does not size by it; one that did would
                if length >= 14 and pos <= size:
                    rows, cols = unpack("<4xI2xH", stream, start)
                elif length >= 10 and pos <= size:  # BIFF5: 16-bit rows
                    rows, cols = unpack("<2xH2xH", stream, start)
                else:
                    continue
                if rows > max_row or cols > MAX_COLUMNS:
                    raise place.refuse()
            elif kind == _XLS_BOF:
                depth += 1  # an embedded chart's substream nests inside a sheet's
            elif kind == _XLS_EOF:
                depth -= 1
                if depth <= 0:
                    break
        if budget <= 0:
            raise SpreadsheetError("文件已损坏或格式不受支持，无法读取。")


def _xls_sheet_name(body: bytes) -> str:
    """The name in a BOUNDSHEET record: BIFF8 a length, a flag (1: UTF-16) and the characters; BIFF5 bytes."""
    count = body[6]
    if body[7] in (0, 1) and len(body) >= 8 + count * (body[7] + 1):  # no BIFF5 name starts with byte 0 or 1
        return body[8:8 + count * (body[7] + 1)].decode("utf-16-le" if body[7] else "latin-1", "replace")
    return body[7:7 + count].decode("gbk", "replace")


def _too_many_rows(max_rows):
    return SpreadsheetError(f"数据行数超过上限（{max_rows} 行），请拆分文件后分批导入。")


_is_text = str.__instancecheck__


def _text(value) -> str:
    """A cell as the text a person sees: 3 not 3.0, dates as 2024-03-01 00:00:00 (as pandas wrote them)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ""
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime):
        return str(value)
    if isinstance(value, date):
        return str(datetime(value.year, value.month, value.day))
    return "" if value is None else str(value)


# A row with cells; an empty row kept only for its height or style is written self-closed and not counted.
_ROW_TAG = re.compile(rb"<(?:\w+:)?row(?:\s[^>]*[^/]|\s)?>")
_VALUE_TAG = re.compile(rb"<(?:\w+:)?(?:v|is)[\s>]")
# What plain counting would miss: a prefixed row, value or formula tag (a search led by ":", ~10x a bytes.count).
_PREFIXED_TAG = re.compile(rb":(?:row|c|v|is|f)\b")
_FORMULA_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)")
_CELL_REF = re.compile(rb"\br=\"([A-Z]{1,3})(\d+)\"")
_SHEET_ENTRY = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\bname=\"([^\"]*)\"[^>]*?\br:id=\"([^\"]*)\"|"
                          rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]*)\"[^>]*?\bname=\"([^\"]*)\"")
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*?>")
SCAN_CHUNK = 1 << 20
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
# Any row or cell tag with its position, the way calamine reads it (r, else one past the previous row or cell).
_POSITION_TAG = re.compile(rb"<(?:\w+:)?(row|c)(?=[\s/>])([^>]*)>")
_R_ATTRIBUTE = re.compile(rb"(?:^|\s)r\s*=\s*(?:[\"']([A-Za-z]*)(\d*)[\"'])?")
_REFERENCE = re.compile(r"\$?([A-Za-z]*)\$?(\d*)")
_ROW_NUMBER = re.compile(rb'<row r="[A-Z]*(\d+)"')


def scan_xlsx(data: bytes, limit: int | None) -> dict[str, dict[tuple[int, int], str]]:
    """Stream each worksheet's XML once: refuse past ``limit`` rows (stopping there), refuse cells placed beyond
    ``limit`` rows or ``MAX_COLUMNS`` columns, and find formula cells.

    Returns {sheet name: {(row index, column index): formula text}}. Runs in
    constant memory whatever the inflated size; the parser that follows then
    only ever sees a sheet that fits the limits. Counting is not enough for
    the positions: calamine builds each sheet as a dense grid from A1 to its
    furthest cell, so two cells at A1 and XFD20000 in a 2 KB file cost it
    10 GB (and XFD1048576 aborts the process on a failed allocation).
    """
    from html import unescape

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        paths = _sheet_paths(archive, names)
        rows = cells = 0
        cell_limit = None if limit is None else limit * MAX_COLUMNS
        fast = _in_bounds_tags(limit or EXCEL_ROWS)
        found = {}
        for sheet_name, path in paths:
            formulas = {}
            place = _Place(sheet_name, limit or EXCEL_ROWS)
            with archive.open(path) as stream:
                tail = b""
                first = True
                while True:
                    chunk = stream.read(SCAN_CHUNK)
                    buffer = tail + chunk
                    # Cut after a row's end, so that no cell (and no formula in it) is split between passes.
                    end = buffer.rfind(b"row>")
                    cut = len(buffer) if not chunk else (end + 4 if end >= 0 else buffer.rfind(b">") + 1)
                    part, tail = buffer[:cut], buffer[cut:]
                    # Tags with a namespace prefix ("<x:row>") are rare: one search tells whether plain counts do.
                    prefixed = _PREFIXED_TAG.search(part) is not None
                    rows += _count_rows(part, prefixed)
                    cells += len(_VALUE_TAG.findall(part)) if prefixed else part.count(b"<v>") + part.count(b"<is>")
                    if limit is not None and (rows > limit or cells > cell_limit):
                        raise _too_many_rows(limit - ROW_ALLOWANCE)
                    if first:
                        place.check_dimension(part)
                        first = False
                    place.check(part, prefixed, fast)
                    if b"<f" in part or (prefixed and b":f" in part):
                        _find_formulas(part, formulas, unescape)
                    if not chunk:
                        break
            found[sheet_name] = formulas
    return found


def _in_bounds_tags(max_row: int):
    """Three regexes finding, in a run of sheet XML, any cell or row tag that is not plainly in bounds: one whose
    first attribute is not r="…" (as Excel, WPS, LibreOffice, openpyxl and XlsxWriter write them) or whose r
    is past row ``max_row`` or column ``MAX_COLUMNS`` (calamine also takes lower case and leading zeros).
    Normal sheets have none, so a search per chunk clears it; a chunk with one is walked tag by tag (``_Place``).

    The first regex is a cheap net for the second: it passes over every cell written plainly inside the bounds
    (r="B17": a column up to BL, a row number without leading zeros up to ``max_row``) in one straight line,
    and stops at every other ``<c`` (a superset of what the exact cell regex finds), which the exact one then
    judges from there (~10 ms for a 4 MB sheet instead of ~35 ms)."""
    col = _column_name(MAX_COLUMNS)
    beyond_col = "|".join([f"[A-Za-z]{{{len(col) + 1},}}"] + _greater(col, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    beyond_row = "|".join([f"[1-9][0-9]{{{len(str(max_row))},}}"] + _greater(str(max_row), "0123456789"))
    cell = rf"""<c(?:[\t\n\r/>]| (?!r=")| r="(?:{beyond_col}|[A-Za-z]{{0,{len(col)}}}0*(?:{beyond_row})))"""
    row = rf"""<row(?:[\t\n\r/>]| (?!r=")| r="0*(?:{beyond_row}))"""
    within_col = "|".join(_not_greater(col, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", first="A"))
    within_row = "|".join(_not_greater(str(max_row), "0123456789", first="1"))
    plain_cell = rf"""<c(?! r="(?:{within_col})(?:{within_row})")"""
    return re.compile(plain_cell.encode()), re.compile(cell.encode()), re.compile(row.encode())


def _not_greater(text: str, alphabet: str, first: str) -> list[str]:
    """Regex alternatives for the strings from ``alphabet`` that sort at or before ``text`` as they count: shorter
    ones, then those of its length (none starts below ``first``: no leading zero, no empty column name)."""
    def chars(low, high):
        run = alphabet[alphabet.index(low):alphabet.index(high) + 1]
        span = run if len(run) == 1 else f"{run[0]}-{run[-1]}"
        return f"[{span}{span.lower()}]" if run.isalpha() else span if len(run) == 1 else f"[{span}]"

    whole = chars(alphabet[0], alphabet[-1])
    alternatives = []
    if len(text) > 1:
        shorter = f"{{0,{len(text) - 2}}}" if len(text) > 2 else ""
        alternatives.append(chars(first, alphabet[-1]) + (whole + shorter if shorter else ""))
    for index, char in enumerate(text):
        low = first if index == 0 else alphabet[0]
        if alphabet.index(char) > alphabet.index(low):
            rest = len(text) - index - 1
            alternatives.append("".join(chars(c, c) for c in text[:index]) + chars(low, alphabet[alphabet.index(char) - 1])
                                + (f"{whole}{{{rest}}}" if rest else ""))
    alternatives.append("".join(chars(c, c) for c in text))
    return alternatives


def _greater(text: str, alphabet: str) -> list[str]:
    """Regex alternatives for the strings of ``len(text)`` characters from ``alphabet`` that sort after ``text``
    (a number, or a column name: at equal length both sort as they count); letters match in either case."""
    def chars(run):
        span = run if len(run) == 1 else f"{run[0]}-{run[-1]}"
        return f"[{span}{span.lower()}]" if run.isalpha() else span if len(run) == 1 else f"[{span}]"

    alternatives = []
    for index, char in enumerate(text):
        later = alphabet[alphabet.index(char) + 1:]
        if later:
            rest = len(text) - index - 1
            alternatives.append("".join(chars(c) for c in text[:index]) + chars(later)
                                + (f"{chars(alphabet)}{{{rest}}}" if rest else ""))
    return alternatives


def _column_name(number: int) -> str:
    """"BL" for 64."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


class _Place:
    """Where calamine will put each row and cell of one sheet, refused past the bounds before it reads the sheet.

    A chunk the fast regex clears only moves the current row to its last <row r="…">; any other chunk is
    walked tag by tag as calamine reads it: a row's r, else the row after the previous one; a cell's r, else
    the column after the previous cell's (cells without r spread a row as far as their number).
    """

    def __init__(self, sheet: str, max_row: int):
        self.sheet, self.max_row = sheet, max_row
        self.row = self.col = 0

    def refuse(self):
        return SpreadsheetError(f"工作表“{self.sheet}”的单元格位置超出允许范围（最多 {self.max_row} 行、"
                                f"{MAX_COLUMNS} 列），请删除表格范围之外的内容或格式后再导入。")

    def check_dimension(self, part: bytes):
        """The sheet's declared used range: calamine 0.9 does not size by it, a version that did would."""
        match = _DIMENSION.search(part)
        if match is None:
            return
        for corner in match.group(1).decode("ascii", "replace").split(":"):
            reference = _REFERENCE.fullmatch(corner.strip())
            if reference is None:
                continue
            letters, digits = reference.groups()
            if _column_number(letters) > MAX_COLUMNS or self.beyond(digits):
                raise self.refuse()

    def check(self, part: bytes, prefixed: bool, fast):
        plain_cells, cells, rows = fast
        net = plain_cells.search(part)
        if (not prefixed and (net is None or cells.search(part, net.start()) is None)
                and rows.search(part) is None):
            last = part.rfind(b'<row r="')
            if last >= 0:  # in bounds: the regex found none past them
                self.row = int(_ROW_NUMBER.match(part, last).group(1))
                self.col = MAX_COLUMNS  # a row split between chunks: a cell without r after it would be refused
            return
        for match in _POSITION_TAG.finditer(part):
            attribute = _R_ATTRIBUTE.search(match.group(2))
            if attribute is None:
                letters = digits = b""
            elif attribute.group(1) is None:
                raise self.refuse()  # an r calamine would not read as a place ("$A$1", "A1 "): not guessed at
            else:
                letters, digits = attribute.groups()
            if len(letters) > 3 or self.beyond(digits):
                raise self.refuse()
            if match.group(1) == b"row":
                self.row, self.col = (int(digits) if digits else self.row + 1), 0
                if self.row > self.max_row:
                    raise self.refuse()
                continue
            self.col = _column_number(letters.decode()) if letters else self.col + 1
            if self.col > MAX_COLUMNS:
                raise self.refuse()
            if digits:  # whether an <row> without r follows the row element or this cell, take the further
                self.row = max(self.row, int(digits))

    def beyond(self, digits) -> bool:
        """A row number past the bound (as text: a 5,000-digit one is refused, not parsed)."""
        return bool(digits) and (len(digits) > 9 or int(digits) > self.max_row)


def _count_rows(part: bytes, prefixed: bool) -> int:
    """Rows with cells in a run of sheet XML: bytes.count where the XML is plain, the regex where it is not."""
    opened, closed = part.count(b"<row"), part.count(b"</row>")
    if opened == closed and not prefixed:
        return opened  # every row written as <row …>…</row> (self-closed empty rows would make these differ)
    return len(_ROW_TAG.findall(part))


def _find_formulas(part, formulas, unescape):
    for match in _FORMULA_CELL.finditer(part):
        ref = _CELL_REF.search(match.group(1))
        if ref is None:
            continue
        col = 0
        for ch in ref.group(1):
            col = col * 26 + ch - 64
        formula = unescape((match.group(2) or b"").decode("utf-8", "replace"))
        formulas[(int(ref.group(2)) - 1, col - 1)] = formula


def _sheet_paths(archive, names) -> list[tuple[str, str]]:
    """(sheet name, path of its XML) in workbook order, from xl/workbook.xml and its relationships."""
    from html import unescape

    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
    except KeyError:
        raise SpreadsheetError("文件不是有效的 Excel 工作簿。") from None
    targets = {}
    for tag in _RELATIONSHIP.findall(rels):
        rid = re.search(rb'\bId="([^"]*)"', tag)
        target = re.search(rb'\bTarget="([^"]*)"', tag)
        if rid and target:
            path = target.group(1).decode("utf-8", "replace").lstrip("/")
            targets[rid.group(1)] = path if path.startswith("xl/") else "xl/" + path
    paths = []
    for match in _SHEET_ENTRY.finditer(workbook):
        name, rid = (match.group(1), match.group(2)) if match.group(1) is not None else (match.group(4),
                                                                                          match.group(3))
        path = targets.get(rid)
        if path in names:
            paths.append((unescape(name.decode("utf-8", "replace")), path))
    return paths


_HEADER_JUNK = re.compile(r"[\s*＊:：()（）\[\]【】]")
_BRACKETED = re.compile(r"[(（\[【][^()（）\[\]【】]*[)）\]】]")


def normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _HEADER_JUNK.sub("", text)


def header_key(text: str, synonyms: dict[str, str]) -> str | None:
    """The canonical column a header cell names: "正确答案(只能输入ABCD否则报错)" names 答案."""
    key = synonyms.get(normalise_header(text))
    if key is None and text and _BRACKETED.search(text):
        key = synonyms.get(normalise_header(_BRACKETED.sub("", text)))
    return key


def _first_chars(synonyms, required):
    """For each required column, the first characters of its spellings: a cheap test for a header row."""
    return [{text[0] for text, key in synonyms.items() if key == name and text}
            | {text[0].upper() for text, key in synonyms.items() if key == name and text} for name in sorted(required)]


_MARK_STARTS = frozenset("*＊【[(（ \t")


def _may_be_header(row, first_chars) -> bool:
    """Cheap test run on every data row: some cell starts like a spelling of each required column."""
    firsts = {cell[:1] for cell in row}
    if firsts & _MARK_STARTS:
        return True  # "*题干", "【答案】": let the full check decide
    for chars in first_chars:
        if firsts.isdisjoint(chars):
            return False
    return True


def header_refusal(sheets, synonyms: dict[str, str], required: set[str], labels: dict[str, str],
                   scan_rows=20) -> str:
    """Why no header was found: the headers the file has, and for each missing column the nearest known spelling."""
    import difflib

    best: list[str] = []
    for sheet in sheets:
        for row in sheet.rows[:scan_rows]:
            cells = [cell.strip() for cell in row if cell.strip() and len(cell.strip()) <= 60]
            if len(cells) > len(best):
                best = cells
    needed = "、".join(f"“{labels.get(name, name)}”" for name in sorted(required))
    if not best:
        return f"没有找到表头：表格中需要有{needed}列（表头上方可以有标题行）。"
    found = {header_key(cell, synonyms) for cell in best} - {None}
    spellings = {name: [text for text, key in synonyms.items() if key == name] for name in required}
    hints = []
    for name in sorted(required - found):
        scored = [(difflib.SequenceMatcher(None, normalise_header(cell), text).ratio(), cell, text)
                  for cell in best for text in spellings[name]]
        ratio, cell, text = max(scored) if scored else (0, "", "")
        label = labels.get(name, name)
        hint = f"缺少“{label}”列"
        if ratio >= 0.4:
            hint += f"（找到的“{cell}”最接近的已知写法是“{text}”）"
        hints.append(hint + "，可写作：" + "、".join(dict.fromkeys(spellings[name][:6])))
    return (f"没有找到表头：{'；'.join(hints)}。表格中找到的表头是：{'、'.join(best[:30])}。"
            "（表头上方可以有标题行。）")


def find_tables(sheets, synonyms: dict[str, str], required: set[str], *, scan_rows=20,
                max_rows=DEFAULT_MAX_ROWS, max_cell=DEFAULT_MAX_CELL):
    """Locate the header row of each table (even under title rows) and map its columns.

    ``synonyms`` maps a normalised header text to a canonical column name. A
    row is the header when it names every ``required`` column; a later row
    that does so starts a second table in the same sheet, read with its own
    columns. Sheets without such a row are skipped. Returns (tables, problems)
    where problems are RowProblems, named by canonical column, for cells that
    break the limits or are formulas.
    """
    tables, problems, total = [], [], 0
    first_chars = _first_chars(synonyms, required)

    def header_at(row, first=True):
        found = {header_key(cell, synonyms) for cell in row} - {None}
        if not first:  # a second table's header: mostly known headings, not one data cell that looks like one
            filled = sum(1 for cell in row if cell.strip())
            return required <= found and len(found) >= 2 and 2 * len(found) >= filled
        return required <= found

    for sheet in sheets:
        formulas = getattr(sheet, "formulas", None) or {}
        header_index = None
        for index, row in enumerate(sheet.rows[:scan_rows]):
            if header_at(row):
                header_index = index
                break
        if header_index is None:
            continue
        joined = list(map("\x00".join, sheet.rows))  # each row's cells in one string, for searches over them all
        lengths = list(map(len, joined))
        starts = [header_index, *(index for index in _heading_like(sheet.rows, joined, header_index + 1, first_chars)
                                  if header_at(sheet.rows[index], first=False))]
        for start, end in zip(starts, [*starts[1:], len(sheet.rows)]):
            columns, unknown = {}, []
            for col, cell in enumerate(sheet.rows[start]):
                canonical = header_key(cell, synonyms)
                if canonical and canonical not in columns:
                    columns[canonical] = col
                elif cell.strip() and not canonical:
                    unknown.append(cell.strip())
            table = Table(sheet.name, start + 1, columns, unknown_headers=unknown)
            tables.append(table)
            kept = [index for index, text in zip(range(start + 1, end),
                                                 map(str.strip, map("".join, sheet.rows[start + 1:end]))) if text]
            total += len(kept)
            if total > max_rows:
                raise SpreadsheetError(f"数据行数超过上限（{max_rows} 行），请拆分文件后分批导入。")
            may_be_long = max(lengths[start + 1:end], default=0) > max_cell  # no cell is longer than its row
            problems += _fill_records(table, [sheet.rows[index] for index in kept], kept, formulas, max_cell,
                                      may_be_long)
    return tables, problems


def _heading_like(rows, joined, start, first_chars):
    """Indexes of the rows from ``start`` on that ``_may_be_header`` passes: one search over all their cells
    (``joined``: each row's cells joined by NUL) finds the few rows with a cell starting like a heading (a
    spelling's first character or a mark), and only those are checked one by one (a cell holding NUL itself
    only adds a row to check)."""
    chars = set().union(*first_chars) | _MARK_STARTS
    # Led by a literal NUL, which the regex engine finds by a fast scan (a leading class is tried at every char).
    starts_like = re.compile("\x00[" + "".join(re.escape(char) for char in sorted(chars)) + "]")
    after = joined[start:]
    row_starts = list(map(add, accumulate(map(len, after), initial=1), count()))  # where each row's text begins
    found = {bisect_right(row_starts, match.start() + 1) - 1
             for match in starts_like.finditer("\x00" + "\x00".join(after))}
    return [start + offset for offset in sorted(found) if _may_be_header(rows[start + offset], first_chars)]


def _fill_records(table, rows, indexes, formulas, max_cell, may_be_long=True) -> list[RowProblem]:
    """Give ``table`` a record for each of its data ``rows`` (sheet row ``indexes``), built column by column
    with C-level passes; returns the cells longer than ``max_cell`` (cut short; none when not ``may_be_long``)
    and the formulas, row by row."""
    names, cols = list(table.columns), list(table.columns.values())
    width = max(cols) + 1
    rows = [row if len(row) >= width else list(row) + [""] * (width - len(row)) for row in rows]
    columns = [list(map(str.strip, map(itemgetter(col), rows))) for col in cols]
    longest = [max(map(len, column), default=0) for column in columns] if may_be_long else [0] * len(columns)
    problems = []
    if max(longest, default=0) > max_cell or formulas:
        for position, index in enumerate(indexes):
            problems += [RowProblem(table.sheet, index + 1, name, f"内容过长（超过 {max_cell} 个字符）")
                         for name, column in zip(names, columns) if len(column[position]) > max_cell]
            problems += [RowProblem(table.sheet, index + 1, name, formula_message(index, col, formulas))
                         for name, col in zip(names, cols) if (index, col) in formulas]
        columns = [[value[:max_cell] for value in column] if size > max_cell else column
                   for column, size in zip(columns, longest)]
    table.records = list(zip([index + 1 for index in indexes], map(dict, map(zip, repeat(names), zip(*columns)))))
    return problems


def cell_name(index: int, col: int) -> str:
    """"B5" for rows[4][1]."""
    letters, col = "", col + 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{index + 1}"


def formula_message(index, col, formulas) -> str:
    formula = formulas[(index, col)]
    shown = f"（={formula[:40]}）" if formula else ""
    return f"单元格 {cell_name(index, col)} 是公式{shown}，请改为直接填写内容（公式的计算结果不会被导入）"


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
