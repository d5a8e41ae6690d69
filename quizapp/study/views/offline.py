"""线下学法活动: the list with totals, recording a session, its attendees and sign-in sheets."""

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...common.forms import ButtonForm
from ...accounts.models import Unit, User
from ...accounts.scope import get_unit_or_404
from ...accounts.services import unit_choices, unit_full_name
from ...common.auth import MANAGERS, READERS, roles_required
from ...common import uploads
from ...common.errors import Forbidden, ServiceError, put_on_form
from ...common.spreadsheets import SpreadsheetError, write_xlsx, xlsx_download
from ...extensions import db
from .. import offline as service
from ..forms import AttendeesForm, OfflineSessionForm, SigninUploadForm, TokenForm
from ..models import OFFLINE_KINDS, OfflineSession
from ..services import current_year
from .common import page_size

offline_bp = Blueprint("offline", __name__, url_prefix="/offline")
UPLOAD_PURPOSE = "signin"


def _session_or_404(session_id, manage=False):
    session = db.session.get(OfflineSession, session_id)
    if session is None:
        abort(404)
    if not service.session_visible(current_user, session) or (
            manage and not service.can_manage(current_user, session)):
        raise Forbidden  # 404 all the same, and audited
    return session


def _filters():
    """The list's filters from the query string, always inside the viewer's scope."""
    year = request.args.get("year", type=int)
    if year is None and "year" not in request.args:
        year = current_year()
    unit = get_unit_or_404(current_user, request.args.get("unit", type=int)) if request.args.get("unit") else None
    kind = request.args.get("kind")
    return {"kind": kind if kind in OFFLINE_KINDS else None, "year": year, "unit": unit}


@offline_bp.route("/")
@roles_required(*READERS)
def index():
    filters = _filters()
    stmt = service.filtered_sessions(current_user, **filters)
    page = db.paginate(stmt.order_by(OfflineSession.held_on.desc(), OfflineSession.id.desc()),
                       per_page=page_size(), error_out=False)
    this = current_year()
    return render_template("offline/index.html", page=page, totals=service.totals(stmt), filters=filters,
                           today=service.local_today(),
                           counts=service.attendee_counts([s.id for s in page.items]), kinds=OFFLINE_KINDS,
                           units=unit_choices(current_user), years=list(range(this, this - 6, -1)))


@offline_bp.route("/export.xlsx")
@roles_required(*READERS)
def export():
    filters = _filters()
    stmt = service.filtered_sessions(current_user, **filters)
    sessions = db.session.scalars(stmt.order_by(OfflineSession.held_on, OfflineSession.id)).all()
    counts = service.attendee_counts([s.id for s in sessions])
    totals = service.totals(stmt)
    rows = [["日期", "类型", "主题", "学习内容", "组织单位", "主讲人", "地点", "时长（分钟）", "干部参加人次", "群众人次"]]
    rows += [[s.held_on.isoformat(), s.kind, s.topic, s.category, unit_full_name(s.unit), s.speaker, s.location,
              s.minutes, counts.get(s.id, 0), s.public_count] for s in sessions]
    rows.append(["合计", f"{totals['sessions']} 期", "", "", "", "", "", None, totals["cadres"], totals["public"]])
    data = write_xlsx({"线下学法活动": rows},
                      column_widths={"线下学法活动": [12, 10, 36, 12, 28, 12, 16, 12, 14, 10]})
    return xlsx_download(data, "线下学法活动.xlsx")


def _session_form(session=None):
    form = OfflineSessionForm(obj=session)
    form.unit_id.choices = unit_choices(current_user)
    if request.method == "GET" and session is None:
        form.unit_id.data = current_user.unit_id
    return form


def _values(form):
    return {key: getattr(form, key).data for key in service.FIELDS}


