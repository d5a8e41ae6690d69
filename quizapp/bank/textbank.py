"""Question banks written as text: Word documents (.docx) and pasted text, in the layouts organisers receive.

The layouts of issue 17 (the "文本导入" format of 问卷星 and 考试星): section
headings that set the type (一、单项选择题), or a tag per question (【单选题】);
numbering 1. 1、 （1） 第1题; stems over several paragraphs; options one per
paragraph, several on a line or in a Word table; the key on its own line
(答案：A), inside the stem's brackets (（ A ）, （√）), after a 判断 statement
(正确/错误), or in an answer table at the end (1-5 ACBDA, 1.A 2.C); 解析,
难度, 分值, 考点 and 依据 lines. Every question then goes through the same
``rows.parse_record`` as a spreadsheet row, so the rules and messages are
the spreadsheet importer's; what only text has (numbering out of sequence,
options out of order, images, no key found) is checked here. Nothing is
guessed: a question whose type or key is not written is an error naming its
number, its paragraph (or line) and the reason.

A problem is a RowProblem with ``sheet`` the section, ``row`` the question
number and ``column`` where it is (第 12 段 / 第 12 行), the CLI's JSON shape.

One module (~670 lines) because it is one grammar: the layout rules (headings, numbering, options, keys,
answer tables) interact, and the writer must produce exactly what the reader accepts (round trip).
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from ..common.spreadsheets import SpreadsheetError, open_checked_zip
from . import qtypes
from .qtypes import LETTERS

MAX_QUESTIONS = 20000
MAX_LINES = 400000
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_NUMERALS = "一二三四五六七八九十"
# "一、单项选择题（每题2分，共20分）", "二．多选题", "第三部分 判断题"
_SECTION = re.compile(r"^(?:第?([一二三四五六七八九十]{1,3})(?:部分)?\s*[、.:．\s]\s*|[(（]([一二三四五六七八九十]{1,3})[)）]\s*)?"
                      r"(单项选择题?|单选题?|多项选择题?|多选题?|不定项选择题?|判断题|判断正误题?|是非题|判断)"
                      r"\s*(?:[(（][^()（）]*[)）])?\s*[:：]?\s*$")
_TYPE_TAG = re.compile(r"^\s*[【\[(（]\s*(单项选择题?|单选题?|多项选择题?|多选题?|不定项选择题?|不定项|判断题?|是非题?)\s*[】\])）]\s*")
_NUMBER = re.compile(r"^(?:第\s*(\d{1,5})\s*题[.、:：]?|[(（]\s*(\d{1,5})\s*[)）]|(\d{1,5})\s*(?:[.、:)]|(?=\s*[【\[(（])))\s*(.*)$",
                     re.S)
_OPTION = re.compile(r"^[(（]?([A-H])\s*[.、:)）]\s*")
_OPTION_ANYWHERE = re.compile(r"(?:^|(?<=\s))[(（]?([A-H])\s*[.、:)）]\s*")
_KEY_LINE = re.compile(r"^(?:【\s*(?:正确|参考|标准)?答案\s*】|(?:正确|参考|标准)?答案\s*[:：]|答\s*[:：])\s*(.*)$")
_EXPLANATION = re.compile(r"^(?:【\s*(?:答案|试题)?解析\s*】|(?:答案|试题)?解析\s*[:：])\s*(.*)$", re.S)
_META_NAMES = "难度|分值|考点|依据|出处|分类|标签|知识点|法规版本"
_META = re.compile(rf"^(?:【\s*({_META_NAMES})\s*】|({_META_NAMES})\s*[:：])\s*(.*)$")
_META_KEYS = {"难度": "difficulty", "分值": "score", "考点": "category", "分类": "category", "知识点": "category",
              "依据": "law", "出处": "law", "标签": "tags", "法规版本": "version"}
_ANSWER_TABLE = re.compile(r"^(?:参考答案|答案|标准答案|答案汇总)(?:及解析)?\s*[:：]?\s*(.*)$")
_RANGE = re.compile(r"(\d{1,5})\s*[-—~～至]\s*(\d{1,5})\s*[:：.、]?\s*((?:[A-H√×对错]+[\s,，、]*)+)")
_PAIR = re.compile(r"(\d{1,5})\s*[.、:：)]?\s*([A-H]{1,8}|√|×|对|错|正确|错误)(?![A-Za-z])")
# A key in the stem's blank: （ A ）, (AB), （√）, （对）.
_STEM_KEY = re.compile(r"[(（]\s*([A-H]{1,8}|√|×|对|错|正确|错误)\s*[)）]")
_JUDGE_TAIL = re.compile(r"[\s。.]*[(（]?\s*(正确|错误|对|错|√|×)\s*[)）]?\s*$")
_BLANK = "（ ）"


_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0x09: 0x20}


def fold(text: str) -> str:
    """Full-width to half-width (Ａ． → A.), one character for one, so that positions found in the folded
    text cut the text as written, which is what is stored."""
    return text.translate(_WIDTH)


def type_of(name: str) -> str | None:
    """The type code a heading or tag names (through the registry); a type it does not have is None."""
    known = qtypes.from_name(name)
    if known is not None:
        return known.code
    name = fold(name)
    if name.startswith("不定项"):
        return None  # never read as 多选: its scoring differs
    if "多" in name:
        return "multiple"
    if "单" in name:
        return "single"
    if "判断" in name or "是非" in name:
        return "judge"
    return None


@dataclass
class Line:
    text: str
    where: int  # paragraph or line number, 1-based
    image: bool = False


@dataclass
class TextQuestion:
    section: str
    section_type: str | None
    number: int
    where: int
    tag_type: str | None = None
    stem: list[str] = field(default_factory=list)
    options: list[tuple[str, str, int]] = field(default_factory=list)  # (letter, text, where)
    key: str = ""
    key_where: int = 0
    explanation: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    images: list[int] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (where, message) found while reading
    section_ordinal: int | None = None

    @property
    def qtype(self):
        return self.tag_type or self.section_type


@dataclass
class TextBank:
    """What a text bank holds: its questions in order, the answer table, and notes about the whole file."""

    questions: list[TextQuestion] = field(default_factory=list)
    answer_table: dict[tuple[int | None, int], tuple[str, int]] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unit: str = "段"


# ---------------------------------------------------------------- reading files into lines

def is_docx(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def check_docx(data: bytes):
    """Refuse zip bombs, too many entries and macro documents (.docm) before any XML parser runs."""
    with open_checked_zip(data, ".docx") as archive:
        names = {entry.filename.lower() for entry in archive.infolist()}
        types = archive.read("[Content_Types].xml") if "[content_types].xml" in names else b""
        if any(name.endswith("vbaproject.bin") for name in names) or b"macroEnabled" in types:
            raise SpreadsheetError("文件含有宏（.docm），已拒绝。请在 Word 中另存为 .docx（不含宏）后再上传。")
        document = archive.getinfo("word/document.xml")
        if document.file_size > 64 * 1024 * 1024:
            raise SpreadsheetError("文档正文过大，请拆分后分批导入。")


def docx_lines(data: bytes) -> list[Line]:
    """Body paragraphs and table cells in document order; a paragraph with a picture is marked.

    python-docx parses with entity resolution off and never follows external
    relationships (linked pictures, templates), so reading fetches nothing.
    """
    from docx import Document
    from docx.oxml.ns import qn

    check_docx(data)
    try:
        document = Document(io.BytesIO(data))
    except Exception:  # python-docx raises many kinds on damaged files
        raise SpreadsheetError("文件已损坏或不是 Word 文档（.docx），无法读取。") from None
    lines: list[Line] = []
    paragraph_tag, table_tag = qn("w:p"), qn("w:tbl")
    picture_tags = (qn("w:drawing"), qn("w:pict"), qn("w:object"))
    number_of = _auto_numbering(document, qn)

    def add(element):
        text = number_of(element) + _paragraph_text(element, qn)
        image = any(True for tag in picture_tags for _ in element.iter(tag))
        lines.append(Line(text, len(lines) + 1, image))
        if len(lines) > MAX_LINES:
            raise SpreadsheetError("文档段落过多，请拆分后分批导入。")

    for child in document.element.body.iterchildren():
        if child.tag == paragraph_tag:
            add(child)
        elif child.tag == table_tag:
            for row in child.iter(qn("w:tr")):
                cells = list(row.iter(qn("w:tc")))
                texts = [_paragraph_text(cell, qn).strip() for cell in cells]
                if len(cells) == 2 and re.fullmatch(r"[(（]?[A-HＡ-Ｈ][)）.．、]?", texts[0]) and texts[1]:
                    # a letter column and a text column: one option per row
                    lines.append(Line(f"{fold(texts[0]).strip('().、')}．{texts[1]}", len(lines) + 1))
                    continue
                for cell in cells:
                    for paragraph in cell.iter(paragraph_tag):
                        add(paragraph)
    return lines


_FORMATS = {
    "decimal": str, "decimalFullWidth": str, "decimalEnclosedParen": str,
    "upperLetter": lambda n: LETTERS[n - 1] if n <= len(LETTERS) else "?",
    "lowerLetter": lambda n: LETTERS[n - 1].lower() if n <= len(LETTERS) else "?",
    "chineseCounting": lambda n: _NUMERALS[n - 1] if n <= 10 else "?",
    "chineseCountingThousand": lambda n: _NUMERALS[n - 1] if n <= 10 else "?",
    "ideographTraditional": lambda n: _NUMERALS[n - 1] if n <= 10 else "?",
}


def _auto_numbering(document, qn):
    """A function giving a paragraph's automatic number as Word shows it ("3." "（3）" "C." "第3题"), or "".

    Word keeps list numbers out of the text (numbering.xml, set on the paragraph
    or its style); without them a bank typed as a numbered list has no numbers.
    Counters follow each list (numId) and level, deeper levels restarting.
    """
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return lambda element: ""
    val = qn("w:val")
    levels = {}
    for abstract in numbering.iter(qn("w:abstractNum")):
        found = {}
        for level in abstract.iter(qn("w:lvl")):
            fmt, start, text = level.find(qn("w:numFmt")), level.find(qn("w:start")), level.find(qn("w:lvlText"))
            found[int(level.get(qn("w:ilvl"), "0"))] = (
                fmt.get(val) if fmt is not None else "decimal", int(start.get(val)) if start is not None else 1,
                text.get(val) if text is not None else "")
        levels[abstract.get(qn("w:abstractNumId"))] = found
    lists = {}
    for num in numbering.iter(qn("w:num")):
        ref = num.find(qn("w:abstractNumId"))
        if ref is not None:
            lists[num.get(qn("w:numId"))] = levels.get(ref.get(val), {})
    styles = {}
    for style in document.styles.element.iter(qn("w:style")):
        numbered = style.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
        if numbered is not None:
            styles[style.get(qn("w:styleId"))] = numbered
    counters: dict[tuple[str, int], int] = {}

    def number_of(element):
        properties = element.find(qn("w:pPr"))
        if properties is None:
            return ""
        numbered = properties.find(qn("w:numPr"))
        if numbered is None:
            style = properties.find(qn("w:pStyle"))
            numbered = styles.get(style.get(val)) if style is not None else None
        if numbered is None:
            return ""
        num_id, level = numbered.find(qn("w:numId")), numbered.find(qn("w:ilvl"))
        num_id = num_id.get(val) if num_id is not None else None
        level = int(level.get(val)) if level is not None else 0
        fmt, start, pattern = lists.get(num_id, {}).get(level, (None, 1, ""))
        if num_id in (None, "0") or fmt not in _FORMATS or not pattern:
            return ""  # bullets and formats no layout uses
        value = counters.get((num_id, level), start - 1) + 1
        counters[(num_id, level)] = value
        for deeper in [key for key in counters if key[0] == num_id and key[1] > level]:
            del counters[deeper]
        shown = re.sub(r"%(\d)", lambda match: _FORMATS[fmt](value) if int(match.group(1)) == level + 1 else "",
                       pattern)
        return shown + ("" if shown.endswith((" ", "\t")) else " ")

    return number_of


def _paragraph_text(element, qn) -> str:
    parts = []
    t, tab, br = qn("w:t"), qn("w:tab"), qn("w:br")
    for node in element.iter(t, tab, br):
        if node.tag == t:
            parts.append(node.text or "")
        elif node.tag == tab:
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


def text_lines(text: str) -> list[Line]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) > MAX_LINES:
        raise SpreadsheetError("文本行数过多，请拆分后分批导入。")
    return [Line(line, i + 1) for i, line in enumerate(lines)]


# ---------------------------------------------------------------- lines into questions

def parse_lines(lines: list[Line], unit: str = "段") -> TextBank:
    """Group lines into questions; keys from an answer table are matched afterwards."""
    bank = TextBank(unit=unit)
    section, section_type, section_ordinal = "", None, None
    ordinals: dict[str, int] = {}
    current: TextQuestion | None = None
    mode = "stem"  # where a plain continuation line goes: stem, option, explanation
    in_answers, answer_ordinal = False, None
    ignored: list[int] = []
    table_before, table_section, per_part = set(), None, False

    flat = [(raw.strip(), line) for line in lines for raw in line.text.split("\n") if raw.strip()]
    for position, (raw, line) in enumerate(flat):
        text = fold(raw)
        heading = _SECTION.match(text)
        if heading and len(text) <= 40:
            numeral = heading.group(1) or heading.group(2)
            if in_answers and _starts_question(flat, position + 1):
                # The answers of one part, then the next part's questions: keys given without a part's
                # heading belong to the part they follow (a table at the very end stays document-wide).
                in_answers, per_part = False, True
                _rekey(bank, table_before, table_section)
            if in_answers:
                answer_ordinal = _NUMERALS.find(numeral[-1]) if numeral else None
                continue
            section = raw.strip()
            section_type = type_of(heading.group(3))
            section_ordinal = _NUMERALS.find(numeral[-1]) if numeral else len(bank.sections)
            ordinals[section] = section_ordinal
            bank.sections.append(section)
            current, mode = None, "stem"
            if section_type is None:
                bank.notes.append(f"“{section}”这一类题型本系统暂不支持，其中的试题将列为错误。")
            continue
        table = _ANSWER_TABLE.match(text)
        if table and not in_answers:
            rest = table.group(1).strip()
            # "参考答案：" alone, or followed by several keys, starts the answer table; "答案：A" is one key.
            if not rest or _RANGE.search(rest) or len(_PAIR.findall(rest)) >= 2 or _PAIR.fullmatch(rest):
                in_answers, current, answer_ordinal = True, None, None
                table_before, table_section = set(bank.answer_table), section_ordinal
                if not rest:
                    continue
                text = rest
        if in_answers:
            _read_answer_line(text, answer_ordinal, line.where, bank)
            continue
        leading_tag = _TYPE_TAG.match(text)
        if leading_tag and _NUMBER.match(text[leading_tag.end():]):  # "【单选题】1. …": the tag, then the number
            raw, text = raw[leading_tag.end():], text[leading_tag.end():]
        else:
            leading_tag = None
        numbered = _NUMBER.match(text)
        if numbered and not _OPTION.match(text):
            number = int(next(g for g in numbered.groups()[:3] if g))
            start = numbered.start(4)
            rest = text[start:].lstrip()
            start += len(text[start:]) - len(rest)
            current = TextQuestion(section, section_type, number, line.where,
                                   section_ordinal=ordinals.get(section))
            tag = _TYPE_TAG.match(rest)
            if tag:
                current.tag_type = type_of(tag.group(1))
                start += tag.end()
            elif leading_tag:
                current.tag_type = type_of(leading_tag.group(1))
            bank.questions.append(current)
            mode = "stem"
            if line.image:
                current.images.append(line.where)
            if raw[start:].strip():
                _stem_or_options(current, raw[start:].strip(), line.where)
                mode = "option" if current.options else "stem"
            continue
        tag = _TYPE_TAG.match(text)
        if tag and current is not None and not current.options and not current.stem:
            current.tag_type = type_of(tag.group(1))
            raw, text = raw[tag.end():].strip(), text[tag.end():].strip()
            if not text:
                continue
        if current is None:
            ignored.append(line.where)
            continue
        if line.image:
            current.images.append(line.where)
        key = _KEY_LINE.match(text)
        if key:
            value = raw[key.start(1):].strip()
            explanation = _EXPLANATION.search(fold(value))
            if current.key and value and current.key != value:
                current.problems.append((line.where, f"答案写了两次（“{current.key}”和“{value}”）"))
            current.key, current.key_where = value.split()[0] if value else "", line.where
            mode = "after"
            if explanation:
                current.explanation.append(value[explanation.start(1):].strip())
                current.key = fold(value[:explanation.start()]).split()[0] if value[:explanation.start()].strip() else ""
                mode = "explanation"
            continue
        explanation = _EXPLANATION.match(text)
        if explanation:
            current.explanation.append(raw[explanation.start(1):].strip())
            mode = "explanation"
            continue
        meta = _META.match(text)
        if meta:
            name = meta.group(1) or meta.group(2)
            current.meta[_META_KEYS[name]] = raw[meta.start(3):].strip()
            mode = "after"
            continue
        if _OPTION.match(text):
            _stem_or_options(current, raw.strip(), line.where)
            mode = "option"
            continue
        if mode == "stem":
            current.stem.append(raw.strip())
        elif mode == "option" and current.options:
            letter, value, where = current.options[-1]
            current.options[-1] = (letter, f"{value}\n{raw.strip()}", where)
        elif mode == "explanation":
            current.explanation.append(raw.strip())
        else:
            current.problems.append((line.where, f"无法识别这一{unit}属于试题的哪一部分：“{raw[:30]}”"))
    if in_answers and per_part:  # the last part's answers, after the same pattern as the parts before
        _rekey(bank, table_before, table_section)
    if ignored:
        shown = "、".join(str(where) for where in ignored[:10]) + ("……" if len(ignored) > 10 else "")
        bank.notes.append(f"第 {shown} {unit}（共 {len(ignored)} {unit}）不在任何试题中（标题、说明等），已忽略。")
    return bank


def _rekey(bank, before, ordinal):
    """Keys read since the table began without a part's heading belong to part ``ordinal``."""
    for key in [key for key in bank.answer_table if key[0] is None and key not in before]:
        bank.answer_table[(ordinal, key[1])] = bank.answer_table.pop(key)


