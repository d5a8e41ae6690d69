"""The law library (法规库): importing official texts, versions, lookup, full-text search, review of questions.

Search uses the database's own substring index: an FTS5 table with the
trigram tokenizer on SQLite and a pg_trgm GIN index on PostgreSQL (both made
by the migration). Trigrams need three characters, so shorter terms fall
back to LIKE.

Kept as one module (~600 lines) because import, versions, lookup and search
share the version-selection rules; the text parser lives in common/lawtext.py.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from ..audit.services import record
from ..bank import services as bank_services
from ..bank.models import Bank, Question
from ..common.clock import to_local, utcnow
from ..common.errors import ServiceError
from ..common.lawtext import (Article, LawParseError, article_label, parse_article_ref, parse_law, parse_law_target,
                              split_article_list)
from ..common.uploads import clean_filename, sha256_hex
from ..extensions import db
from .models import LAW_CATEGORIES, Law, LawArticle, LawHeading, LawSource, LawVersion, Material

LAW_FILE_TYPES = (".txt", ".md", ".docx")
PREFIX = "中华人民共和国"
# Orders headings and articles of several files of one law: file base (first article number) + line.
POSITION_BASE = 100_000
MAX_TERMS = 5
MAX_TERM_CHARS = 50


# ---------------------------------------------------------------- names

def normalise_law_name(name: str) -> str:
    """The key a law is found by: full-width folded, no spaces or 《》, no leading 中华人民共和国."""
    text = unicodedata.normalize("NFKC", name or "")
    text = re.sub(r"\s+", "", text).strip("《》〈〉<>\"'“”")
    return text.removeprefix(PREFIX)


def category_for_title(title: str) -> str:
    if "宪法" in title:
        return "宪法"
    if title.startswith("中国共产党") or "党内" in title:
        return "党内法规"
    return "法律法规"


def find_law(name: str) -> Law | None:
    key = normalise_law_name(name)
    return db.session.scalar(sa.select(Law).where(Law.lookup_key == key)) if key else None


# ---------------------------------------------------------------- import

@dataclass
class ImportOutcome:
    """What importing one file did; ``status`` is created, added, replaced or unchanged."""

    filename: str
    status: str
    law: Law
    version: LawVersion
    articles: int
    became_current: bool = False
    to_review: int = 0

    @property
    def message(self):
        where = f"《{self.law.title}》{self.version.version_date.isoformat()} 版"
        text = {"created": f"已导入{where}，共 {self.articles} 条",
                "added": f"已把本文件的 {self.articles} 条并入{where}",
                "replaced": f"已用本文件的 {self.articles} 条更新{where}",
                "unchanged": f"{where}已包含此文件，未作改动"}[self.status]
        if self.became_current:
            text += "，并设为现行版本"
        if self.to_review:
            text += f"；有 {self.to_review} 道题目引用旧版本，待复核"
        return text + "。"


def parse_upload(data: bytes, filename: str, max_bytes: int | None = None):
    """Parse an uploaded law file, turning every failure into a Chinese message with the line."""
    name = clean_filename(filename)
    if not name.lower().endswith(LAW_FILE_TYPES):
        raise ServiceError([("file", "只支持 .txt、.md 或 .docx 格式的法律法规文本。")])
    if not data:
        raise ServiceError([("file", "文件是空的。")])
    if max_bytes and len(data) > max_bytes:
        raise ServiceError([("file", f"文件过大（超过 {max_bytes // (1024 * 1024)} MB）。")])
    try:
        return parse_law(data, name)
    except LawParseError as error:
        where = f"第 {error.line} 行：" if error.line else ""
        raise ServiceError([("file", f"无法解析“{name}”：{where}{error.message}")]) from None


def import_law(actor, data: bytes, filename: str, *, version_date: date | None = None,
               max_bytes: int | None = None) -> ImportOutcome:
    """Store one parsed file as (part of) a version of its law; flushes, the caller commits.

    A file already imported changes nothing. A file for a version that
    exists either adds a part (the 民法典 comes one 编 per file) or, when its
    articles overlap a part already there, replaces that part.
    """
    parsed = parse_upload(data, filename, max_bytes)
    filename = clean_filename(filename)
    version_date = version_date or parsed.version_date
    if version_date is None:
        raise ServiceError([("version_date", "无法从文本中识别版本日期（最近一次通过、修正或修订的日期），"
                                             "请在上传时填写版本日期。")])
    digest = sha256_hex(data)
    law = find_law(parsed.title)
    if law is None:
        law = Law(title=parsed.title, short_title=parsed.short_title or parsed.title,
                  lookup_key=normalise_law_name(parsed.title), category=category_for_title(parsed.title))
        db.session.add(law)
        db.session.flush()
    version = db.session.scalar(sa.select(LawVersion).where(LawVersion.law_id == law.id,
                                                            LawVersion.version_date == version_date))
    keys = {article.key for article in parsed.articles}
    status = "created"
    if version is not None:
        same = db.session.scalar(sa.select(LawSource).where(LawSource.version_id == version.id,
                                                            LawSource.sha256 == digest))
        if same is not None:
            return ImportOutcome(filename, "unchanged", law, version, same.article_count)
        existing = db.session.execute(sa.select(LawArticle.source_id, LawArticle.number, LawArticle.suffix)
                                      .where(LawArticle.version_id == version.id)).all()
        overlapping = {source_id for source_id, number, suffix in existing if (number, suffix) in keys}
        status = "replaced" if overlapping else "added"
        if overlapping:
            _remove_sources(overlapping)
    else:
        version = LawVersion(law_id=law.id, version_date=version_date, is_current=False,
                             uploaded_by_id=getattr(actor, "id", None))
        db.session.add(version)
        db.session.flush()
    _store_parts(actor, version, parsed, filename, digest, len(data))
    version.char_count = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(sa.func.length(LawArticle.text)), 0))
                                           .where(LawArticle.version_id == version.id))
    was_current = version.is_current
    choose_current(law)
    db.session.refresh(version)
    outcome = ImportOutcome(filename, status, law, version, len(parsed.articles),
                            became_current=version.is_current and not was_current)
    outcome.to_review = review_counts_for_law(law)
    record(actor, "law.import", "law", law.id, law.title,
           summary=f"{filename}：{outcome.message}"[:500])
    db.session.flush()
    return outcome


def _remove_sources(source_ids):
    # Articles first, row by row in SQL, so the SQLite search index triggers see every deletion.
    db.session.execute(sa.delete(LawArticle).where(LawArticle.source_id.in_(source_ids)))
    db.session.execute(sa.delete(LawHeading).where(LawHeading.source_id.in_(source_ids)))
    db.session.execute(sa.delete(LawSource).where(LawSource.id.in_(source_ids)))
    db.session.expire_all()


def _store_parts(actor, version: LawVersion, parsed, filename: str, digest: str, size: int):
    first, last = parsed.articles[0], parsed.articles[-1]
    base = first.number * POSITION_BASE
    source = LawSource(version_id=version.id, filename=filename, sha256=digest, size=size,
                       part_title=parsed.subtitle or "", first_number=first.number, last_number=last.number,
                       article_count=len(parsed.articles), uploaded_by_id=getattr(actor, "id", None),
                       uploaded_at=utcnow())
    db.session.add(source)
    db.session.flush()
    prefix = (parsed.subtitle,) if parsed.subtitle else ()
    headings = []
    if parsed.subtitle:
        headings.append(dict(kind="编", number=None, title=parsed.subtitle, label=parsed.subtitle, level=-1,
                             position=base, first_number=first.number, first_suffix=first.suffix))
    for node in parsed.nodes:
        anchor = node.articles[0] if node.articles else (None, None)
        headings.append(dict(kind=node.kind, number=node.number, title=node.title[:200], label=node.label[:250],
                             level=node.level, position=base + node.line, first_number=anchor[0],
                             first_suffix=anchor[1]))
    if headings:
        db.session.execute(sa.insert(LawHeading), [dict(h, version_id=version.id, source_id=source.id)
                                                   for h in headings])
    db.session.execute(sa.insert(LawArticle), [
        dict(version_id=version.id, source_id=source.id, number=a.number, suffix=a.suffix, label=a.label,
             heading_path=" / ".join(prefix + tuple(a.heading_path))[:500], text="\n".join(a.paragraphs),
             position=base + a.line) for a in parsed.articles])
    if not version.history:
        version.history = "\n".join(parsed.history)
    if version.effective_date is None and parsed.effective_date:
        version.effective_date = parsed.effective_date
    if parsed.preamble and not version.preamble:
        version.preamble = "\n".join(parsed.preamble)
    if parsed.appendices:
        version.appendices = list(version.appendices or []) + [
            {"title": a.title, "paragraphs": a.paragraphs} for a in parsed.appendices]


def import_paths(actor, paths) -> tuple[list[ImportOutcome], list[tuple[str, str]]]:
    """Import files and folders (the folder's .txt/.md/.docx, README files skipped); returns (outcomes, errors)."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in LAW_FILE_TYPES
                            and not p.stem.lower().startswith("readme"))
        else:
            files.append(path)
    outcomes, errors = [], []
    for path in files:
        try:
            with db.session.begin_nested():
                outcomes.append(import_law(actor, path.read_bytes(), path.name))
        except ServiceError as error:
            errors.append((str(path), "；".join(error.messages)))
        except OSError as error:
            errors.append((str(path), f"无法读取文件：{error.strerror}"))
    return outcomes, errors


