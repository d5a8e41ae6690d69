"""One question as a row of the import/export layout: header synonyms, cell parsing, validation, fingerprint.

Pure functions with no database access: the importer, the question form and
the citation audit all turn cells into questions here, so a question typed
on the page is held to exactly the rules a spreadsheet row is.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date, timedelta
from functools import lru_cache
from itertools import chain

from ..common.spreadsheets import normalise_header
from . import qtypes
from .qtypes import LETTERS

# The layout of the template, of exports and of the shipped banks (docs/content-format.md).
COLUMNS = ["题型", "题干", *[f"选项{letter}" for letter in LETTERS], "答案", "解析", "难度", "分类", "法律依据",
           "条款", "法规版本", "标签", "案例编号", "案例材料", "变式组"]
SCORE_COLUMN = "分值"
OPTION_KEYS = [f"opt_{letter}" for letter in LETTERS]
KEYS = ["qtype", "stem", *OPTION_KEYS, "answer", "explanation", "difficulty", "category", "law", "article",
        "version", "tags", "case_id", "case_text", "variant_group"]

_CHINESE_NUMERALS = "一二三四五六七八"
_SYNONYMS = {
    "qtype": ["题型", "类型", "试题类型", "题目类型", "题型名称"],
    "stem": ["题干", "题目", "试题", "试题内容", "问题", "题目内容", "题干内容", "问题内容", "题目名称"],
    "options": ["选项", "选项内容", "备选项", "备选答案", "全部选项", "所有选项"],
    "answer": ["答案", "正确答案", "标准答案", "参考答案", "正确选项", "答案选项"],
    "explanation": ["解析", "答案解析", "试题解析", "题目解析", "解释"],
    "difficulty": ["难度", "难易程度", "难易度", "难度等级"],
    "category": ["分类", "知识点", "章节", "类别", "试题分类", "题目分类"],
    "law": ["法律依据", "依据", "出处", "法规依据", "法律法规依据", "法规名称"],
    "article": ["条款", "条文", "法条", "条款号"],
    "version": ["法规版本", "版本", "版本日期", "法规版本日期"],
    "tags": ["标签", "关键词"],
    "case_id": ["案例编号", "案例号", "材料编号", "案例分析编号"],
    "case_text": ["案例材料", "案例", "材料", "案例内容", "材料内容"],
    "variant_group": ["变式组", "变式", "同题组"],
    "score": ["分值", "分数"],
}
for _i, _letter in enumerate(LETTERS):
    _SYNONYMS[f"opt_{_letter}"] = [f"选项{_letter}", _letter, f"选项{_CHINESE_NUMERALS[_i]}", f"选项{_i + 1}",
                                   f"{_letter}选项", f"选项{_letter}内容"]
SYNONYMS = {normalise_header(text): key for key, texts in _SYNONYMS.items() for text in texts}
LABELS = {key: texts[0] for key, texts in _SYNONYMS.items()}
REQUIRED = {"stem", "answer"}

DIFFICULTY_BY_NAME = {
    "易": "easy", "容易": "easy", "简单": "easy", "较易": "easy", "低": "easy", "1": "easy", "easy": "easy",
    "中": "medium", "中等": "medium", "一般": "medium", "适中": "medium", "2": "medium", "medium": "medium",
    "": "medium",
    "难": "hard", "困难": "hard", "较难": "hard", "高": "hard", "3": "hard", "hard": "hard",
}
DIFFICULTY_TEXT = {"easy": "易", "medium": "中", "hard": "难"}

MAX_STEM = 1000
MAX_OPTION = 500
MAX_EXPLANATION = 3000
MAX_CATEGORY = 200
MAX_LAW = 100
MAX_ARTICLE = 100
MAX_TAGS = 10
MAX_TAG = 30
MAX_CASE_ID = 40
MAX_CASE_TEXT = 3000
MAX_VARIANT_GROUP = 60
CASE_SIZE = (2, 5)

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_FORMULA_ESCAPE = re.compile(r"^'(?=[=+\-@\t\r])")
# "A.xxx", "A、xxx", "(A) xxx", "A：xxx" — a label only where a new option can begin.
_OPTION_LABEL = re.compile(r"(?:^|(?<=[\s;；,，。]))[(（]?([A-Ha-hＡ-Ｈａ-ｈ])\s*(?:[.．、:：)）]|\s)\s*")
_OPTION_TAIL = re.compile(r"[\s;；,，]+$")
_CITATION = re.compile(r"^(?P<law>.*?)\s*(?P<article>第[一二三四五六七八九十百千零〇两\d]+条.*)$")
_PAREN_DATE = re.compile(r"[（(]([^（）()]*\d{4}[^（）()]*)[)）]\s*$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_TAG_SPLIT = re.compile(r"[;；,，、|\n]+")
_CATEGORY_SPLIT = re.compile(r"\s*[/／\\>＞]\s*")


_NEEDS_CLEANING = re.compile("[\u200b\u200c\u200d\u2060\ufeff\r]|(?:^|\x00)'[=+\\-@\t]")


def clean_cell(text: str | None) -> str:
    """Trimmed text without invisible characters, with a formula-escaping quote removed (export adds one)."""
    if not text:
        return ""
    text = text.strip()
    if _NEEDS_CLEANING.search(text) is None:  # the common case, checked in one C call
        return text
    text = text.translate(_INVISIBLE).replace("\r\n", "\n").replace("\r", "\n").strip()
    return _FORMULA_ESCAPE.sub("", text)


# Full-width ASCII (Ａ，（） and the ideographic space) to half-width; nothing else is folded, so that
# "C++" and "C", or a stem with and without "（ ）", stay different questions.
_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


_FULL_WIDTH_CHAR = re.compile("[\uff01-\uff5e\u3000]")


def fold_texts(texts: list[str]) -> list[str]:
    """What duplicate and identical-option checks compare: the text without whitespace, full-width folded."""
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1:  # a text holds NUL itself: drop it, so the split stays aligned
        joined = "\x00".join(text.replace("\x00", "") for text in texts)
    # A question holds a few distinct full-width characters, found by one C-level scan: replacing each is
    # cheaper than translate().
    for char in set(_FULL_WIDTH_CHAR.findall(joined)):
        joined = joined.replace(char, chr(_WIDTH[ord(char)]))
    return "".join(joined.split()).split("\x00")  # str.split() drops exactly what \s matches, 5x faster than re.sub


def fold_text(text: str) -> str:
    return fold_texts([text or ""])[0]


def fingerprint(qtype: str, stem: str, options: list[str], *, folded: list[str] | None = None,
                case_text: str = "") -> str:
    """SHA-256 of type, folded stem and folded options in sorted order (option order does not matter).

    A 案例分析 sub-question adds its case text: "本案中，……（ ）。" under two cases is two questions.
    """
    folded = folded if folded is not None else fold_texts([stem, *options])
    parts = [qtype, folded[0], *sorted(folded[1:])]
    if case_text:
        parts.append("case:" + fold_text(case_text))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def split_options(text: str) -> list[str]:
    """Options written in one cell: "A.xxx B.xxx", "A、xxx；B、xxx" or one per line."""
    text = clean_cell(text)
    if not text:
        return []
    labels, expected = [], 0
    for match in _OPTION_LABEL.finditer(text):
        letter = unicodedata.normalize("NFKC", match.group(1)).upper()
        if expected < len(LETTERS) and letter == LETTERS[expected]:
            labels.append(match)
            expected += 1
    if len(labels) >= 2 and labels[0].start() == 0:
        ends = [m.start() for m in labels[1:]] + [len(text)]
        return [_OPTION_TAIL.sub("", text[m.end():end]).strip() for m, end in zip(labels, ends)]
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return lines if len(lines) >= 2 else [text]


def split_option_cell(text: str) -> list[str]:
    """The one 选项 cell of a file: labelled or one per line (split_options), or "宪法/法律/行政法规"."""
    options = split_options(text)
    if len(options) == 1:
        parts = [part.strip() for part in re.split(r"[/／]", options[0])]
        if len(parts) >= 2 and all(parts):
            return parts
    return options


_LABEL_STARTS = frozenset("ABCDEFGHabcdefghＡＢＣＤＥＦＧＨａｂｃｄｅｆｇｈ(（")
# The option's own letter then a label separator ("A." "A、" "(A)" "A："), or a space before Chinese text ("A 宪法").
# A colon followed by a path or ASCII text ("C:\\InetPub") and "a = 2" are text, not labels.
_OWN_LABEL = re.compile(r"[(（]?([A-HＡ-Ｈa-hａ-ｈ])(?:\s*(?:[.．、)）]|[:：](?![\\/A-Za-z0-9]))\s*|\s+(?=[\u4e00-\u9fff《“]))")


def strip_own_label(text: str, letter: str) -> str:
    """"A. 全国人大" in the 选项A column is "全国人大"; "a = 2, b = 1" and "C:\\InetPub" are kept whole."""
    if len(text) < 2 or text[0] not in _LABEL_STARTS:
        return text
    match = _OWN_LABEL.match(text)
    if not match or match.end() >= len(text):
        return text
    found = unicodedata.normalize("NFKC", match.group(1))
    if found.upper() != letter or (found.islower() and text[0] not in "(（" and match.group(0)[-1:].isspace()):
        return text
    return text[match.end():].strip()


def parse_date(text: str) -> date | None:
    """A version date: 2018-03-11, 2018/3/11, 2018年3月11日, a spreadsheet date cell or an Excel serial."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    match = _DATE.match(text)
    if match:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if re.fullmatch(r"\d{5}(\.0+)?", text) and 20000 <= float(text) <= 80000:
        return date(1899, 12, 30) + timedelta(days=int(float(text)))
    raise ValueError(text)


