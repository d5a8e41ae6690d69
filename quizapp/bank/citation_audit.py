"""Check the law citations of questions against official law texts.

Pure functions over plain values: build an index of the law files in a
folder (``build_index``), then audit questions (``audit_questions``). Each
question gets four checks, always all four, so nothing passes silently:

- ``law_known``: the cited law has a text in the folder;
- ``version_exists``: the cited version date is one the folder holds. A date
  the law's history names but the folder lacks (an older text), or a date
  newer than the folder's latest text (the folder is out of date), is
  ``unchecked: version not available``; any other date is a wrong version
  and fails;
- ``article_exists``: every cited article (and 款) exists in that version;
- ``figure_in_article``: the figures of the answer key (numbers, Chinese
  numerals before units, fractions, percentages) occur in the cited
  articles. The key is the correct option of a single-choice question or the
  stem of a judge question answered "true"; judge-false and multiple-choice
  questions are not applicable.

A check that cannot run because an earlier one did not pass is reported as
``unchecked`` with the reason.

One module (~720 lines) of pure functions over plain values: the four citation checks, note links,
currency (--as-of) and key balance report into one report object and are tested together.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

from ..common.lawtext import (
    LAW_LINK,
    Article,
    LawParseError,
    ParsedLaw,
    article_label,
    cn_to_int,
    parse_law,
    parse_law_target,
    split_article_list,
)

CHECKS = ("law_known", "version_exists", "article_exists", "figure_in_article")
STATUSES = ("pass", "fail", "unchecked", "n/a")

LAW_NOT_AVAILABLE = "law text not available"
VERSION_NOT_AVAILABLE = "version not available"
NO_LAW_CITED = "no law cited"
NO_ARTICLE_CITED = "no article cited"
VERSION_WRONG = "cited version is wrong"
ARTICLE_WRONG = "cited article is wrong"
ANSWER_MISSING = "answer option missing"
JUDGE_FALSE = "judge answer false"
MULTIPLE_CHOICE = "multiple choice"
NO_FIGURE = "no figure in key"
UNKNOWN_TYPE = "unknown question type"

CHECK_NAMES_ZH = {
    "law_known": "法律文本可用",
    "version_exists": "版本存在",
    "article_exists": "条文存在",
    "figure_in_article": "答案数字与条文一致",
}
STATUS_NAMES_ZH = {"pass": "通过", "fail": "不通过", "unchecked": "无法核对", "n/a": "不适用"}
REASON_NAMES_ZH = {
    LAW_NOT_AVAILABLE: "资料中没有该法律文本",
    VERSION_NOT_AVAILABLE: "资料中没有所引版本",
    NO_LAW_CITED: "未注明法律依据",
    NO_ARTICLE_CITED: "未注明条款",
    VERSION_WRONG: "所引版本有误",
    ARTICLE_WRONG: "所引条文有误",
    ANSWER_MISSING: "答案选项缺失",
}

LAW_FILE_SUFFIXES = (".md", ".txt", ".docx")
_FILE_DATE_RE = re.compile(r"[（(](\d{4}-\d{2}-\d{2})[）)]")


# --------------------------------------------------------------------------
# The index of law texts


def normalise_title(title: str) -> str:
    """The lookup key of a law title: no 《》, no leading 中华人民共和国, half-width, no spaces."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", title))
    s = s.strip("《》〈〉<>")
    return s.removeprefix("中华人民共和国")


@dataclass
class LawVersion:
    """The text of one version of a law, possibly gathered from several files (民法典)."""

    title: str
    version: dt.date
    articles: dict[tuple[int, int], Article]
    sources: list[str]
    parts: list[ParsedLaw] = field(default_factory=list)
    known_versions: set[dt.date] = field(default_factory=set)


@dataclass
class LawIndex:
    """Law texts by normalised title and version date, with the files that could not be used."""

    laws: dict[str, dict[dt.date, LawVersion]] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def versions(self, title: str) -> dict[dt.date, LawVersion]:
        return self.laws.get(normalise_title(title), {})


