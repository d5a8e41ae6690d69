"""PDF pages (A4) with Chinese text, and QR codes: one place for fonts and drawing helpers.

Chinese text uses ReportLab's built-in STSong-Light CID font: no font file ships
with the app, and every PDF reader has a matching font. QR codes come from segno
and are drawn as vector squares, so they print sharp at any size.
"""
from __future__ import annotations

import io

# ReportLab and segno are imported where a PDF or QR code is made, not when the app starts: a worker that never
# prints should not carry them (issue 15: memory and start-up). The page size and unit are ReportLab's values.
CJK = "STSong-Light"
MONO = "Courier-Bold"
mm = 72 / 25.4
PAGE_WIDTH, PAGE_HEIGHT = 210 * mm, 297 * mm  # A4


def new_document(title: str):
    """(buffer, canvas) for an A4 document; call ``finish`` to get the bytes."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if CJK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1)
    pdf.setTitle(title)
    pdf.setCreator("干部学法用法学习考试系统")
    return buffer, pdf


def finish(buffer, pdf) -> bytes:
    pdf.save()
    return buffer.getvalue()


def qr(data: str):
    """A segno QR code for ``data`` (error correction M: survives a smudged printout)."""
    import segno

    return segno.make(data, error="m", micro=False)


def qr_svg_data_uri(data: str, scale: int = 4) -> str:
    """The QR code as an ``<img src>`` data URI (SVG), for pages that print it."""
    return qr(data).svg_data_uri(scale=scale, border=2)


def draw_qr(pdf, data: str, x: float, y: float, size: float):
    """Draw the QR code of ``data`` as a ``size``-wide square with its lower left corner at (x, y)."""
    matrix = [list(row) for row in qr(data).matrix]
    count = len(matrix)
    cell = size / (count + 4)  # two modules of quiet zone each side
    pdf.saveState()
    pdf.setFillColorRGB(1, 1, 1)
    pdf.rect(x, y, size, size, stroke=0, fill=1)
    pdf.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(x + (c + 2) * cell, y + size - (r + 3) * cell, cell, cell, stroke=0, fill=1)
    pdf.restoreState()


def wrap(text: str, width: float, font: str = CJK, size: float = 11) -> list[str]:
    """Lines of ``text`` no wider than ``width`` points (character by character: Chinese has no spaces)."""
    from reportlab.pdfbase import pdfmetrics

    lines, line = [], ""
    for ch in text:
        if ch == "\n":
            lines.append(line)
            line = ""
            continue
        if pdfmetrics.stringWidth(line + ch, font, size) > width and line:
            lines.append(line)
            line = ch
        else:
            line += ch
    if line:
        lines.append(line)
    return lines


__all__ = ["CJK", "MONO", "PAGE_HEIGHT", "PAGE_WIDTH", "draw_qr", "finish", "mm", "new_document", "qr",
           "qr_svg_data_uri", "wrap"]