def _starts_question(flat, position) -> bool:
    """Is the line at ``position`` a numbered question (not a line of an answer table like "1.A 2.C")?"""
    if position >= len(flat):
        return False
    text = fold(flat[position][0])
    return bool(_NUMBER.match(text)) and not _RANGE.search(text) and not _PAIR.match(text)


def _stem_or_options(question: TextQuestion, text: str, where: int):
    """A line that may hold the stem's start and/or options on one line ("A.宪法 B.法律 C.行政法规")."""
    folded = fold(text)
    labels, expected = [], len(question.options)
    for match in _OPTION_ANYWHERE.finditer(folded):
        if match.start() > 0 and folded[:match.start()].rstrip().endswith("("):
            continue  # "（ A ）": a key in the stem's blank, not an option
        if expected < len(LETTERS) and match.group(1) == LETTERS[expected]:
            labels.append(match)
            expected += 1
        elif match.group(1) in LETTERS and labels:
            labels.append(match)  # out of order: kept so that the check below names it
            expected = LETTERS.index(match.group(1)) + 1
    first = _OPTION.match(folded)
    if first and (not labels or labels[0].start() != 0):
        labels.insert(0, first)
    if not labels:
        question.stem.append(text)
        return
    if labels[0].start() > 0:
        question.stem.append(text[:labels[0].start()].strip())
    ends = [m.start() for m in labels[1:]] + [len(text)]
    for match, end in zip(labels, ends):
        question.options.append((match.group(1), text[match.end():end].strip(), where))


