"""Use cases for banks and questions: scope, counts, editing, export and the shipped banks. Services flush; callers commit."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..accounts.models import Unit
from ..accounts.scope import subtree_unit_ids
from ..audit.services import diff, record
from ..common.errors import Forbidden, NotFound, ServiceError
from ..common.spreadsheets import SpreadsheetError, write_xlsx
from ..common.text import is_single_line, single_line_message
from ..extensions import db
from . import importer, qtypes
from .models import DIFFICULTIES, STATUSES, Bank, ImportRecord, Question
from .rows import (COLUMNS, DIFFICULTY_TEXT, LETTERS, MAX_VARIANT_GROUP, case_starts, header_row, parse_record,
                   to_row)



# ---------------------------------------------------------------- scope

def visible_banks(viewer):
    """Banks a manager may see: an admin all; an organiser their subtree's and the system banks (read-only)."""
    stmt = sa.select(Bank)
    if viewer.role == "admin":
        return stmt
    if viewer.role != "organiser":
        return stmt.where(sa.false())
    return stmt.where(sa.or_(Bank.unit_id.is_(None), Bank.unit_id.in_(subtree_unit_ids(viewer.unit.path))))


def can_see(viewer, bank: Bank) -> bool:
    if viewer.role == "admin":
        return True
    if viewer.role != "organiser":
        return False
    return bank.unit_id is None or bank.unit.is_within(viewer.unit)


def can_manage(viewer, bank: Bank) -> bool:
    """Import, edit, rename: an admin any bank; an organiser only their subtree's banks, not system banks."""
    if viewer.role == "admin":
        return True
    return viewer.role == "organiser" and bank.unit_id is not None and bank.unit.is_within(viewer.unit)


def get_bank_or_404(viewer, bank_id, *, manage=False) -> Bank:
    """The bank, or NotFound; Forbidden outside the viewer's scope or for managing a bank they may only read."""
    bank = db.session.get(Bank, bank_id)
    if bank is None:
        raise NotFound
    if not can_see(viewer, bank) or (manage and not can_manage(viewer, bank)):
        raise Forbidden
    return bank


def get_question_or_404(viewer, question_id, *, manage=False) -> Question:
    question = db.session.get(Question, question_id)
    if question is None:
        raise NotFound
    get_bank_or_404(viewer, question.bank_id, manage=manage)
    return question


def usable_bank_ids(unit: Unit):
    """A select of the banks an exam in ``unit`` may draw from: system banks and those of the unit or its ancestors."""
    return sa.select(Bank.id).where(sa.or_(Bank.unit_id.is_(None), Bank.unit_id.in_(unit.ancestor_ids())))


def unit_choices(viewer):
    """(unit id, full name) of the units a viewer may own banks for; an admin also gets 0 for a system bank."""
    from ..accounts.services import unit_choices as account_unit_choices

    choices = list(account_unit_choices(viewer))
    if viewer.role == "admin":
        choices.insert(0, (0, "（系统题库，全县通用）"))
    return choices


# ---------------------------------------------------------------- banks

def _bank_problems(name, unit_id, exclude_id=None):
    name = (name or "").strip()
    if not name:
        return name, [("name", "请填写题库名称。")]
    if len(name) > 100:
        return name, [("name", "题库名称不能超过 100 个字符。")]
    if not is_single_line(name):
        return name, [("name", single_line_message("题库名称"))]
    same = sa.select(Bank.id).where(Bank.name == name,
                                    Bank.unit_id.is_(None) if unit_id is None else Bank.unit_id == unit_id)
    if exclude_id is not None:
        same = same.where(Bank.id != exclude_id)
    if db.session.scalar(same) is not None:
        return name, [("name", f"已有名为“{name}”的题库。")]
    return name, []


