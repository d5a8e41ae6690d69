"""People: list, filter, export, create, edit, deactivate, reset passwords and bulk import (blueprint ``users``)."""
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ...audit.services import record
from ...common import uploads
from ...common.auth import MANAGERS, READERS, ROLES, roles_required
from ...common.errors import ServiceError, put_on_form
from ...common.forms import ButtonForm
from ...common.urls import public_base
from ...common.spreadsheets import SpreadsheetError, write_xlsx, xlsx_download
from ...extensions import db
from ... import jobs
from .. import background, importer, services, throttle
from .. import slips as slips_module
from ..forms import ImportApplyForm, ImportForm, SetActiveForm, SlipsForm, UserForm
from ..models import CATEGORIES, RANKS, Unit, User
from ..scope import get_unit_or_404, get_user_or_404, users_in_scope

users_bp = Blueprint("users", __name__, url_prefix="/users")
UPLOAD_PURPOSE = "users"


def _filtered_people():
    """The people list query from the request's filters, always inside the viewer's scope."""
    under = None
    unit_id = request.args.get("unit", type=int)
    if unit_id:
        under = get_unit_or_404(current_user, unit_id)
    stmt = users_in_scope(current_user, under)
    if under is not None and request.args.get("sub", "1") == "0":
        stmt = stmt.where(User.unit_id == under.id)
    search = (request.args.get("q") or "").strip()
    if search:
        like = f"%{search.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(sa.or_(User.name.like(like), User.login.like(like), User.title.like(like)))
    for arg, column, allowed in (("role", User.role, ROLES), ("category", User.category, CATEGORIES),
                                 ("rank", User.rank, RANKS)):
        value = request.args.get(arg)
        if value in allowed:
            stmt = stmt.where(column == value)
    status = request.args.get("status", "active")
    if status == "active":
        stmt = stmt.where(User.active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.active.is_(False))
    if request.args.get("shufa") == "1":
        stmt = stmt.where(User.shufa.is_(True))
    return stmt, under