# ---------------------------------------------------------------- versions

def choose_current(law: Law):
    """Make current the newest version already in force (or the newest, when none is yet)."""
    versions = db.session.scalars(sa.select(LawVersion).where(LawVersion.law_id == law.id)
                                  .order_by(LawVersion.version_date.desc())).all()
    if not versions:
        return None
    today = to_local(utcnow()).date()
    in_force = [v for v in versions if v.effective_date is None or v.effective_date <= today]
    _make_current(law, (in_force or versions)[0])
    return (in_force or versions)[0]


def _make_current(law: Law, version: LawVersion):
    # Two statements: the partial unique index allows only one current version at any moment.
    db.session.execute(sa.update(LawVersion).where(LawVersion.law_id == law.id, LawVersion.id != version.id)
                       .values(is_current=False).execution_options(synchronize_session="fetch"))
    db.session.execute(sa.update(LawVersion).where(LawVersion.id == version.id)
                       .values(is_current=True).execution_options(synchronize_session="fetch"))


def set_current(actor, version: LawVersion):
    _make_current(version.law, version)
    record(actor, "law.current", "law", version.law_id, version.law.title,
           summary=f"设 {version.version_date.isoformat()} 版为现行版本")
    db.session.flush()


def delete_version(actor, version: LawVersion):
    """Remove a version (and the law, when it was the last one); questions keep their citations."""
    law = version.law
    label = f"{law.title} {version.version_date.isoformat()} 版"
    sources = db.session.scalars(sa.select(LawSource.id).where(LawSource.version_id == version.id)).all()
    _remove_sources(sources)
    db.session.execute(sa.delete(LawVersion).where(LawVersion.id == version.id))
    db.session.expire_all()
    record(actor, "law.delete_version", "law", law.id, label)
    if db.session.scalar(sa.select(sa.func.count()).select_from(LawVersion).where(LawVersion.law_id == law.id)):
        choose_current(law)
    else:
        db.session.delete(law)
    db.session.flush()


