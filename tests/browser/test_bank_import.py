"""An organiser imports a question file with some bad rows through the real pages in Chromium."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bank"))
from bankfiles import GOOD_ROWS, make_xlsx, row  # noqa: E402  (tests/bank's file builders)

from quizapp.bank.rows import COLUMNS  # noqa: E402

pytestmark = pytest.mark.browser


def test_upload_preview_import_valid_rows_and_find_them(f, tree, page, live_server, sign_in, tmp_path):
    """Does an organiser see the bad rows in the preview, import the valid ones and find them in the list?"""
    f.user("zuzhi01", tree["jia"], role="organiser", name="卓玛", password="Zuzhi@2026")
    bank = f.bank("嘎木乡月考题库", tree["jia"])
    file = tmp_path / "2025年度题库.xlsx"
    file.write_bytes(make_xlsx({"题库": [COLUMNS] + GOOD_ROWS + [row(stem=""), row(stem="单选两个答案（ ）", answer="AB")]},
                               merge_title="2025年度学法考试题库"))

    sign_in("zuzhi01", "Zuzhi@2026")
    page.goto(f"{live_server}/banks/")
    page.click("text=嘎木乡月考题库")
    page.click("text=批量导入")
    page.set_input_files("input[type=file]", str(file))
    page.click("main button[type=submit]")

    page.wait_for_url(f"{live_server}/banks/{bank.id}/import/*")
    main = page.inner_text("main")
    assert "有错误的行（2 行" in main
    assert "题干为空" in main and "单选题只能有一个答案" in main
    assert "干部答题时看到的样子" in main and "禁毒工作实行" in main
    assert page.is_checked("input[value=valid_only]") is False and page.is_checked("input[value=fix_first]") is False

    page.check("input[value=valid_only]")
    page.click("form.apply-form button[type=submit]")
    page.wait_for_url(f"{live_server}/banks/imports/*")
    assert "已导入 3 道试题" in page.inner_text("main")

    page.click("text=查看本次导入的试题")
    listing = page.inner_text("main")
    assert "禁毒工作实行" in listing and "每年12月4日为国家宪法日" in listing and "中华人民共和国的一切权力属于" in listing
    assert "共 3 条" in listing
    assert page.evaluate("document.documentElement.scrollWidth") <= 400


def test_word_document_and_pasted_text_import_with_the_documents_keys(f, tree, page, live_server, sign_in, tmp_path):
    """Issue 17: through the organiser's pages, does a .docx with every layout and a pasted text import, with the
    stored keys equal to the document's keys?"""
    import sqlalchemy as sa

    from bankfiles import ALL_LAYOUT_KEYS, ALL_LAYOUTS, make_docx
    from quizapp.bank.models import Question
    from quizapp.extensions import db

    f.user("zuzhi02", tree["jia"], role="organiser", name="卓玛", password="Zuzhi@2026")
    bank = f.bank("嘎木乡Word题库", tree["jia"])
    file = tmp_path / "县司法局下发题库.docx"
    file.write_bytes(make_docx(ALL_LAYOUTS))

    sign_in("zuzhi02", "Zuzhi@2026")
    page.goto(f"{live_server}/banks/{bank.id}/import")
    page.set_input_files("input[type=file]", str(file))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/banks/{bank.id}/import/*")
    main = page.inner_text("main")
    assert "各部分识别到的试题" in main and "三、判断题" in main and "有错误的行（" not in main
    page.click("form.apply-form button[type=submit]")
    page.wait_for_url(f"{live_server}/banks/imports/*")
    assert "已导入 15 道试题" in page.inner_text("main")
    stored = {code: db.session.scalars(sa.select(Question.answer).where(Question.bank_id == bank.id,
                                                                         Question.qtype == code)
                                       .order_by(Question.id)).all() for code in ALL_LAYOUT_KEYS}
    assert stored == ALL_LAYOUT_KEYS

    pasted = "一、单项选择题\n1．粘贴的题：根本法是（ ）。\nA．宪法 B．法律 C．规章\n参考答案：\n1-1 A\n二、判断题\n1．粘贴的判断题。（×）"
    page.goto(f"{live_server}/banks/{bank.id}/import")
    page.click("text=直接粘贴试题文本")
    page.fill("textarea[name=text]", pasted)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server}/banks/{bank.id}/import/*")
    assert "可以导入" in page.inner_text("main")
    page.click("form.apply-form button[type=submit]")
    page.wait_for_url(f"{live_server}/banks/imports/*")
    assert "已导入 2 道试题" in page.inner_text("main")
    pasted_keys = db.session.execute(sa.select(Question.qtype, Question.answer).where(
        Question.bank_id == bank.id, Question.stem.like("粘贴的%")).order_by(Question.id)).all()
    assert [tuple(row) for row in pasted_keys] == [("single", "A"), ("judge", "B")]
