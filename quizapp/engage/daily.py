"""每日一练: five scheduled questions a day per person, their answers, the review cards, streak and calendar.

The day's questions live in an ordinary practice session, so answering goes through practice's own
``submit_answer``: one winner per question, study time credited by the honest-time rule (the gap since
the previous answer, capped), and the 错题本 updated. This module adds the choice of questions (FSRS
review cards first, then unseen questions of the person's laws), the review card of each answer, and
the streak. Services flush, never commit.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..bank.models import Question
from ..common.clock import UTC, local_zone, to_local, utcnow
from ..exams.access import question_ids_hidden_from
from ..exams.models import PaperRule, PaperVariant
from ..extensions import db
from ..practice import services as practice
from ..practice.models import MistakeEntry, PracticeAnswer, PracticeSession
from ..study.models import Material, MaterialCategory
from .models import DailySet, ReviewCard
from .scheduling import CardState, review

DAILY_SIZE = 5
# At most this many of the five are reviews while unseen questions remain, so every day brings new ones too.
REVIEW_SHARE = 3
LABEL = "每日一练"


# ---------------------------------------------------------------- local days

def local_day(moment: datetime) -> date:
    return to_local(moment).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants at which local ``day`` starts and the next one starts."""
    start = datetime.combine(day, time(0), tzinfo=local_zone())
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


# ---------------------------------------------------------------- what may not be practised now
# One rule for practice, the 错题本 and 每日一练: ``exams.access.question_ids_hidden_from`` (issue 11).

# ---------------------------------------------------------------- whose laws

_TITLE = re.compile(r"《([^》]+)》")


def preferred_laws(user: User) -> list[str]:
    """Laws (as questions cite them, in book-title marks) meant for the person's 人员类别 and 职级.

    Two kinds of data say which laws matter to whom: the sources of published materials whose audience is
    the person's category, and the law rules of exam papers made for their category or rank (a 领导干部
    paper's rule "5 题 from 《宪法》"). Questions on those laws come first among the unseen ones.
    """
    sources = db.session.scalars(
        sa.select(Material.sources).join(MaterialCategory, MaterialCategory.material_id == Material.id)
        .where(MaterialCategory.category == user.category, Material.published.is_(True))).all()
    titles = {title.strip() for text in sources for title in _TITLE.findall(text or "")}
    rules = db.session.execute(
        sa.select(PaperVariant.match_categories, PaperVariant.match_ranks, PaperRule.law_name)
        .join(PaperRule, PaperRule.variant_id == PaperVariant.id).where(PaperRule.law_name != "")).all()
    for categories, ranks, law in rules:
        if user.category in (categories or []) or user.rank in (ranks or []):
            titles.add(law.strip().removeprefix("《").removesuffix("》"))
    return sorted(f"《{title}》" for title in titles if title)


# ---------------------------------------------------------------- choosing the day's questions

def _state(row: ReviewCard) -> CardState:
    return CardState(row.state, row.stability, row.difficulty, row.due, row.last_review, row.reviews, row.lapses)


def sync_mistakes(user: User):
    """Give the 错题本's misses (from practice and exams) to the scheduler: an open entry missed after its
    card's last review (or with no card yet) is reviewed as a miss at the time it was missed."""
    rows = db.session.execute(
        sa.select(MistakeEntry.question_id, MistakeEntry.last_wrong_at, ReviewCard.id)
        .outerjoin(ReviewCard, sa.and_(ReviewCard.user_id == MistakeEntry.user_id,
                                       ReviewCard.question_id == MistakeEntry.question_id))
        .where(MistakeEntry.user_id == user.id, MistakeEntry.status == "open",
               sa.or_(ReviewCard.id.is_(None), ReviewCard.last_review < MistakeEntry.last_wrong_at))).all()
    for question_id, wrong_at, _ in rows:
        record_review(user, question_id, False, wrong_at)