def update_law(actor, law: Law, short_title: str, category: str):
    problems = []
    short_title = (short_title or "").strip()
    if not short_title or len(short_title) > 200:
        problems.append(("short_title", "请填写简称（不超过 200 个字符）。"))
    if category not in LAW_CATEGORIES:
        problems.append(("category", "未知的分类。"))
    if problems:
        raise ServiceError(problems)
    law.short_title, law.category = short_title, category
    record(actor, "law.update", "law", law.id, law.title, summary=f"简称：{short_title}；分类：{category}")
    db.session.flush()


def pending_effective(law: Law) -> LawVersion | None:
    """A newer version already in force that is not yet the current one (the manage page offers to switch)."""
    today = to_local(utcnow()).date()
    current = law.current_version
    for version in law.versions:
        if current and version.version_date > current.version_date and \
                (version.effective_date is None or version.effective_date <= today):
            return version
    return None


# ---------------------------------------------------------------- reading

def version_by_date(law: Law, on: date | None) -> LawVersion | None:
    """The version dated ``on`` exactly; else the latest before it; else the current one."""
    if on is None:
        return law.current_version
    exact = next((v for v in law.versions if v.version_date == on), None)
    if exact:
        return exact
    earlier = [v for v in law.versions if v.version_date <= on]
    return earlier[0] if earlier else law.current_version


def get_article(version: LawVersion, number: int, suffix: int = 0) -> LawArticle | None:
    return db.session.scalar(sa.select(LawArticle).where(LawArticle.version_id == version.id,
                                                         LawArticle.number == number, LawArticle.suffix == suffix))


