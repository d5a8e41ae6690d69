"""Question files in: read-and-validate writes nothing; apply writes every accepted row in one transaction or none.

``read_questions`` needs no database (the citation audit uses it on the
shipped CSVs); ``check_against_bank`` adds what only the database knows
(duplicates already in the bank, earlier imports of the same file) with two
queries; ``apply_import`` bulk-inserts in the caller's transaction.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cache
from operator import itemgetter
from pathlib import Path

import sqlalchemy as sa

from ..audit import services as audit_log
from ..common.clock import utcnow
from ..common.errors import ServiceError
from ..common.spreadsheets import (RowProblem, SpreadsheetError, find_tables, header_refusal, paused_gc,
                                   read_workbook)
from ..common.uploads import sha256_hex
from ..extensions import db
from . import qtypes, textbank
from .models import Bank, ImportRecord, Question
from .rows import (LABELS, OPTION_KEYS, REQUIRED, SYNONYMS, clean_cell, column_label, group_cases, is_type_code,
                   needs_cleaning, parse_record)

# Sheets of our own template (and of most county templates) that explain rather than hold questions.
INSTRUCTION_SHEETS = {"填写说明", "说明", "示例", "使用说明", "导入说明"}
MAX_ROWS = 20000
INSERT_CHUNK = 1000
SAMPLE_PER_TYPE = 3
SHOW_STRIPPED = 20


@dataclass
class Accepted:
    sheet: str
    row: int
    values: dict


@dataclass
class Duplicate:
    """A valid row not imported: the same question is earlier in the file or already in the bank."""

    sheet: str
    row: int
    stem: str
    same_as: tuple[str, int] | None = None
    existing_id: int | None = None
    existing_status: str = ""

    @property
    def message(self):
        if self.same_as:
            sheet, row = self.same_as
            where = "" if sheet == self.sheet else f"工作表“{sheet}”"
            return f"与本文件{where}第 {row} 行重复"
        retired = "（该题已停用）" if self.existing_status == "retired" else ""
        return f"题库中已有相同的试题（编号 {self.existing_id}）{retired}"

    def as_dict(self):
        return {"sheet": self.sheet, "row": self.row, "stem": self.stem, "message": self.message,
                "existing_id": self.existing_id}


@dataclass
class ImportPreview:
    """Everything an import would do; built without writing anything."""

    filename: str
    sha256: str
    total: int = 0
    accepted: list[Accepted] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    previous: list[ImportRecord] = field(default_factory=list)
    # Numeric 题型 codes found ("1", "3"), and the mapping to type codes the organiser confirmed (if any).
    type_codes_found: list[str] = field(default_factory=list)
    type_codes: dict[str, str] = field(default_factory=dict)
    # (sheet, row, letter, text as written, text kept) for option labels removed from option cells.
    stripped_labels: list[tuple[str, int, str, str, str]] = field(default_factory=list)
    # Text banks: {section: {type code or "unknown": questions found}}, so a misread section shows at once.
    section_counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def rejected_rows(self) -> int:
        return len({(p.sheet, p.row) for p in self.problems})

    @property
    def by_type(self) -> dict[str, int]:
        counts = Counter(item.values["qtype"] for item in self.accepted)
        return {code: counts[code] for code in qtypes.REGISTRY if counts[code]}

    def sample(self, per_type=SAMPLE_PER_TYPE) -> list[Accepted]:
        """A few accepted questions of each type, in file order, to show as a cadre will see them."""
        taken, picked = Counter(), []
        for item in self.accepted:
            if taken[item.values["qtype"]] < per_type:
                taken[item.values["qtype"]] += 1
                picked.append(item)
        return picked

    def report(self, *, valid_only=False) -> dict:
        """What an ImportRecord keeps and the preview page shows again."""
        return {"total": self.total, "accepted": len(self.accepted), "duplicates": [d.as_dict() for d in self.duplicates],
                "rejected_rows": self.rejected_rows, "problems": [p.as_dict() for p in self.problems],
                "notes": self.notes, "sheets": self.sheets, "by_type": self.by_type, "valid_only": valid_only,
                "type_codes_found": self.type_codes_found, "type_codes": self.type_codes,
                "stripped_labels": [list(item) for item in self.stripped_labels[:SHOW_STRIPPED]],
                "stripped_count": len(self.stripped_labels), "section_counts": self.section_counts}


def read_questions(data: bytes, filename: str = "", *, max_bytes: int | None = None,
                   type_codes: dict[str, str] | None = None) -> ImportPreview:
    """Read and validate a question file without touching the database.

    ``type_codes`` is the organiser's confirmed meaning of numeric 题型 codes
    ({"1": "single"}); without it rows with such codes are errors.
    Raises SpreadsheetError when the file as a whole cannot be used (not a
    spreadsheet, damaged, too big, no header, no data rows).
    """
    with paused_gc():
        return _read_questions(data, filename, max_bytes=max_bytes, type_codes=type_codes)


def _read_questions(data, filename, *, max_bytes, type_codes):
    kind = text_kind(data, filename)
    if kind:
        return read_text_questions(data, filename, docx=kind == "docx", max_bytes=max_bytes)
    sheets = read_workbook(data, max_bytes=max_bytes, max_rows=MAX_ROWS)
    preview = ImportPreview(filename=filename, sha256=sha256_hex(data), type_codes=dict(type_codes or {}))
    usable = [sheet for sheet in sheets if sheet.name.strip() not in INSTRUCTION_SHEETS]
    tables, limit_problems = find_tables(usable, SYNONYMS, REQUIRED, max_rows=MAX_ROWS)
    if not tables:
        raise SpreadsheetError(header_refusal(usable, SYNONYMS, REQUIRED, LABELS))
    preview.sheets = [table.sheet for table in tables]
    found = set(preview.sheets)
    for sheet in usable:
        if sheet.name not in found and any(cell.strip() for row in sheet.rows[:50] for cell in row):
            preview.notes.append(f"工作表“{sheet.name}”中没有找到表头，已跳过。")
    limit_rows = {}
    for problem in limit_problems:
        labelled = replace(problem, column=column_label(problem.column))
        limit_rows.setdefault((problem.sheet, problem.row), []).append(labelled)

    valid: list[tuple[str, int, dict, dict]] = []
    broken: set[str] = set()  # cases with a rejected sub-question: the whole case waits for the fix
    codes_found: set[str] = set()
    for table in tables:
        if table.unknown_headers:
            preview.notes.append(f"工作表“{table.sheet}”中无法识别的列已忽略：{'、'.join(table.unknown_headers)}。")
        default_type, infer = None, False
        if "qtype" not in table.columns:
            default_type = qtypes.from_name(table.sheet)
            infer = default_type is None
            preview.notes.append(
                f"工作表“{table.sheet}”没有“题型”列，" + (f"按工作表名称视为{default_type.label}。" if default_type
                                                     else "已按答案推断题型（一个字母为单选，多个字母为多选，对/错为判断）。"))
        # find_tables strips every cell (and cuts none short when it found no limit problem): one search over
        # the table then spares each row its own check for characters to clean.
        clean = not limit_problems and not needs_cleaning([record for _, record in table.records])
        for row, record in table.records:
            preview.total += 1
            type_text = record.get("qtype", "")
            if type_text and is_type_code(type_text):
                codes_found.add(qtypes.fold(type_text).removesuffix(".0"))
            values, problems = parse_record(record, default_type=default_type, infer_type=infer,
                                            type_codes=preview.type_codes, clean=clean)
            problems_here = limit_rows.get((table.sheet, row), [])
            problems_here += [RowProblem(table.sheet, row, column_label(key), message) for key, message in problems]
            if problems_here:
                preview.problems += problems_here
                if (record.get("case_id") or "").strip():
                    broken.add(record["case_id"].strip())
                continue
            valid.append((table.sheet, row, values, record))
    # 案例分析 groups span rows: checked, and given their case text, before duplicates are looked for.
    group_problems = group_cases([item[:3] for item in valid], broken)
    if group_problems:
        preview.problems += [RowProblem(sheet, row, column_label(key), message)
                             for sheet, row, key, message in group_problems]
        refused = {(sheet, row) for sheet, row, _, _ in group_problems}
        bad_cases = {values["case_id"] for sheet, row, values, _ in valid if (sheet, row) in refused}
        valid = [item for item in valid if (item[0], item[1]) not in refused and item[2]["case_id"] not in bad_cases]
    seen: dict[str, tuple[str, int]] = {}
    for sheet, row, values, record in valid:
        earlier = seen.get(values["fingerprint"])
        if earlier:
            preview.duplicates.append(Duplicate(sheet, row, values["stem"], same_as=earlier))
            continue
        seen[values["fingerprint"]] = (sheet, row)
        preview.accepted.append(Accepted(sheet, row, values))
        if values["qtype"] != "judge":  # 判断's options are the fixed pair, whatever the file wrote
            _note_stripped_labels(preview, sheet, row, record, values["options"])
    preview.type_codes_found = sorted(codes_found, key=lambda code: (len(code), code))
    if preview.stripped_labels:
        preview.notes.append(f"有 {len(preview.stripped_labels)} 个选项去掉了开头的选项字母（如“A.”），请在下方核对。")
    if preview.total == 0:
        raise SpreadsheetError("文件只有表头，没有试题。")
    return preview


def text_kind(data: bytes, filename: str) -> str | None:
    """'docx' or 'text' when the file is a Word document or a .txt bank, None for spreadsheets."""
    name = (filename or "").lower()
    if textbank.is_docx(data):
        return "docx"
    if name.endswith((".docx", ".docm")):
        raise SpreadsheetError("文件不是有效的 Word 文档（.docx）。")
    if name.endswith(".doc") or (data.startswith(b"\xd0\xcf\x11\xe0") and name.endswith((".wps", ".doc"))):
        raise SpreadsheetError("不支持旧版 Word 文档（.doc），请在 Word 或 WPS 中另存为 .docx 后再上传。")
    if name.endswith(".txt"):
        return "text"
    return None


def read_text_questions(data: bytes | str, filename: str = "", *, docx: bool = False,
                        max_bytes: int | None = None) -> ImportPreview:
    """Read and validate a Word document or pasted text of numbered questions; writes nothing.

    Each question is checked by the same ``parse_record`` as a spreadsheet row;
    ``sheet`` is its section, ``row`` its number and ``column`` its paragraph
    (第 12 段) or line (第 12 行).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not raw.strip():
        raise SpreadsheetError("没有内容。")
    if max_bytes and len(raw) > max_bytes:
        raise SpreadsheetError(f"文件过大（超过 {max_bytes // (1024 * 1024)} MB）。")
    bank = textbank.read_text_bank(data, docx=docx)
    if len(bank.questions) > MAX_ROWS:
        raise SpreadsheetError(f"试题数超过上限（{MAX_ROWS} 道），请拆分后分批导入。")
    textbank.attach_answer_table(bank)
    out_of_sequence = textbank.sequence_problems(bank)
    preview = ImportPreview(filename=filename, sha256=sha256_hex(raw))
    preview.notes += bank.notes
    seen: dict[str, tuple[str, int]] = {}
    counts: dict[str, Counter] = {}
    for index, question in enumerate(bank.questions):
        preview.total += 1
        section = question.section or "（无标题）"
        if section not in preview.sheets:
            preview.sheets.append(section)
        record, extra, key_where = textbank.to_record(question)
        if index in out_of_sequence:
            extra.append((question.where, out_of_sequence[index]))
        if question.section and question.qtype is None:
            extra.append((question.where, f"“{question.section}”这类题型本系统暂不支持，未导入"))
        values, problems = parse_record(record, infer_type=question.qtype is None and not question.section)
        found_type = values["qtype"] if values else (question.qtype or "unknown")
        counts.setdefault(section, Counter())[found_type] += 1
        here = [RowProblem(section, question.number, f"第 {where} {bank.unit}", message) for where, message in extra]
        here += [RowProblem(section, question.number,
                            f"第 {key_where if key == 'answer' and key_where else question.where} {bank.unit}",
                            textbank.NO_KEY if message == "答案为空" else
                            message if message.startswith(column_label(key)) else f"{column_label(key)}：{message}")
                 for key, message in problems]
        if here:
            preview.problems += here
            continue
        earlier = seen.get(values["fingerprint"])
        if earlier:
            preview.duplicates.append(Duplicate(section, question.number, values["stem"], same_as=earlier))
            continue
        seen[values["fingerprint"]] = (section, question.number)
        preview.accepted.append(Accepted(section, question.number, values))
    preview.section_counts = {name: dict(counter) for name, counter in counts.items()}
    if preview.total == 0:
        raise SpreadsheetError("没有找到编号的试题（如“1．”“1、”“（1）”“第1题”）。")
    return preview