def _file_version(path: Path) -> dt.date | None:
    m = _FILE_DATE_RE.search(path.stem)
    return dt.date.fromisoformat(m.group(1)) if m else None


def build_index(laws_dir: str | Path) -> LawIndex:
    """Parse every law file in a folder; the version is the date in the file name, else the history's."""
    index = LawIndex()
    paths = sorted(
        p for p in Path(laws_dir).iterdir()
        if p.is_file() and p.suffix.lower() in LAW_FILE_SUFFIXES and not p.stem.upper().startswith("README")
    )
    for path in paths:
        try:
            law = parse_law(path.read_bytes(), path.name)
        except LawParseError as exc:
            index.errors.append((path.name, str(exc)))
            continue
        version = _file_version(path) or law.version_date
        if version is None:
            index.errors.append((path.name, "无法确定版本日期：文件名和修订记录中都没有日期"))
            continue
        entry = index.laws.setdefault(normalise_title(law.title), {}).setdefault(
            version, LawVersion(law.title, version, {}, [])
        )
        duplicates = [a.label for a in law.articles if a.key in entry.articles]
        if duplicates:
            index.errors.append((path.name, f"与 {'、'.join(entry.sources)} 的条文重复：{duplicates[0]} 等"))
            continue
        entry.articles.update((a.key, a) for a in law.articles)
        entry.sources.append(path.name)
        entry.parts.append(law)
        entry.known_versions.update(law.known_versions)
        entry.known_versions.add(version)
    return index


# --------------------------------------------------------------------------
# Figures

_CN = "零〇○一二两三四五六七八九十百千万亿"
_UNITS = (
    "个工作日", "工作日", "个小时", "个月", "周岁", "小时", "分钟", "万元", "亿元", "公顷", "公里", "千克",
    "日", "天", "月", "年", "岁", "元", "人", "名", "次", "倍", "周", "届", "项", "款", "条", "个",
    "种", "级", "亩", "米", "吨", "克", "票", "户", "家", "位", "份", "件", "张", "页", "期",
)
_FIGURE_RE = re.compile(
    rf"(?P<pct_cn>[百千万]分之(?P<pct_cn_n>[{_CN}]+|\d+(?:\.\d+)?))"
    rf"|(?P<frac_cn>(?P<den_cn>[{_CN}]+)分之(?P<num_cn>[{_CN}]+))"
    r"|(?P<frac_ar>(?P<num_ar>\d+)/(?P<den_ar>\d+))"
    r"|(?P<pct_ar>\d+(?:\.\d+)?)%"
    r"|(?P<ar>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<ar_mul>万|亿)?"
    rf"|(?P<cn>[{_CN}]+)"
)
_CHAIN_RE = re.compile(rf"[至到或和、~～\-]([{_CN}]+)")
_PCT_BASE = {"百": 100, "千": 1000, "万": 10000}


@dataclass(frozen=True)
class Figure:
    """A figure as written (``二十二周岁``) and its value (22)."""

    text: str
    value: Fraction


def _unit_after(s: str, end: int) -> str | None:
    """The unit that follows position ``end``, also across ``三至五年``-style chains."""
    while True:
        unit = next((u for u in _UNITS if s.startswith(u, end)), None)
        if unit:
            return unit
        m = _CHAIN_RE.match(s, end)
        if not m:
            return None
        end = m.end()