def neighbours(article: LawArticle) -> tuple[LawArticle | None, LawArticle | None]:
    """The articles before and after, in order of number (and 之一, 之二 …)."""
    key = sa.tuple_(LawArticle.number, LawArticle.suffix)
    mine = sa.tuple_(sa.literal(article.number), sa.literal(article.suffix))
    base = sa.select(LawArticle).where(LawArticle.version_id == article.version_id)
    before = db.session.scalar(base.where(key < mine).order_by(LawArticle.number.desc(), LawArticle.suffix.desc())
                               .limit(1))
    after = db.session.scalar(base.where(key > mine).order_by(LawArticle.number, LawArticle.suffix).limit(1))
    return before, after


def clauses(article: LawArticle) -> list[str]:
    """The 款 of an article (its 项 joined to the 款 that lists them), as the parser defines them."""
    return Article(article.number, article.suffix, article.label, article.paragraphs, (), 0).clauses


def headings_of(version: LawVersion) -> list[LawHeading]:
    return db.session.scalars(sa.select(LawHeading).where(LawHeading.version_id == version.id)
                              .order_by(LawHeading.position)).all()


def articles_of(version: LawVersion, start: int | None = None, end: int | None = None) -> list[LawArticle]:
    stmt = sa.select(LawArticle).where(LawArticle.version_id == version.id)
    if start is not None:
        stmt = stmt.where(LawArticle.position >= start)
    if end is not None:
        stmt = stmt.where(LawArticle.position < end)
    return db.session.scalars(stmt.order_by(LawArticle.number, LawArticle.suffix)).all()


def article_count(version: LawVersion) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LawArticle)
                             .where(LawArticle.version_id == version.id))


def divisions(headings: list[LawHeading]) -> list[LawHeading]:
    """The top-level headings (编, or 章 when there are no 编) that have articles: the parts a long law is read by."""
    with_articles = [h for h in headings if h.first_number is not None]
    if not with_articles:
        return []
    top = min(h.level for h in with_articles)
    return [h for h in with_articles if h.level == top]


def division_of(parts: list[LawHeading], position: int) -> LawHeading | None:
    found = None
    for part in parts:
        if part.position <= position:
            found = part
    return found or (parts[0] if parts else None)


def division_range(parts: list[LawHeading], part: LawHeading) -> tuple[int | None, int | None]:
    index = parts.index(part)
    start = None if index == 0 else part.position
    end = parts[index + 1].position if index + 1 < len(parts) else None
    return start, end


def other_versions_of_article(article: LawArticle):
    """The same article number in the law's other versions (numbering may differ between versions)."""
    version = article.version
    return db.session.execute(
        sa.select(LawVersion, LawArticle).join(LawArticle, LawArticle.version_id == LawVersion.id)
        .where(LawVersion.law_id == version.law_id, LawVersion.id != version.id,
               LawArticle.number == article.number, LawArticle.suffix == article.suffix)
        .order_by(LawVersion.version_date.desc())).all()


@dataclass
class Lookup:
    law: Law | None = None
    version: LawVersion | None = None
    article: LawArticle | None = None
    clause: int | None = None
    problem: str = ""


def lookup(law_name: str, article_ref: str = "", on: date | None = None) -> Lookup:
    """Resolve a citation (law name, 第X条 or X, optional version date) to the library's article."""
    law = find_law(law_name)
    if law is None:
        return Lookup(problem=f"法规库中还没有《{normalise_law_name(law_name) or '（未填写）'}》。")
    version = version_by_date(law, on)
    if version is None:
        return Lookup(law=law, problem=f"《{law.title}》还没有可阅读的版本。")
    if not (article_ref or "").strip() or re.split(r"[、，,；;]", article_ref.strip())[0].strip() == "序言":
        return Lookup(law=law, version=version)  # 序言 has no number: the version's page opens with it
    ref = parse_article_ref(article_ref) or _first_ref(article_ref)
    if ref is None:
        return Lookup(law=law, version=version, problem=f"无法识别条文“{article_ref}”，请输入如“第三十三条”或“33”。")
    number, suffix, clause = ref
    article = get_article(version, number, suffix)
    if article is None:
        return Lookup(law=law, version=version,
                      problem=f"《{law.title}》（{version.version_date.isoformat()} 版）中没有{article_label(number, suffix)}。")
    return Lookup(law=law, version=version, article=article, clause=clause)


def _first_ref(text: str):
    """The first article of a list such as 第十条、第十一条 (a question may cite several)."""
    try:
        refs = split_article_list(text)
    except ValueError:
        return None
    return refs[0] if refs else None


# ---------------------------------------------------------------- search