@offline_bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def create():
    form = _session_form()
    if form.validate_on_submit():
        try:
            session = service.create_session(current_user, _values(form))
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("活动已保存。请添加参加人员（可逐个勾选，或导入签到表）。", "success")
            return redirect(url_for("offline.attendees", session_id=session.id))
    return render_template("offline/form.html", form=form, title="登记线下学法活动")


@offline_bp.route("/<int:session_id>")
@roles_required(*READERS)
def show(session_id):
    session = _session_or_404(session_id)
    people = service.attendees(session)
    return render_template("offline/show.html", activity=session, people=people, full_name=unit_full_name,
                           can_manage=service.can_manage(current_user, session), button=ButtonForm(),
                           status=session.status(service.local_today()))


@offline_bp.route("/<int:session_id>/confirm", methods=["POST"])
@roles_required(*MANAGERS)
def confirm(session_id):
    """确认参加情况: once held, the attendees recorded are credited their 学时."""
    session = _session_or_404(session_id, manage=True)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        count = service.confirm_session(current_user, session)
    except ServiceError as error:
        db.session.rollback()
        flash("；".join(error.messages), "error")
    else:
        db.session.commit()
        flash(f"已确认参加情况，{count} 人计入学时。", "success")
    return redirect(url_for("offline.show", session_id=session.id))


@offline_bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(session_id):
    session = _session_or_404(session_id, manage=True)
    form = _session_form(session)
    if form.validate_on_submit():
        try:
            service.update_session(current_user, session, _values(form))
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("活动已保存，参加人员的学时已按新的日期和时长重新计算。" if session.confirmed_at else "活动已保存。",
                  "success")
            return redirect(url_for("offline.show", session_id=session.id))
    return render_template("offline/form.html", form=form, title="修改线下学法活动", activity=session)


@offline_bp.route("/<int:session_id>/delete", methods=["POST"])
@roles_required(*MANAGERS)
def delete(session_id):
    session = _session_or_404(session_id, manage=True)
    if not ButtonForm().validate_on_submit():
        abort(400)
    service.delete_session(current_user, session)
    db.session.commit()
    flash("活动已删除，参加人员因此获得的学时已扣回。", "success")
    return redirect(url_for("offline.index"))


# ---------------------------------------------------------------- attendees

def _people_filter(session, search, unit_id):
    """People the organiser may add, narrowed by the search (name, login or title) and a unit subtree."""
    stmt = service.eligible_people(current_user, session)
    if unit_id:
        unit = get_unit_or_404(current_user, unit_id)
        stmt = stmt.where(User.unit_id.in_(sa.select(Unit.id).where(Unit.path.startswith(unit.path))))
    if search:
        stmt = stmt.where(sa.or_(User.name.contains(search, autoescape=True),
                                 User.login.contains(search, autoescape=True),
                                 User.title.contains(search, autoescape=True)))
    return stmt


@offline_bp.route("/<int:session_id>/attendees")
@roles_required(*MANAGERS)
def attendees(session_id):
    """Pick people: search by GET, tick, add. Works without JavaScript."""
    session = _session_or_404(session_id, manage=True)
    search = (request.args.get("q") or "").strip()
    unit_id = request.args.get("unit", type=int)
    stmt = _people_filter(session, search, unit_id)
    page = db.paginate(stmt.join(Unit, User.unit_id == Unit.id).order_by(Unit.path, User.name, User.id),
                       per_page=50, error_out=False)
    present = set(db.session.scalars(service.attendee_ids(session.id)).all())
    form = AttendeesForm(q=search, unit=unit_id or "")
    return render_template("offline/attendees.html", activity=session, page=page, present=present, search=search,
                           unit_id=unit_id, units=unit_choices(current_user), form=form,
                           people=service.attendees(session), full_name=unit_full_name)