def _note_stripped_labels(preview, sheet, row, record, options):
    """Remember option cells whose leading label was removed, so the preview shows what was kept."""
    if len(options) > 1 and not record.get("opt_B"):
        return  # options from one cell (选项 or 选项A): split, not stripped
    for i, key in enumerate(OPTION_KEYS[:len(options)]):
        written = record.get(key)
        if not written or written == options[i]:
            continue
        written = clean_cell(written)
        if written and written != options[i]:
            preview.stripped_labels.append((sheet, row, key[-1], written, options[i]))


def check_against_bank(preview: ImportPreview, bank: Bank) -> ImportPreview:
    """Move rows already in the bank to the duplicates and note earlier imports of the same file."""
    if bank.id is not None:
        existing = {fp: (qid, status) for fp, qid, status in db.session.execute(
            sa.select(Question.fingerprint, Question.id, Question.status).where(Question.bank_id == bank.id))}
        if existing:
            kept = []
            for item in preview.accepted:
                hit = existing.get(item.values["fingerprint"])
                if hit:
                    preview.duplicates.append(Duplicate(item.sheet, item.row, item.values["stem"],
                                                        existing_id=hit[0], existing_status=hit[1]))
                else:
                    kept.append(item)
            preview.accepted = kept
            preview.duplicates.sort(key=lambda d: (preview.sheets.index(d.sheet) if d.sheet in preview.sheets else 0,
                                                   d.row))
        preview.previous = db.session.scalars(
            sa.select(ImportRecord).where(ImportRecord.bank_id == bank.id, ImportRecord.sha256 == preview.sha256)
            .order_by(ImportRecord.imported_at)).all()
    return preview


