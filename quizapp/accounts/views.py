"""Sign-in, passwords, the unit tree and account management."""
import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..common.auth import MANAGERS, ROLES, roles_required
from ..common.forms import ButtonForm
from ..common.errors import ServiceError, put_on_form
from ..common.spreadsheets import SpreadsheetError, write_xlsx, xlsx_download
from ..common import uploads
from ..extensions import db, limiter
from ..common.urls import safe_next
from . import importer, services
from .forms import (ChangePasswordForm, ImportApplyForm, ImportForm, LoginForm, MoveUnitForm,
                    UnitForm, UserForm)
from .models import CATEGORIES, RANKS, Unit, User
from .scope import get_unit_or_404, get_user_or_404, units_in_scope, users_in_scope

auth_bp = Blueprint("auth", __name__)
units_bp = Blueprint("units", __name__, url_prefix="/units")
users_bp = Blueprint("users", __name__, url_prefix="/users")

LOGIN_FAILED = "登录名或密码不正确。"
THROTTLED = "登录失败次数过多，请 15 分钟后再试。如忘记密码，请联系本单位管理员重置。"


def load_user(user_id):
    """Flask-Login loader: "id:version" must match the person's current session version."""
    try:
        ident, version = (int(part) for part in str(user_id).split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, ident)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


manager_required = roles_required(*MANAGERS)