def _read_answer_line(text: str, ordinal, where, bank: TextBank):
    """"1-5 ACBDA 6-10 BCDAA", "1.A 2.C 3.√", "一、1.A 2.C": keys by (section ordinal, number)."""
    heading = re.match(r"^([一二三四五六七八九十]{1,3})\s*[、.．]\s*", text)
    if heading:
        ordinal = _NUMERALS.find(heading.group(1)[-1])
        text = text[heading.end():]
        rest = _SECTION.match(text.split()[0]) if text.split() else None
        if rest:
            text = text[len(text.split()[0]):]
    for match in _RANGE.finditer(text):
        start, end = int(match.group(1)), int(match.group(2))
        tokens = [t for t in re.split(r"[\s,，、]+", match.group(3).strip()) if t]
        count = end - start + 1
        keys = list(tokens[0]) if len(tokens) == 1 and len(tokens[0]) == count else tokens
        if len(keys) != count:
            bank.notes.append(f"第 {where} {bank.unit}的答案“{match.group(0).strip()}”个数与题号范围不符，已忽略。")
            continue
        for offset, key in enumerate(keys):
            bank.answer_table[(ordinal, start + offset)] = (key, where)
    text = _RANGE.sub(" ", text)
    for match in _PAIR.finditer(text):
        bank.answer_table[(ordinal, int(match.group(1)))] = (match.group(2), where)