def create_bank(actor, name, unit: Unit | None, description="") -> Bank:
    """A new bank of ``unit`` (None: a system bank, for admins and the command line)."""
    if actor is not None and unit is None and actor.role != "admin":
        raise ServiceError([("unit_id", "只有系统管理员可以建立系统题库。")])
    name, problems = _bank_problems(name, unit.id if unit else None)
    if problems:
        raise ServiceError(problems)
    bank = Bank(name=name, unit_id=unit.id if unit else None, description=(description or "").strip(),
                created_by_id=getattr(actor, "id", None))
    db.session.add(bank)
    db.session.flush()
    record(actor, "bank.create", "bank", bank.id, bank.name)
    return bank


def update_bank(actor, bank: Bank, name, description=""):
    name, problems = _bank_problems(name, bank.unit_id, exclude_id=bank.id)
    if problems:
        raise ServiceError(problems)
    before = {"name": bank.name, "description": bank.description}
    bank.name, bank.description = name, (description or "").strip()
    changes = diff(before, {"name": bank.name, "description": bank.description})
    if changes:
        record(actor, "bank.update", "bank", bank.id, bank.name, changes=changes)
    db.session.flush()


def find_or_create_system_bank(name) -> tuple[Bank, bool]:
    bank = db.session.scalar(sa.select(Bank).where(Bank.name == name, Bank.unit_id.is_(None)))
    if bank is not None:
        return bank, False
    return create_bank(None, name, None), True


@dataclass
class BankCounts:
    by_type: dict = field(default_factory=dict)
    active: int = 0
    retired: int = 0
    categories: list = field(default_factory=list)  # (top-level category, count), largest first


def bank_counts(bank_ids) -> dict[int, BankCounts]:
    """Active questions by type and by top-level category, and retired ones, per bank (two grouped queries)."""
    counts = {bank_id: BankCounts() for bank_id in bank_ids}
    if not bank_ids:
        return counts
    for bank_id, qtype, status, n in db.session.execute(
            sa.select(Question.bank_id, Question.qtype, Question.status, sa.func.count())
            .where(Question.bank_id.in_(bank_ids)).group_by(Question.bank_id, Question.qtype, Question.status)):
        if status == "active":
            counts[bank_id].by_type[qtype] = counts[bank_id].by_type.get(qtype, 0) + n
            counts[bank_id].active += n
        else:
            counts[bank_id].retired += n
    tops: dict[int, Counter] = {bank_id: Counter() for bank_id in bank_ids}
    for bank_id, category, n in db.session.execute(
            sa.select(Question.bank_id, Question.category, sa.func.count())
            .where(Question.bank_id.in_(bank_ids), Question.status == "active")
            .group_by(Question.bank_id, Question.category)):
        tops[bank_id][(category or "未分类").split("/")[0]] += n
    for bank_id, counter in tops.items():
        counts[bank_id].categories = counter.most_common()
    return counts


@dataclass
class CategoryNode:
    name: str
    path: str
    count: int = 0  # active questions here and below
    retired: int = 0
    children: dict = field(default_factory=dict)

    @property
    def sorted_children(self):
        return sorted(self.children.values(), key=lambda node: node.name)


def category_tree(bank: Bank) -> CategoryNode:
    """The bank's category paths as a tree, each node counting the questions at and below it."""
    root = CategoryNode("全部", "")
    for category, status, n in db.session.execute(
            sa.select(Question.category, Question.status, sa.func.count())
            .where(Question.bank_id == bank.id).group_by(Question.category, Question.status)):
        node, path = root, []
        attribute = "count" if status == "active" else "retired"
        setattr(root, attribute, getattr(root, attribute) + n)
        for part in (category or "未分类").split("/"):
            path.append(part)
            node = node.children.setdefault(part, CategoryNode(part, "/".join(path) if category else ""))
            setattr(node, attribute, getattr(node, attribute) + n)
    return root