def preview_import(data: bytes, bank: Bank, filename: str = "", *, max_bytes: int | None = None,
                   type_codes: dict[str, str] | None = None, read_cache: ReadCache | None = None) -> ImportPreview:
    """Read, validate and compare with the bank; writes nothing.

    With a ``read_cache`` the file is read once: the preview stores what it read, and the apply step that follows
    (another request, or a job on the same server) takes it from there instead of reading the file again.
    """
    if read_cache is None:
        return check_against_bank(read_questions(data, filename, max_bytes=max_bytes, type_codes=type_codes), bank)
    preview = read_cache.get(data, filename, type_codes)
    if preview is None:
        preview = read_questions(data, filename, max_bytes=max_bytes, type_codes=type_codes)
        read_cache.put(data, filename, type_codes, preview)
    return check_against_bank(preview, bank)


@cache
def _code_version() -> str:
    """A digest of the modules that turn a file into a preview: a cached reading never outlives its code."""
    from . import qtypes as qtypes_module, rows as rows_module
    from ..common import spreadsheets

    digest = hashlib.sha256()
    for path in (__file__, qtypes_module.__file__, rows_module.__file__, textbank.__file__, spreadsheets.__file__):
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


class ReadCache:
    """What ``read_questions`` made of a file, kept on the server's disk between preview and apply.

    Keyed by the file's SHA-256, its name and the confirmed type codes (all that the reading depends on), and
    by the reading code itself (``_code_version``); each entry is signed with the app's secret key, so only what this app wrote is ever
    unpickled. Bounded: entries older than a day, and all but the newest ``keep``, are removed on each write.
    A miss (another server, a cleared folder) just reads the file again.
    """

    def __init__(self, folder, secret: str | bytes, *, keep: int = 20, max_age: float = 86400):
        self.folder = Path(folder)
        self.secret = secret.encode() if isinstance(secret, str) else secret
        self.keep, self.max_age = keep, max_age

    def _path(self, data, filename, type_codes):
        codes = json.dumps(type_codes or {}, sort_keys=True)
        key = hashlib.sha256("\x00".join([_code_version(), sha256_hex(data), filename or "", codes]).encode())
        return self.folder / f"{key.hexdigest()}.pickle"

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self.secret, body, hashlib.sha256).digest()

    def get(self, data, filename, type_codes) -> ImportPreview | None:
        try:
            stored = self._path(data, filename, type_codes).read_bytes()
        except OSError:
            return None
        signature, body = stored[:32], stored[32:]
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        with paused_gc():
            return pickle.loads(body)

    def put(self, data, filename, type_codes, preview: ImportPreview):
        self.folder.mkdir(parents=True, exist_ok=True)
        body = pickle.dumps(preview, protocol=pickle.HIGHEST_PROTOCOL)
        path = self._path(data, filename, type_codes)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(self._sign(body) + body)
        os.replace(partial, path)  # readers see the whole entry or none
        self._prune()

    def _prune(self):
        entries = []
        for entry in self.folder.glob("*.pickle"):
            try:
                entries.append((entry.stat().st_mtime, entry))
            except OSError:
                continue
        entries.sort(reverse=True)
        oldest = time.time() - self.max_age
        for index, (mtime, entry) in enumerate(entries):
            if index >= self.keep or mtime < oldest:
                entry.unlink(missing_ok=True)