# ---------------------------------------------------------------- questions into records

def to_record(question: TextQuestion) -> tuple[dict[str, str], list[tuple[int, str]], int]:
    """The question as a spreadsheet record for rows.parse_record, the problems only text can have
    ((paragraph, message)), and the paragraph its key came from."""
    problems = list(question.problems)
    stem = "\n".join(part for part in question.stem if part).strip()
    key, key_where = question.key, question.key_where
    qtype = question.qtype
    if question.images:
        problems.append((question.images[0], "试题中有图片，本系统暂不支持图片：请改为文字，或删除这道题"))
    in_stem = list(_STEM_KEY.finditer(stem))
    if in_stem and not key:
        match = in_stem[-1]
        key, key_where = match.group(1), question.where
        blank = "" if qtype == "judge" or match.group(1) in "√×对错正确错误" else _BLANK
        stem = (stem[:match.start()] + blank + stem[match.end():]).strip()
    elif not key and qtype == "judge":
        tail = _JUDGE_TAIL.search(stem)
        if tail and tail.start() > 0:
            key, key_where = tail.group(1), question.where
            stem = stem[:tail.start()].rstrip() + ("。" if stem[tail.start():].lstrip().startswith("。") else "")
    letters = [letter for letter, _, _ in question.options]
    if letters and letters != list(LETTERS[:len(letters)]):
        expected = next(LETTERS[i] for i, letter in enumerate(letters) if letter != LETTERS[i])
        problems.append((question.options[0][2], f"选项顺序有误或有缺漏：{''.join(letters)}（应从 A 起依次为 {expected}…）"))
    record = {"stem": stem, "answer": key, "explanation": "\n".join(question.explanation).strip()}
    if qtype:
        record["qtype"] = qtypes.get(qtype).short_label
    for i, (_, text, _) in enumerate(question.options[:len(LETTERS)]):
        record[f"opt_{LETTERS[i]}"] = text
    meta = question.meta
    if meta.get("difficulty"):
        record["difficulty"] = meta["difficulty"]
    if meta.get("score"):
        record["score"] = meta["score"]
    if meta.get("category"):
        record["category"] = meta["category"]
    if meta.get("tags"):
        record["tags"] = meta["tags"]
    if meta.get("law"):
        record["law"] = meta["law"]
    if meta.get("version"):
        record["version"] = meta["version"]
    return record, problems, key_where