def filter_options(bank: Bank) -> dict:
    """The values the question list can be filtered by, from the bank's own questions."""
    laws = db.session.scalars(sa.select(Question.law_name).where(Question.bank_id == bank.id, Question.law_name != "")
                              .distinct().order_by(Question.law_name)).all()
    categories = db.session.scalars(sa.select(Question.category).where(Question.bank_id == bank.id,
                                                                       Question.category != "")
                                    .distinct().order_by(Question.category)).all()
    paths = sorted({"/".join(c.split("/")[:depth]) for c in categories for depth in range(1, c.count("/") + 2)})
    imports = db.session.scalars(sa.select(ImportRecord).where(ImportRecord.bank_id == bank.id)
                                 .order_by(ImportRecord.imported_at.desc())).all()
    return {"laws": laws, "categories": paths, "imports": imports, "types": qtypes.TYPE_LABELS,
            "difficulties": DIFFICULTIES, "statuses": STATUSES}


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered_questions(bank: Bank, args) -> sa.Select:
    """The bank's questions narrowed by the list's filters (``args``: a mapping such as request.args)."""
    stmt = sa.select(Question).where(Question.bank_id == bank.id)
    search = (args.get("q") or "").strip()
    if search:
        stmt = stmt.where(Question.stem.like(f"%{_escape_like(search)}%", escape="\\"))
    if args.get("type") in qtypes.REGISTRY:
        stmt = stmt.where(Question.qtype == args["type"])
    category = (args.get("category") or "").strip()
    if category == "-":
        stmt = stmt.where(Question.category == "")
    elif category:
        stmt = stmt.where(sa.or_(Question.category == category,
                                 Question.category.like(_escape_like(category) + "/%", escape="\\")))
    if args.get("difficulty") in DIFFICULTIES:
        stmt = stmt.where(Question.difficulty == args["difficulty"])
    law = (args.get("law") or "").strip()
    if law == "-":
        stmt = stmt.where(Question.law_name == "")
    elif law:
        stmt = stmt.where(Question.law_name == law)
    status = args.get("status", "active")
    if status in STATUSES:
        stmt = stmt.where(Question.status == status)
    import_id = args.get("import")
    if import_id and str(import_id).isdigit():
        stmt = stmt.where(Question.import_id == int(import_id))
    return stmt


# ---------------------------------------------------------------- questions

QUESTION_FIELDS = ["qtype", "stem", *[f"opt_{letter}" for letter in LETTERS], "answer", "explanation", "difficulty",
                   "category", "law", "article", "version", "tags", "score", "variant_group"]


def question_record(question: Question) -> dict[str, str]:
    """A question as the text cells the form (and a spreadsheet row) shows."""
    row = to_row(question, with_score=True)
    cells = dict(zip(header_row(with_score=True), row))
    record_ = {"qtype": question.qtype, "stem": question.stem, "answer": cells["答案"],
               "explanation": question.explanation, "difficulty": question.difficulty,
               "category": question.category, "law": question.law_name, "article": question.law_article,
               "version": cells["法规版本"], "tags": cells["标签"], "score": str(cells["分值"]),
               "variant_group": question.variant_group or ""}
    for i, letter in enumerate(LETTERS):
        record_[f"opt_{letter}"] = cells[COLUMNS[2 + i]]
    return record_


def _parse_form_record(values: dict, case: Question | None = None) -> dict:
    """Form values (type and difficulty as codes) through the very rules an imported row meets.

    The form does not edit 案例分析 membership: an edited sub-question keeps ``case``'s id and text.
    """
    cells = {key: "" if values.get(key) is None else str(values.get(key)) for key in QUESTION_FIELDS}
    if case is not None and case.case_id:
        cells["case_id"], cells["case_text"] = case.case_id, case.case_text
    if cells["qtype"] in qtypes.REGISTRY:
        cells["qtype"] = qtypes.get(cells["qtype"]).short_label
    cells["difficulty"] = DIFFICULTY_TEXT.get(cells["difficulty"], cells["difficulty"])
    parsed, problems = parse_record(cells)
    if problems:
        raise ServiceError(problems)
    return parsed


def _duplicate_of(bank_id, fingerprint_, exclude_id=None):
    stmt = sa.select(Question.id).where(Question.bank_id == bank_id, Question.fingerprint == fingerprint_)
    if exclude_id is not None:
        stmt = stmt.where(Question.id != exclude_id)
    return db.session.scalar(stmt)