def split_citation(law: str, article: str) -> tuple[str, str, str]:
    """Law, article and any version text from "《中华人民共和国宪法》（2018年修正）第三十三条" when 条款 is empty."""
    if article or not law:
        return law, article, ""
    match = _CITATION.match(law)
    if not match or not match.group("law"):
        return law, article, ""
    law, article, version = match.group("law").strip(), match.group("article").strip(), ""
    paren = _PAREN_DATE.search(law)
    if paren and law[:paren.start()].strip():
        law, version = law[:paren.start()].strip(), paren.group(1)
    return law, article, version


def split_tags(text: str) -> list[str]:
    tags = []
    for tag in _TAG_SPLIT.split(text or ""):
        tag = tag.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def normalise_category(text: str) -> str:
    return "/".join(part for part in _CATEGORY_SPLIT.split((text or "").strip()) if part)


# Cells that repeat from row to row (type, answer, difficulty, category, citation, tags) are parsed
# once per distinct text: a 10,000-row file then costs little more than reading it.

@lru_cache(maxsize=4096)
def _type_named(text):
    return qtypes.from_name(text)


@lru_cache(maxsize=4096)
def _difficulty(text):
    return DIFFICULTY_BY_NAME.get(qtypes.fold(text))


@lru_cache(maxsize=4096)
def _category(text):
    return normalise_category(text)


