"""Who may manage, read and sit an exam, and what may still change once someone has started.

Plain functions over models; the statements are selects the callers refine.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import Unit, User
from ..accounts.scope import unit_visible
from ..common.auth import LEARNERS
from ..common.errors import ServiceError
from ..extensions import db
from .models import Attempt, AttemptItem, Exam, ExamOverride, ExamUnit, PaperQuestion, PaperVariant

# ---------------------------------------------------------------- organisers

def manageable(actor, exam) -> bool:
    """Organisers manage exams owned by units in their subtree; admins manage all."""
    return actor.role in ("organiser", "admin") and unit_visible(actor, exam.unit)


def visible_to_manager(actor, exam) -> bool:
    """Organisers also read (for their own people) exams set above them whose audience reaches into their subtree."""
    if manageable(actor, exam):
        return True
    if actor.role not in ("organiser", "admin"):
        return False
    path = actor.unit.path
    return any(u.path.startswith(path) or path.startswith(u.path) for u in exam.audience_units)


def managed_exams_stmt(actor):
    """Exams an organiser can open: owned in their subtree, or with audience reaching into it."""
    stmt = sa.select(Exam)
    if actor.role == "admin":
        return stmt
    path = actor.unit.path
    owner = sa.orm.aliased(Unit)
    audience = sa.orm.aliased(Unit)
    reaching = (sa.select(ExamUnit.exam_id).join(audience, audience.id == ExamUnit.unit_id)
                .where(sa.or_(audience.path.startswith(path), sa.literal(path).startswith(audience.path))))
    return (stmt.join(owner, owner.id == Exam.unit_id)
            .where(sa.or_(owner.path.startswith(path), Exam.id.in_(reaching))))


# ---------------------------------------------------------------- audience

def audience_users_stmt(exam, *, within_path=None):
    """Active people who sit this exam (optionally only those under ``within_path``), as one select."""
    audience = sa.orm.aliased(Unit)
    member = sa.orm.aliased(Unit)
    unit_ids = (sa.select(member.id)
                .join(audience, member.path.startswith(audience.path))
                .join(ExamUnit, sa.and_(ExamUnit.unit_id == audience.id, ExamUnit.exam_id == exam.id)))
    stmt = sa.select(User).where(User.unit_id.in_(unit_ids), User.active.is_(True), User.role.in_(LEARNERS))
    if exam.categories:
        stmt = stmt.where(User.category.in_(exam.categories))
    if exam.audience_shufa_only:
        stmt = stmt.where(User.shufa.is_(True))
    if within_path:
        stmt = stmt.where(User.unit_id.in_(sa.select(Unit.id).where(Unit.path.startswith(within_path))))
    return stmt


def in_audience(exam, user) -> bool:
    if not user.active or user.role not in LEARNERS:
        return False
    if exam.categories and user.category not in exam.categories:
        return False
    if exam.audience_shufa_only and not user.shufa:
        return False
    return any(user.unit.path.startswith(u.path) for u in exam.audience_units)


def exams_for_user_stmt(user):
    """Published exams whose audience covers this person (by unit ancestry, category and 述法)."""
    ancestors = user.unit.ancestor_ids()
    stmt = (sa.select(Exam).where(Exam.status == "published",
                                  Exam.id.in_(sa.select(ExamUnit.exam_id).where(ExamUnit.unit_id.in_(ancestors))))
            .where(sa.or_(Exam.audience_categories == "", Exam.audience_categories.contains(f",{user.category},"))))
    if not user.shufa:
        stmt = stmt.where(Exam.audience_shufa_only.is_(False))
    return stmt


# ---------------------------------------------------------------- the lock once someone has started

def started_count(exam) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Attempt).where(Attempt.exam_id == exam.id)) or 0


def lock_reason(exam) -> str | None:
    """Why settings other than the close time are locked, or None when everything may change."""
    count = started_count(exam)
    if not count:
        return None
    return (f"已有 {count} 人次开始作答。为保证公平，试卷、计分和参考范围已锁定，"
            "只能修改截止时间、补考截止时间、考试说明和个人特殊安排。")


def require_unlocked(exam):
    reason = lock_reason(exam)
    if reason:
        raise ServiceError(reason)


# ---------------------------------------------------------------- what practice may reveal

def question_ids_hidden_from(user_id, now) -> sa.Select:
    """Question ids whose key and 解析 must not be shown to this person outside an exam right now, as one select
    usable as a subquery (``Question.id.not_in(...)``). Practice, the 错题本 and 每日一练 use this one rule.

    Hidden: every question of the person's open attempts; and every question drawn into anyone's attempt, or
    on a fixed paper, of a published exam not yet over (main, 补考 or a personal later close still ahead),
    except the questions of the person's own submitted attempts of an exam that shows answers right after
    submitting (they have seen those keys already). Once every window of an exam has closed its questions
    return to practice.
    """
    overrides_ahead = sa.select(ExamOverride.exam_id).where(ExamOverride.close_at > now)
    live = sa.select(Exam.id).where(
        Exam.status == "published",
        sa.or_(Exam.close_at > now, sa.and_(Exam.makeup_enabled.is_(True), Exam.makeup_close_at > now),
               Exam.id.in_(overrides_ahead)))
    own_open = (sa.select(AttemptItem.question_id).join(Attempt, Attempt.id == AttemptItem.attempt_id)
                .where(Attempt.user_id == user_id, Attempt.status == "open", AttemptItem.question_id.is_not(None)))
    seen_item = sa.orm.aliased(AttemptItem)
    seen_attempt = sa.orm.aliased(Attempt)
    seen = (sa.select(seen_item.question_id).join(seen_attempt, seen_attempt.id == seen_item.attempt_id)
            .join(Exam, Exam.id == seen_attempt.exam_id)
            .where(seen_attempt.user_id == user_id, seen_attempt.status == "submitted",
                   Exam.review_policy == "immediate", seen_item.question_id.is_not(None)))
    drawn = (sa.select(AttemptItem.question_id).join(Attempt, Attempt.id == AttemptItem.attempt_id)
             .where(Attempt.exam_id.in_(live), AttemptItem.question_id.is_not(None),
                    AttemptItem.question_id.not_in(seen)))
    fixed = (sa.select(PaperQuestion.question_id).join(PaperVariant, PaperVariant.id == PaperQuestion.variant_id)
             .where(PaperVariant.exam_id.in_(live), PaperQuestion.question_id.not_in(seen)))
    # A flat UNION (SQLite cannot nest compound selects); NULL ids are excluded so NOT IN stays usable.
    return sa.union(own_open, drawn, fixed)
