"""Report exports: .xlsx workbooks written row by row (XlsxWriter constant_memory) to a temporary file.

Rows come straight from the database cursor, so a province-wide export never
holds the table in memory twice; every text cell is formula-escaped and
written as a string, so nothing in the file runs when opened.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable
from urllib.parse import quote

from flask import Response

from ..common.clock import format_datetime
from ..common.spreadsheets import XLSX_MIME, escape_formula

CHUNK = 64 * 1024


@dataclass
class SheetSpec:
    """One worksheet: a title line (optional), a header and rows produced lazily."""

    name: str
    header: list[str]
    rows: Iterable[list]
    widths: list[int] = field(default_factory=list)
    title: str = ""


def cell_value(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class StreamingWorkbook:
    """An .xlsx written row by row; several sheets may be filled in turns, each top to bottom."""

    def __init__(self, path: str):
        import xlsxwriter

        self.workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
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
            elif isinstance(value, (int, float)):
                self.sheet.write_number(self.row, c, value)
            else:
                self.sheet.write_string(self.row, c, escape_formula(str(value)))


def write_workbook(path: str, sheets) -> int:
    """Write ``sheets`` (SheetSpec, or a callable filling a StreamingWorkbook) to ``path``; returns data rows."""
    book = StreamingWorkbook(path)
    if callable(sheets):
        sheets(book)
    else:
        for spec in sheets:
            writer = book.sheet(spec.name, spec.header, spec.widths, spec.title)
            for row in spec.rows:
                writer.append(row)
    book.close()
    return book.written


def _sheet_name(name: str, used: set) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "Sheet"
    candidate, n = clean, 2
    while candidate.lower() in used:
        suffix = f"({n})"
        candidate, n = clean[:31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def xlsx_response(filename: str, sheets) -> Response:
    """Build the workbook in a temporary file and stream it; the file is removed once sent.

    The streaming sibling of ``common.spreadsheets.xlsx_download`` (which sends bytes built in memory),
    for exports that can reach a province's worth of rows.

    ``sheets`` is a list of SheetSpec, or a callable that fills a StreamingWorkbook.
    """
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="quizapp-report-")
    os.close(handle)
    try:
        write_workbook(path, sheets)
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

    if not filename.endswith(".xlsx"):
        filename += ".xlsx"
    return Response(chunks(), mimetype=XLSX_MIME, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "Content-Length": str(size), "Cache-Control": "no-store"})