@lru_cache(maxsize=4096)
def _citation(law, article, version_text):
    """(law, article, version or None, version problem or None)."""
    law, article, embedded = split_citation(law, article)
    version_text = version_text or embedded
    if not version_text:
        return law, article, None, None
    try:
        return law, article, parse_date(version_text), None
    except ValueError:
        return law, article, None, f"法规版本“{version_text}”不是日期（应写成 2018-03-11）"


@lru_cache(maxsize=4096)
def _tags(text):
    return tuple(split_tags(text))


@lru_cache(maxsize=4096)
def _key(qtype, answer_text, judge_options):
    return qtype.parse_key(answer_text, list(judge_options))


def _options(cell):
    """The option texts a row fills, from A on (split when written in one cell), and their problems."""
    get = cell.get
    raw = [get(key, "") for key in OPTION_KEYS]
    problems = []
    if not any(raw):
        if get("options"):
            raw = split_option_cell(get("options"))
            if len(raw) > len(LETTERS):
                problems.append(("options", f"选项超过 {len(LETTERS)} 个"))
                raw = raw[:len(LETTERS)]
        else:
            return [], problems
    elif raw[0] and not any(raw[1:]):
        single = split_options(raw[0])
        if len(single) >= 2:
            raw = single[:len(LETTERS)]
    if not _LABEL_STARTS.isdisjoint({text[:1] for text in raw}):  # usually none: spares eight calls per row
        raw = [strip_own_label(text, LETTERS[i]) for i, text in enumerate(raw)]
    last = len(raw) - 1
    while last >= 0 and not raw[last]:
        last -= 1
    options = raw[:last + 1]
    if all(options) and max(map(len, options), default=0) <= MAX_OPTION:
        return options, problems
    for i, text in enumerate(options):
        if not text:
            problems.append((OPTION_KEYS[i], f"选项{LETTERS[i]}为空，但后面的选项{LETTERS[last]}已填写（选项之间不能留空）"))
        elif len(text) > MAX_OPTION:
            problems.append((OPTION_KEYS[i], f"选项{LETTERS[i]}超过 {MAX_OPTION} 个字符"))
    return options, problems


