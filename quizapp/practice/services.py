"""Practice sessions and the 错题本: drawing questions, answering, study credit, wrong-question bookkeeping.

Services flush and never commit; the view commits once.

Kept as one module (~600 lines): drawing, answering and the 错题本 share the outcome rules; 每日一练
(engage/) reuses them through ``submit_answer`` and ``record_outcomes``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager

from ..accounts.models import User
from ..bank.models import Bank, Question
from ..bank.qtypes import LETTERS, REGISTRY, shown_order, to_bank_letters, to_displayed_letters
from ..bank.units import CASE, RULE_KINDS, group_units, pick_units
from ..common.clock import utcnow
from ..common.errors import ServiceError
from ..extensions import db
from ..study import services as study_services
from .models import MASTERY_STREAK, MistakeEntry, PracticeAnswer, PracticeSession, SOURCES

COUNTS = (5, 10, 20, 50)
DEFAULT_COUNT = 10
REDO_COUNTS = (5, 10, 20, 50)
DEFAULT_REDO_COUNT = 20
# Study credit per answered question is the time since the previous answer, at most this long:
# a cadre who leaves the page open over lunch earns two minutes, not an hour.
MAX_CREDIT_SECONDS = 120
GENERAL_CATEGORY = "综合"


# ---------------------------------------------------------------- pure rules

def top_category(category: str) -> str:
    """The first segment of a category path ("宪法/国家机构" → "宪法"), or 综合 when there is none."""
    return (category or "").split("/", 1)[0].strip() or GENERAL_CATEGORY


def credit_seconds(previous: datetime, now: datetime, cap: int = MAX_CREDIT_SECONDS) -> int:
    """Seconds of study earned between two answers: the gap, never negative, never above ``cap``."""
    gap = (now - previous).total_seconds()
    return int(min(max(gap, 0), cap))


def is_correct(question: Question, response: str) -> bool:
    """Full marks by the question type's own grading rule (多选 all or nothing)."""
    kind = REGISTRY[question.qtype]
    return kind.grade(question.answer, response, 1.0) >= 1.0


def allows_several(question: Question) -> bool:
    """True when the answer is a set of options (checkboxes), not one (radio buttons)."""
    return REGISTRY[question.qtype].several


class ShownQuestion:
    """A question with its options in the order this session shows them (practice shuffles like exams,
    so bank order cannot teach a letter pattern). Everything else is the question's own."""

    def __init__(self, question: Question, seed: str):
        self.question = question
        self.options, self.option_map, _ = shown_order(question.type, list(question.options or []),
                                                       question.answer, seed)

    def __getattr__(self, name):
        return getattr(self.question, name)

    @property
    def lettered_options(self):
        return list(zip(LETTERS, self.options))

    def shown(self, bank_letters: str) -> str:
        return to_displayed_letters(bank_letters, self.option_map)

    def to_bank(self, shown_letters: str) -> str:
        return to_bank_letters(shown_letters, self.option_map)


def shown_question(practice, seq: int, question: Question) -> ShownQuestion:
    return ShownQuestion(question, f"practice:{practice.id}:{seq}:{question.id}")


@dataclass(frozen=True)
class MistakeState:
    """A 错题本 entry as plain values, so outcomes can be applied without the ORM."""

    source: str
    wrong_count: int
    correct_streak: int
    status: str
    first_wrong_at: datetime
    last_wrong_at: datetime
    last_answered_at: datetime
    left_at: datetime | None = None


def next_state(state: MistakeState | None, correct: bool, source: str, when: datetime) -> MistakeState | None:
    """The entry after one more answer to its question.

    A wrong answer puts the question in the book (or back in it, from any
    source) and resets the streak; a correct answer to a question in the book
    extends the streak, and the question leaves after MASTERY_STREAK in a row.
    A correct answer to a question not in the book changes nothing.
    """
    if not correct:
        if state is None:
            return MistakeState(source, 1, 0, "open", when, when, when, None)
        reopened = state.status != "open"
        return replace(state, wrong_count=state.wrong_count + 1, correct_streak=0, status="open",
                       last_wrong_at=when, last_answered_at=when, left_at=None,
                       source=source if reopened else state.source)
    if state is None or state.status != "open":
        return state
    streak = state.correct_streak + 1
    if streak >= MASTERY_STREAK:
        return replace(state, correct_streak=streak, status="mastered", last_answered_at=when, left_at=when)
    return replace(state, correct_streak=streak, last_answered_at=when)