NO_KEY = "没有找到答案（可写“答案：A”、题干括号内“（ A ）”或文末答案表）"


def attach_answer_table(bank: TextBank):
    """Give questions without a key their key from the answer table; a disagreement is an error."""
    if not bank.answer_table:
        return
    numbers = [q.number for q in bank.questions]
    unique = len(numbers) == len(set(numbers))
    for question in bank.questions:
        hit = bank.answer_table.get((question.section_ordinal, question.number))
        if hit is None and unique:
            hit = bank.answer_table.get((None, question.number))
        if hit is None:
            continue
        key, where = hit
        if question.key and fold(question.key) != fold(key):
            question.problems.append((where, f"文末答案表的答案“{key}”与题中的答案“{question.key}”不一致"))
        elif not question.key:
            question.key, question.key_where = key, where


def sequence_problems(bank: TextBank) -> dict[int, str]:
    """{index of question: message} for numbers out of sequence (a sign of a lost or doubled question)."""
    problems, previous, previous_section = {}, None, None
    for index, question in enumerate(bank.questions):
        if question.section != previous_section:
            if previous is not None and question.number not in (1, previous + 1):
                problems[index] = f"题号 {question.number} 不连续（本部分应从 1 或 {previous + 1} 开始）"
            elif previous is None and question.number != 1:
                problems[index] = f"题号 {question.number} 不连续（应从 1 开始）"
            previous_section = question.section
        elif question.number != previous + 1:
            problems[index] = f"题号 {question.number} 不连续（上一题是第 {previous} 题），可能漏了或重复了试题"
        previous = question.number
    return problems