def one_per_group(candidates: list[tuple[int, str]], size: int) -> list[int]:
    """The first ``size`` ids of (id, variant group) pairs in order, at most one per non-empty group."""
    chosen, groups = [], set()
    for question_id, group in candidates:
        if group:
            if group in groups:
                continue
            groups.add(group)
        chosen.append(question_id)
        if len(chosen) == size:
            break
    return chosen


def _group_column():
    """Questions testing the same fact share a 变式组 (``variant_group``) where the bank keeps one."""
    return getattr(Question, "variant_group", None)


def choose_questions(user: User, now: datetime, size: int = DAILY_SIZE) -> list[int]:
    """The day's question ids: due review cards (misses first come due), then unseen questions, the
    person's laws first; never a question hidden by an exam, never one already answered today, at most one
    of a 变式组, and no 案例分析 sub-question (it needs its case text, which 每日一练 does not show)."""
    today_start, tomorrow_start = day_bounds(local_day(now))
    hidden = question_ids_hidden_from(user.id, now)
    allowed = practice.practisable(user).where(Question.id.not_in(hidden))
    case_column = getattr(Question, "case_id", None)
    if case_column is not None:
        allowed = allowed.where(case_column == "")
    due = list(db.session.scalars(
        sa.select(ReviewCard.question_id)
        .where(ReviewCard.user_id == user.id, ReviewCard.due < tomorrow_start,
               sa.or_(ReviewCard.last_review.is_(None), ReviewCard.last_review < today_start),
               ReviewCard.question_id.in_(allowed))
        .order_by(ReviewCard.due, ReviewCard.question_id).limit(size)))
    seen = sa.union(
        sa.select(ReviewCard.question_id).where(ReviewCard.user_id == user.id),
        sa.select(MistakeEntry.question_id).where(MistakeEntry.user_id == user.id),
        sa.select(PracticeAnswer.question_id).join(PracticeSession, PracticeSession.id == PracticeAnswer.session_id)
        .where(PracticeSession.user_id == user.id),
    )
    laws = preferred_laws(user)
    first = sa.case((Question.law_name.in_(laws), 0), else_=1) if laws else sa.literal(1)
    unseen = list(db.session.scalars(
        sa.select(Question.id).where(Question.id.in_(allowed), Question.id.not_in(seen))
        .order_by(first, sa.func.random()).limit(size * 3)))  # spare ones for 变式组 that collide
    reviews = due[:max(REVIEW_SHARE, size - len(unseen))]
    ordered = reviews + [i for i in unseen if i not in reviews] + [i for i in due if i not in reviews]
    group = _group_column()
    groups = dict(db.session.execute(sa.select(Question.id, group).where(Question.id.in_(ordered))).all()) \
        if group is not None and ordered else {}
    return one_per_group([(i, groups.get(i) or "") for i in ordered], size)


# ---------------------------------------------------------------- the day's set

def new_practice_session(user: User, ids: list[int], label: str, filters: dict, now: datetime) -> PracticeSession:
    """A practice session over exactly these questions, answered through practice's own pages or ours."""
    session = PracticeSession(user_id=user.id, kind="practice", filters=filters, label=label, question_ids=ids,
                              total=len(ids), position=0, correct_count=0, started_at=now, last_activity_at=now)
    db.session.add(session)
    db.session.flush()
    return session


def todays_set(user: User, now: datetime | None = None) -> DailySet | None:
    now = now or utcnow()
    return db.session.scalar(sa.select(DailySet).where(DailySet.user_id == user.id,
                                                       DailySet.day == local_day(now)))


def start_today(user: User) -> DailySet | None:
    """Today's set, made on first asking; None when there is nothing the person may practise.

    Two requests at once make one set: the second insert meets the unique (person, day) and takes the first.
    """
    now = utcnow()
    existing = todays_set(user, now)
    if existing is not None:
        return existing
    sync_mistakes(user)
    ids = choose_questions(user, now)
    if not ids:
        return None
    day = local_day(now)
    try:
        with db.session.begin_nested():
            session = new_practice_session(user, ids, f"{LABEL} {day.isoformat()}", {"daily": day.isoformat()}, now)
            daily = DailySet(user_id=user.id, day=day, session_id=session.id, created_at=now)
            db.session.add(daily)
            db.session.flush()
    except IntegrityError:
        return todays_set(user, now)
    return daily