_AUDITED = ("qtype", "stem", "options", "answer", "explanation", "difficulty", "category", "law_name",
            "law_article", "law_version", "tags", "score_hint", "variant_group")


def create_question(actor, bank: Bank, values: dict) -> Question:
    parsed = _parse_form_record(values)
    existing = _duplicate_of(bank.id, parsed["fingerprint"])
    if existing:
        raise ServiceError([("stem", f"题库中已有相同的试题（编号 {existing}）。")])
    question = Question(bank_id=bank.id, created_by_id=getattr(actor, "id", None), **parsed)
    db.session.add(question)
    db.session.flush()
    record(actor, "question.create", "question", question.id, question.stem[:60])
    return question


def update_question(actor, question: Question, values: dict):
    """Save an edit with the import's validation; the revision goes up so exams can tell versions apart.

    Papers already taken keep their own copy of text and key, so nothing here reaches back into them.
    """
    parsed = _parse_form_record(values, case=question)
    existing = _duplicate_of(question.bank_id, parsed["fingerprint"], exclude_id=question.id)
    if existing:
        raise ServiceError([("stem", f"修改后与题库中的试题（编号 {existing}）相同。")])
    before = {key: getattr(question, key) for key in _AUDITED}
    changes = diff(before, {key: parsed[key] for key in _AUDITED})
    if not changes:
        return False
    for key, value in parsed.items():
        setattr(question, key, value)
    question.revision = (question.revision or 1) + 1
    record(actor, "question.update", "question", question.id, question.stem[:60], changes=changes)
    db.session.flush()
    return True


def set_variant_group(actor, bank: Bank, question_ids, group: str) -> int:
    """Put questions of ``bank`` in one variant group (``group`` empty: out of any); returns how many changed.

    A paper and a practice session then take at most one of them (docs/content-format.md).
    """
    group = (group or "").strip()
    ids = {int(i) for i in question_ids or []}
    problems = []
    if not ids:
        problems.append(("question_ids", "请先勾选试题。"))
    if len(group) > MAX_VARIANT_GROUP:
        problems.append(("group", f"变式组名称不超过 {MAX_VARIANT_GROUP} 个字符。"))
    if problems:
        raise ServiceError(problems)
    questions = db.session.scalars(sa.select(Question).where(Question.bank_id == bank.id, Question.id.in_(ids))).all()
    if len(questions) != len(ids):
        raise ServiceError([("question_ids", "部分试题不在本题库中。")])
    changed = [q for q in questions if q.variant_group != group]
    for question in changed:
        question.variant_group = group
    if changed:
        record(actor, "question.variant_group", "bank", bank.id, bank.name,
               summary=(f"将 {len(changed)} 道试题设为变式组“{group}”" if group else f"将 {len(changed)} 道试题移出变式组")
               + f"（编号 {'、'.join(str(q.id) for q in sorted(changed, key=lambda q: q.id))}）"[:400])
    db.session.flush()
    return len(changed)


def set_question_status(actor, question: Question, status: str):
    """Retire or restore; questions are never deleted, so past papers and reports keep their source."""
    if status not in STATUSES:
        raise ServiceError("未知的状态。")
    if question.status == status:
        return
    question.status = status
    action = "question.retire" if status == "retired" else "question.restore"
    record(actor, action, "question", question.id, question.stem[:60])
    db.session.flush()


# ---------------------------------------------------------------- files

COLUMN_WIDTHS = [8, 50, *[18] * len(LETTERS), 8, 40, 6, 18, 26, 14, 12, 16, 10, 50, 16]


def with_whole_cases(questions) -> list[Question]:
    """``questions`` plus the missing sub-questions of any 案例分析 case among them, each case kept together
    in id order: a filtered export must import back, and a case of one row does not (2–5 rows)."""
    questions = list(questions)
    wanted = {(q.bank_id, q.case_id) for q in questions if q.case_id}
    if not wanted:
        return questions
    siblings = db.session.scalars(sa.select(Question).where(
        Question.case_id != "", sa.tuple_(Question.bank_id, Question.case_id).in_(sorted(wanted)))
        .order_by(Question.id)).all()
    by_case: dict = {}
    for question in siblings:
        by_case.setdefault((question.bank_id, question.case_id), []).append(question)
    result, done = [], set()
    for question in questions:
        if not question.case_id:
            result.append(question)
        elif (question.bank_id, question.case_id) not in done:
            done.add((question.bank_id, question.case_id))
            result += by_case.get((question.bank_id, question.case_id), [question])
    return result