_CLEANED_CHARS = "\u200b\u200c\u200d\u2060\ufeff\r"
_ESCAPED_FORMULA_STARTS = [f"\x00'{char}" for char in "=+-@\t"]


def needs_cleaning(records: list[dict[str, str]]) -> bool:
    """Whether any cell of these rows holds invisible characters or an escaped formula: one search for a table,
    so that ``parse_record(..., clean=True)`` can skip cleaning row by row.

    The same test as ``_NEEDS_CLEANING`` (cells are stripped, so an escaping quote starts a cell), made of
    substring searches: over a whole table they run in C ~15 times faster than the regex's alternation.
    """
    joined = "\x00" + "\x00".join(chain.from_iterable(map(dict.values, records)))
    return (any(char in joined for char in _CLEANED_CHARS)  # a quote starting a cell is rare: one scan for it first
            or "\x00'" in joined and any(start in joined for start in _ESCAPED_FORMULA_STARTS))


def parse_record(record: dict[str, str], *, default_type: qtypes.QuestionType | None = None,
                 infer_type: bool = False, type_codes: dict[str, str] | None = None, clean: bool = False,
                 ) -> tuple[dict | None, list[tuple[str, str]]]:
    """Validate one row of cells ({key: text}); returns (question values, []) or (None, [(key, message)]).

    ``default_type`` is used when the 题型 cell is empty (a sheet named 单选题);
    with ``infer_type`` (the file has no 题型 column) the type follows the answer
    where that needs no guess. ``type_codes`` maps numeric 题型 codes ("1") to
    type codes, as the organiser confirmed them; without it a numeric 题型 is an error.
    ``clean`` says the cells are stripped already and ``needs_cleaning`` found nothing in them.
    """
    if clean:
        cell = record
    elif _NEEDS_CLEANING.search("\x00".join(record.values())) is None:  # the usual row: one check for all cells
        cell = {key: value.strip() for key, value in record.items() if value}
    else:
        cell = {key: clean_cell(value) for key, value in record.items() if value}
    get = cell.get
    problems: list[tuple[str, str]] = []

    stem = get("stem", "")
    if not stem:
        problems.append(("stem", "题干为空"))
    elif len(stem) > MAX_STEM:
        problems.append(("stem", f"题干超过 {MAX_STEM} 个字符（现有 {len(stem)} 个）"))

    file_options, option_problems = _options(cell)
    problems += option_problems

    answer_text = get("answer", "")
    answer_text, answer_problem = _answer_with_text(answer_text, file_options)
    if answer_problem:
        problems.append(("answer", answer_problem))
    type_text = get("qtype", "")
    qtype = None
    if type_text and is_type_code(type_text):
        code = (type_codes or {}).get(qtypes.fold(type_text).removesuffix(".0"))
        if code in qtypes.REGISTRY:
            qtype = qtypes.get(code)
        else:
            problems.append(("qtype", f"题型“{type_text}”是数字代码，须在预览页确认每个代码对应的题型后才能导入"))
    elif type_text:
        qtype = _type_named(type_text)
        if qtype is None:
            names = "、".join(t.short_label for t in qtypes.REGISTRY.values())
            problems.append(("qtype", f"未知的题型“{type_text}”（可填：{names}）"))
    elif default_type is not None:
        qtype = default_type
    elif infer_type and not answer_problem:
        qtype, reason = _infer_type(answer_text, file_options)
        if qtype is None:
            problems.append(("answer", reason))
    elif not answer_problem:
        problems.append(("qtype", "题型为空"))

    options, key = file_options, ""
    if qtype is not None:
        options, fixed_problems = qtype.prepare_options(file_options)
        problems += [("options", message) for message in fixed_problems]
        if not answer_text:
            problems.append(("answer", "答案为空"))
        elif not answer_problem:
            parsed = _key(qtype, answer_text, tuple(file_options) if qtype.has_fixed_options else ())
            if parsed is None:
                problems.append(("answer", f"答案“{answer_text}”无法识别（{qtype.key_hint()}）"))
            elif not fixed_problems:
                key = parsed
                problems += [("answer" if "答案" in m else "options", m) for m in qtype.key_problems(options, key)]

    folded = fold_texts([stem, *options])
    if len(set(folded[1:])) < len(options):
        seen = {}
        for i, text in enumerate(folded[1:]):
            if text in seen and options[i]:
                problems.append((OPTION_KEYS[i], f"选项{LETTERS[i]}与选项{seen[text]}相同"))
            seen.setdefault(text, LETTERS[i])

    difficulty = _difficulty(get("difficulty", ""))
    if difficulty is None:
        problems.append(("difficulty", f"未知的难度“{cell['difficulty']}”（可填：易、中、难）"))

    category = _category(get("category", ""))
    if len(category) > MAX_CATEGORY:
        problems.append(("category", f"分类超过 {MAX_CATEGORY} 个字符"))

    law, article, version, version_problem = _citation(get("law", ""), get("article", ""), get("version", ""))
    if len(law) > MAX_LAW:
        problems.append(("law", f"法律依据超过 {MAX_LAW} 个字符"))
    if len(article) > MAX_ARTICLE:
        problems.append(("article", f"条款超过 {MAX_ARTICLE} 个字符"))
    if version_problem:
        problems.append(("version", version_problem))

    tags = _tags(get("tags", ""))
    if len(tags) > MAX_TAGS or any(len(tag) > MAX_TAG for tag in tags):
        problems.append(("tags", f"标签最多 {MAX_TAGS} 个，每个不超过 {MAX_TAG} 个字符"))

    score = None
    if get("score"):
        try:
            score = float(unicodedata.normalize("NFKC", cell["score"]).rstrip("分"))
        except ValueError:
            score = -1.0
        if not 0 < score <= 100:
            problems.append(("score", f"分值“{cell['score']}”应为 0 到 100 之间的数字"))

    explanation = get("explanation", "")
    if len(explanation) > MAX_EXPLANATION:
        problems.append(("explanation", f"解析超过 {MAX_EXPLANATION} 个字符"))

    case_id, case_text, variant_group = get("case_id", ""), get("case_text", ""), get("variant_group", "")
    if len(case_id) > MAX_CASE_ID:
        problems.append(("case_id", f"案例编号超过 {MAX_CASE_ID} 个字符"))
    if case_text and not case_id:
        problems.append(("case_text", "填写了案例材料，但没有填写案例编号"))
    if len(case_text) > MAX_CASE_TEXT:
        problems.append(("case_text", f"案例材料超过 {MAX_CASE_TEXT} 个字符"))
    if case_id and qtype is not None and not qtype.in_case_groups:
        problems.append(("qtype", f"案例分析的小题不能是{qtype.label}（可用单选、多选、不定项）"))
    if len(variant_group) > MAX_VARIANT_GROUP:
        problems.append(("variant_group", f"变式组超过 {MAX_VARIANT_GROUP} 个字符"))

    if problems:
        return None, problems
    return {
        "qtype": qtype.code, "stem": stem, "options": options, "answer": key, "explanation": explanation,
        "difficulty": difficulty, "category": category, "law_name": law, "law_article": article,
        "law_version": version, "tags": list(tags), "score_hint": score,
        "case_id": case_id, "case_text": case_text, "variant_group": variant_group,
        "fingerprint": fingerprint(qtype.code, stem, options, folded=folded, case_text=case_text),
    }, []


