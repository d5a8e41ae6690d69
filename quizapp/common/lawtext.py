"""Parse the official text of a Chinese law or regulation (TXT, Markdown or DOCX).

The input is a file as downloaded from the national law database
(国家法律法规数据库) or the Markdown collection derived from it: a title, the
adoption/revision history, an optional table of contents (目录), then the body
with 编/分编/章/节 headings and articles (条) whose first paragraph starts
with ``第X条``; every further paragraph up to the next article belongs to that
article (款, and the 项 listed under a 款).

Handling decided here, for the next reader:

- Markdown files mark the title with ``#`` and may end the header with
  ``<!-- INFO END -->``; a second ``#`` line before the body (民法典 files:
  ``# 人格权编``) becomes ``subtitle``. Plain text has neither: the header ends
  at the first 目录, heading, article or ordinary paragraph.
- A history entry broken over several lines (an unclosed 《 or （) is joined;
  a line holding several events (``…通过　根据…修正``) is split per event.
- Headings are recognised with or without ``#``; an empty ``##`` is ignored.
  Unnumbered 序言, 附则 and 附件 headings start a new top-level division.
  Paragraphs under 附件 go to ``appendices``, not to the last article.
- Lines starting with a circled number (``① …``) are footnotes: ``notes``.
- Article numbering must run on without gaps: after 第N条 comes 第N条之一 or
  第N+1条; after 第N条之K comes 第N条之K+1 or 第N+1条. The first article may
  carry any number (one 编 of the 民法典 per file).
- Amendments (a title with 修正案, or a 关于修改…的决定) quote articles of the
  law they amend. Their own articles are the ones that continue the
  amendment's numbering (宪法修正案: 第三十二条 to 第五十二条); any other
  ``第X条`` line, and any bare heading line after the first article, is a
  quoted paragraph of the current amendment article. Amendments numbered
  ``一、二、…`` (刑法修正案) are read the same way, labelled 第一条, 第二条….

Why one module of ~950 lines: it is one grammar (numerals, headings, history,
body) whose stages share the line and heading model; split, a reader would
chase one rule across files. It has no database or Flask imports.
- For DOCX, a "line" in error messages is a paragraph of the document.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from urllib.parse import unquote
from dataclasses import dataclass, field

__all__ = [
    "Appendix",
    "Article",
    "HistoryEvent",
    "LawParseError",
    "Node",
    "ParsedLaw",
    "article_label",
    "cn_to_int",
    "decode_text",
    "int_to_cn",
    "parse_article_ref",
    "parse_law",
    "parse_law_text",
    "split_article_list",
]


class LawParseError(ValueError):
    """The text cannot be read as a law; ``line`` is 1-based (None for the whole file)."""

    def __init__(self, line: int | None, message: str):
        self.line = line
        self.message = message
        super().__init__(f"第 {line} 行：{message}" if line else message)


# --------------------------------------------------------------------------
# Chinese numerals

_CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG_UNITS = {"万": 10**4, "亿": 10**8}
_DIGIT_CHARS = "一二三四五六七八九"


def cn_to_int(text: str) -> int:
    """Read a Chinese numeral (三十三, 一百零五, 两千, 一九八二) or Arabic digits as an int.

    Raises ValueError for anything else, including ambiguous colloquial forms
    such as 一百五 (150 or 105?).
    """
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if re.fullmatch(r"[0-9]+", s):
        return int(s)
    if not s:
        raise ValueError("empty numeral")
    if all(c in _CN_DIGITS for c in s):
        # 一九八二, 二〇一八: digit by digit, as years are written.
        return int("".join(str(_CN_DIGITS[c]) for c in s))
    return _cn_grouped_to_int(s)


def _cn_grouped_to_int(s: str) -> int:
    """Read a numeral written with units (十/百/千/万/亿)."""
    total = 0
    section = 0
    digit = None
    small_cap = 10**4
    big_cap = 10**12
    zero_seen = False

    def flush_ones() -> int:
        # A bare digit after a unit other than 十 needs a 零 (一百零五); 一百五 is ambiguous.
        if digit is None:
            return 0
        if small_cap in (10, 10**4) or zero_seen:
            if small_cap == 10**4 and (section or total) and not zero_seen:
                raise ValueError(f"ambiguous numeral: {s}")
            return digit
        raise ValueError(f"ambiguous numeral: {s}")

    for c in s:
        if c in _CN_DIGITS:
            value = _CN_DIGITS[c]
            if digit is not None:
                raise ValueError(f"two digits in a row: {s}")
            if value == 0:
                if zero_seen or (section == 0 and total == 0):
                    raise ValueError(f"misplaced zero: {s}")
                zero_seen = True
                continue
            digit = value
        elif c in _CN_SMALL_UNITS:
            unit = _CN_SMALL_UNITS[c]
            if unit >= small_cap:
                raise ValueError(f"units out of order: {s}")
            if digit is None:
                if c != "十" or section != 0:
                    raise ValueError(f"unit without digit: {s}")
                digit = 1
            section += digit * unit
            digit = None
            small_cap = unit
            zero_seen = False
        elif c in _CN_BIG_UNITS:
            unit = _CN_BIG_UNITS[c]
            if unit >= big_cap:
                raise ValueError(f"units out of order: {s}")
            section += flush_ones()
            digit = None
            if section == 0:
                raise ValueError(f"unit without digit: {s}")
            total += section * unit
            section = 0
            big_cap = unit
            small_cap = 10**4
            zero_seen = False
        else:
            raise ValueError(f"not a numeral: {s}")
    if zero_seen and digit is None:
        raise ValueError(f"trailing zero: {s}")
    return total + section + flush_ones()


def _section_to_cn(n: int) -> str:
    """Write 1..9999 with 千/百/十, inserting 零 for inner gaps."""
    out = []
    gap = False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // unit % 10
        if d == 0:
            gap = bool(out)
            continue
        if gap:
            out.append("零")
            gap = False
        out.append(_DIGIT_CHARS[d - 1] + name)
    return "".join(out)


def int_to_cn(n: int) -> str:
    """Write a non-negative int the way law texts do: 33 → 三十三, 105 → 一百零五, 10 → 十."""
    if not isinstance(n, int) or n < 0 or n >= 10**12:
        raise ValueError(f"cannot write {n!r} as a Chinese numeral")
    if n == 0:
        return "零"
    parts: list[str] = []
    gap = False
    for unit, name in ((10**8, "亿"), (10**4, "万"), (1, "")):
        section = n // unit % 10**4
        if section == 0:
            gap = gap or bool(parts)
            continue
        if parts and (gap or section < 1000):
            parts.append("零")
        parts.append(_section_to_cn(section) + name)
        gap = False
    text = "".join(parts)
    return text[1:] if text.startswith("一十") else text


# --------------------------------------------------------------------------
# Article references

_NUM = r"[零〇○一二两三四五六七八九十百千0-9０-９]+"
_REF_RE = re.compile(
    rf"第?({_NUM})条(?:之({_NUM}))?(?:第({_NUM})款)?(?:第({_NUM})项)?"
)


def _ref_from_match(m: re.Match) -> tuple[int, int, int | None] | None:
    try:
        number = cn_to_int(m.group(1))
        suffix = cn_to_int(m.group(2)) if m.group(2) else 0
        clause = cn_to_int(m.group(3)) if m.group(3) else None
        if m.group(4):
            cn_to_int(m.group(4))
    except ValueError:
        return None
    if number < 1 or (m.group(2) and suffix < 1) or (clause is not None and clause < 1):
        return None
    return number, suffix, clause


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def parse_article_ref(text: str) -> tuple[int, int, int | None] | None:
    """Read ``第三十三条``, ``33``, ``第三十三条第二款`` or ``第一百二十条之一`` as (number, suffix, clause).

    ``suffix`` is N for 第X条之N (else 0) and ``clause`` the 款 or None; a 项
    after the 款 is accepted and dropped. Returns None when the text is not an
    article reference.
    """
    s = _compact(text)
    if re.fullmatch(r"[0-9]+", s):
        return (int(s), 0, None) if int(s) > 0 else None
    m = _REF_RE.fullmatch(s)
    return _ref_from_match(m) if m else None


_CLAUSE_ONLY_RE = re.compile(rf"第({_NUM})款")
_LIST_SEP_RE = re.compile(r"[、，,；;和及与]+")
_RANGE_RE = re.compile(r"(.+?)(?:至|到|—|-|～|~)(.+)")


def split_article_list(text: str) -> list[tuple[int, int, int | None]]:
    """Read a list such as ``第十条、第十一条`` into references (see parse_article_ref).

    A range ``第十条至第十二条`` is expanded; an item that names only a 款
    (``第十条第一款、第二款``) belongs to the article before it. Raises
    ValueError with a Chinese message for an item that is not a reference.
    """
    refs: list[tuple[int, int, int | None]] = []
    for item in _LIST_SEP_RE.split(_compact(text)):
        if not item:
            continue
        clause_only = _CLAUSE_ONLY_RE.fullmatch(item)
        if clause_only and refs:
            clause = parse_article_ref(f"第{refs[-1][0]}条第{clause_only.group(1)}款")
            if clause is None:
                raise ValueError(f"无法识别的条文引用：{item}")
            refs.append((refs[-1][0], refs[-1][1], clause[2]))
            continue
        ref = parse_article_ref(item)
        if ref is None and (r := _RANGE_RE.fullmatch(item)):
            first, last = parse_article_ref(r.group(1)), parse_article_ref(r.group(2))
            if first and last and first[1:] == (0, None) and last[1:] == (0, None) and first[0] < last[0]:
                refs.extend((n, 0, None) for n in range(first[0], last[0] + 1))
                continue
        if ref is None:
            raise ValueError(f"无法识别的条文引用：{item}")
        refs.append(ref)
    return refs


def article_label(number: int, suffix: int = 0) -> str:
    """The canonical label of an article: 第三十三条, 第一百二十条之一."""
    label = f"第{int_to_cn(number)}条"
    return f"{label}之{int_to_cn(suffix)}" if suffix else label


# --------------------------------------------------------------------------
# Result types


@dataclass
class HistoryEvent:
    """One dated event of the history: ``actions`` among adopted, amended, revised, issued, promulgated, effective, approved."""

    date: dt.date
    actions: tuple[str, ...]
    text: str


@dataclass
class Node:
    """A 编/分编/章/节 heading (or 序言/附则/附件); ``articles`` lists (number, suffix) of every article under it."""

    kind: str
    number: int | None
    title: str
    label: str
    level: int
    line: int
    path: tuple[str, ...] = ()
    articles: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Article:
    """One article (条); ``paragraphs`` holds its text without the 第X条 label, one entry per paragraph."""

    number: int
    suffix: int
    label: str
    paragraphs: list[str]
    heading_path: tuple[str, ...]
    line: int

    @property
    def key(self) -> tuple[int, int]:
        return self.number, self.suffix

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    @property
    def clauses(self) -> list[str]:
        """The 款 of the article: item paragraphs (（一）…) are joined to the 款 that lists them."""
        clauses: list[str] = []
        for paragraph in self.paragraphs:
            if clauses and _ITEM_RE.match(paragraph):
                clauses[-1] = f"{clauses[-1]}\n{paragraph}"
            else:
                clauses.append(paragraph)
        return clauses


@dataclass
class Appendix:
    """An annex after the articles (刑法's 附件一): its heading and paragraphs."""

    title: str
    line: int
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class ParsedLaw:
    """A law or regulation read from its official text."""

    title: str
    short_title: str
    subtitle: str
    history: list[str]
    events: list[HistoryEvent]
    version_date: dt.date | None
    effective_date: dt.date | None
    preamble: list[str]
    nodes: list[Node]
    articles: list[Article]
    appendices: list[Appendix] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    is_amendment: bool = False

    def article(self, number: int, suffix: int = 0) -> Article | None:
        """The article 第number条(之suffix), or None."""
        return next((a for a in self.articles if a.key == (number, suffix)), None)

    @property
    def known_versions(self) -> list[dt.date]:
        """Dates of every version named in the history (adoption, amendments, revisions, issue)."""
        return sorted({e.date for e in self.events if set(e.actions) & _VERSION_ACTIONS})


# --------------------------------------------------------------------------
# Reading bytes

_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_BAD_CHAR_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_text(data: bytes) -> str:
    """Decode a .txt/.md download: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "gb18030"]
    failures = []
    for encoding in candidates:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError as exc:
            failures.append(exc.start)
    else:
        raise LawParseError(
            _line_of(data, max(failures)),
            "无法识别文件编码：文件不是 UTF-8 或 GBK/GB18030 编码的文本（可能是乱码或二进制文件）",
        )
    bad = _BAD_CHAR_RE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise LawParseError(line, "文件含有乱码或二进制内容，不是可读的文本文件")
    return text


def _docx_text(data: bytes) -> str:
    # Imported here so that text and Markdown parsing need nothing beyond the standard library.
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, XMLSyntaxError) as exc:
        raise LawParseError(None, f"无法读取 .docx 文件（文件损坏或不是 Word 文档）：{exc}") from exc
    return "\n".join(p.text for p in document.paragraphs)


def parse_law(data: bytes, filename: str) -> ParsedLaw:
    """Parse an uploaded .txt, .md or .docx file holding the official text of one law."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "docx":
        text = _docx_text(data)
    elif suffix in ("txt", "md"):
        text = decode_text(data)
    else:
        raise LawParseError(None, f"不支持的文件类型：{filename}（请上传 .txt、.md 或 .docx 文件）")
    return parse_law_text(text)


# --------------------------------------------------------------------------
# Classifying lines

_SEP = "[ \t\u3000\u00a0]"
_ARTICLE_RE = re.compile(rf"^第({_NUM})条(?:之({_NUM}))?(?:{_SEP}+(.*)|$)")
_AMENDMENT_ITEM_RE = re.compile(r"^([零一二两三四五六七八九十百]+)、(.*)$")
_HEADING_RE = re.compile(rf"^第({_NUM})(分编|编|章|节)(?:{_SEP}*(.*))?$")
_TOC_RE = re.compile(rf"^目{_SEP}*录$")
_ITEM_RE = re.compile(r"^[（(][零一二两三四五六七八九十百]+[）)]")
_FOOTNOTE_RE = re.compile("^[\u2460-\u2473]")
_MARKER_RE = re.compile(r"^<!--\s*INFO\s+END\s*-->$", re.IGNORECASE)
_CJK_GAP_RE = re.compile(r"(?<=[\u3400-\u9fff])[\s\u3000]+(?=[\u3400-\u9fff])")
_DATE_RE = re.compile(
    r"([0-9０-９〇○零一二三四五六七八九]{4})\s*年\s*([0-9０-９一二三四五六七八九十]{1,3})\s*月"
    r"\s*([0-9０-９一二三四五六七八九十]{1,3})\s*日"
)
_HISTORY_WORDS = ("通过", "修正", "修订", "公布", "施行", "发布", "批准", "实施", "修改", "印发")
_SENTENCE_PUNCT = "，。；：？！,;:?!"

_LEVELS = {"编": 0, "分编": 1, "章": 2, "节": 3}
_TOP_LEVEL = 0
_SPECIAL_HEADINGS = (
    (re.compile(r"^序言$"), "序言"),
    (re.compile(r"^附则$"), "附则"),
    (re.compile(r"^附(?:件|录|表)[一二三四五六七八九十0-9]*$"), "附件"),
)
_VERSION_ACTIONS = {"adopted", "amended", "revised", "issued"}


@dataclass
class _Heading:
    kind: str
    number: int | None
    title: str
    label: str
    level: int


def _tidy(text: str) -> str:
    """Drop zero-width characters and surrounding whitespace (including 　)."""
    return _INVISIBLE_RE.sub("", text).strip()


def _join_cjk(text: str) -> str:
    """Remove typographic spaces between Chinese characters (总 则 → 总则)."""
    return _CJK_GAP_RE.sub("", text).strip()


def _classify_heading(text: str) -> _Heading | None:
    """A heading line (without ``#``), or None."""
    m = _HEADING_RE.match(text)
    if m:
        title = _join_cjk(m.group(3) or "")
        if len(title) > 40 or any(p in title for p in _SENTENCE_PUNCT):
            return None
        try:
            number = cn_to_int(m.group(1))
        except ValueError:
            return None
        kind = m.group(2)
        prefix = f"第{int_to_cn(number)}{kind}"
        return _Heading(kind, number, title, f"{prefix} {title}" if title else prefix, _LEVELS[kind])
    compact = re.sub(r"\s+", "", text)
    for pattern, kind in _SPECIAL_HEADINGS:
        if pattern.match(compact):
            return _Heading(kind, None, compact, compact, _TOP_LEVEL)
    return None


def _markdown_heading(text: str) -> str | None:
    """The text of a ``#`` line, or None when the line is not one."""
    m = re.match(r"^#{1,6}(?!#)\s*(.*)$", text)
    return _tidy(m.group(1)) if m else None


def _parse_date(m: re.Match) -> dt.date | None:
    try:
        return dt.date(cn_to_int(m.group(1)), cn_to_int(m.group(2)), cn_to_int(m.group(3)))
    except ValueError:
        return None


def _is_history_line(text: str) -> bool:
    return bool(_DATE_RE.search(text)) and (
        any(w in text for w in _HISTORY_WORDS) or text.startswith(("（", "("))
    )


def _unclosed(text: str) -> bool:
    return text.count("《") > text.count("》") or text.count("〈") > text.count("〉")


def _paren_depth(text: str) -> int:
    return text.count("（") + text.count("(") - text.count("）") - text.count(")")


def _clean_history_entry(text: str) -> str:
    s = text.strip()
    while True:
        before = s
        if s[:1] in "（(" and _paren_depth(s) > 0:
            s = s[1:].strip()
        if s[-1:] in "）)" and _paren_depth(s) < 0:
            s = s[:-1].strip()
        if s == before:
            return s


_EVENT_SPLIT_RE = re.compile(r"[\s\u3000]+(?=(?:根据|自)?[0-9０-９〇○零一二三四五六七八九]{4}\s*年)")


def _split_history(lines: list[str]) -> list[str]:
    """Split lines holding several dated events into one entry per event."""
    entries = []
    for line in lines:
        for part in _EVENT_SPLIT_RE.split(line):
            part = _clean_history_entry(part)
            if part:
                entries.append(part)
    return entries


def _event_actions(text: str) -> tuple[str, ...]:
    actions = []
    if "修订" in text:
        actions.append("revised")
    if "修正" in text or "修改" in text:
        actions.append("amended")
    if "通过" in text and not actions:
        actions.append("adopted")
    if "发布" in text or "印发" in text:
        actions.append("issued")
    if "公布" in text:
        actions.append("promulgated")
    if "施行" in text or "实施" in text:
        actions.append("effective")
    if "批准" in text:
        actions.append("approved")
    return tuple(actions)


def _history_events(entries: list[str]) -> list[HistoryEvent]:
    events = []
    for entry in entries:
        m = _DATE_RE.search(entry)
        date = _parse_date(m) if m else None
        if date:
            actions = _event_actions(entry[m.start():])
            # "施行日期：2026年1月1日": the label before the date says what it is.
            if "effective" not in actions and ("施行" in entry[:m.start()] or "实施" in entry[:m.start()]):
                actions += ("effective",)
            events.append(HistoryEvent(date, actions, entry))
    return events


def _version_date(events: list[HistoryEvent]) -> dt.date | None:
    """The latest adoption, amendment, revision or issue; failing those, the latest promulgation."""
    for wanted in (_VERSION_ACTIONS, {"promulgated"}):
        dates = [e.date for e in events if wanted & set(e.actions)]
        if dates:
            return max(dates)
    return None


_IN_FORCE_RE = re.compile(
    r"本(?:法|条例|规定|办法|细则|决定|准则|规则|修正案)[^。；]*?自\s*"
    r"(?:(?P<date>[0-9０-９〇○零一二三四五六七八九]{4}\s*年[^日]{1,8}日)|(?P<publish>公布|发布|印发)之日)"
    r"\s*起(?:施行|实施|生效)"
)


def _effective_date(events: list[HistoryEvent], articles: list[Article], version: dt.date | None) -> dt.date | None:
    """The in-force date of the current version when the history or the final articles state it."""
    candidates = [e.date for e in events if "effective" in e.actions]
    for article in reversed(articles):
        m = _IN_FORCE_RE.search(article.text)
        if not m:
            continue
        if m.group("date"):
            date_match = _DATE_RE.search(m.group("date"))
            date = _parse_date(date_match) if date_match else None
            if date:
                candidates.append(date)
        else:
            candidates.extend(
                e.date for e in events if {"promulgated", "issued"} & set(e.actions)
            )
        break
    current = [d for d in candidates if version is None or d >= version]
    return max(current) if current else None


# --------------------------------------------------------------------------
# The parser


@dataclass
class _Line:
    number: int
    text: str


@dataclass
class _Header:
    title: str
    subtitle: str
    history: list[str]
    notes: list[str]
    body_start: int  # index into the lines list


def _starts_body(text: str) -> bool:
    md = _markdown_heading(text)
    return bool(
        _TOC_RE.match(text) or _ARTICLE_RE.match(text) or _classify_heading(text) or (md and _classify_heading(md))
    )


def _read_header(lines: list[_Line]) -> _Header:
    if not lines:
        raise LawParseError(1, "文件是空的，没有法律法规文本")
    first = lines[0]
    heading_text = _markdown_heading(first.text)
    title = heading_text if heading_text is not None else first.text
    title = _join_cjk(title)
    if len(title) >= 2 and title[0] == "《" and title[-1] == "》":
        title = title[1:-1]
    if (
        not title or _starts_body(first.text) or _is_history_line(title)
        or len(title) > 100 or any(p in title for p in "。；;")
    ):
        raise LawParseError(first.number, "缺少标题：第一行应是法律或法规的名称")
    marked = heading_text is not None
    has_marker = any(_MARKER_RE.match(line.text) for line in lines)
    subtitle = ""
    history: list[str] = []
    notes: list[str] = []
    depth = 0
    i = 1
    while i < len(lines):
        text = lines[i].text
        if _MARKER_RE.match(text):
            i += 1
            break
        md = _markdown_heading(text)
        if md is not None and (has_marker or re.match(r"^#(?!#)", text) or not _classify_heading(md)):
            # Before the marker, or at title level, a "#" line names a part (民法典: "# 附则").
            if md and not subtitle and not history:
                subtitle = _join_cjk(md)
            elif md:
                notes.append(md)
            i += 1
            continue
        if _starts_body(text) and not has_marker:
            break
        if _is_history_line(text) and not (history and _unclosed(history[-1])):
            history.append(text)
            depth += _paren_depth(text)
        elif history and (depth > 0 or _unclosed(history[-1]) or has_marker):
            history[-1] += text
            depth += _paren_depth(text)
        elif not history and _join_cjk(text) in title:
            pass  # the title repeated over several lines (地方组织法)
        elif not history and not marked and len(text) <= 40 and not any(p in text for p in _SENTENCE_PUNCT + "（("):
            title += _join_cjk(text)  # a plain-text title broken over two lines
        elif has_marker:
            notes.append(text)
        else:
            break  # an ordinary paragraph: a preamble without a 序言 heading
        i += 1
    return _Header(title, subtitle, history, notes, i)


def _is_amendment(title: str) -> bool:
    return "修正案" in title or ("修改" in title and "决定" in title)


class _BodyParser:
    """Walks the body lines once, building nodes, articles, preamble and appendices."""

    def __init__(self, lines: list[_Line], amendment: bool):
        self.lines = lines
        self.amendment = amendment
        self.nodes: list[Node] = []
        self.stack: list[Node] = []
        self.articles: list[Article] = []
        self.preamble: list[str] = []
        self.appendices: list[Appendix] = []
        self.notes: list[str] = []
        self.current: Article | None = None
        self.mode = "body"  # body | preamble | appendix
        self.last_number: dict[str, int] = {}
        self.restart_allowed: dict[str, bool] = {}
        self.has_chapters = any(
            (h := self._heading_of(line.text, bare=True)) is not None and h.kind == "章" for line in lines
        )
        self.item_style = amendment and self._amendment_uses_items()

    def _amendment_uses_items(self) -> bool:
        for line in self.lines:
            if _ARTICLE_RE.match(line.text):
                return False
            if _AMENDMENT_ITEM_RE.match(line.text):
                return True
        return False

    @staticmethod
    def _heading_of(text: str, bare: bool) -> _Heading | None:
        md = _markdown_heading(text)
        if md is not None:
            return _classify_heading(md) if md else None
        return _classify_heading(text) if bare else None

    def run(self) -> None:
        i = 0
        while i < len(self.lines):
            line = self.lines[i]
            if _TOC_RE.match(line.text) and self.current is None:
                i = self._skip_toc(i + 1)
                continue
            self._line(line)
            i += 1

    def _skip_toc(self, start: int) -> int:
        """Index of the first body line after a 目录: where the table's first entry repeats."""
        entries: list[tuple[int, tuple]] = []
        j = start
        while j < len(self.lines):
            heading = self._heading_of(self.lines[j].text, bare=True)
            if heading is None:
                break
            key = (heading.kind, heading.number if heading.number is not None else heading.title)
            if entries and key == entries[0][1]:
                return j
            entries.append((j, key))
            j += 1
        if not entries:
            return start
        # The first entry never repeats: keep the last heading before the text as the body's.
        return entries[-1][0] if j < len(self.lines) else j

    def _line(self, line: _Line) -> None:
        text = line.text
        md = _markdown_heading(text)
        if md is not None:
            if not md:
                return  # an empty "##" carries nothing
            heading = _classify_heading(md) or _Heading("其他", None, _join_cjk(md), _join_cjk(md), _TOP_LEVEL)
            self._heading(heading, line)
            return
        quoted = self.amendment and self.current is not None
        heading = None if quoted else _classify_heading(text)
        if heading is not None:
            self._heading(heading, line)
            return
        if self.mode != "appendix":
            article = self._article_start(text)
            if article is not None:
                self._article(*article, line)
                return
        if _FOOTNOTE_RE.match(text):
            self.notes.append(text)
            return
        self._paragraph(text, line)

    def _article_start(self, text: str) -> tuple[int, int, str] | None:
        """(number, suffix, rest of the line) when the line opens a new article."""
        if self.item_style:
            m = _AMENDMENT_ITEM_RE.match(text)
            if not m:
                return None
            try:
                number, suffix, rest = cn_to_int(m.group(1)), 0, m.group(2)
            except ValueError:
                return None
        else:
            m = _ARTICLE_RE.match(text)
            if not m:
                return None
            try:
                number = cn_to_int(m.group(1))
                suffix = cn_to_int(m.group(2)) if m.group(2) else 0
            except ValueError:
                return None
            rest = m.group(3) or ""
        if self.amendment and self.current is not None and (number, suffix) not in self._expected_next():
            return None  # a quoted article of the amended law
        return number, suffix, rest

    def _expected_next(self) -> set[tuple[int, int]]:
        """After 第N条(之K) come 第N条之K+1 and 第N+1条."""
        number, suffix = self.articles[-1].key
        return {(number, suffix + 1), (number + 1, 0)}

    def _heading(self, heading: _Heading, line: _Line) -> None:
        self.current = None
        if heading.kind == "节" and self.has_chapters and not any(n.kind == "章" for n in self.stack):
            raise LawParseError(
                line.number, f"章节层级不对：“{heading.label}”不在任何“章”之下，而本法是分章的"
            )
        if heading.number is not None:
            self._check_heading_number(heading, line)
        # 序言/附则/附件 contain no numbered divisions: any heading closes them.
        while self.stack and (self.stack[-1].level >= heading.level or self.stack[-1].number is None):
            self.stack.pop()
        for kind, level in _LEVELS.items():
            if level > heading.level:
                self.restart_allowed[kind] = True
        node = Node(
            kind=heading.kind, number=heading.number, title=heading.title, label=heading.label,
            level=heading.level, line=line.number,
        )
        self.stack.append(node)
        node.path = tuple(n.label for n in self.stack)
        self.nodes.append(node)
        if heading.kind == "序言":
            self.mode = "preamble"
        elif heading.kind == "附件":
            self.mode = "appendix"
            self.appendices.append(Appendix(heading.label, line.number))
        else:
            self.mode = "body"

    def _check_heading_number(self, heading: _Heading, line: _Line) -> None:
        last = self.last_number.get(heading.kind)
        ok = (
            last is None or heading.number == last + 1
            or (heading.number == 1 and self.restart_allowed.get(heading.kind, False))
        )
        if not ok:
            raise LawParseError(
                line.number,
                f"章节编号不连续：第{int_to_cn(last)}{heading.kind}之后是{heading.label.split(' ')[0]}",
            )
        self.last_number[heading.kind] = heading.number
        self.restart_allowed[heading.kind] = False

    def _article(self, number: int, suffix: int, rest: str, line: _Line) -> None:
        if self.articles and (number, suffix) not in self._expected_next():
            previous = self.articles[-1]
            before, after = previous.label, article_label(number, suffix)
            if (number, suffix) == previous.key:
                problem = f"条文编号重复：{before}之后又是{after}"
            elif (number, suffix) < previous.key:
                problem = f"条文编号倒退：{before}之后是{after}"
            else:
                problem = f"条文编号不连续：{before}之后是{after}"
            raise LawParseError(line.number, problem)
        while self.stack and self.stack[-1].kind == "序言":
            self.stack.pop()
        self.mode = "body"
        article = Article(
            number=number, suffix=suffix, label=article_label(number, suffix),
            paragraphs=[rest.strip()] if rest.strip() else [],
            heading_path=tuple(n.label for n in self.stack), line=line.number,
        )
        for node in self.stack:
            node.articles.append(article.key)
        self.articles.append(article)
        self.current = article

    def _paragraph(self, text: str, line: _Line) -> None:
        if self.mode == "appendix":
            self.appendices[-1].paragraphs.append(text)
        elif self.current is not None:
            self.current.paragraphs.append(text)
        elif not self.articles and (self.mode == "preamble" or not self.stack):
            self.preamble.append(text)
        else:
            self.notes.append(text)


_COMMENT_RE = re.compile(r"^<!--.*-->$")


def _split_lines(text: str) -> list[_Line]:
    """Non-empty lines with their numbers; HTML comments other than the header marker are dropped."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = (_Line(n, _tidy(t)) for n, t in enumerate(raw, start=1))
    return [line for line in lines if line.text and (_MARKER_RE.match(line.text) or not _COMMENT_RE.match(line.text))]


def parse_law_text(text: str) -> ParsedLaw:
    """Parse the decoded text of a law (Markdown or plain text)."""
    lines = _split_lines(text)
    header = _read_header(lines)
    amendment = _is_amendment(header.title)
    body = _BodyParser(lines[header.body_start:], amendment)
    body.run()
    if not body.articles:
        last = lines[-1].number if lines else 1
        raise LawParseError(
            last, "没有找到任何条文（以“第一条”等开头的段落）；请确认文件是法律法规的正文，且编码正确"
        )
    history = _split_history(header.history)
    events = _history_events(history)
    version = _version_date(events)
    title = header.title
    return ParsedLaw(
        title=title,
        short_title=title.removeprefix("中华人民共和国"),
        subtitle=header.subtitle,
        history=history,
        events=events,
        version_date=version,
        effective_date=_effective_date(events, body.articles, version),
        preamble=body.preamble,
        nodes=body.nodes,
        articles=body.articles,
        appendices=body.appendices,
        notes=header.notes + body.notes,
        is_amendment=amendment,
    )


# --------------------------------------------------------------------------
# law: links in study notes and cases

LAW_LINK = re.compile(r"\]\((law:[^)\s]+)\)")


@dataclass(frozen=True)
class LawTarget:
    """``law:中华人民共和国村民委员会组织法@2025-10-28#第十四条``: law, pinned version (or None), article."""

    law: str
    version: dt.date | None
    article: str

    @property
    def pinned(self) -> bool:
        return self.version is not None


def parse_law_target(target: str) -> LawTarget | None:
    """The parts of a ``law:`` link target (percent-escapes undone); None when the pin is not a date."""
    body = unquote(target.strip())
    if body.lower().startswith("law:"):
        body = body[4:]
    name, _, article = body.partition("#")
    name, at, pin = name.partition("@")
    version = None
    if at:
        try:
            version = dt.date.fromisoformat(pin.strip())
        except ValueError:
            return None
    return LawTarget(name.strip().strip("《》"), version, article.strip())


def law_links(markdown: str) -> list[tuple[str, LawTarget | None, int]]:
    """Every ``law:`` link of a Markdown text: (link text's target as written, parsed target, line number)."""
    found = []
    for number, line in enumerate(markdown.splitlines(), 1):
        for match in LAW_LINK.finditer(line):
            found.append((match.group(1), parse_law_target(match.group(1)), number))
    return found