def export_bytes(questions) -> bytes:
    """Questions as an .xlsx in the import layout (分值 added only when some question has one)."""
    questions = list(questions)
    with_score = any(question.score_hint is not None for question in questions)
    rows = [header_row(with_score)] + [to_row(question, with_score=with_score, first_in_case=first)
                                       for question, first in zip(questions, case_starts(questions))]
    widths = COLUMN_WIDTHS + ([6] if with_score else [])
    return write_xlsx({"试题": rows}, column_widths={"试题": widths})


def export_docx_bytes(questions, title: str = "") -> bytes:
    """Questions as a Word document in the text-import layout (for printing; importing it back loses nothing)."""
    from . import textbank

    return textbank.write_docx(textbank.layout_paragraphs(list(questions)), title=title)


def template_docx_bytes() -> bytes:
    """The Word template: 填写说明, then one example of each type in the layout the importer reads."""
    from . import textbank

    # 案例分析 groups (案例编号/案例材料 after the standard columns) are a spreadsheet layout only; Word banks
    # hold stand-alone questions, so the Word template shows those.
    examples = [parse_record(dict(zip(_TEMPLATE_KEYS, row)))[0] for row in TEMPLATE_EXAMPLES
                if not any(row[len(_TEMPLATE_KEYS):])]
    return textbank.write_docx(textbank.layout_paragraphs(examples), title="试题导入模板（Word）",
                               notes=textbank.TEMPLATE_NOTES)


TEMPLATE_EXAMPLES = [
    ["单选", "根据宪法，中华人民共和国的一切权力属于（ ）。", "人民", "中国共产党", "全国人民代表大会", "国务院",
     "", "", "", "", "A", "宪法第二条规定，中华人民共和国的一切权力属于人民。", "易", "宪法/总纲",
     "《中华人民共和国宪法》", "第二条", "2018-03-11", "应知应会"],
    ["多选", "依照禁毒法，禁毒工作实行（ ）并举的方针。", "禁种", "禁制", "禁贩", "禁吸", "禁运", "", "", "",
     "ABCD", "禁毒法第四条：预防为主，综合治理，禁种、禁制、禁贩、禁吸并举。", "中", "社会治理/禁毒",
     "《中华人民共和国禁毒法》", "第四条", "2007-12-29", "国际禁毒日"],
    ["判断", "每年12月4日为国家宪法日。", "", "", "", "", "", "", "", "", "正确",
     "全国人大常委会2014年决定将12月4日设立为国家宪法日。", "易", "宪法/宪法实施",
     "《全国人民代表大会常务委员会关于设立国家宪法日的决定》", "", "2014-11-01", "国家宪法日"],
    ["不定项", "本案中，对牧民扎西与多吉的草场边界争议，可以采取的做法有（ ）。", "申请村人民调解委员会调解",
     "由乡人民政府处理", "双方协商解决", "由村委会直接收回草场", "", "", "", "", "ABC",
     "草原所有权、使用权争议由当事人协商解决；协商不成的，由人民政府处理；也可以申请人民调解。", "中",
     "法律法规/生态保护", "《中华人民共和国草原法》", "第十六条", "2021-04-29", "案例分析", "CY-01",
     "牧民扎西与邻村牧民多吉因草场界线发生争执，界桩多年前已被雪灾冲毁，双方各执一份承包合同。", "caoyuan-zhengyi"],
    ["单选", "本案中，双方如对乡人民政府的处理决定不服，可以（ ）。", "向上一级人民政府申请复议",
     "依法向人民法院起诉", "要求村委会重新划界", "自行拆除对方围栏", "", "", "", "", "B",
     "对人民政府的处理决定不服的，可以依法向人民法院起诉。", "中", "法律法规/生态保护",
     "《中华人民共和国草原法》", "第十六条", "2021-04-29", "案例分析", "CY-01", "", ""],
]