# ---------------------------------------------------------------- which questions a person may practise

def usable_bank_condition(user: User):
    """Banks usable by ``user``: system banks, and banks of the user's unit or any unit above it."""
    return sa.or_(Bank.unit_id.is_(None), Bank.unit_id.in_(user.unit.ancestor_ids()))


def category_condition(column, path: str):
    """``column`` is the category ``path`` or lies below it."""
    return sa.or_(column == path, column.startswith(path + "/", autoescape=True))


def hidden_questions(user: User, now: datetime | None = None) -> sa.Select | None:
    """Question ids whose key and 解析 must not be shown to ``user`` now: the exams' one rule
    (``exams.access.question_ids_hidden_from``), handed to practice by ``create_app`` because exams build on
    practice (the 错题本), not the other way round."""
    rule = current_app.extensions.get("quizapp.hidden_questions")
    return rule(user.id, now or utcnow()) if rule is not None else None


def without_hidden(stmt: sa.Select, user: User) -> sa.Select:
    """``stmt`` (over Question) without the questions hidden from ``user`` by an exam."""
    hidden = hidden_questions(user)
    return stmt if hidden is None else stmt.where(Question.id.not_in(hidden))


def concealed(user: User, question_ids) -> set[int]:
    """Which of these questions (of a session or a page) must be shown without key and 解析 right now."""
    hidden = hidden_questions(user)
    ids = [i for i in question_ids if i is not None]
    if hidden is None or not ids:
        return set()
    return set(db.session.scalars(sa.select(Question.id).where(Question.id.in_(ids), Question.id.in_(hidden))))


def practisable(user: User) -> sa.Select:
    """A select of Question ids the user may practise: active, gradable, in a usable bank, not hidden by an exam."""
    return without_hidden(
        sa.select(Question.id).join(Bank, Bank.id == Question.bank_id)
        .where(usable_bank_condition(user), Question.status == "active", Question.qtype.in_(list(REGISTRY))), user)


def _filtered(stmt: sa.Select, *, category="", law="", qtype="") -> sa.Select:
    if category:
        stmt = stmt.where(category_condition(Question.category, category))
    if law:
        stmt = stmt.where(Question.law_name == law)
    if qtype == CASE:
        stmt = stmt.where(Question.case_id != "")
    elif qtype:
        stmt = stmt.where(Question.qtype == qtype)
    return stmt


def build_tree(counts) -> list[dict]:
    """Nested category nodes ({name, path, count, children}) from (path, question count) pairs.

    A node's count includes everything below it, so "宪法" shows all 宪法 questions.
    """
    roots: list[dict] = []
    index: dict[str, dict] = {}
    for path, count in sorted(counts):
        parts = [p for p in (path or "").split("/") if p]
        siblings = roots
        for depth in range(len(parts)):
            key = "/".join(parts[: depth + 1])
            node = index.get(key)
            if node is None:
                node = {"name": parts[depth], "path": key, "count": 0, "children": []}
                index[key] = node
                siblings.append(node)
            node["count"] += count
            siblings = node["children"]
    return roots


def category_tree(user: User) -> list[dict]:
    """The categories of the questions the user may practise, as a tree with counts (one grouped query)."""
    ids = practisable(user).subquery()
    rows = db.session.execute(
        sa.select(Question.category, sa.func.count()).join(ids, ids.c.id == Question.id)
        .where(Question.category != "").group_by(Question.category)).all()
    return build_tree(rows)


def law_counts(user: User) -> list[tuple[str, int]]:
    """(law name, question count) for the laws the user's questions cite, most questions first."""
    ids = practisable(user).subquery()
    rows = db.session.execute(
        sa.select(Question.law_name, sa.func.count().label("n")).join(ids, ids.c.id == Question.id)
        .where(Question.law_name != "").group_by(Question.law_name)).all()
    return sorted(((law, n) for law, n in rows), key=lambda row: (-row[1], row[0]))