def group_cases(rows: list[tuple[str, int, dict]], broken: set[str] = frozenset()) -> list[tuple[str, int, str, str]]:
    """Check the 案例分析 groups of one file's accepted rows and give every sub-question its case text.

    ``rows`` are (sheet, row number, values) in file order; a group is 2–5
    consecutive rows with one 案例编号, the material on its first row (a later
    row may repeat it). Fingerprints are recomputed with the case text.
    A case named in ``broken`` (one of its rows was rejected) is refused whole.
    Returns problems as (sheet, row, column key, message); the values are changed in place.
    """
    problems = []
    groups: dict[str, list[tuple[str, int, dict]]] = {}
    previous = None
    for sheet, row, values in rows:
        case_id = values.get("case_id") or ""
        if case_id:
            if case_id in groups and previous != case_id:
                problems.append((sheet, row, "case_id", f"案例编号“{case_id}”的小题应当连续排列（前面已有该编号，中间隔了其他试题）"))
            groups.setdefault(case_id, []).append((sheet, row, values))
        previous = case_id
    for case_id, members in groups.items():
        if case_id in broken:
            problems += [(sheet, row, "case_id", f"案例“{case_id}”中有小题出错，整组未导入")
                         for sheet, row, _ in members]
            continue
        sheet, row, first = members[0]
        text = first.get("case_text") or ""
        if not text:
            problems.append((sheet, row, "case_text", f"案例“{case_id}”的第一行应填写案例材料"))
        for other_sheet, other_row, values in members[1:]:
            if values.get("case_text") and values["case_text"] != text:
                problems.append((other_sheet, other_row, "case_text",
                                 f"案例“{case_id}”的案例材料只填在第一行（这一行与第一行不同）"))
        low, high = CASE_SIZE
        if not low <= len(members) <= high:
            problems.append((sheet, row, "case_id", f"案例“{case_id}”有 {len(members)} 道小题，应为 {low} 到 {high} 道"))
        for _, _, values in members:
            values["case_text"] = text
            values["fingerprint"] = fingerprint(values["qtype"], values["stem"], values["options"], case_text=text)
    return problems


