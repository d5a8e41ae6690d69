"""Uploaded .xlsx and .docx files are XML inside: entity tricks neither read local files nor expand.

No upload reaches a Python standard-library XML parser: spreadsheets go to
calamine (Rust, no DTD processing) and .docx law texts to python-docx's lxml
parser (entities not resolved, no network). These tests keep it that way.
"""
import io
import zipfile

import docx
import pytest

from quizapp.common.lawtext import LawParseError, parse_law
from quizapp.common.spreadsheets import SpreadsheetError, read_workbook, write_xlsx

SECRET = "SECRET-ON-THE-SERVER"
XXE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{path}">]>'
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
          + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)) + "]>")
ATTACKS = pytest.mark.parametrize("prolog, entity", [(XXE, "&xxe;"), (LAUGHS, "&lol9;")], ids=["xxe", "laughs"])


@pytest.fixture
def server_file(tmp_path):
    """A local file an external entity could try to pull into the upload."""
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def _with_entity(data, member, prolog, entity):
    """The archive with ``member``'s XML declaration replaced by ``prolog`` and the text MARKER by ``entity``."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == member:
                text = body.decode()
                text = text.split("?>", 1)[1] if text.startswith("<?xml") else text
                body = (prolog + text.replace("MARKER", entity)).encode()
            target.writestr(info, body)
    return out.getvalue()


@ATTACKS
def test_spreadsheet_entities_are_refused(server_file, prolog, entity):
    """Is a workbook whose sheet declares entities (external file, billion laughs) refused as a whole?"""
    plain = write_xlsx({"试题": [["题干", "答案"], ["MARKER", "A"]]})
    assert read_workbook(_with_entity(plain, "xl/worksheets/sheet1.xml", '<?xml version="1.0"?>', "MARKER"))
    with pytest.raises(SpreadsheetError):
        read_workbook(_with_entity(plain, "xl/worksheets/sheet1.xml", prolog.format(path=server_file), entity))


@ATTACKS
def test_docx_law_text_entities_are_not_expanded(server_file, prolog, entity):
    """Does a .docx law text that declares entities neither show a local file nor expand (or is it refused)?"""
    document = docx.Document()
    document.add_paragraph("中华人民共和国示例法")
    document.add_paragraph("第一条 MARKER")
    buffer = io.BytesIO()
    document.save(buffer)
    hostile = _with_entity(buffer.getvalue(), "word/document.xml", prolog.format(path=server_file), entity)
    try:
        law = parse_law(hostile, "示例法.docx")
    except LawParseError:
        assert prolog is LAUGHS, "only the entity bomb may be refused"  # libxml2 amplification limit
        return
    assert [article.label for article in law.articles] == ["第一条"]
    text = "\n".join("\n".join(article.paragraphs) for article in law.articles)
    assert "lollol" not in text and SECRET not in text