def practisable_count(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(practisable(user).subquery())) or 0


# ---------------------------------------------------------------- sessions

def _parse_count(value, allowed, default) -> int:
    if value in (None, ""):
        return default
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = None
    if count not in allowed:
        raise ServiceError([("count", "请选择题数。")])
    return count


def describe(filters: dict, kind: str = "practice") -> str:
    """A one-line Chinese description of a session's choices, for headings and the history list."""
    parts = []
    if filters.get("question_id"):
        parts.append("单题重做")
    if filters.get("category"):
        parts.append(f"分类：{filters['category']}")
    if filters.get("law"):
        parts.append(f"法律法规：{filters['law']}")
    if filters.get("qtype"):
        parts.append(RULE_KINDS.get(filters["qtype"], filters["qtype"]))
    if filters.get("source"):
        parts.append(f"来源：{SOURCES.get(filters['source'], filters['source'])}")
    return " · ".join(parts) or ("全部错题" if kind == "redo" else "全部题目随机")


# A session draws from this many times ``count`` random candidates, so that skipping variant-group
# siblings still leaves enough.
OVERDRAW = 4


def _random_ids(stmt: sa.Select, count: int) -> list[int]:
    """Up to ``count`` random question ids from ``stmt``: at most one per variant group, and a 案例分析
    case drawn whole (all its active sub-questions, in order, counted as one)."""
    ids = stmt.with_only_columns(Question.id).order_by(sa.func.random()).limit(count * OVERDRAW).subquery()
    rows = db.session.execute(sa.select(Question.id, Question.bank_id, Question.case_id, Question.variant_group)
                              .join(ids, ids.c.id == Question.id)).all()
    cases = {(bank_id, case_id) for _, bank_id, case_id, _ in rows if case_id}
    if cases:
        members = db.session.execute(
            sa.select(Question.id, Question.bank_id, Question.case_id, Question.variant_group)
            .where(Question.status == "active", Question.case_id != "",
                   sa.tuple_(Question.bank_id, Question.case_id).in_(sorted(cases))).order_by(Question.id)).all()
        rows = [r for r in rows if not r.case_id] + list(members)
    order = {qid: i for i, qid in enumerate(r.id for r in rows)}
    units = group_units(sorted(rows, key=lambda r: r.id))
    units.sort(key=lambda unit: min(order[i] for i in unit.ids))  # the database's random order
    picked = pick_units(units, count, _KeepOrder())
    return [i for unit in picked for i in unit.ids]


class _KeepOrder:
    """An rng for pick_units that leaves the (already random) order alone."""

    def shuffle(self, items):
        return None


def _create_session(user: User, kind: str, filters: dict, ids: list[int]) -> PracticeSession:
    now = utcnow()
    filters = {k: v for k, v in filters.items() if v}
    practice = PracticeSession(user_id=user.id, kind=kind, filters=filters, label=describe(filters, kind)[:300],
                               question_ids=ids, total=len(ids), position=0, correct_count=0,
                               started_at=now, last_activity_at=now)
    db.session.add(practice)
    db.session.flush()
    return practice


def start_session(user: User, *, category="", law="", qtype="", count=None) -> tuple[PracticeSession, int]:
    """Draw up to ``count`` random questions matching the choices; returns (session, requested count)."""
    problems = []
    if qtype and qtype not in RULE_KINDS:
        problems.append(("qtype", "请选择题型。"))
    try:
        count = _parse_count(count, COUNTS, DEFAULT_COUNT)
    except ServiceError as error:
        problems.extend(error.problems)
    if problems:
        raise ServiceError(problems)
    filters = {"category": (category or "").strip(), "law": (law or "").strip(), "qtype": qtype or ""}
    ids = _random_ids(_filtered(practisable(user), **filters), count)
    if not ids:
        raise ServiceError("没有符合条件的题目，请换一个分类或法律法规再试。")
    return _create_session(user, "practice", filters, ids), count