def read_text_bank(data: bytes | str, *, docx: bool) -> TextBank:
    if docx:
        return parse_lines(docx_lines(data), unit="段")
    from ..common.spreadsheets import decode_text

    text = data if isinstance(data, str) else decode_text(data)
    return parse_lines(text_lines(text), unit="行")


# ---------------------------------------------------------------- writing the same layout

SECTION_TITLES = {"single": "单项选择题", "multiple": "多项选择题", "indefinite": "不定项选择题", "judge": "判断题"}


def layout_paragraphs(questions) -> list[str]:
    """Questions (models or values dicts) as the paragraphs of the layout above, by type in sections.

    Everything the importer reads is written (stem, options, key, 解析, 难度,
    分值, 分类, 依据, 法规版本, 标签), so reading the document back gives the
    same questions.
    """
    from .rows import DIFFICULTY_TEXT

    def get(question, name):
        return question[name] if isinstance(question, dict) else getattr(question, name)

    by_type: dict[str, list] = {code: [] for code in SECTION_TITLES}
    for question in questions:
        by_type.setdefault(get(question, "qtype"), []).append(question)
    paragraphs = []
    ordinal = 0
    for code, items in by_type.items():
        if not items:
            continue
        paragraphs.append(f"{_NUMERALS[ordinal]}、{SECTION_TITLES.get(code, code)}")
        ordinal += 1
        qtype = qtypes.get(code)
        for number, question in enumerate(items, 1):
            stem = get(question, "stem").split("\n")
            paragraphs.append(f"{number}．{stem[0]}")
            paragraphs += stem[1:]
            if not qtype.has_fixed_options:
                paragraphs += [f"{LETTERS[i]}．{text}" for i, text in enumerate(get(question, "options"))]
            paragraphs.append(f"答案：{qtype.key_text(get(question, 'answer'))}")
            explanation = (get(question, "explanation") or "").split("\n")
            if explanation[0]:
                paragraphs.append(f"解析：{explanation[0]}")
                paragraphs += explanation[1:]
            paragraphs.append(f"难度：{DIFFICULTY_TEXT.get(get(question, 'difficulty'), '中')}")
            score = get(question, "score_hint")
            if score is not None:
                paragraphs.append(f"分值：{int(score) if float(score).is_integer() else score}")
            if get(question, "category"):
                paragraphs.append(f"分类：{get(question, 'category')}")
            if get(question, "law_name") or get(question, "law_article"):
                paragraphs.append(f"依据：{get(question, 'law_name') or ''}{get(question, 'law_article') or ''}")
            if get(question, "law_version"):
                paragraphs.append(f"法规版本：{get(question, 'law_version').isoformat()}")
            if get(question, "tags"):
                paragraphs.append(f"标签：{';'.join(get(question, 'tags'))}")
    return paragraphs


