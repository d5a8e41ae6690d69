"""知识竞赛: building a contest from a bank, stepping it, answers from phones, distributions and leaderboards.

The database holds the whole state, so any worker answers any request and a reloaded projector or phone
sees the contest as it is. Every write is one conditional statement or one insert guarded by a unique
constraint: a double click on 下一题 advances once, and a phone that retries stores its answer once.
Services flush, never commit.
"""
from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..accounts.models import Unit, User
from ..accounts.scope import unit_visible
from ..audit.services import record
from ..bank.models import Bank, Question
from ..bank.qtypes import LETTERS, REGISTRY
from ..common.clock import to_local
from ..common.errors import NotFound, ServiceError
from ..extensions import db
from ..practice.services import is_correct, usable_bank_condition
from ..study import offline
from .models import Contest, ContestAnswer, ContestPlayer

MAX_QUESTIONS = 50
SECONDS_CHOICES = (10, 15, 20, 30, 45, 60)
# An answer sent just before the countdown ends may arrive a little after it (a phone on a busy LAN).
GRACE = timedelta(seconds=2)
LEADERBOARD_SIZE = 10


def can_run(user: User, contest: Contest) -> bool:
    """Organisers of the contest's unit (or above) and admins run it."""
    return user.role in ("organiser", "admin") and unit_visible(user, contest.unit)


def _new_code() -> str:
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        if db.session.scalar(sa.select(Contest.id).where(Contest.join_code == code)) is None:
            return code


def usable_banks(actor: User) -> list[Bank]:
    return list(db.session.scalars(sa.select(Bank).where(usable_bank_condition(actor)).order_by(Bank.name)))


def create_contest(actor: User, *, title: str, bank_id, count, seconds, now: datetime) -> Contest:
    """A contest for the actor's unit with ``count`` random gradable questions of the bank."""
    problems = []
    title = (title or "").strip()
    if not title or len(title) > 200:
        problems.append(("title", "请填写竞赛名称（不超过 200 个字符）。"))
    bank = db.session.scalar(sa.select(Bank).where(Bank.id == int(bank_id), usable_bank_condition(actor))) \
        if str(bank_id or "").isdigit() else None
    if bank is None:
        problems.append(("bank_id", "请选择题库。"))
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= MAX_QUESTIONS:
        problems.append(("count", f"题数应为 1 至 {MAX_QUESTIONS} 道。"))
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        seconds = 0
    if seconds not in SECONDS_CHOICES:
        problems.append(("seconds", "请选择每题限时。"))
    if problems:
        raise ServiceError(problems)
    ids = list(db.session.scalars(
        sa.select(Question.id).where(Question.bank_id == bank.id, Question.status == "active",
                                     Question.qtype.in_(list(REGISTRY)))
        .order_by(sa.func.random()).limit(count)))
    if len(ids) < count:
        raise ServiceError([("count", f"该题库只有 {len(ids)} 道可用题目。")])
    contest = Contest(title=title, unit_id=actor.unit_id, bank_id=bank.id, join_code=_new_code(), question_ids=ids,
                      seconds=seconds, created_by_id=actor.id, created_at=now)
    db.session.add(contest)
    db.session.flush()
    record(actor, "contest.create", "contest", contest.id, title)
    return contest


def get_contest(contest_id: int) -> Contest | None:
    return db.session.get(Contest, contest_id)


# ---------------------------------------------------------------- stepping (the organiser)

def next_question(contest: Contest, expected: int, now: datetime) -> bool:
    """Show question ``expected + 1`` with a fresh countdown; False when someone already moved on (a double
    click, a second screen), which is not an error."""
    if contest.status == "finished":
        raise ServiceError("竞赛已结束。")
    if expected + 1 >= contest.total:
        raise ServiceError("已是最后一题，请结束竞赛。")
    moved = db.session.execute(
        sa.update(Contest).where(Contest.id == contest.id, Contest.current == expected,
                                 Contest.status != "finished")
        .values(current=expected + 1, phase="question", status="running",
                started_at=sa.func.coalesce(Contest.started_at, now), question_started_at=now,
                question_ends_at=now + timedelta(seconds=contest.seconds))
        .execution_options(synchronize_session=False))
    db.session.expire(contest)
    return moved.rowcount == 1


def reveal(contest: Contest, expected: int, now: datetime) -> bool:
    """End the current question's countdown now and show its answer."""
    done = db.session.execute(
        sa.update(Contest).where(Contest.id == contest.id, Contest.current == expected, Contest.phase == "question")
        .values(phase="reveal", question_ends_at=sa.case((Contest.question_ends_at > now, now),
                                                         else_=Contest.question_ends_at))
        .execution_options(synchronize_session=False))
    db.session.expire(contest)
    return done.rowcount == 1