def apply_import(actor, bank: Bank, preview: ImportPreview, *, valid_only: bool = False,
                 progress=None) -> ImportRecord:
    """Insert every accepted question and the ImportRecord in the caller's transaction (which commits once).

    With rejected rows the caller must have chosen ``valid_only`` explicitly;
    nothing is ever half-imported by default. ``progress(done)`` hears of each chunk written.
    """
    if preview.problems and not valid_only:
        raise ServiceError(f"文件中有 {preview.rejected_rows} 行有错误。请选择“只导入无误的行”，或修改文件后重新上传。")
    if not preview.accepted:
        raise ServiceError("没有可以导入的新试题（其余的行有错误或与已有试题重复）。")
    with paused_gc():
        return _apply(actor, bank, preview, valid_only, progress)


def _apply(actor, bank, preview, valid_only, progress):
    now = utcnow()
    actor_id = getattr(actor, "id", None)
    import_record = ImportRecord(
        bank_id=bank.id, filename=preview.filename[:255] or "未命名文件", sha256=preview.sha256,
        imported_by_id=actor_id, imported_at=now, total_rows=preview.total, accepted=len(preview.accepted),
        duplicates=len(preview.duplicates), rejected=preview.rejected_rows, report=preview.report(valid_only=valid_only))
    db.session.add(import_record)
    db.session.flush()
    constant = {"bank_id": bank.id, "status": "active", "revision": 1, "created_by_id": actor_id,
                "import_id": import_record.id, "created_at": now, "updated_at": now}
    accepted = preview.accepted
    for start in range(0, len(accepted), INSERT_CHUNK):
        _insert_chunk(accepted[start:start + INSERT_CHUNK], constant)
        if progress is not None:
            progress(min(start + INSERT_CHUNK, len(accepted)))
    audit_log.record(actor, "bank.import", "bank", bank.id, bank.name,
                     summary=f"从“{import_record.filename}”导入试题 {import_record.accepted} 道"
                             f"（重复 {import_record.duplicates}，错误 {import_record.rejected} 行）")
    db.session.flush()
    return import_record