def _value(m: re.Match) -> Fraction | None:
    try:
        if m.group("pct_cn"):
            n = m.group("pct_cn_n")
            amount = Fraction(n) if n[0].isdigit() else Fraction(cn_to_int(n))
            return amount / _PCT_BASE[m.group(0)[0]]
        if m.group("frac_cn"):
            return Fraction(cn_to_int(m.group("num_cn")), cn_to_int(m.group("den_cn")))
        if m.group("frac_ar"):
            return Fraction(int(m.group("num_ar")), int(m.group("den_ar")))
        if m.group("pct_ar"):
            return Fraction(m.group("pct_ar")) / 100
        if m.group("ar"):
            multiplier = {"万": 10**4, "亿": 10**8}.get(m.group("ar_mul") or "", 1)
            return Fraction(m.group("ar").replace(",", "")) * multiplier
        return Fraction(cn_to_int(m.group("cn")))
    except (ValueError, ZeroDivisionError):
        return None


def _normalise_text(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def text_figures(text: str) -> list[Figure]:
    """Every figure in a law text: all numerals count, so that a figure of the key is found wherever it is."""
    s = _normalise_text(text)
    figures = []
    for m in _FIGURE_RE.finditer(s):
        value = _value(m)
        if value is not None:
            figures.append(Figure(m.group(0), value))
    return figures


def key_figures(text: str) -> list[Figure]:
    """The figures an answer key asserts: Arabic numbers, and Chinese numerals before a unit.

    Book titles, ordinals (第三十三条) and version notes (（2018年修正）) are not
    figures of the key. An option that is nothing but a numeral (十八) is one.
    """
    s = _normalise_text(text)
    s = re.sub(r"《[^》]*》", "", s)
    s = re.sub(r"[(]\d{4}年[^)]*[)]", "", s)
    s = re.sub(rf"第[{_CN}\d]+", "第", s)
    s = re.sub(r"[(]\d+[)]", "", s)
    whole = s.strip("()。.，,；;")
    bare_numeral = re.fullmatch(rf"[{_CN}]+", whole) is not None
    figures = []
    for m in _FIGURE_RE.finditer(s):
        unit = _unit_after(s, m.end())
        if m.group("cn") and unit is None and not bare_numeral:
            continue
        value = _value(m)
        if value is not None:
            shown = s[m.start():m.end()] + (unit if unit and s.startswith(unit, m.end()) else "")
            figures.append(Figure(shown, value))
    return figures


# --------------------------------------------------------------------------
# Checks


@dataclass(frozen=True)
class CheckResult:
    """One check of one question: status is pass, fail, unchecked or n/a; detail is for people."""

    check: str
    status: str
    detail: str
    reason: str = ""


@dataclass
class QuestionAudit:
    ident: str
    law: str
    article: str
    version: str
    results: list[CheckResult]

    @property
    def status(self) -> str:
        statuses = {r.status for r in self.results}
        return next((s for s in ("fail", "unchecked") if s in statuses), "pass")


@dataclass
class AuditReport:
    questions: list[QuestionAudit]
    index_errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, dict[str, int]]:
        """For each check: how many questions got each status, and how many were actually checked."""
        totals = {check: dict.fromkeys(STATUSES, 0) for check in CHECKS}
        for question in self.questions:
            for result in question.results:
                totals[result.check][result.status] += 1
        for counts in totals.values():
            counts["checked"] = counts["pass"] + counts["fail"]
        return totals

    @property
    def failures(self) -> list[tuple[str, CheckResult]]:
        return [(audited.ident, r) for audited in self.questions for r in audited.results if r.status == "fail"]

    @property
    def unchecked(self) -> dict[str, list[str]]:
        """Reason → questions with a check that could not run for that reason (each listed once)."""
        by_reason: dict[str, list[str]] = {}
        for question in self.questions:
            for result in question.results:
                if result.status == "unchecked":
                    idents = by_reason.setdefault(result.reason, [])
                    if question.ident not in idents:
                        idents.append(question.ident)
        return by_reason


def _book(title: str) -> str:
    title = title.strip()
    return title if title.startswith("《") else f"《{title}》"