TEMPLATE_NOTES = [
    ["栏目", "是否必填", "说明"],
    ["题型", "必填", "单选、多选、不定项或判断（也可写 单选题、单项选择、多项选择、不定项选择、是非题 等）。"],
    ["题干", "必填", f"试题内容，不超过 {1000} 个字。选择题一般以“（ ）。”结尾。"],
    ["选项A—选项H", "选择题必填", "单选至少 2 个、多选至少 3 个选项，从 A 开始连续填写，中间不能留空；"
                              "也可以把全部选项写在“选项A”一格里，如“A.xxx B.xxx C.xxx”。判断题不填。"],
    ["答案", "必填", "单选填一个字母，如 B；多选填两个或以上字母，如 ABD（A,B,D、A、B、D 也可以）；不定项填一个或多个字母；"
                   "判断填“正确”或“错误”（对/错、√/×、T/F 也可以）。"],
    ["解析", "选填", "用通俗的话讲清楚依据和道理，考后供干部查看。"],
    ["难度", "选填", "易、中或难，不填视为“中”。"],
    ["分类", "选填", "用“/”分级，如：宪法/国家机构、民法典/婚姻家庭。"],
    ["法律依据", "选填", "法律法规全称，如《中华人民共和国宪法》；也可连同条款写成《中华人民共和国宪法》第三十三条。"],
    ["条款", "选填", "如：第三十三条；多条写作 第十条、第十一条。"],
    ["法规版本", "选填", "所依据的法律版本（最近一次修改通过）日期，如 2018-03-11。"],
    ["标签", "选填", "多个标签用分号隔开，如：应知应会;国家宪法日。"],
    ["案例编号", "选填", "案例分析题：同一案例的 2—5 道小题连续排列，填同一编号（如 CY-01）；小题可以是单选、多选或不定项，不能是判断。"],
    ["案例材料", "选填", "案例的材料（案情），只填在该案例的第一行。"],
    ["变式组", "选填", "考同一知识点的几道题填同一名称（如 xianfa-xuanju-18），一套试卷、一次练习最多抽其中一道。"],
    ["不定项", "", "不定项选择题的正确答案可能是一个或多个字母（如 B 或 ACD）；全部选对得满分，少选且所选均正确得一半分，选错不得分。"],
    ["分值", "选填", "可增加“分值”列，仅作组卷参考。"],
    ["说明", "", "表头上方可以有标题行；可以有多个工作表（本“填写说明”和“示例”工作表不会导入）。"
               "导入前系统会先预检并列出每一处错误，确认后才写入；与题库中已有试题相同的题会自动跳过。"],
]


_TEMPLATE_KEYS = ["qtype", "stem", *[f"opt_{letter}" for letter in LETTERS], "answer", "explanation", "difficulty",
                  "category", "law", "article", "version", "tags"]


def template_bytes() -> bytes:
    """The blank import template: an empty 试题 sheet, 填写说明 and one example of each type."""
    widths = COLUMN_WIDTHS
    return write_xlsx({"试题": [COLUMNS], "填写说明": TEMPLATE_NOTES, "示例": [COLUMNS] + TEMPLATE_EXAMPLES},
                      column_widths={"试题": widths, "填写说明": [14, 12, 90], "示例": widths})


# ---------------------------------------------------------------- shipped banks