@users_bp.route("/")
@roles_required(*READERS)
def index():
    stmt, under = _filtered_people()
    page = db.paginate(stmt.join(User.unit).order_by(Unit.path, User.name, User.id),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("users/index.html", page=page, under=under, units=services.unit_choices(current_user),
                           roles=ROLES, categories=CATEGORIES, ranks=RANKS, full_name=services.unit_full_name)


@users_bp.route("/export.xlsx")
@roles_required(*READERS)
def export():
    stmt, _ = _filtered_people()
    people = db.session.scalars(stmt.join(User.unit).order_by(Unit.path, User.name)).all()
    names = dict(services.unit_choices(current_user))
    rows = [importer.COLUMNS + ["状态"]]
    rows += [[p.name, p.login, names.get(p.unit_id, p.unit.name), p.title, p.rank_label, p.category_label,
              "是" if p.shufa else "否", p.role_label, p.phone, "在用" if p.active else "已停用"] for p in people]
    data = write_xlsx({"人员名单": rows}, column_widths={"人员名单": [10, 16, 30, 14, 12, 14, 12, 10, 16, 8]})
    return xlsx_download(data, "人员名单.xlsx")


def _user_form(person=None):
    form = UserForm(obj=person)
    form.unit_id.choices = services.unit_choices(current_user)
    allowed = services.allowed_roles(current_user)
    form.role.choices = [(code, label) for code, label in ROLES.items() if code in allowed]
    return form


def _form_values(form):
    return {key: getattr(form, key).data for key in services.USER_FIELDS}


@users_bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def create():
    form = _user_form()
    if request.method == "GET" and request.args.get("unit", type=int):
        form.unit_id.data = request.args.get("unit", type=int)
    if form.validate_on_submit():
        try:
            person, temp = services.create_user(current_user, _form_values(form))
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            return render_template("users/password_issued.html", person=person, password=temp, created=True,
                                   slips=SlipsForm.for_issued([(person, temp)]))
    return render_template("users/form.html", form=form, title="新建人员")


@users_bp.route("/<int:user_id>")
@login_required
def show(user_id):
    person = get_user_or_404(current_user, user_id)
    sign_in_wait = throttle.account_wait(person.login) if current_user.is_manager else 0
    return render_template("users/show.html", person=person, full_name=services.unit_full_name(person.unit),
                           button=ButtonForm(), sign_in_wait=sign_in_wait)


@users_bp.route("/<int:user_id>/unlock-sign-in", methods=["POST"])
@roles_required(*MANAGERS)
def unlock_sign_in(user_id):
    """Lift the sign-in delay others' failures put on an account (the owner asked, by phone or in person)."""
    person = get_user_or_404(current_user, user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    throttle.unlock_account(person.login)
    record(current_user, "auth.unlock", "user", person.id, f"{person.name}（{person.login}）")
    db.session.commit()
    flash("已解除该账号的登录限制。", "success")
    return redirect(url_for("users.show", user_id=person.id))


@users_bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(user_id):
    person = get_user_or_404(current_user, user_id)
    form = _user_form(person)
    if form.validate_on_submit():
        try:
            services.update_user(current_user, person, _form_values(form))
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("人员信息已保存。", "success")
            return redirect(url_for("users.show", user_id=person.id))
    return render_template("users/form.html", form=form, title=f"修改人员：{person.name}", person=person)


@users_bp.route("/<int:user_id>/active", methods=["POST"])
@roles_required(*MANAGERS)
def set_active(user_id):
    person = get_user_or_404(current_user, user_id)
    form = SetActiveForm()
    if not form.validate_on_submit():
        abort(400)
    activate = form.active.data == "1"
    try:
        services.set_active(current_user, person, activate)
    except ServiceError as error:
        db.session.rollback()
        for message in error.messages:
            flash(message, "error")
    else:
        db.session.commit()
        flash("账号已启用。" if activate else "账号已停用，该人员的登录已失效。", "success")
    return redirect(url_for("users.show", user_id=person.id))


@users_bp.route("/<int:user_id>/reset-password", methods=["POST"])
@roles_required(*MANAGERS)
def reset_password(user_id):
    person = get_user_or_404(current_user, user_id)
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    temp = services.reset_password(current_user, person)
    db.session.commit()
    return render_template("users/password_issued.html", person=person, password=temp, created=False,
                           slips=SlipsForm.for_issued([(person, temp)]))


@users_bp.route("/template.xlsx")
@roles_required(*MANAGERS)
def template():
    return xlsx_download(importer.template_bytes(), "人员导入模板.xlsx")


@users_bp.route("/import", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def import_upload():
    form = ImportForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            plan = importer.plan_import(current_user, data, create_units=form.create_units.data,
                                        max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
        except SpreadsheetError as error:
            form.file.errors = [str(error)]
        else:
            staged = uploads.stage(current_user, UPLOAD_PURPOSE, form.file.data.filename, data,
                                   {"create_units": bool(form.create_units.data), "total": plan.total})
            db.session.commit()
            apply_form = ImportApplyForm(token=staged.token)
            return render_template("users/import_preview.html", plan=plan, staged=staged, form=apply_form)
    return render_template("users/import.html", form=form)


@users_bp.route("/import/apply", methods=["POST"])
@roles_required(*MANAGERS)
def import_apply():
    form = ImportApplyForm()
    if not form.validate_on_submit():
        abort(400)
    staged = uploads.fetch(current_user, UPLOAD_PURPOSE, form.token.data)
    if staged is None:
        flash("预检结果已失效，请重新上传文件。", "error")
        return redirect(url_for("users.import_upload"))
    if (staged.options or {}).get("total", 0) > current_app.config["ACCOUNT_IMPORT_JOB_ROWS"]:
        return _apply_as_job(staged)
    filename = staged.filename
    if not uploads.claim(staged):
        return _already_applied()
    try:
        plan = importer.plan_import(current_user, staged.data, create_units=staged.options.get("create_units", False))
        created = importer.apply_import(current_user, plan, filename=filename)
    except (ServiceError, SpreadsheetError) as error:
        db.session.rollback()
        flash(f"未导入任何账号：{error}", "error")
        return redirect(url_for("users.import_upload"))
    db.session.commit()
    return render_template("users/import_done.html", created=created, filename=filename,
                           slips=SlipsForm.for_issued(created))


def _apply_as_job(staged):
    """A large file: claim it for one job (hashing thousands of passwords outlasts a request)."""
    if not uploads.claim(staged, background.JOB_PURPOSE):
        return _already_applied()
    job = jobs.submit("accounts.import", current_user, {"upload_id": staged.id},
                      title=f"导入账号：{staged.filename}")
    db.session.commit()
    return redirect(url_for("jobs.show", job_id=job.id), code=303)


def _already_applied():
    """The second click of a double click: the file is already being (or has been) imported."""
    db.session.rollback()
    flash("这个文件已经提交导入，请勿重复提交。", "info")
    return redirect(url_for("users.index"))


@users_bp.route("/import/jobs/<int:job_id>")
@roles_required(*MANAGERS)
def import_job_result(job_id):
    """The 导入完成 page of an import done by a job: the same initial passwords and 账号通知单 as a small import,
    for the person who asked only."""
    job = jobs.own_job(job_id)
    if job.kind != "accounts.import" or job.status != "done" or not job.file_path:
        abort(404)
    try:
        filename, issued = background.issued_by(job)
    except OSError:
        abort(404)
    passwords = dict(issued)
    people = db.session.scalars(users_in_scope(current_user).where(User.id.in_(list(passwords)))
                                .options(sa.orm.selectinload(User.unit))).all()
    created = [(person, passwords[person.id]) for person in sorted(people, key=lambda p: (p.unit.path, p.login))]
    return render_template("users/import_done.html", created=created, filename=filename,
                           slips=SlipsForm.for_issued(created))


@users_bp.route("/slips", methods=["POST"])
@roles_required(*MANAGERS)
def slips():
    """账号通知单 (PDF or .xlsx) for accounts just created or reset: only people in scope who must still change
    the password they were given; the download is audited."""
    form = SlipsForm()
    if not form.validate_on_submit():
        abort(400)
    pairs = dict(form.pairs())
    people = db.session.scalars(users_in_scope(current_user).where(
        User.id.in_(list(pairs)), User.must_change_password.is_(True))).all() if pairs else []
    issued = [slips_module.Slip(p.name, services.unit_full_name(p.unit), p.login, pairs[p.id])
              for p in sorted(people, key=lambda p: (p.unit.path, p.login))]
    if not issued:
        abort(404)
    record(current_user, "user.slips", "unit", current_user.unit_id, current_user.unit.name,
           summary=f"下载账号通知单 {len(issued)} 人（{'Excel' if form.xlsx.data else 'PDF'}）")
    db.session.commit()
    site = public_base()
    if form.xlsx.data:
        return xlsx_download(slips_module.workbook(issued, site), "账号通知单.xlsx")
    data = slips_module.pdf_bytes(issued, site, issuer=services.unit_full_name(current_user.unit))
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote('账号通知单.pdf')}", "Cache-Control": "no-store"})