def _insert_chunk(items: list[Accepted], constant: dict):
    """Write a batch of accepted questions in the caller's transaction: COPY on PostgreSQL, one executemany elsewhere.

    Each row is the question's values, where in the file it was (import_sheet, import_row) and ``constant``
    (the same for the whole import, processed once). Values go through each column type's own bind processor
    (JSON, dates), but SQLAlchemy's per-row parameter building is skipped, and no per-row dict is built: the
    plain values are picked with one C call, then those that need a processor.
    """
    if not items:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    table = Question.__table__
    names = list(items[0].values)
    processors = {name: _processor(table.c[name].type, dialect) for name in [*names, *constant]}
    plain = [name for name in names if processors[name] is None]
    processed = [(name, processors[name]) for name in names if processors[name]]
    order = [*plain, *(name for name, _ in processed), "import_sheet", "import_row", *constant]
    fixed = tuple(processors[name](value) if processors[name] else value for name, value in constant.items())
    pick = itemgetter(*plain) if len(plain) > 1 else (lambda values: (values[plain[0]],) if plain else ())

    def row(item):
        values = item.values
        return (*pick(values), *[processor(values[name]) for name, processor in processed], item.sheet[:100],
                item.row, *fixed)

    columns = ", ".join(order)
    if dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                for item in items:
                    copy.write_row(row(item))
        return
    marker = {"qmark": "?", "format": "%s", "numeric": None, "named": None, "pyformat": "%s"}[dialect.paramstyle]
    if marker is None:  # a driver we do not use: let SQLAlchemy build the statement
        connection.execute(table.insert(), [{**item.values, "import_sheet": item.sheet[:100], "import_row": item.row,
                                             **constant} for item in items])
        return
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({', '.join([marker] * len(order))})",
                               [row(item) for item in items])


def _processor(column_type, dialect):
    """The column type's bind processor; lists of text for JSON are encoded faster, and the few distinct dates
    of a file (法规版本) are each formatted once."""
    processor = column_type.dialect_impl(dialect).bind_processor(dialect)
    if processor is None:
        return None
    if isinstance(column_type, sa.JSON):
        return _json_lists(processor)
    if isinstance(column_type, sa.Date):
        done = {}

        def process(value):
            text = done.get(value)
            if text is None:
                text = done[value] = processor(value)
            return text

        return process
    return processor


def _json_lists(processor):
    """The JSON column's processor, with lists of text (options, tags) encoded as json.dumps would, 3x faster."""
    from json.encoder import encode_basestring_ascii

    def process(value):
        if value.__class__ is list:
            try:  # the encoder refuses anything but text, so no check of each item first
                return "[" + ", ".join(map(encode_basestring_ascii, value)) + "]"
            except TypeError:
                pass
        return processor(value)

    return process