def _open_mistakes(user: User) -> sa.Select:
    """Question ids in the user's 错题本 that can still be practised (retired questions and those hidden by an
    exam cannot)."""
    return without_hidden(
        sa.select(Question.id).join(MistakeEntry, MistakeEntry.question_id == Question.id)
        .where(MistakeEntry.user_id == user.id, MistakeEntry.status == "open",
               Question.status == "active", Question.qtype.in_(list(REGISTRY))), user)


def start_redo(user: User, *, category="", law="", source="", question_id=None, count=None) -> PracticeSession:
    """重做: a practice session drawn from the user's open 错题本 entries (all, filtered, or one question)."""
    count = _parse_count(count, REDO_COUNTS, DEFAULT_REDO_COUNT)
    if source and source not in SOURCES:
        raise ServiceError([("source", "来源无效。")])
    stmt = _filtered(_open_mistakes(user), category=(category or "").strip(), law=(law or "").strip())
    if source:
        stmt = stmt.where(MistakeEntry.source == source)
    filters = {"category": category, "law": law, "source": source}
    if question_id:
        stmt = stmt.where(Question.id == int(question_id))
        filters = {"question_id": int(question_id)}
    ids = _random_ids(stmt, count)
    if not ids:
        raise ServiceError("错题本中没有可以重做的题目（已停用的题目不能重做）。")
    return _create_session(user, "redo", filters, ids)


def get_session(user: User, session_id: int) -> PracticeSession | None:
    """The session, only for the person who practises it."""
    return db.session.scalar(sa.select(PracticeSession).where(
        PracticeSession.id == session_id, PracticeSession.user_id == user.id))


def question_at(practice: PracticeSession, seq: int) -> Question | None:
    if not 0 <= seq < practice.total:
        return None
    return db.session.get(Question, practice.question_ids[seq])


def answer_at(practice: PracticeSession, seq: int) -> PracticeAnswer | None:
    return db.session.scalar(sa.select(PracticeAnswer).where(
        PracticeAnswer.session_id == practice.id, PracticeAnswer.seq == seq))


def submit_answer(user: User, practice: PracticeSession, seq: int, response) -> tuple[PracticeAnswer, bool]:
    """Grade and store the answer to the question at ``seq``; returns (answer, newly stored).

    Answering the same question again (a double click, a second tab, a retried
    request) returns the stored answer unchanged: the position only moves on
    through a conditional UPDATE, so exactly one request wins.
    """
    if seq < practice.position:
        existing = answer_at(practice, seq)
        if existing is not None:
            return existing, False
    if practice.finished:
        raise ServiceError("本次练习已结束。")
    if seq != practice.position:
        raise ServiceError("该题不是当前题目，请刷新页面后继续。")
    question = question_at(practice, seq)
    if question is None:
        raise ServiceError("该题已不存在，请结束本次练习。")
    kind = REGISTRY[question.qtype]
    normalised = kind.normalise_response(response)
    if not normalised or any(ch not in LETTERS[: len(question.options or [])] for ch in normalised):
        raise ServiceError([("response", "请选择答案。" if not normalised else "所选答案无效，请重新选择。")])
    # The cadre answered in the letters shown; the answer is kept and graded in the bank's letters.
    normalised = shown_question(practice, seq, question).to_bank(normalised)

    now = utcnow()
    previous = practice.last_activity_at
    correct = is_correct(question, normalised)
    values = {"position": seq + 1, "correct_count": PracticeSession.correct_count + (1 if correct else 0),
              "last_activity_at": now}
    if seq + 1 >= practice.total:
        values["finished_at"] = now
    moved = db.session.execute(
        sa.update(PracticeSession)
        .where(PracticeSession.id == practice.id, PracticeSession.position == seq,
               PracticeSession.finished_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False))
    db.session.expire(practice)
    if moved.rowcount != 1:
        existing = answer_at(practice, seq)
        if existing is None:
            raise ServiceError("该题不是当前题目，请刷新页面后继续。")
        return existing, False

    answer = PracticeAnswer(session_id=practice.id, seq=seq, question_id=question.id, response=normalised,
                            answer_key=question.answer, correct=correct, answered_at=now)
    db.session.add(answer)
    record_outcomes(user, [(question.id, correct)], "practice", when=now)
    # Practice is study activity: the time spent on this answer goes to the study roll-up.
    study_services.add_credit(user, source="practice", category=top_category(question.category),
                              seconds=credit_seconds(previous, now), when=now)
    db.session.flush()
    return answer, True


