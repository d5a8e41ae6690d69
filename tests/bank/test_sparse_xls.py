"""Sparse .xls bombs: a 5.6 KB legacy workbook whose few cells sit far apart is refused before calamine reads it.

calamine (0.9) builds an .xls sheet, like an .xlsx one, as a dense grid from A1 to its furthest cell: cells at
A1 and IV65536 cost it ~1 GB before the row count refuses the file, A1 + IV1 + A20001 reads at ~390 MB. The
.xls scan (``scan_xls``) takes the Workbook stream out of the compound file with olefile and reads the row and
column of every cell record (and the declared DIMENSIONS) of every sheet substream first. Files are built by
hand (tests/xlsfiles.py); the crafted ones are read only in a child limited to 1.5 GB of address space.
"""
import ast
import pickle
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bankfiles import GOOD_ROWS, read_capped
from quizapp.bank import importer
from quizapp.bank.rows import COLUMNS
from quizapp.common.spreadsheets import MAX_COLUMNS, ROW_ALLOWANCE, SpreadsheetError, read_workbook
from xlsfiles import biff_stream, compound_file, make_xls, make_xls_rows, record

LIMIT = importer.MAX_ROWS + ROW_ALLOWANCE  # rows 1..LIMIT may hold cells: row indexes 0..LIMIT - 1
REFUSED = "工作表“试题”的单元格位置超出允许范围"
DAMAGED = "已损坏|不是有效"
A1 = {(0, 0): "题干"}


def _raw(kind, row, col, rest=b"\0" * 10):
    """A cell record of ``kind`` at (row, col); its value bytes do not matter: the scan refuses it unread."""
    return record(kind, struct.pack("<HH", row, col) + rest)


def _run(kind, row, first, cells, size):
    """A MULRK (size 6) or MULBLANK (size 2) placing ``cells`` cells from column ``first``."""
    return record(kind, struct.pack("<HH", row, first) + b"\0" * (size * cells) + struct.pack("<H", first + cells - 1))


def _embedded_chart():
    """A chart substream nested in the sheet (BOF … EOF): the sheet's own records go on after it."""
    return record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0020, 0, 0, 0, 0)) + record(0x1001, b"\0\0") + record(0x000A)


SPARSE = {
    "corners A1 + IV65536": make_xls({"试题": {**A1, (65535, 255): "x"}}),
    "A1 + IV1 + A20001": make_xls({"试题": {**A1, (0, 255): "x", (20000, 0): "x"}}),
    "one row past": make_xls({"试题": {**A1, (LIMIT, 0): "x"}}),
    "one column past": make_xls({"试题": {**A1, (1, MAX_COLUMNS): 1}}),
    "BLANK": make_xls({"试题": A1}, extra={"试题": _raw(0x0201, 65535, 255, b"\0\0")}),
    "RK": make_xls({"试题": A1}, extra={"试题": _raw(0x027E, 30000, 0, b"\0" * 6)}),
    "LABELSST": make_xls({"试题": A1}, extra={"试题": _raw(0x00FD, 0, 200, b"\0" * 6)}),
    "BOOLERR": make_xls({"试题": A1}, extra={"试题": _raw(0x0205, 65535, 0, b"\0" * 4)}),
    "FORMULA": make_xls({"试题": A1}, extra={"试题": _raw(0x0006, 40000, 3, b"\0" * 18)}),
    "RSTRING": make_xls({"试题": A1}, extra={"试题": _raw(0x00D6, 1, 255)}),
    "MULRK past the last column": make_xls({"试题": A1}, extra={"试题": _run(0x00BD, 1, 60, 10, 6)}),
    "MULBLANK across the row": make_xls({"试题": A1}, extra={"试题": _run(0x00BE, 1, 0, 256, 2)}),
    "DIMENSIONS only": make_xls({"试题": A1}, dimensions={"试题": (0, 65536, 0, 256)}),
    "after an embedded chart": make_xls({"试题": A1}, extra={"试题": _embedded_chart() + _raw(0x0201, 65535, 255,
                                                                                          b"\0\0")}),
    "second sheet": make_xls({"说明": {(0, 0): "见下页"}, "试题": {**A1, (65535, 255): "x"}}),
}


