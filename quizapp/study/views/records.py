"""我的学习, people's study records for leaders and organisers, 学时 targets, and the study-time heartbeat API."""
import math
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ...accounts.models import CATEGORIES as PERSON_CATEGORIES
from ...accounts.models import Unit, User
from ...accounts.scope import get_unit_or_404, get_user_or_404, users_in_scope
from ...accounts.services import unit_choices
from ...common.auth import EVERYONE, READERS, roles_required
from ...extensions import db, limiter
from .. import services
from ..forms import targets_form
from ..models import CREDIT_SOURCES, LawVersion, Material, OfflineAttendance, OfflineSession, StudyCredit
from ..settings import setting
from .common import page_size, year_arg

study_bp = Blueprint("study", __name__, url_prefix="/study")
study_api_bp = Blueprint("study_api", __name__, url_prefix="/api/study")


@study_bp.app_template_filter("hours")
def hours_filter(seconds):
    """学时 from seconds, one decimal (45 minutes = 1 学时 unless configured otherwise)."""
    return f"{services.to_hours(seconds):.1f}"


@study_bp.app_template_filter("duration")
def duration_filter(seconds):
    seconds = int(seconds or 0)
    if seconds < 60:
        return f"{seconds} 秒"
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} 小时 {minutes} 分钟" if hours else f"{minutes} 分钟"


def _render_record(person, year):
    record = services.study_record(person, year)
    return render_template("study/record.html", record=record, sources=CREDIT_SOURCES,
                           own=person.id == current_user.id, year=year, years=_years(),
                           per_hour=services.minutes_per_hour(),
                           min_minutes=services.min_minutes_for)


def _years():
    this = services.current_year()
    return list(range(this, this - 5, -1))


@study_bp.route("/me")
@roles_required(*EVERYONE)
def me():
    return _render_record(current_user, year_arg())


@study_bp.route("/people/<int:user_id>")
@roles_required(*EVERYONE)
def person(user_id):
    """A person's study record: a cadre only their own (others are a 404), managers their subtree."""
    person = get_user_or_404(current_user, user_id)
    return _render_record(person, year_arg())


@study_bp.route("/people")
@roles_required(*READERS)
def people():
    """Everyone in scope with this year's 学时, completed materials and offline sessions (one query each)."""
    year = year_arg()
    under = get_unit_or_404(current_user, request.args.get("unit", type=int)) if request.args.get("unit") else None
    stmt = users_in_scope(current_user, under).where(User.active.is_(True))
    search = (request.args.get("q") or "").strip()
    if search:
        stmt = stmt.where(sa.or_(User.name.contains(search, autoescape=True),
                                 User.login.contains(search, autoescape=True)))
    category = request.args.get("category")
    if category in PERSON_CATEGORIES:
        stmt = stmt.where(User.category == category)
    seconds = (sa.select(StudyCredit.user_id, sa.func.sum(StudyCredit.seconds).label("seconds"))
               .where(StudyCredit.year == year).group_by(StudyCredit.user_id).subquery())
    stmt = (stmt.join(Unit, User.unit_id == Unit.id).outerjoin(seconds, seconds.c.user_id == User.id)
            .order_by(sa.func.coalesce(seconds.c.seconds, 0).desc() if request.args.get("sort") == "hours"
                      else Unit.path, User.name, User.id))
    page = db.paginate(stmt, per_page=page_size(), error_out=False)
    ids = [p.id for p in page.items]
    totals = dict(db.session.execute(sa.select(seconds.c.user_id, seconds.c.seconds)
                                     .where(seconds.c.user_id.in_(ids))).all()) if ids else {}
    required = services.required_counts(ids, year)
    sessions = dict(db.session.execute(
        sa.select(OfflineAttendance.user_id, sa.func.count())
        .join(OfflineSession, OfflineSession.id == OfflineAttendance.session_id)
        .where(OfflineAttendance.user_id.in_(ids), OfflineSession.confirmed_at.is_not(None),
               OfflineSession.held_on >= date(year, 1, 1),
               OfflineSession.held_on <= date(year, 12, 31))
        .group_by(OfflineAttendance.user_id)).all()) if ids else {}
    return render_template("study/people.html", page=page, totals=totals, required=required, sessions=sessions,
                           targets=services.all_targets(), year=year, years=_years(), under=under,
                           units=unit_choices(current_user), categories=PERSON_CATEGORIES, search=search)


@study_bp.route("/targets", methods=["GET", "POST"])
@roles_required("admin")
def targets():
    current = services.all_targets()
    form = targets_form(current)
    if form.validate_on_submit():
        services.set_targets(current_user, {code: getattr(form, code).data for code in PERSON_CATEGORIES})
        db.session.commit()
        flash("学时目标已保存。", "success")
        return redirect(url_for("study.targets"))
    return render_template("study/targets.html", form=form, codes=list(PERSON_CATEGORIES),
                           per_hour=services.minutes_per_hour())


# ---------------------------------------------------------------- heartbeat API

def _api_user():
    """The signed-in person, or None: after sign-out a page's heartbeats are refused, not redirected."""
    if not current_user.is_authenticated:
        return None
    return current_user


def _unauthorised():
    return jsonify(status="signed_out", error="登录已失效，学习时间不再计入。请重新登录。", credited=0), 401


def _beat_limit():
    return setting("STUDY_BEAT_RATE_LIMIT")


def _user_key():
    return f"study:{current_user.get_id()}" if current_user.is_authenticated else request.remote_addr or ""


@study_api_bp.route("/start", methods=["POST"])
@limiter.limit(_beat_limit, key_func=_user_key)
def start():
    """Make the calling page the person's one active study page; returns its token."""
    user = _api_user()
    if user is None:
        return _unauthorised()
    payload = request.get_json(silent=True) or {}
    kind = payload.get("kind")
    target_id = payload.get("id")
    if kind not in ("material", "law") or not isinstance(target_id, int):
        return jsonify(status="bad_request", error="请求有误。"), 400
    target = db.session.get(Material if kind == "material" else LawVersion, target_id)
    session = services.start_reading(user, kind, target)
    if session is None:
        db.session.rollback()
        return jsonify(status="forbidden", error="本页不计学习时间。", credited=0), 404
    progress = services.progress_for(user, kind, target)
    db.session.commit()
    return jsonify(status="ok", token=session.token, beat=setting("STUDY_BEAT_SECONDS"),
                   idle=setting("STUDY_IDLE_SECONDS"), progress=services.progress_payload(kind, target, progress))


@study_api_bp.route("/beat", methods=["POST"])
@limiter.limit(_beat_limit, key_func=_user_key)
def beat():
    """Credit the time the page was visible and in use since its last heartbeat (see services.beat)."""
    user = _api_user()
    if user is None:
        return _unauthorised()
    payload = request.get_json(silent=True) or {}
    claimed = payload.get("seconds")
    if not isinstance(claimed, (int, float)) or isinstance(claimed, bool) or not math.isfinite(claimed):
        return jsonify(status="bad_request", error="请求有误。"), 400
    result = services.beat(user, str(payload.get("token") or ""), float(claimed), bool(payload.get("end")))
    body = {"status": result.status, "credited": result.credited}
    if result.target is not None:
        kind = "material" if isinstance(result.target, Material) else "law"
        body["progress"] = services.progress_payload(kind, result.target, result.progress)
    db.session.commit()
    if result.status == "forbidden":
        return jsonify(body | {"error": "本页不计学习时间。"}), 404
    return jsonify(body)
