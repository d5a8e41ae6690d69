"""Sparse .xlsx bombs: a 2 KB sheet whose few cells sit far apart is refused before calamine reads it.

calamine (0.9) builds each sheet as a dense grid from A1 to its furthest cell (32 bytes a cell), and
``read_workbook`` asks it for rows from A1: cells at A1 and XFD20000 cost it 10 GB, at XFD1048576 it
asks for 512 GB and aborts the process. The row and cell counts of the scan cannot see that (two
cells, two rows), so the scan also checks where every row and cell is placed (their r, or, without
one, the place after the previous one, as calamine reads them) and the sheet's declared dimension.
"""
import io
import zipfile

import pytest
from hypothesis import given, settings, strategies as st

from bankfiles import GOOD_ROWS, read_capped, make_xlsx
from quizapp.bank import importer
from quizapp.bank.rows import COLUMNS
from quizapp.common.spreadsheets import MAX_COLUMNS, ROW_ALLOWANCE, SpreadsheetError, _in_bounds_tags, read_workbook

LIMIT = importer.MAX_ROWS + ROW_ALLOWANCE  # the furthest row a cell may sit in (title rows allowed for)
REFUSED = "工作表“试题”的单元格位置超出允许范围"


def _xlsx(sheet_data: str, dimension: str = "") -> bytes:
    """A one-sheet workbook named 试题 whose worksheet XML is written by hand around ``sheet_data``."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/></Types>'),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rels}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<workbook xmlns="{main}" xmlns:r="{rels}"><sheets>'
                            '<sheet name="试题" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rels}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}">{dim}<sheetData>{sheet_data}</sheetData></worksheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _cell(ref, text="x"):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


A1 = f'<row r="1">{_cell("A1", "题干")}</row>'
SPARSE = {
    # what the reviewer named: the two corners, a declared used range, a last row
    "corners": A1 + f'<row r="1048576">{_cell("XFD1048576")}</row>',
    "dimension": A1,
    "last row": A1 + f'<row r="1048576">{_cell("A1048576")}</row>',
    # within the row limit but 16,384 columns wide: 10 GB in calamine
    "wide within the row limit": A1 + f'<row r="20000">{_cell("XFD20000")}</row>',
    "one column past": A1 + f'<row r="2">{_cell("BM2")}</row>',
    "one row past": A1 + f'<row r="{LIMIT + 1}">{_cell(f"A{LIMIT + 1}")}</row>',
    "cell placed apart from its row": A1 + f'<row r="2">{_cell("A1048576")}</row>',
    # the forms calamine also reads: lower case, leading zeros, single quotes, spaces around "="
    "lower case": A1 + f'<row r="2">{_cell("xfd2")}</row>',
    "leading zeros": A1 + f'<row r="2">{_cell("A00000100000")}</row>',
    "single quotes": A1 + "<row r='2'><c r='XFD2' t='inlineStr'><is><t>x</t></is></c></row>",
    "spaces around =": A1 + '<row r = "2"><c r = "XFD2" t="inlineStr"><is><t>x</t></is></c></row>',
    # no r at all: calamine puts each row after the previous one and each cell after the previous cell
    "cells without r spread a row": "<row>" + "<c><v>1</v></c>" * (MAX_COLUMNS + 1) + "</row>",
    "empty rows without r push a cell down": "<row/>" * (LIMIT + 1) + "<row><c><v>1</v></c></row>",
}
DIMENSIONS = {"dimension": "A1:XFD1048576"}


def test_sparse_files_are_refused_quickly_without_memory_growth():
    """Is each crafted sparse sheet refused by the scan within a second, with the Chinese message naming the
    sheet, and the peak RSS under 300 MB? Read in a child limited to 1.5 GB of address space (never in the
    test process): had one reached calamine, its allocation (1 GB to 512 GB) fails and the child aborts, so a
    regression fails here instead of taking the machine's memory."""

    files = {name: _xlsx(sheet, DIMENSIONS.get(name, "")) for name, sheet in SPARSE.items()}
    assert max(map(len, files.values())) < 4096
    outcomes, peak_mb = read_capped(files)
    bounds = f"最多 {LIMIT} 行、{MAX_COLUMNS} 列"
    assert {name: REFUSED in outcome and bounds in outcome for name, (outcome, _) in outcomes.items()} == {
        name: True for name in SPARSE}
    assert max(seconds for _, seconds in outcomes.values()) < 1
    assert peak_mb < 300, f"peak RSS {peak_mb} MB"