def finish(actor: User, contest: Contest, now: datetime) -> bool:
    """End the contest and record its attendance as a 法治讲堂 offline session (人次 and 学时), once."""
    done = db.session.execute(
        sa.update(Contest).where(Contest.id == contest.id, Contest.status != "finished")
        .values(status="finished", phase="reveal", finished_at=now,
                question_ends_at=sa.case((Contest.question_ends_at > now, now), else_=Contest.question_ends_at))
        .execution_options(synchronize_session=False))
    db.session.expire(contest)
    if done.rowcount != 1:
        return False
    started = contest.started_at or now
    minutes = max(1, math.ceil((now - started).total_seconds() / 60))
    session = offline.create_session(actor, {
        "kind": "法治讲堂", "topic": f"知识竞赛：{contest.title}"[:200], "category": "法律法规",
        "held_on": to_local(now).date(), "minutes": minutes, "unit_id": contest.unit_id,
        "speaker": "", "location": "", "public_count": 0, "notes": f"知识竞赛（{contest.total} 题）自动记录的参加人员。"})
    players = db.session.scalars(sa.select(ContestPlayer.user_id).where(ContestPlayer.contest_id == contest.id))
    offline.add_attendees(actor, session, list(players))
    # The contest itself is the attendance record of a session held today: confirmed at once, so 学时 count.
    offline.confirm_session(actor, session, today=to_local(now).date())
    contest.offline_session_id = session.id
    record(actor, "contest.finish", "contest", contest.id, contest.title)
    db.session.flush()
    return True


# ---------------------------------------------------------------- phones

def join(user: User, code: str, now: datetime) -> Contest:
    contest = db.session.scalar(sa.select(Contest).where(Contest.join_code == (code or "").strip()))
    if contest is None or contest.status == "finished":
        raise ServiceError([("code", "竞赛码不正确，或竞赛已结束。")])
    try:
        with db.session.begin_nested():
            db.session.add(ContestPlayer(contest_id=contest.id, user_id=user.id, unit_id=user.unit_id, joined_at=now))
    except IntegrityError:
        pass  # joined already (a second tab, a reload)
    return contest


def is_player(user: User, contest: Contest) -> bool:
    return db.session.scalar(sa.select(ContestPlayer.id).where(ContestPlayer.contest_id == contest.id,
                                                               ContestPlayer.user_id == user.id)) is not None


def answer(user: User, contest: Contest, position: int, response, now: datetime) -> tuple[ContestAnswer, bool]:
    """Store the person's answer to the question on screen, once; returns (answer, newly stored)."""
    if not is_player(user, contest):
        raise NotFound("not a player of this contest")
    if (contest.status != "running" or position != contest.current or contest.phase != "question"
            or contest.question_ends_at is None or now > contest.question_ends_at + GRACE):
        existing = my_answer(user, contest, position)  # a retry of an answer stored in time
        if existing is not None:
            return existing, False
        raise ServiceError("本题作答时间已过。")
    question = db.session.get(Question, contest.question_ids[position])
    if question is None:
        raise ServiceError("该题已不存在。")
    normalised = REGISTRY[question.qtype].normalise_response(response)
    if not normalised or any(ch not in LETTERS[: len(question.options or [])] for ch in normalised):
        raise ServiceError("请选择答案。")
    elapsed = max(0, int((now - contest.question_started_at).total_seconds() * 1000))
    values = {"contest_id": contest.id, "user_id": user.id, "position": position, "question_id": question.id,
              "response": normalised, "correct": is_correct(question, normalised), "elapsed_ms": elapsed,
              "answered_at": now}
    # One statement: a retry or a second tab meets the unique constraint and stores nothing.
    stored = db.session.execute(_insert(ContestAnswer.__table__).values(**values).on_conflict_do_nothing(
        index_elements=["contest_id", "user_id", "position"]))
    if stored.rowcount != 1:
        return my_answer(user, contest, position), False
    return ContestAnswer(**values), True


def _insert(table):
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def my_answer(user: User, contest: Contest, position: int) -> ContestAnswer | None:
    return db.session.scalar(sa.select(ContestAnswer).where(
        ContestAnswer.contest_id == contest.id, ContestAnswer.user_id == user.id, ContestAnswer.position == position))


# ---------------------------------------------------------------- what the screens show

def answers_open(contest: Contest, now: datetime) -> bool:
    return (contest.status == "running" and contest.phase == "question" and contest.question_ends_at is not None
            and now <= contest.question_ends_at)


def current_question(contest: Contest) -> Question | None:
    if not 0 <= contest.current < contest.total:
        return None
    return db.session.get(Question, contest.question_ids[contest.current])


def distribution(contest: Contest, position: int) -> dict[str, int]:
    """How many chose each response to question ``position`` ({"A": 12, "AC": 3, …})."""
    return dict(db.session.execute(
        sa.select(ContestAnswer.response, sa.func.count())
        .where(ContestAnswer.contest_id == contest.id, ContestAnswer.position == position)
        .group_by(ContestAnswer.response)).all())