def finish_session(practice: PracticeSession):
    """End a session early; the questions not answered stay unanswered (and their keys unshown)."""
    if practice.finished_at is None:
        practice.finished_at = utcnow()
        db.session.flush()


def session_answers(practice: PracticeSession) -> list[PracticeAnswer]:
    """The session's answers in order, each with its question loaded (one query)."""
    return list(db.session.scalars(
        sa.select(PracticeAnswer).join(PracticeAnswer.question).options(contains_eager(PracticeAnswer.question))
        .where(PracticeAnswer.session_id == practice.id).order_by(PracticeAnswer.seq)))


def unanswered_questions(practice: PracticeSession) -> list[Question]:
    ids = practice.question_ids[practice.position:]
    if not ids:
        return []
    questions = db.session.scalars(sa.select(Question).where(Question.id.in_(ids)))
    by_id = {question.id: question for question in questions}
    return [by_id[i] for i in ids if i in by_id]


def sessions_of(user: User) -> sa.Select:
    return (sa.select(PracticeSession).where(PracticeSession.user_id == user.id)
            .order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc()))


def unfinished_sessions(user: User, limit=5) -> list[PracticeSession]:
    return list(db.session.scalars(sessions_of(user).where(PracticeSession.finished_at.is_(None)).limit(limit)))


def practice_totals(user: User) -> dict:
    """Answered and correct questions over all the user's sessions."""
    answered, correct, sessions = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(PracticeSession.position), 0),
                  sa.func.coalesce(sa.func.sum(PracticeSession.correct_count), 0), sa.func.count())
        .where(PracticeSession.user_id == user.id)).one()
    return {"answered": int(answered), "correct": int(correct), "sessions": int(sessions),
            "accuracy": round(100 * correct / answered) if answered else None}


# ---------------------------------------------------------------- the 错题本

def _upsert_entries(rows: list[dict]):
    """Insert new entries; should another request have inserted one meanwhile, add to it instead."""
    table = MistakeEntry.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table)
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(index_elements=["user_id", "question_id"], set_={
        "wrong_count": table.c.wrong_count + excluded.wrong_count,
        "correct_streak": excluded.correct_streak,
        "status": excluded.status,
        "last_wrong_at": excluded.last_wrong_at,
        "last_answered_at": excluded.last_answered_at,
        "left_at": excluded.left_at,
    })
    db.session.execute(stmt, rows)