# File stem in question_bank/banks/ -> the system bank it loads into.
SHIPPED_BANK_NAMES = {
    "xi_fazhi_sixiang": "习近平法治思想",
    "xianfa": "宪法",
    "minfadian": "民法典",
    "tudi_chengbao": "农村土地承包法",
    "nongcun_tudi_chengbao": "农村土地承包法",
    "tudi_guanli": "土地管理法",
    "xingzheng_chufa": "行政处罚法",
    "xingzheng_xuke": "行政许可法",
    "xingzheng_qiangzhi": "行政强制法",
    "xingzheng_fuyi": "行政复议法",
    "xingzheng_susong": "行政诉讼法",
    "guojia_peichang": "国家赔偿法",
    "zhian_guanli": "治安管理处罚法",
    "zhian_guanli_chufa": "治安管理处罚法",
    "jindu": "禁毒法",
    "xiaofeizhe_quanyi": "消费者权益保护法",
    "caoyuan": "草原法",
    "senlin": "森林法",
    "yesheng_dongwu": "野生动物保护法",
    "anquan_shengchan": "安全生产法",
    "renmin_tiaojie": "人民调解法",
    "falv_yuanzhu": "法律援助法",
    "xinfang_gongzuo": "信访工作条例",
    "zhengwu_chufen": "公职人员政务处分法",
    "jiancha": "监察法",
    "cunweihui_zuzhi": "村民委员会组织法",
    "cunmin_weiyuanhui": "村民委员会组织法",
    "difang_zuzhi": "地方组织法",
    "fan_jiating_baoli": "反家庭暴力法",
    "weichengnianren_baohu": "未成年人保护法",
    "funv_quanyi": "妇女权益保障法",
    "minzu_quyu_zizhi": "民族区域自治法",
    "minfadian_hetong_qinquan": "民法典（合同编、人格权编、侵权责任编）",
    "baomi": "保守国家秘密法",
    "fazhi_xuanchuan": "法治宣传教育法",
    "fan_dianzha": "反电信网络诈骗法",
    "jiti_jingji": "农村集体经济组织法",
    "xiangcun_zhenxing": "乡村振兴促进法",
    "anli_xiangzhen": "乡镇工作案例分析",
}


def shipped_dir() -> Path:
    configured = current_app.config.get("SHIPPED_BANKS_DIR")
    return Path(configured) if configured else Path(current_app.root_path).parent / "question_bank" / "banks"


def shipped_files(directory=None) -> list[Path]:
    return sorted(Path(directory or shipped_dir()).glob("*.csv"))


def shipped_bank_name(path: Path, preview: importer.ImportPreview | None = None) -> str:
    """The bank a shipped file loads into: the mapped name, else its most cited law, else the file stem."""
    if path.stem in SHIPPED_BANK_NAMES:
        return SHIPPED_BANK_NAMES[path.stem]
    if preview is not None and preview.accepted:
        law, _ = Counter(item.values["law_name"] for item in preview.accepted).most_common(1)[0]
        title = law.strip("《》").removeprefix("中华人民共和国")
        if title:
            return title[:100]
    return path.stem


@dataclass
class ShippedResult:
    path: Path
    bank: str
    added: int = 0
    duplicates: int = 0
    problems: list = field(default_factory=list)
    skipped: bool = False  # this exact file was loaded before
    error: str = ""


def load_shipped(directory=None) -> list[ShippedResult]:
    """Load every shipped CSV into its system bank through the organisers' importer; a second run adds nothing.

    A file already imported byte for byte is skipped without parsing (fast for
    the demo); a changed file adds only its new questions. Rows with errors are
    left out and reported.
    """
    results = []
    for path in shipped_files(directory):
        data = path.read_bytes()
        result = ShippedResult(path, SHIPPED_BANK_NAMES.get(path.stem, path.stem))
        results.append(result)
        known = db.session.scalar(
            sa.select(Bank).join(ImportRecord, ImportRecord.bank_id == Bank.id)
            .where(Bank.unit_id.is_(None), ImportRecord.sha256 == importer.sha256_hex(data)).limit(1))
        if known is not None:
            result.bank, result.skipped = known.name, True
            continue
        try:
            preview = importer.read_questions(data, path.name)
        except SpreadsheetError as error:
            result.error = str(error)
            continue
        result.bank = shipped_bank_name(path, preview)
        bank, _ = find_or_create_system_bank(result.bank)
        importer.check_against_bank(preview, bank)
        result.duplicates, result.problems = len(preview.duplicates), preview.problems
        if preview.accepted:
            result.added = importer.apply_import(None, bank, preview, valid_only=True).accepted
    return results