def write_docx(paragraphs: list[str], *, title: str = "", notes: list[str] = ()) -> bytes:
    """A plain .docx: a title, optional notes (填写说明), then one paragraph per line of the layout."""
    from docx import Document

    document = Document()
    if title:
        document.add_heading(title, level=1)
    for note in notes:
        document.add_paragraph(note)
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


TEMPLATE_NOTES = [
    "填写说明（导入时本说明会被忽略，可以保留）",
    "· 用“一、单项选择题”“二、多项选择题”“三、判断题”这样的标题分部分，标题下的试题就是这种题型；"
    "也可以在每道题题号后写【单选题】【多选题】【判断题】。",
    "· 每道题以题号开头：1． 1、 （1） 第1题 都可以；题号要连续，系统据此发现漏掉的题。",
    "· 选项每行一个（A． A、 A: 都可以），也可以写在同一行：A.宪法 B.法律 C.行政法规 D.地方性法规。",
    "· 答案写在“答案：B”一行（多选写 ABD，判断写 正确 或 错误，也可写 对/错、√/×），"
    "或写在题干括号里“（ B ）”，或集中写在文末（如“1-5 ACBDA”）。",
    "· 可选：解析：……  难度：易/中/难  分值：2  分类：宪法/总纲  依据：《中华人民共和国宪法》第二条  "
    "法规版本：2018-03-11  标签：应知应会。",
    "· 试题中不能有图片。系统先预检并列出每道有问题的题（题号、第几段、原因），确认后才导入。",
]