def record_outcomes(user, outcomes, source: str, when: datetime | None = None) -> dict[int, MistakeState | None]:
    """Apply answers to a person's 错题本 (``user`` is a User or an id): ``outcomes`` is
    [(question_id, correct)], in the order given.

    Wrong answers add the question (or count one more miss); correct answers
    move an open entry towards leaving. The exams module calls this with
    source='exam' once an exam's review is open. One query loads the existing
    entries, one statement inserts the new ones and one updates the changed
    ones. Returns the resulting state per question. Flushes; the caller commits.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown 错题本 source: {source}")
    when = when or utcnow()
    user_id = user if isinstance(user, int) else user.id
    results: dict[int, list[bool]] = {}
    for question_id, correct in outcomes:
        results.setdefault(int(question_id), []).append(bool(correct))
    if not results:
        return {}
    columns = [MistakeEntry.id, MistakeEntry.question_id, MistakeEntry.source, MistakeEntry.wrong_count,
               MistakeEntry.correct_streak, MistakeEntry.status, MistakeEntry.first_wrong_at,
               MistakeEntry.last_wrong_at, MistakeEntry.last_answered_at, MistakeEntry.left_at]
    rows = db.session.execute(
        sa.select(*columns).where(MistakeEntry.user_id == user_id, MistakeEntry.question_id.in_(list(results)))
        .with_for_update()).all()
    existing = {row.question_id: (row.id, MistakeState(row.source, row.wrong_count, row.correct_streak, row.status,
                                                       row.first_wrong_at, row.last_wrong_at, row.last_answered_at,
                                                       row.left_at))
                for row in rows}
    inserts, updates, after_all = [], [], {}
    for question_id, answers in results.items():
        entry_id, before = existing.get(question_id, (None, None))
        after = before
        for correct in answers:
            after = next_state(after, correct, source, when)
        after_all[question_id] = after
        if after is None or after == before:
            continue
        if entry_id is None:
            inserts.append({"user_id": user_id, "question_id": question_id, **asdict(after)})
        else:
            updates.append({"id": entry_id, **asdict(after)})
    if inserts:
        _upsert_entries(inserts)
    if updates:
        db.session.execute(sa.update(MistakeEntry), updates)
    if inserts or updates:
        # Entries already loaded in this session are now stale.
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, MistakeEntry):
                db.session.expire(obj)
    return after_all


def mistake_entry(user: User, question_id: int) -> MistakeEntry | None:
    return db.session.scalar(sa.select(MistakeEntry).where(
        MistakeEntry.user_id == user.id, MistakeEntry.question_id == question_id))


def mistakes_of(user: User, *, status="open", category="", law="", source="") -> sa.Select:
    """The user's entries with their questions, filtered, most recently missed first; entries whose question an
    exam hides right now are left out (the page says how many)."""
    stmt = without_hidden(
        sa.select(MistakeEntry).join(MistakeEntry.question).options(contains_eager(MistakeEntry.question))
        .where(MistakeEntry.user_id == user.id), user)
    if status in ("open", "mastered", "removed"):
        stmt = stmt.where(MistakeEntry.status == status)
    if category:
        stmt = stmt.where(category_condition(Question.category, category))
    if law:
        stmt = stmt.where(Question.law_name == law)
    if source in SOURCES:
        stmt = stmt.where(MistakeEntry.source == source)
    return stmt.order_by(MistakeEntry.last_wrong_at.desc(), MistakeEntry.id.desc())


def hidden_mistake_count(user: User) -> int:
    """How many of the user's 错题本 entries an exam hides right now."""
    hidden = hidden_questions(user)
    if hidden is None:
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(MistakeEntry).where(
        MistakeEntry.user_id == user.id, MistakeEntry.question_id.in_(hidden))) or 0


def mistake_counts(user: User) -> dict:
    """Entries by status and, for the open ones, by source and retired questions (one grouped query)."""
    rows = db.session.execute(
        sa.select(MistakeEntry.status, MistakeEntry.source, Question.status, sa.func.count())
        .join(Question, Question.id == MistakeEntry.question_id)
        .where(MistakeEntry.user_id == user.id)
        .group_by(MistakeEntry.status, MistakeEntry.source, Question.status)).all()
    counts = {"open": 0, "mastered": 0, "removed": 0, "practice": 0, "exam": 0, "retired": 0}
    for status, source, question_status, n in rows:
        counts[status] += n
        if status == "open":
            counts[source] += n
            if question_status != "active":
                counts["retired"] += n
    counts["redoable"] = counts["open"] - counts["retired"]
    return counts


def mistake_filter_choices(user: User) -> dict:
    """Categories (every level) and laws of the user's entries, for the filter menus."""
    rows = db.session.execute(
        sa.select(Question.category, Question.law_name)
        .join(MistakeEntry, MistakeEntry.question_id == Question.id)
        .where(MistakeEntry.user_id == user.id)
        .group_by(Question.category, Question.law_name)).all()
    categories = set()
    for category, _ in rows:
        parts = [p for p in (category or "").split("/") if p]
        categories.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return {"categories": sorted(categories), "laws": sorted({law for _, law in rows if law})}


def remove_mistake(user: User, entry_id: int) -> MistakeEntry | None:
    """Take an entry out of the book by hand (移出); it comes back if the question is missed again."""
    entry = db.session.scalar(sa.select(MistakeEntry).where(
        MistakeEntry.id == entry_id, MistakeEntry.user_id == user.id))
    if entry is None:
        return None
    if entry.status == "open":
        entry.status = "removed"
        entry.left_at = utcnow()
        db.session.flush()
    return entry