def player_count(contest: Contest) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ContestPlayer)
                             .where(ContestPlayer.contest_id == contest.id)) or 0


@dataclass
class Standing:
    rank: int
    user_id: int
    name: str
    unit: str
    correct: int
    time_ms: int


def leaderboard(contest: Contest, limit: int | None = LEADERBOARD_SIZE) -> list[Standing]:
    """Players by correct answers, ties to the less total time on their correct answers (one query)."""
    correct = sa.func.coalesce(sa.func.sum(sa.case((ContestAnswer.correct.is_(True), 1), else_=0)), 0)
    time_ms = sa.func.coalesce(sa.func.sum(sa.case((ContestAnswer.correct.is_(True), ContestAnswer.elapsed_ms),
                                                   else_=0)), 0)
    stmt = (sa.select(ContestPlayer.user_id, User.name, Unit.name, correct.label("correct"), time_ms.label("t"))
            .join(User, User.id == ContestPlayer.user_id).join(Unit, Unit.id == ContestPlayer.unit_id)
            .outerjoin(ContestAnswer, sa.and_(ContestAnswer.contest_id == ContestPlayer.contest_id,
                                              ContestAnswer.user_id == ContestPlayer.user_id))
            .where(ContestPlayer.contest_id == contest.id)
            .group_by(ContestPlayer.user_id, User.name, Unit.name)
            .order_by(sa.desc("correct"), sa.asc("t"), User.name, ContestPlayer.user_id))
    if limit:
        stmt = stmt.limit(limit)
    return [Standing(n, user_id, name, unit, int(c), int(t))
            for n, (user_id, name, unit, c, t) in enumerate(db.session.execute(stmt), 1)]


def unit_board(contest: Contest) -> list[dict]:
    """Units by correct answers per player (then total correct), with their player counts."""
    rows = db.session.execute(
        sa.select(Unit.name, sa.func.count(sa.distinct(ContestPlayer.user_id)),
                  sa.func.coalesce(sa.func.sum(sa.case((ContestAnswer.correct.is_(True), 1), else_=0)), 0))
        .select_from(ContestPlayer).join(Unit, Unit.id == ContestPlayer.unit_id)
        .outerjoin(ContestAnswer, sa.and_(ContestAnswer.contest_id == ContestPlayer.contest_id,
                                          ContestAnswer.user_id == ContestPlayer.user_id))
        .where(ContestPlayer.contest_id == contest.id).group_by(Unit.name)).all()
    board = [{"unit": name, "players": int(players), "correct": int(total),
              "average": round(int(total) / int(players), 2) if players else 0.0} for name, players, total in rows]
    return sorted(board, key=lambda row: (-row["average"], -row["correct"], row["unit"]))


def screen_state(contest: Contest, now: datetime) -> dict:
    """Everything the projector shows, as JSON-ready values (the key only once answers are closed)."""
    question = current_question(contest)
    open_ = answers_open(contest, now)
    state = {
        "status": contest.status, "status_label": contest.status_label, "phase": contest.phase,
        "current": contest.current, "total": contest.total, "code": contest.join_code,
        "players": player_count(contest), "open": open_,
        "seconds_left": max(0, math.ceil((contest.question_ends_at - now).total_seconds()))
        if open_ else 0,
        "question": None, "answered": 0, "distribution": None, "key": None,
        "leaderboard": [s.__dict__ for s in leaderboard(contest)], "units": unit_board(contest)[:LEADERBOARD_SIZE],
    }
    if question is not None:
        state["question"] = {"stem": question.stem, "type": question.type.label,
                             "options": [[letter, text] for letter, text in question.lettered_options]}
        counts = distribution(contest, contest.current)
        state["answered"] = sum(counts.values())
        if not open_:
            state["distribution"] = counts
            state["key"] = question.answer
    return state


def phone_state(user: User, contest: Contest, now: datetime) -> dict:
    """What a phone shows: the question and countdown while open, then the key and the person's result."""
    question = current_question(contest)
    open_ = answers_open(contest, now)
    mine = my_answer(user, contest, contest.current) if question is not None else None
    state = {"status": contest.status, "current": contest.current, "total": contest.total, "open": open_,
             "seconds_left": max(0, math.ceil((contest.question_ends_at - now).total_seconds())) if open_ else 0,
             "question": None, "mine": mine.response if mine else None, "key": None, "correct": None}
    if question is not None:
        state["question"] = {"stem": question.stem, "type": question.type.label, "several": question.qtype == "multiple",
                             "options": [[letter, text] for letter, text in question.lettered_options]}
        if not open_:
            state["key"] = question.answer
            state["correct"] = mine.correct if mine else None
    state["score"], state["rank"] = None, None
    if not open_:  # while a question runs, 200 phones polling need not rank everyone each time
        me = next((s for s in leaderboard(contest, limit=None) if s.user_id == user.id), None)
        state["score"], state["rank"] = (me.correct, me.rank) if me else (0, None)
    return state