def test_cells_at_the_bounds_and_sheets_without_r_still_read():
    """Are cells exactly at the last allowed row and column read, and a sheet written without any r attribute
    (calamine places it) read as usual?"""
    last_col = "BL"  # column 64
    edge = _xlsx(A1 + f'<row r="2">{_cell(f"{last_col}2", "边")}</row>'
                 + f'<row r="{LIMIT}">{_cell(f"A{LIMIT}", "底")}</row>', dimension=f"A1:{last_col}{LIMIT}")
    [sheet] = read_workbook(edge, max_rows=importer.MAX_ROWS)
    assert len(sheet.rows) == LIMIT and sheet.rows[1][MAX_COLUMNS - 1] == "边" and sheet.rows[-1][0] == "底"
    plain = "".join("<row>" + "".join(f'<c t="inlineStr"><is><t>{text}</t></is></c>' for text in cells) + "</row>"
                    for cells in [COLUMNS[:3], GOOD_ROWS[0][:3]])
    [sheet] = read_workbook(_xlsx(plain))
    assert sheet.rows == [COLUMNS[:3], GOOD_ROWS[0][:3]]


@pytest.mark.parametrize("ref", ["A2 junk", "$XFD$2", "XFD2!"])
def test_an_r_that_is_no_place_is_refused(ref):
    """Is a cell whose r is not a place (calamine stops at it) refused, by the scan or as damaged, not read?"""
    for quote in ('"', "'"):
        with pytest.raises(SpreadsheetError, match="单元格位置超出允许范围|已损坏"):
            read_workbook(_xlsx(A1 + f"<row r='2'><c r={quote}{ref}{quote}><v>1</v></c></row>"))


def test_normal_bank_file_still_imports():
    """Does an ordinary file written by XlsxWriter (r on every row and cell) pass the position check?"""
    preview = importer.read_questions(make_xlsx({"题库": [COLUMNS] + GOOD_ROWS}), "题库.xlsx")
    assert preview.accepted and not [p for p in preview.problems if "单元格位置" in p.message]


def test_ods_is_not_read_as_a_workbook():
    """An OpenDocument sheet is a zip too: is it refused as not an Excel workbook (calamine never opens it)?"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(SpreadsheetError, match="不是有效的 Excel 工作簿"):
        importer.read_questions(buffer.getvalue(), "题库.ods")


_REFS = st.one_of(
    st.from_regex(r"\$?[A-Za-z]{0,4}\$?0{0,3}[0-9]{0,8}", fullmatch=True),
    st.sampled_from(["A1", "BL1", "BM1", "bl20200", "A20200", "A20201", "A020200", "A0", "AZ9999", "ZZ1"]))
_TAGS = st.one_of(
    _REFS.map(lambda ref: f'<c r="{ref}" t="s">'), _REFS.map(lambda ref: f"<c r='{ref}'>"),
    st.sampled_from(["<c>", "<c/>", '<c s="1">', "<c\tr=\"A1\">", "<cols>", "<col min=\"1\"/>", '<c r = "A1">']))


@given(st.lists(_TAGS, min_size=1, max_size=6), st.sampled_from([importer.MAX_ROWS + ROW_ALLOWANCE, 9, 10, 1048576]))
@settings(max_examples=400, deadline=None)
def test_the_cheap_net_stops_wherever_the_exact_cell_check_would(tags, max_row):
    """Does the fast first search stop at or before every cell tag the exact position regex finds (so a chunk it
    clears holds none, and the exact search started at its stop misses none)?"""
    net, exact, _ = _in_bounds_tags(max_row)
    part = "".join(f"<row>{tag}<v>1</v></c></row>" for tag in tags).encode()
    found = exact.search(part)
    if found is not None:
        stop = net.search(part)
        assert stop is not None and stop.start() <= found.start()
        assert exact.search(part, stop.start()).start() == found.start()