def test_sparse_xls_files_are_refused_quickly_without_memory_growth():
    """Is each crafted sparse .xls (every cell record kind, a MULRK/MULBLANK run, DIMENSIONS, a cell after an
    embedded chart, a second sheet) refused by the scan within a second, naming the sheet and the bounds, with
    a peak RSS under 300 MB? Read in a child limited to 1.5 GB of address space: had one reached calamine,
    its grid (400 MB to 1 GB, more with more sheets) would show in the peak or fail the child."""
    assert max(map(len, SPARSE.values())) < 8192
    outcomes, peak_mb = read_capped(SPARSE)
    bounds = f"最多 {LIMIT} 行、{MAX_COLUMNS} 列"
    assert {name: REFUSED in outcome and bounds in outcome for name, (outcome, _) in outcomes.items()} == {
        name: True for name in SPARSE}
    assert max(seconds for _, seconds in outcomes.values()) < 1
    assert peak_mb < 300, f"peak RSS {peak_mb} MB"


def test_cells_at_the_bounds_still_read():
    """Are cells in the last allowed row and column (BL) read, and without a row limit is only the column
    bound kept (an .xls has 65,536 rows at most)?"""
    edge = make_xls({"试题": {**A1, (1, MAX_COLUMNS - 1): "边", (LIMIT - 1, 0): "底"}})
    [sheet] = read_workbook(edge, max_rows=importer.MAX_ROWS)
    assert len(sheet.rows) == LIMIT and sheet.rows[1][MAX_COLUMNS - 1] == "边" and sheet.rows[-1][0] == "底"
    deep = make_xls({"试题": {**A1, (65535, 1): "x"}})
    assert len(read_workbook(deep, max_rows=None)[0].rows) == 65536
    with pytest.raises(SpreadsheetError, match=r"最多 1048576 行、64 列"):
        read_workbook(make_xls({"试题": {**A1, (0, MAX_COLUMNS): "x"}}), max_rows=None)


def test_normal_xls_bank_still_imports():
    """Does an ordinary .xls question bank (text and number cells, two sheets) pass the scan and import?"""
    data = make_xls_rows({"说明": [["请按模板填写"]], "题库": [COLUMNS] + GOOD_ROWS})
    preview = importer.read_questions(data, "题库.xls")
    assert len(preview.accepted) == len(GOOD_ROWS)
    assert not [p for p in preview.problems if "单元格位置" in p.message]


def _damaged():
    good = make_xls({"试题": A1})
    stream = biff_stream({"试题": A1})
    bad_offset = bytearray(stream)
    bound = stream.index(struct.pack("<H", 0x0085))
    bad_offset[bound + 4:bound + 8] = struct.pack("<I", 10 ** 9)
    return {
        "only the OLE magic": good[:8],
        "header only": good[:512],
        "cut in the stream": good[:1500],
        "no Workbook stream": compound_file(stream, name="Other"),
        "records cut short": compound_file(stream[:40]),
        "sheet offset past the stream": compound_file(bytes(bad_offset)),
        "record lengths garbled": compound_file(stream[:20] + b"\xff" * 200),
        "zeros after the magic": good[:8] + b"\0" * 6000,
    }


@pytest.mark.parametrize("name", list(_damaged()))
def test_damaged_xls_is_refused_as_damaged(name):
    """Is a broken compound file or BIFF stream refused with the usual "damaged / not a valid file" message
    (a SpreadsheetError), never another exception, and never read as a sheet with content?"""
    data = _damaged()[name]
    try:
        sheets = read_workbook(data)
    except SpreadsheetError as error:
        assert any(word in str(error) for word in DAMAGED.split("|")), str(error)
    else:
        assert not any(any(row) for sheet in sheets for row in sheet.rows), name


def test_flipped_bytes_never_crash():
    """Is every file made by overwriting a few bytes of a good .xls read or refused with a SpreadsheetError?
    (Read in a memory-capped child: a flipped size must not take the machine's memory either.)"""
    import random

    good = make_xls_rows({"试题": [COLUMNS] + GOOD_ROWS[:3]})
    rng = random.Random(20261207)
    files = []
    for _ in range(300):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(512, len(data))] = rng.randrange(256)
        files.append(bytes(data))
    child = textwrap.dedent("""
        import pickle, resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
        from quizapp.common.spreadsheets import SpreadsheetError, read_workbook
        kinds = set()
        for data in pickle.loads(sys.stdin.buffer.read()):
            try:
                read_workbook(data)
                kinds.add("read")
            except SpreadsheetError:
                kinds.add("refused")
        print(repr(sorted(kinds)))
    """)
    done = subprocess.run([sys.executable, "-c", child], input=pickle.dumps(files), capture_output=True,
                          timeout=120, cwd=str(Path(importer.__file__).parents[2]))
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert set(ast.literal_eval(done.stdout.decode())) <= {"read", "refused"}