@offline_bp.route("/<int:session_id>/attendees/add", methods=["POST"])
@roles_required(*MANAGERS)
def add_attendees(session_id):
    session = _session_or_404(session_id, manage=True)
    form = AttendeesForm()
    if not form.validate_on_submit():
        abort(400)
    if form.all.data:
        added = service.add_matching(current_user, session,
                                     _people_filter(session, (form.q.data or "").strip(), _int(form.unit.data)))
    else:
        added = service.add_attendees(current_user, session, form.user_ids.data or [])
    db.session.commit()
    flash(f"已添加 {added} 人。" if added else "没有新增人员（所选人员已在名单中，或未勾选）。",
          "success" if added else "warning")
    return redirect(url_for("offline.attendees", session_id=session.id, q=form.q.data or None,
                            unit=_int(form.unit.data)))


def _int(text):
    try:
        return int(text) if text else None
    except ValueError:
        return None


@offline_bp.route("/<int:session_id>/attendees/remove", methods=["POST"])
@roles_required(*MANAGERS)
def remove_attendees(session_id):
    session = _session_or_404(session_id, manage=True)
    form = AttendeesForm()
    if not form.validate_on_submit():
        abort(400)
    removed = service.remove_attendees(current_user, session, form.user_ids.data or [])
    db.session.commit()
    flash(f"已移除 {removed} 人，相应学时已扣回。" if removed else "未选择要移除的人员。",
          "success" if removed else "warning")
    back = "offline.show" if form.back.data == "show" else "offline.attendees"
    return redirect(url_for(back, session_id=session.id))


# ---------------------------------------------------------------- sign-in sheets

@offline_bp.route("/<int:session_id>/signin", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def signin(session_id):
    session = _session_or_404(session_id, manage=True)
    form = SigninUploadForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            plan = service.plan_signin(current_user, session, data, max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
        except SpreadsheetError as error:
            form.file.errors = [str(error)]
        else:
            staged = uploads.stage(current_user, UPLOAD_PURPOSE, form.file.data.filename, data,
                                   {"session_id": session.id})
            db.session.commit()
            return render_template("offline/signin_preview.html", activity=session, plan=plan, staged=staged,
                                   form=TokenForm(token=staged.token), full_name=unit_full_name)
    return render_template("offline/signin.html", activity=session, form=form)


@offline_bp.route("/<int:session_id>/signin/apply", methods=["POST"])
@roles_required(*MANAGERS)
def signin_apply(session_id):
    session = _session_or_404(session_id, manage=True)
    form = TokenForm()
    if not form.validate_on_submit():
        abort(400)
    staged = uploads.fetch(current_user, UPLOAD_PURPOSE, form.token.data)
    if staged is None or staged.options.get("session_id") != session.id:
        flash("预检结果已失效，请重新上传签到表。", "error")
        return redirect(url_for("offline.signin", session_id=session.id))
    try:
        plan = service.plan_signin(current_user, session, staged.data)
    except SpreadsheetError as error:
        flash(str(error), "error")
        return redirect(url_for("offline.signin", session_id=session.id))
    added = service.add_attendees(current_user, session, plan.user_ids, via="import")
    uploads.discard(staged)
    db.session.commit()
    skipped = len(plan.problems)
    flash(f"已按签到表添加 {added} 人" + (f"，{skipped} 行有问题未导入" if skipped else "") + "。", "success")
    return redirect(url_for("offline.show", session_id=session.id))


@offline_bp.route("/signin-template.xlsx")
@roles_required(*MANAGERS)
def signin_template():
    rows = [["序号", "姓名", "登录名", "单位", "签名"], [1, "张三", "GM001", "乡政府", ""], [2, "李四", "GM002", "派出所", ""]]
    notes = [["说明"], ["必填“姓名”；建议同时填写“登录名”（工号或手机号），可避免同名人员无法区分。"],
             ["其他列（序号、单位、签名等）导入时忽略。"], ["导入前会先预检，逐行列出找不到的人员或姓名与登录名不一致的行。"]]
    data = write_xlsx({"签到表": rows, "填写说明": notes}, column_widths={"签到表": [6, 12, 16, 20, 16], "填写说明": [80]})
    return xlsx_download(data, "签到表模板.xlsx")
