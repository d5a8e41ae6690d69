"""Legacy .xls (BIFF8 in an OLE2 compound file) written by hand for the tests: no writer library needed.

``make_xls({sheet: {(row, col): value}})`` gives a workbook calamine reads (text as LABEL, numbers as
NUMBER); ``extra`` adds raw records to a sheet (``record(0x0201, …)`` for a BLANK, say) so a test can
place any cell record anywhere, as a crafted file would. The compound file has its FAT sectors, one
directory sector and the Workbook stream padded to at least 4,096 bytes (so it is no mini stream):
the smallest layout that OLE readers accept, up to ~7 MB of records (no DIFAT).
"""
import struct

END_OF_CHAIN, FREE, FAT_SECTOR = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
SECTOR = 512


def record(kind: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _text(value: str) -> bytes:
    """An XLUnicodeString: 16-bit length, flags (1: UTF-16LE), characters."""
    return struct.pack("<HB", len(value), 1) + value.encode("utf-16-le")


def cell_record(row: int, col: int, value) -> bytes:
    if isinstance(value, str):
        return record(0x0204, struct.pack("<HHH", row, col, 15) + _text(value))  # LABEL
    return record(0x0203, struct.pack("<HHHd", row, col, 15, float(value)))  # NUMBER


def _bof(kind: int) -> bytes:
    return record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x0006))


def biff_stream(sheets: dict, extra: dict | None = None, dimensions: dict | None = None) -> bytes:
    """The Workbook stream: globals (BOF, CODEPAGE, fonts, XFs, BOUNDSHEETs, EOF), then one substream a sheet."""
    extra, dimensions = extra or {}, dimensions or {}
    font = record(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0) + struct.pack("<BB", 5, 1)
                  + "Arial".encode("utf-16-le"))
    xf_style = record(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0xFFF5, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    xf_cell = record(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0x0001, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    head = _bof(0x0005) + record(0x0042, struct.pack("<H", 1200)) + font * 5 + xf_style * 15 + xf_cell
    names = list(sheets)
    bound_size = sum(4 + 8 + len(name.encode("utf-16-le")) for name in names)
    offset = len(head) + bound_size + 4  # + EOF
    bounds, bodies = b"", b""
    for name in names:
        cells = b"".join(cell_record(r, c, v) for (r, c), v in sorted(sheets[name].items()))
        spots = list(sheets[name]) or [(0, 0)]
        first_row, last_row, first_col, last_col = dimensions.get(name, (
            min(r for r, _ in spots), max(r for r, _ in spots) + 1, min(c for _, c in spots),
            max(c for _, c in spots) + 1))
        body = (_bof(0x0010) + record(0x0200, struct.pack("<IIHHH", first_row, last_row, first_col, last_col, 0))
                + cells + extra.get(name, b"") + record(0x000A))
        bounds += record(0x0085, struct.pack("<IBBBB", offset + len(bodies), 0, 0, len(name), 1)
                         + name.encode("utf-16-le"))
        bodies += body
    return head + bounds + record(0x000A) + bodies


def compound_file(stream: bytes, name: str = "Workbook") -> bytes:
    """An OLE2 compound file (version 3) holding one stream."""
    stream = stream.ljust(max(4096, -(-len(stream) // SECTOR) * SECTOR), b"\0")
    count = len(stream) // SECTOR
    per_sector = SECTOR // 4
    fats = -(-(count + 1) // (per_sector - 1))  # FAT sectors first, then the directory, then the stream
    assert fats <= 109, "no DIFAT sectors"
    first = fats + 1
    fat = [FAT_SECTOR] * fats + [END_OF_CHAIN] + [first + i + 1 if i < count - 1 else END_OF_CHAIN
                                                  for i in range(count)]
    fat_sectors = struct.pack(f"<{fats * per_sector}I", *fat, *[FREE] * (fats * per_sector - len(fat)))

    def entry(label, kind, child, start, size):
        encoded = (label + "\0").encode("utf-16-le") if label else b""
        return (encoded.ljust(64, b"\0") + struct.pack("<HBBIII", len(encoded), kind, 1 if label else 0,
                                                       FREE, FREE, child)
                + b"\0" * 16 + b"\0" * 4 + b"\0" * 16 + struct.pack("<IIi", start, size, 0))

    directory = (entry("Root Entry", 5, 1, END_OF_CHAIN, 0) + entry(name, 2, FREE, first, len(stream))
                 + entry("", 0, FREE, 0, 0) * 2)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, fats, fats, 0, 4096, END_OF_CHAIN, 0, END_OF_CHAIN, 0)
              + struct.pack("<109I", *range(fats), *[FREE] * (109 - fats)))
    return header + fat_sectors + directory + stream


def make_xls(sheets: dict, extra: dict | None = None, dimensions: dict | None = None) -> bytes:
    """An .xls from {sheet name: {(row index, column index): text or number}}."""
    return compound_file(biff_stream(sheets, extra, dimensions))


def make_xls_rows(sheets: dict) -> bytes:
    """An .xls from {sheet name: rows} (empty strings and None left out), like ``make_xlsx``."""
    return make_xls({name: {(r, c): value for r, row in enumerate(rows) for c, value in enumerate(row)
                            if value is not None and value != ""} for name, rows in sheets.items()})