def _infer_type(answer_text, options):
    """(type, None) when the answer and options tell the type without a guess, else (None, reason)."""
    if not options:
        if qtypes.truth_value(answer_text) is not None:
            return qtypes.get("judge"), None
        if qtypes.parse_letters(answer_text) is not None:
            return None, f"没有选项列，无法确定题型（答案“{answer_text}”是选项字母，但这一行没有选项）"
        return None, f"没有选项列，无法确定题型（答案“{answer_text}”无法识别）"
    letters = qtypes.parse_letters(answer_text)
    if letters is None:
        return None, f"无法根据答案“{answer_text}”判断题型，请增加“题型”列"
    return qtypes.get("single" if len(letters) == 1 else "multiple"), None


_TYPE_CODE = re.compile(r"\d{1,2}(?:\.0)?")


@lru_cache(maxsize=1024)
def is_type_code(text: str) -> bool:
    """"1", "3" or "2.0": how some exporters write the type; only an organiser's mapping gives it meaning."""
    return _TYPE_CODE.fullmatch(qtypes.fold(text)) is not None


# "B、《史记》", "A. 正确": a key letter followed by the option's own text.
_LETTER_AND_TEXT = re.compile(r"([A-Ha-h])\s*[.、:)]\s*(\S.*)", re.S)