def search_terms(query: str) -> list[str]:
    text = unicodedata.normalize("NFKC", query or "")
    terms = []
    for term in text.split():
        term = term[:MAX_TERM_CHARS]
        if term and term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def search_statement(query: str, *, law_id: int | None = None, include_history: bool = False) -> sa.Select | None:
    """Articles containing every term of ``query``; None when there is nothing to search for."""
    terms = search_terms(query)
    if not terms:
        return None
    stmt = (sa.select(LawArticle).join(LawVersion, LawArticle.version_id == LawVersion.id)
            .join(Law, LawVersion.law_id == Law.id)
            .options(sa.orm.contains_eager(LawArticle.version).contains_eager(LawVersion.law)))
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    long_terms = [t for t in terms if len(t) >= 3]
    if sqlite and long_terms:
        match = " AND ".join(_fts_phrase(t) for t in long_terms)
        stmt = stmt.where(LawArticle.id.in_(
            sa.text("SELECT rowid FROM law_articles_fts WHERE law_articles_fts MATCH :fts_query")
            .bindparams(fts_query=match).columns(sa.column("rowid"))))
    for term in terms:
        if sqlite and len(term) >= 3:
            continue
        escaped = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
        stmt = stmt.where(LawArticle.text.ilike(f"%{escaped}%", escape="/"))
    if law_id:
        stmt = stmt.where(Law.id == law_id)
    if not include_history:
        stmt = stmt.where(LawVersion.is_current.is_(True))
    return stmt.order_by(Law.title, LawVersion.version_date.desc(), LawArticle.number, LawArticle.suffix)