def _parse_version(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _skip(checks: Iterable[str], status: str, reason: str, detail: str) -> list[CheckResult]:
    return [CheckResult(check, status, detail, reason) for check in checks]


def _check_version(value, versions: dict[dt.date, LawVersion], law: str) -> tuple[CheckResult, LawVersion | None]:
    if value is None or str(value).strip() == "":
        return CheckResult("version_exists", "fail", "题目没有注明法规版本日期", VERSION_WRONG), None
    try:
        cited = _parse_version(value)
    except ValueError:
        detail = f"法规版本“{value}”不是有效日期（应为 YYYY-MM-DD）"
        return CheckResult("version_exists", "fail", detail, VERSION_WRONG), None
    if cited in versions:
        return CheckResult("version_exists", "pass", f"资料中有{_book(law)} {cited} 版本"), versions[cited]
    held = sorted(versions)
    held_text = "、".join(d.isoformat() for d in held)
    known = set().union(*(v.known_versions for v in versions.values()))
    if cited > held[-1]:
        detail = f"资料中{_book(law)}最新只有 {held_text} 版本，没有所引的 {cited} 版本（资料可能未更新），无法核对"
        return CheckResult("version_exists", "unchecked", detail, VERSION_NOT_AVAILABLE), None
    if cited in known:
        detail = f"所引的 {cited} 版本是{_book(law)}的旧版本，资料中只有 {held_text} 版本的文本，无法核对"
        return CheckResult("version_exists", "unchecked", detail, VERSION_NOT_AVAILABLE), None
    known_text = "、".join(d.isoformat() for d in sorted(known))
    detail = f"{_book(law)}没有 {cited} 这个版本；已知版本日期：{known_text}"
    return CheckResult("version_exists", "fail", detail, VERSION_WRONG), None


def _check_articles(cited: str, law: LawVersion) -> tuple[CheckResult, list[Article] | None]:
    if not cited.strip():
        detail = "题目没有注明条款，无法核对条文"
        return CheckResult("article_exists", "unchecked", detail, NO_ARTICLE_CITED), None
    # 序言 (the constitution's preamble) is cited like an article but has no number.
    items = [item for item in re.split(r"[、，,；;]", cited) if item.strip()]
    preamble_cited = any(item.strip() == "序言" for item in items)
    rest = "、".join(item for item in items if item.strip() != "序言")
    try:
        refs = split_article_list(rest) if rest else []
    except ValueError as exc:
        return CheckResult("article_exists", "fail", f"条款“{cited}”无法识别：{exc}", ARTICLE_WRONG), None
    found, problems = [], []
    if preamble_cited:
        preamble = next((part.preamble for part in law.parts if part.preamble), None)
        if preamble:
            found.append(Article(0, 0, "序言", list(preamble), ("序言",), 0))
        else:
            problems.append(f"{_book(law.title)}（{law.version}）没有序言")
    for number, suffix, clause in refs:
        article = law.articles.get((number, suffix))
        if article is None:
            problems.append(f"{_book(law.title)}（{law.version}）没有{article_label(number, suffix)}")
        elif clause is not None and clause > len(article.clauses):
            problems.append(f"{article.label}只有 {len(article.clauses)} 款，没有第 {clause} 款")
        elif article not in found:
            found.append(article)
    if problems:
        return CheckResult("article_exists", "fail", "；".join(problems), ARTICLE_WRONG), None
    labels = "、".join(a.label for a in found)
    return CheckResult("article_exists", "pass", f"{_book(law.title)}（{law.version}）有{labels}"), found


# 不定项 keys are sets of options, like 多选: no one option's figures to check.
_TYPES = {"single": "single", "单选": "single", "multiple": "multiple", "多选": "multiple",
          "indefinite": "multiple", "不定项": "multiple", "judge": "judge", "判断": "judge"}
# "A"/"B" is how the bank stores a judge key (A = 正确, B = 错误).
_JUDGE_ANSWERS = {"T": True, "F": False, "A": True, "B": False, "正确": True, "错误": False}


def _figure_key(question: Mapping) -> tuple[str | None, CheckResult | None]:
    """The text whose figures the law must contain, or the result that says why there is none."""
    kind = _TYPES.get(str(question.get("type", "")).strip())
    answer = str(question.get("answer", "")).strip().upper()
    if kind == "multiple":
        return None, CheckResult("figure_in_article", "n/a", "多选题不核对答案数字", MULTIPLE_CHOICE)
    if kind == "judge":
        truth = _JUDGE_ANSWERS.get(answer)
        if truth is False:
            detail = "判断题答案为“错误”，题干本就与条文不符，跳过数字核对"
            return None, CheckResult("figure_in_article", "n/a", detail, JUDGE_FALSE)
        if truth is None:
            detail = f"判断题答案“{answer}”无法识别，无法核对数字"
            return None, CheckResult("figure_in_article", "unchecked", detail, ANSWER_MISSING)
        return str(question.get("stem", "")), None
    if kind == "single":
        option = (question.get("options") or {}).get(answer)
        if not option:
            detail = f"答案“{answer}”不在选项中，无法核对数字"
            return None, CheckResult("figure_in_article", "unchecked", detail, ANSWER_MISSING)
        return str(option), None
    detail = f"未知题型“{question.get('type')}”，不核对数字"
    return None, CheckResult("figure_in_article", "n/a", detail, UNKNOWN_TYPE)


def _check_figures(question: Mapping, articles: list[Article]) -> CheckResult:
    key, result = _figure_key(question)
    if result is not None:
        return result
    figures = key_figures(key)
    if not figures:
        return CheckResult("figure_in_article", "n/a", "答案中没有数字，不需核对", NO_FIGURE)
    in_law = {f.value for article in articles for f in text_figures(article.text)}
    missing = [f.text for f in figures if f.value not in in_law]
    labels = "、".join(a.label for a in articles)
    if missing:
        detail = f"答案中的“{'”“'.join(missing)}”在{labels}中找不到"
        return CheckResult("figure_in_article", "fail", detail)
    return CheckResult("figure_in_article", "pass", f"答案中的“{'”“'.join(f.text for f in figures)}”与{labels}一致")


def audit_question(question: Mapping, index: LawIndex) -> QuestionAudit:
    """Run the four checks on one question dict (type, stem, options, answer, law, article, version, ident)."""
    law = str(question.get("law") or "").strip()
    cited_article = str(question.get("article") or "").strip()
    checked = QuestionAudit(
        ident=str(question.get("ident", "")), law=law, article=cited_article,
        version=str(question.get("version") or ""), results=[],
    )
    if not law:
        checked.results = _skip(CHECKS, "unchecked", NO_LAW_CITED, "题目没有注明法律依据，无法核对")
        return checked
    versions = index.versions(law)
    if not versions:
        detail = f"资料中没有{_book(law)}的文本，无法核对"
        checked.results = _skip(CHECKS, "unchecked", LAW_NOT_AVAILABLE, detail)
        return checked
    held = "、".join(d.isoformat() for d in sorted(versions))
    checked.results.append(CheckResult("law_known", "pass", f"资料中有{_book(law)}（{held}）"))
    version_result, law_version = _check_version(question.get("version"), versions, law)
    checked.results.append(version_result)
    if law_version is None:
        detail = f"版本未核对通过，未核对条文：{version_result.detail}"
        checked.results += _skip(CHECKS[2:], "unchecked", version_result.reason, detail)
        return checked
    article_result, articles = _check_articles(cited_article, law_version)
    checked.results.append(article_result)
    if articles is None:
        detail = f"条文未核对通过，未核对数字：{article_result.detail}"
        checked.results += _skip(CHECKS[3:], "unchecked", article_result.reason, detail)
        return checked
    checked.results.append(_check_figures(question, articles))
    return checked


def audit_questions(questions: Iterable[Mapping], index: LawIndex) -> AuditReport:
    """Audit every question against the index; the report also lists law files that could not be read."""
    return AuditReport([audit_question(question, index) for question in questions], list(index.errors))


# --------------------------------------------------------------------------
# Output


def report_to_json(report: AuditReport) -> str:
    """The report as JSON (UTF-8 text, Chinese kept readable)."""
    data = {
        "questions": len(report.questions),
        "totals": report.totals,
        "failures": [{"ident": ident, **asdict(result)} for ident, result in report.failures],
        "unchecked": report.unchecked,
        "index_errors": [{"file": name, "error": error} for name, error in report.index_errors],
        "results": [
            {
                "ident": audited.ident, "law": audited.law, "article": audited.article, "version": audited.version,
                "status": audited.status, "checks": [asdict(r) for r in audited.results],
            }
            for audited in report.questions
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def report_to_text(report: AuditReport) -> str:
    """The report as a Chinese plain-text summary for the bank's editors."""
    lines = ["法条引用核对报告", f"共核对题目 {len(report.questions)} 道。", "", "各项检查："]
    for check, counts in report.totals.items():
        parts = "，".join(f"{STATUS_NAMES_ZH[s]} {counts[s]}" for s in STATUSES)
        lines.append(f"  {CHECK_NAMES_ZH[check]}：已核对 {counts['checked']}（{parts}）")
    failures = report.failures
    lines += ["", f"不通过（{len(failures)} 项）："]
    lines += [f"  {ident}  {CHECK_NAMES_ZH[r.check]}：{r.detail}" for ident, r in failures] or ["  无"]
    unchecked = report.unchecked
    unchecked_count = len({ident for idents in unchecked.values() for ident in idents})
    lines += ["", f"无法核对（{unchecked_count} 道题）："]
    for reason, idents in unchecked.items():
        lines.append(f"  {REASON_NAMES_ZH.get(reason, reason)}（{len(idents)}）：{'、'.join(idents)}")
    if not unchecked:
        lines.append("  无")
    if report.index_errors:
        lines += ["", "无法读取的法律文本："]
        lines += [f"  {name}：{error}" for name, error in report.index_errors]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Currency: is the cited version the one in force on a date?

IN_FORCE = "version_in_force"
SUPERSEDED = "superseded version"
NOT_YET_IN_FORCE = "version not yet in force"
REPEALED = "law repealed"
_REPEAL_RE = re.compile(r"((?:《[^》]+》[、，,和及]?\s*)+)(?:同时)?废止")


def effective(version: LawVersion) -> dt.date:
    """When a version took (or takes) effect: the latest 施行日期 of its files, else its version date."""
    dates = [part.effective_date for part in version.parts if part.effective_date]
    return max(dates) if dates else version.version


def repeals(index: LawIndex) -> dict[str, tuple[dt.date, str]]:
    """Laws repealed by another law in the folder ("……同时废止"): normalised title → (from when, by which law)."""
    found = {}
    for versions in index.laws.values():
        for version in versions.values():
            for article in version.articles.values():
                match = _REPEAL_RE.search(article.text)
                if match:
                    for title in re.findall(r"《([^》]+)》", match.group(1)):
                        found[normalise_title(title)] = (effective(version), version.title)
    return found


def check_in_force(law: str, cited, index: LawIndex, as_of: dt.date, repealed=None) -> CheckResult:
    """Whether the cited version of ``law`` is the one in force on ``as_of`` (the folder's texts and 施行日期)."""
    versions = index.versions(law)
    if not law or not versions:
        return CheckResult(IN_FORCE, "unchecked", f"资料中没有{_book(law)}的文本，无法判断是否现行", LAW_NOT_AVAILABLE)
    try:
        cited = _parse_version(cited) if cited else None
    except ValueError:
        cited = None
    if cited is None:
        return CheckResult(IN_FORCE, "fail", "没有注明法规版本，无法判断是否现行", VERSION_WRONG)
    repealed = repeals(index) if repealed is None else repealed
    gone = repealed.get(normalise_title(law))
    if gone and gone[0] <= as_of:
        return CheckResult(IN_FORCE, "fail", f"{_book(law)}已于 {gone[0]} 被{_book(gone[1])}废止", REPEALED)
    in_force = [v for v in versions.values() if effective(v) <= as_of]
    if not in_force:
        return CheckResult(IN_FORCE, "unchecked", f"资料中{_book(law)}的版本在 {as_of} 都尚未施行", VERSION_NOT_AVAILABLE)
    current = max(in_force, key=lambda v: v.version)
    if cited == current.version:
        return CheckResult(IN_FORCE, "pass", f"{_book(law)} {cited} 版本在 {as_of} 现行有效")
    if cited in versions and effective(versions[cited]) > as_of:
        return CheckResult(IN_FORCE, "fail", f"{_book(law)} {cited} 版本自 {effective(versions[cited])} 起施行，"
                                             f"{as_of} 尚未施行（现行为 {current.version} 版本）", NOT_YET_IN_FORCE)
    if cited < current.version:
        return CheckResult(IN_FORCE, "fail", f"所引{_book(law)} {cited} 版本已被 {current.version} 版本取代"
                                             f"（自 {effective(current)} 起施行），请按新版本核对条文", SUPERSEDED)
    return CheckResult(IN_FORCE, "unchecked", f"所引{_book(law)} {cited} 版本比资料中现行的 {current.version} 版本更新，"
                                              f"资料可能未更新", VERSION_NOT_AVAILABLE)


def audit_currency(questions: Iterable[Mapping], index: LawIndex, as_of: dt.date) -> list[tuple[str, CheckResult]]:
    """(ident, result) of the in-force check for every question that cites a law."""
    repealed = repeals(index)
    return [(str(q.get("ident", "")), check_in_force(str(q.get("law") or "").strip(), q.get("version"), index,
                                                     as_of, repealed))
            for q in questions if str(q.get("law") or "").strip()]


# --------------------------------------------------------------------------
# Study notes and cases: every law: link pinned, in force, opening the article the note means

UNPINNED = "link not pinned"


def _context_before(line: str, start: int) -> str:
    """The words a link is attached to: from the start of its sentence (or the end of the link before it,
    whose words are that link's claim) up to the link."""
    head = line[:start]
    cut = max([head.rfind(mark) + 1 for mark in "。！？；"] + [m.end() for m in LAW_LINK.finditer(head)])
    text = _LIST_MARKER.sub("", head) if cut == 0 else head[cut:]
    return _YEAR.sub("", text)  # "2021年修订的……": when the law was made is not a claim about the article


_LIST_MARKER = re.compile(r"^\s*(?:\d+[.、)）]|[-*+>])\s*")
_YEAR = re.compile(r"\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?")


_JOINED = re.compile(r"^[\s、，,和及与]*$")


@dataclass
class LinkClaim:
    """Links written side by side (第二十八条、第三十条) and the figures of the words they end."""

    line: int
    links: list  # [(target as written, LawTarget or None)]
    figures: list


def link_claims(markdown: str) -> list[LinkClaim]:
    """Every law: link of a note, grouped with its neighbours, with the figures the sentence states.

    A lone 一 (县一级, 一个机关) is how Chinese says "a", rarely a figure the article must hold.
    """
    claims = []
    for number, line in enumerate(markdown.splitlines(), 1):
        previous_end = None
        for match in LAW_LINK.finditer(line):
            start = line.rfind("[", 0, match.start() + 1)
            if previous_end is not None and _JOINED.match(line[previous_end:start]) and claims:
                claims[-1].links.append((match.group(1), parse_law_target(match.group(1))))
            else:
                figures = [f for f in key_figures(_context_before(line, start)) if f.value != 1]
                claims.append(LinkClaim(number, [(match.group(1), parse_law_target(match.group(1)))], figures))
            previous_end = match.end()
    return claims


def missing_figures(claim: LinkClaim, articles) -> list[str]:
    """The figures of a claim that none of the linked articles' texts holds."""
    in_law = {f.value for article in articles for f in text_figures(article.text)}
    return [f.text for f in claim.figures if f.value not in in_law]


def audit_note(name: str, markdown: str, index: LawIndex, as_of: dt.date | None,
               repealed=None) -> list[tuple[str, CheckResult]]:
    """Check every law: link of one note: pinned to a version, that version in force on ``as_of``, the article
    there, and the figures the sentence states (五年, 三至七人…) in the linked articles' text."""
    repealed = repeals(index) if repealed is None else repealed
    results = []
    for claim in link_claims(markdown):
        ident = f"{name}:{claim.line}"
        articles, complete = [], True
        for raw, target in claim.links:
            if target is None:
                results.append((ident, CheckResult("link_pinned", "fail", f"链接“{raw}”的版本不是日期", VERSION_WRONG)))
                complete = False
                continue
            if not target.pinned:
                results.append((ident, CheckResult("link_pinned", "fail",
                                                   f"链接“{raw}”没有注明版本（应写成 law:法规名称@YYYY-MM-DD#第X条）",
                                                   UNPINNED)))
                complete = False
                continue
            if as_of is not None:
                results.append((ident, check_in_force(target.law, target.version, index, as_of, repealed)))
            law_version = index.versions(target.law).get(target.version)
            if law_version is None or not target.article:
                complete = False
                continue
            article_result, found = _check_articles(target.article, law_version)
            results.append((ident, article_result))
            if found is None:
                complete = False
            else:
                articles += found
        missing = missing_figures(claim, articles) if complete else []
        if missing:
            label = "、".join(a.label for a in articles)
            results.append((ident, CheckResult("figure_in_article", "fail",
                                               f"笔记中的“{'”“'.join(missing)}”在所链接的{label}中找不到："
                                               f"链接可能指向了别的条文", ARTICLE_WRONG)))
    return results


_SOURCE_RE = re.compile(r"《([^》]+)》[^《;；]*")
_CN_DATE_RE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


def source_dates(markdown: str) -> dict[str, set[dt.date]]:
    """Dates the ``sources:`` header gives per law (normalised title): the versions the note was written against."""
    header = markdown.split("\n---", 1)[0] if markdown.startswith("---") else ""
    found: dict[str, set[dt.date]] = {}
    for line in header.splitlines():
        if not line.startswith("sources:"):
            continue
        for match in _SOURCE_RE.finditer(line):
            dates = {dt.date(int(y), int(m), int(d)) for y, m, d in _CN_DATE_RE.findall(match.group(0))}
            found.setdefault(normalise_title(match.group(1)), set()).update(dates)
    return found


def pin_links(markdown: str, index: LawIndex, as_of: dt.date) -> tuple[str, list[str]]:
    """Pin every unpinned law: link to the version the note was written against: the latest version held whose
    date the ``sources:`` header names, else the version in force on ``as_of``. Returns the new text and the
    links that could not be pinned (law not held). Pinned links are left alone, so running it again is a no-op."""
    written_against = source_dates(markdown)
    left = []

    def pin(match):
        target = parse_law_target(match.group(1))
        if target is None or target.pinned:
            return match.group(0)
        versions = index.versions(target.law)
        named = [v for v in versions if v in written_against.get(normalise_title(target.law), set())]
        in_force = [v for v, law in versions.items() if effective(law) <= as_of]
        chosen = max(named) if named else (max(in_force) if in_force else None)
        if chosen is None:
            left.append(match.group(1))
            return match.group(0)
        article = f"#{target.article}" if target.article else ""
        return f"](law:{target.law}@{chosen.isoformat()}{article})"

    return LAW_LINK.sub(pin, markdown), left