@lru_cache(maxsize=4096)
def _letter_and_text(answer_text):
    """("B", "《史记》") for "B、《史记》"; None for a key without option text (answers repeat: parsed once each)."""
    match = _LETTER_AND_TEXT.fullmatch(unicodedata.normalize("NFKC", answer_text).strip())
    if match is None or qtypes.parse_letters(match.group(2)) is not None:
        return None
    return match.group(1).upper(), match.group(2).strip()


def _answer_with_text(answer_text, options):
    """(answer, problem): a letter written with its option's text becomes the letter when the text matches."""
    found = _letter_and_text(answer_text) if answer_text else None
    if found is None:
        return answer_text, None
    letter, text = found
    index = LETTERS.index(letter)
    if options:
        if index < len(options) and fold_text(options[index]) == fold_text(text):
            return letter, None
        if index >= len(options):
            return answer_text, f"答案“{answer_text}”中的选项{letter}不存在"
        return answer_text, f"答案“{answer_text}”中的文字与选项{letter}“{options[index]}”不一致"
    truth = qtypes.truth_value(text)
    if truth is not None and letter == ("A" if truth else "B"):
        return text, None
    return answer_text, f"答案“{answer_text}”写了选项文字，但这一行没有选项可以核对"


def to_row(question, *, with_score=False, first_in_case=True) -> list:
    """A question (model or values dict) as a row of COLUMNS; import reads it back to the same question.

    The case text is written on the first row of a 案例分析 group only (``first_in_case``).
    """
    get = (lambda name: question[name]) if isinstance(question, dict) else (lambda name: getattr(question, name))
    qtype = qtypes.get(get("qtype"))
    options = list(get("options") or [])
    version = get("law_version")
    row = [qtype.short_label, get("stem")]
    row += [""] * len(LETTERS) if qtype.has_fixed_options else options + [""] * (len(LETTERS) - len(options))
    row += [qtype.key_text(get("answer")), get("explanation") or "", DIFFICULTY_TEXT.get(get("difficulty"), "中"),
            get("category") or "", get("law_name") or "", get("law_article") or "",
            version.isoformat() if version else "", ";".join(get("tags") or [])]
    case_id = _optional(get, "case_id")
    row += [case_id, _optional(get, "case_text") if case_id and first_in_case else "", _optional(get, "variant_group")]
    if with_score:
        score = get("score_hint")
        row.append("" if score is None else (int(score) if float(score).is_integer() else score))
    return row


def _optional(get, name):
    try:
        return get(name) or ""
    except (KeyError, AttributeError):
        return ""


def case_starts(questions) -> list[bool]:
    """For export: True where a row is not a later sub-question of the case on the row before."""
    flags, previous = [], None
    for question in questions:
        case = getattr(question, "case_id", "") or ""
        flags.append(not case or case != previous)
        previous = case
    return flags


def header_row(with_score=False):
    return COLUMNS + ([SCORE_COLUMN] if with_score else [])


def column_label(key: str) -> str:
    return LABELS.get(key, key)