def snippet(text: str, terms: list[str], width: int = 70) -> list[tuple[str, bool]]:
    """A window of ``text`` around the first match, as (piece, is_match) segments for the template to mark."""
    text = text.replace("\n", " ")
    lowered = text.lower()
    hits = [lowered.find(t.lower()) for t in terms if lowered.find(t.lower()) >= 0]
    first = min(hits) if hits else 0
    start = max(0, first - width // 3)
    window = text[start:start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    segments, pos = [], 0
    for match in pattern.finditer(window):
        if match.start() > pos:
            segments.append((window[pos:match.start()], False))
        segments.append((match.group(0), True))
        pos = match.end()
    if pos < len(window):
        segments.append((window[pos:], False))
    if prefix:
        segments.insert(0, (prefix, False))
    if suffix:
        segments.append((suffix, False))
    return segments


# ---------------------------------------------------------------- 法规更新待复核

def _question_scope(viewer):
    """Active questions in the banks the viewer may see (all of them when no viewer: the CLI)."""
    stmt = sa.select(Question).where(Question.status == "active")
    if viewer is None:
        return stmt
    banks = bank_services.visible_banks(viewer).with_only_columns(Bank.id)
    return stmt.where(Question.bank_id.in_(banks))


def can_confirm(viewer, question: Question) -> bool:
    """Whoever may edit the question's bank may update its citation."""
    return bank_services.can_manage(viewer, question.bank)


def _names_by_law(laws) -> dict[int, list[str]]:
    """The spellings of each law's name used in questions (《中华人民共和国宪法》, 宪法 …)."""
    keys = {law.lookup_key: law.id for law in laws}
    names = db.session.scalars(sa.select(Question.law_name).where(Question.law_name != "").distinct()).all()
    found: dict[int, list[str]] = {}
    for name in names:
        law_id = keys.get(normalise_law_name(name))
        if law_id:
            found.setdefault(law_id, []).append(name)
    return found


def _newest_dates() -> dict[int, tuple[date, int]]:
    rows = db.session.execute(sa.select(LawVersion.law_id, sa.func.max(LawVersion.version_date), sa.func.count())
                              .group_by(LawVersion.law_id)).all()
    return {law_id: (newest, count) for law_id, newest, count in rows}


def _outdated(newest: date, versions: int):
    """A question is outdated when it cites an older version, or no version while the law has several."""
    condition = Question.law_version < newest
    if versions > 1:
        condition = sa.or_(condition, Question.law_version.is_(None))
    return condition


def review_queue(viewer) -> list[dict]:
    """Laws with questions citing an older version than the newest in the library, with counts.

    One grouped query over the questions in scope: (name as cited, version cited, count).
    """
    laws = {law.lookup_key: law for law in db.session.scalars(sa.select(Law).order_by(Law.title))}
    newest = _newest_dates()
    scope = _question_scope(viewer).where(Question.law_name != "").subquery()
    rows = db.session.execute(sa.select(scope.c.law_name, scope.c.law_version, sa.func.count())
                              .group_by(scope.c.law_name, scope.c.law_version)).all()
    counts: dict[int, int] = {}
    for name, cited, count in rows:
        law = laws.get(normalise_law_name(name))
        if law is None or law.id not in newest:
            continue
        date_, versions = newest[law.id]
        if (cited is None and versions > 1) or (cited is not None and cited < date_):
            counts[law.id] = counts.get(law.id, 0) + count
    notes = {law.id: len(stale_materials(law)) for law in laws.values() if law.id in newest}
    return [{"law": law, "newest": newest[law.id][0], "count": counts.get(law.id, 0), "notes": notes.get(law.id, 0)}
            for law in laws.values() if counts.get(law.id) or notes.get(law.id)]


def review_counts_for_law(law: Law, viewer=None) -> int:
    """Questions and study notes of ``law`` waiting for review."""
    stmt = review_statement(viewer, law)
    questions = 0 if stmt is None else db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    return questions + len(stale_materials(law))


@dataclass
class StaleLink:
    label: str
    article: str
    cited: date | None  # None: the link names no version and so follows the current one


def stale_materials(law: Law) -> list[tuple[Material, list[StaleLink]]]:
    """Study notes whose law: links to ``law`` are pinned to a version older than its newest, or unpinned while
    it has several versions (a note follows the text it was written against, so it needs a look)."""
    newest = _newest_dates().get(law.id)
    if newest is None:
        return []
    newest_date, versions = newest
    found = []
    candidates = db.session.scalars(sa.select(Material).where(Material.body.contains("law:"))
                                    .order_by(Material.title, Material.id))
    for material in candidates:
        stale = []
        for line in (material.body or "").splitlines():
            for match in re.finditer(r"\[([^\]]*)\]\((law:[^)\s]+)\)", line):
                target = parse_law_target(match.group(2))
                if target is None or normalise_law_name(target.law) != law.lookup_key:
                    continue
                if (target.version is None and versions > 1) or (target.version and target.version < newest_date):
                    stale.append(StaleLink(match.group(1), target.article, target.version))
        if stale:
            found.append((material, stale))
    return found


def review_statement(viewer, law: Law) -> sa.Select | None:
    names = _names_by_law([law]).get(law.id)
    newest = _newest_dates().get(law.id)
    if not names or not newest:
        return None
    return (_question_scope(viewer).where(Question.law_name.in_(names), _outdated(*newest))
            .order_by(Question.law_version, Question.id))


def compare_articles(law: Law, questions) -> dict[int, list[dict]]:
    """For each question, its cited articles in the version it cites and in the newest version.

    One query fetches every article needed for the page.
    """
    versions = {v.version_date: v for v in law.versions}
    newest = law.versions[0] if law.versions else None
    wanted, refs_by_question = set(), {}
    for question in questions:
        try:
            refs = split_article_list(question.law_article) if question.law_article else []
        except ValueError:
            refs = []
        refs_by_question[question.id] = refs
        wanted.update((number, suffix) for number, suffix, _ in refs)
    numbers = {number for number, _ in wanted}
    texts = {}
    if numbers and versions:
        rows = db.session.scalars(sa.select(LawArticle).where(
            LawArticle.version_id.in_([v.id for v in versions.values()]), LawArticle.number.in_(numbers))).all()
        texts = {(a.version_id, a.number, a.suffix): a for a in rows}
    result = {}
    for question in questions:
        old = versions.get(question.law_version) if question.law_version else None
        pairs = []
        for number, suffix, clause in refs_by_question[question.id]:
            pairs.append({"label": article_label(number, suffix), "clause": clause,
                          "old": texts.get((old.id, number, suffix)) if old else None,
                          "new": texts.get((newest.id, number, suffix)) if newest else None})
        result[question.id] = {"old_version": old, "pairs": pairs}
    return result


def confirm_citation(actor, question: Question, law: Law):
    """The question still holds under the newest version: cite that version from now on."""
    newest = law.versions[0]
    old = question.law_version
    question.law_version = newest.version_date
    record(actor, "question.law_review", "question", question.id, question.stem[:60],
           summary=f"复核确认适用《{law.title}》{newest.version_date.isoformat()} 版",
           changes={"law_version": [old.isoformat() if old else None, newest.version_date.isoformat()]})
    db.session.flush()