@auth_bp.before_app_request
def force_password_change():
    """Accounts made in bulk or by reset change their password before anything else."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in ("auth.change_password", "auth.logout", "static", "main.healthz")):
        if request.path.startswith("/api/"):
            abort(403)
        return redirect(url_for("auth.change_password"))
    return None


def _login_failed(response):
    return response.status_code != 302


def _login_key():
    return "login:" + (request.form.get("login") or "").strip().lower()


@auth_bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=_login_failed, error_message=THROTTLED)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=_login_key, deduct_when=_login_failed, error_message=THROTTLED)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is None:
            form.form_errors.append(LOGIN_FAILED)
        else:
            target = safe_next(form.next.data, url_for("main.home"))
            session.clear()  # a fresh session at sign-in (no fixation)
            services.note_sign_in(user)
            db.session.commit()
            login_user(user)
            session.permanent = True
            return redirect(target)
    return render_template("accounts/login.html", form=form)


@auth_bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = ButtonForm()
    if form.validate_on_submit():
        services.end_other_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@auth_bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.old_password.data, form.new_password.data)
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            login_user(current_user)  # this session carries the new version; others end
            flash("密码已修改。其他设备上的登录已失效。", "success")
            return redirect(url_for("main.home"))
    return render_template("accounts/password.html", form=form, forced=current_user.must_change_password)


# ---------------------------------------------------------------- units

def _unit_counts(unit_ids):
    """Direct headcount per unit (active people), one grouped query."""
    if not unit_ids:
        return {}
    rows = db.session.execute(
        sa.select(User.unit_id, sa.func.count()).where(User.unit_id.in_(unit_ids), User.active.is_(True))
        .group_by(User.unit_id))
    return dict(rows.all())


@units_bp.route("/")
@roles_required("leader", "organiser", "admin")
def index():
    units = db.session.scalars(units_in_scope(current_user).order_by(Unit.path)).all()
    direct = _unit_counts([u.id for u in units])
    subtree = {}
    for unit in units:  # roll direct counts up the tree in memory: units are few, people are many
        for ancestor in unit.ancestor_ids():
            subtree[ancestor] = subtree.get(ancestor, 0) + direct.get(unit.id, 0)
    ordered = _tree_order(units)
    return render_template("units/index.html", units=ordered, direct=direct, subtree=subtree,
                           base_depth=min((u.depth for u in units), default=0), button=ButtonForm())


def _tree_order(units):
    """Depth-first order with siblings sorted by name (paths sort by id, not name)."""
    children = {}
    ids = {u.id for u in units}
    for unit in units:
        key = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(key, []).append(unit)
    ordered = []

    def walk(parent_id):
        for unit in sorted(children.get(parent_id, []), key=lambda u: (u.sort_order, u.name)):
            ordered.append(unit)
            walk(unit.id)

    walk(None)
    return ordered


def _parent_choices(include_none):
    choices = [(cid, label) for cid, label in services.unit_choices(current_user)]
    if include_none:
        choices.insert(0, (0, "（无，作为顶级单位）"))
    return choices


@units_bp.route("/new", methods=["GET", "POST"])
@manager_required
def create():
    form = UnitForm()
    form.parent_id.choices = _parent_choices(current_user.is_admin)
    if request.method == "GET" and request.args.get("parent", type=int):
        form.parent_id.data = request.args.get("parent", type=int)
    if form.validate_on_submit():
        parent = get_unit_or_404(current_user, form.parent_id.data) if form.parent_id.data else None
        try:
            unit = services.create_unit(current_user, form.name.data, parent, form.kind.data)
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash(f"已新建单位“{unit.name}”。", "success")
            return redirect(url_for("units.index"))
    return render_template("units/form.html", form=form, title="新建单位")


@units_bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
@manager_required
def edit(unit_id):
    unit = get_unit_or_404(current_user, unit_id)
    form = UnitForm(obj=unit)
    del form.parent_id
    if form.validate_on_submit():
        try:
            services.update_unit(current_user, unit, form.name.data, form.kind.data)
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("单位信息已保存。", "success")
            return redirect(url_for("units.index"))
    return render_template("units/form.html", form=form, title=f"修改单位：{unit.name}", unit=unit)


@units_bp.route("/<int:unit_id>/move", methods=["GET", "POST"])
@manager_required
def move(unit_id):
    unit = get_unit_or_404(current_user, unit_id)
    form = MoveUnitForm()
    form.parent_id.choices = [(cid, label) for cid, label in services.unit_choices(current_user)
                              if cid != unit.id and not label.startswith(services.unit_full_name(unit) + "/")]
    if form.validate_on_submit():
        target = get_unit_or_404(current_user, form.parent_id.data)
        try:
            services.move_unit(current_user, unit, target)
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash(f"已把“{unit.name}”及其下级单位移动到“{target.name}”之下。", "success")
            return redirect(url_for("units.index"))
    return render_template("units/move.html", form=form, unit=unit, full_name=services.unit_full_name(unit))


@units_bp.route("/<int:unit_id>/delete", methods=["POST"])
@manager_required
def delete(unit_id):
    unit = get_unit_or_404(current_user, unit_id)
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.delete_unit(current_user, unit)
    except ServiceError as error:
        db.session.rollback()
        for message in error.messages:
            flash(message, "error")
    else:
        db.session.commit()
        flash("单位已删除。", "success")
    return redirect(url_for("units.index"))


# ---------------------------------------------------------------- people

def _filtered_people():
    """The people list query from the request's filters, always inside the viewer's scope."""
    under = None
    unit_id = request.args.get("unit", type=int)
    if unit_id:
        under = get_unit_or_404(current_user, unit_id)
    stmt = users_in_scope(current_user, under)
    if under is not None and request.args.get("sub", "1") == "0":
        stmt = stmt.where(User.unit_id == under.id)
    q = (request.args.get("q") or "").strip()
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
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
@roles_required("leader", "organiser", "admin")
def index():
    stmt, under = _filtered_people()
    page = db.paginate(stmt.join(User.unit).order_by(Unit.path, User.name, User.id),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("users/index.html", page=page, under=under, units=services.unit_choices(current_user),
                           roles=ROLES, categories=CATEGORIES, ranks=RANKS, full_name=services.unit_full_name)


@users_bp.route("/export.xlsx")
@roles_required("leader", "organiser", "admin")
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
    allowed = services._allowed_roles(current_user)
    form.role.choices = [(code, label) for code, label in ROLES.items() if code in allowed]
    return form


def _form_values(form):
    return {key: getattr(form, key).data for key in services.USER_FIELDS}


@users_bp.route("/new", methods=["GET", "POST"])
@manager_required
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
            return render_template("users/password_issued.html", person=person, password=temp, created=True)
    return render_template("users/form.html", form=form, title="新建人员")


@users_bp.route("/<int:user_id>")
@login_required
def show(user_id):
    person = get_user_or_404(current_user, user_id)
    return render_template("users/show.html", person=person, full_name=services.unit_full_name(person.unit),
                           button=ButtonForm())


@users_bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@manager_required
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
@manager_required
def set_active(user_id):
    person = get_user_or_404(current_user, user_id)
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    activate = request.form.get("active") == "1"
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
@manager_required
def reset_password(user_id):
    person = get_user_or_404(current_user, user_id)
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    temp = services.reset_password(current_user, person)
    db.session.commit()
    return render_template("users/password_issued.html", person=person, password=temp, created=False)


@users_bp.route("/template.xlsx")
@manager_required
def template():
    return xlsx_download(importer.template_bytes(), "人员导入模板.xlsx")


@users_bp.route("/import", methods=["GET", "POST"])
@manager_required
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
            staged = uploads.stage(current_user, "users", form.file.data.filename, data,
                                   {"create_units": bool(form.create_units.data)})
            db.session.commit()
            apply_form = ImportApplyForm(token=staged.token)
            return render_template("users/import_preview.html", plan=plan, staged=staged, form=apply_form)
    return render_template("users/import.html", form=form)


@users_bp.route("/import/apply", methods=["POST"])
@manager_required
def import_apply():
    form = ImportApplyForm()
    if not form.validate_on_submit():
        abort(400)
    staged = uploads.fetch(current_user, "users", form.token.data)
    if staged is None:
        flash("预检结果已失效，请重新上传文件。", "error")
        return redirect(url_for("users.import_upload"))
    try:
        plan = importer.plan_import(current_user, staged.data, create_units=staged.options.get("create_units", False))
        created = importer.apply_import(current_user, plan, filename=staged.filename)
    except (ServiceError, SpreadsheetError) as error:
        db.session.rollback()
        flash(f"未导入任何账号：{error}", "error")
        return redirect(url_for("users.import_upload"))
    uploads.discard(staged)
    db.session.commit()
    return render_template("users/import_done.html", created=created, filename=staged.filename)