def set_questions(daily: DailySet) -> list[Question]:
    """The set's questions in their order (one query)."""
    ids = daily.session.question_ids
    by_id = {q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def get_set(user: User, set_id: int) -> DailySet | None:
    """A set, only for its own person."""
    return db.session.scalar(sa.select(DailySet).where(DailySet.id == set_id, DailySet.user_id == user.id))


def record_review(user: User, question_id: int, correct: bool, when: datetime) -> CardState:
    """Schedule the question's next showing after an answer at ``when`` (FSRS: a miss comes back tomorrow)."""
    row = db.session.scalar(sa.select(ReviewCard).where(ReviewCard.user_id == user.id,
                                                        ReviewCard.question_id == question_id).with_for_update())
    after = review(_state(row) if row is not None else None, correct, when)
    if row is None:
        row = ReviewCard(user_id=user.id, question_id=question_id, **asdict(after))
        db.session.add(row)
    else:
        for key, value in asdict(after).items():
            setattr(row, key, value)
    db.session.flush()
    return after


def card_for(user: User, question_id: int) -> ReviewCard | None:
    return db.session.scalar(sa.select(ReviewCard).where(ReviewCard.user_id == user.id,
                                                         ReviewCard.question_id == question_id))


def answer(user: User, daily: DailySet, seq: int, response):
    """Answer question ``seq`` of the day: graded, credited and put in the 错题本 by practice, then scheduled.

    Returns (answer, newly stored); a repeated submission returns the stored answer and schedules nothing.
    """
    stored, new = practice.submit_answer(user, daily.session, seq, response)
    if new:
        record_review(user, stored.question_id, stored.correct, stored.answered_at)
    return stored, new


# ---------------------------------------------------------------- streak and calendar

def done_days(user: User, since: date | None = None) -> set[date]:
    """Local days on which the person answered every question of the day's set."""
    stmt = (sa.select(DailySet.day).join(PracticeSession, PracticeSession.id == DailySet.session_id)
            .where(DailySet.user_id == user.id, PracticeSession.position >= PracticeSession.total))
    if since is not None:
        stmt = stmt.where(DailySet.day >= since)
    return set(db.session.scalars(stmt))


def streak(days: set[date], today: date) -> int:
    """Days in a row with the set done, ending today (or yesterday, while today's is still to do)."""
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


@dataclass
class Overview:
    today: date
    set: DailySet | None
    streak: int
    weeks: list  # [[(date or None, done)]], Monday first, for the month calendar
    month_done: int


def overview(user: User, now: datetime | None = None) -> Overview:
    """Today's set, the streak and this month's calendar (two queries)."""
    now = now or utcnow()
    today = local_day(now)
    first = today.replace(day=1)
    days = done_days(user, since=today - timedelta(days=400))
    weeks = [[(d if d.month == today.month else None, d in days) for d in week]
             for week in calendar.Calendar().monthdatescalendar(today.year, today.month)]
    month_done = sum(1 for d in days if d >= first)
    return Overview(today, todays_set(user, now), streak(days, today), weeks, month_done)


def schedule(user: User, limit: int = 50) -> list[tuple[MistakeEntry, ReviewCard | None]]:
    """The open 错题本 entries with the day each comes back in 每日一练, soonest first."""
    rows = db.session.execute(
        sa.select(MistakeEntry, ReviewCard)
        .outerjoin(ReviewCard, sa.and_(ReviewCard.user_id == MistakeEntry.user_id,
                                       ReviewCard.question_id == MistakeEntry.question_id))
        .where(MistakeEntry.user_id == user.id, MistakeEntry.status == "open")
        .order_by(ReviewCard.due.is_(None), ReviewCard.due, MistakeEntry.id).limit(limit)).all()
    return [(entry, card) for entry, card in rows]
