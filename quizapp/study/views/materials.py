"""学习园地 for everyone; creating, publishing and requiring materials for organisers."""
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ...common.forms import ButtonForm
from ...accounts.models import CATEGORIES as PERSON_CATEGORIES
from ...accounts.models import Unit
from ...accounts.services import unit_choices
from ...common.auth import MANAGERS, roles_required
from ...common.errors import Forbidden, ServiceError, put_on_form
from ...extensions import db
from .. import materials as service
from .. import services
from ..forms import MaterialForm, PublishForm, RequirementForm
from ..markdown import render_markdown
from ..models import CATEGORIES, MATERIAL_KINDS, Material, MaterialFile, MaterialRequirement, StudyProgress
from ..settings import setting
from .common import page_size

materials_bp = Blueprint("materials", __name__, url_prefix="/materials")


def _material_or_404(material_id):
    material = db.session.get(Material, material_id)
    if material is None:
        abort(404)
    return material


def _readable_or_404(material_id):
    """A material the person may read (its audience includes them) or, for managers, preview."""
    material = _material_or_404(material_id)
    learner = service.material_visible(current_user, material)
    if not learner and not service.can_preview(current_user, material):
        raise Forbidden  # 404 all the same, and audited
    return material, learner


def _category_filter(stmt, category):
    if category in CATEGORIES:
        stmt = stmt.where(sa.or_(Material.category == category, Material.category.startswith(category + "/")))
    return stmt


@materials_bp.route("/")
@login_required
def index():
    year = services.current_year()
    category = request.args.get("category")
    search = (request.args.get("q") or "").strip()
    visible = service.visible_materials(current_user)
    stmt = _category_filter(visible, category)
    if search:
        stmt = stmt.where(Material.title.contains(search, autoescape=True))
    required_only = request.args.get("required") == "1"
    due = service.required_of(current_user, year)
    stmt = stmt.outerjoin(due, due.c.material_id == Material.id)
    if required_only:
        stmt = stmt.where(due.c.due_date.is_not(None))
    # Required reading first (earliest due date first), then the newest.
    stmt = stmt.order_by(due.c.due_date.is_(None), due.c.due_date, Material.published_at.desc(), Material.id.desc())
    page = db.paginate(stmt, per_page=page_size(), error_out=False)
    ids = [m.id for m in page.items]
    dues = dict(db.session.execute(sa.select(due.c.material_id, due.c.due_date)
                                   .where(due.c.material_id.in_(ids))).all()) if ids else {}
    progress = {p.material_id: p for p in db.session.scalars(sa.select(StudyProgress).where(
        StudyProgress.user_id == current_user.id, StudyProgress.year == year,
        StudyProgress.material_id.in_(ids)))} if ids else {}
    return render_template("materials/index.html", page=page, dues=dues, progress=progress, category=category,
                           categories=CATEGORIES, counts=_category_counts(visible), search=search,
                           required_only=required_only, year=year)


def _category_counts(visible):
    """Visible materials per top-level category, from one grouped query."""
    listed = visible.subquery()
    rows = db.session.execute(sa.select(listed.c.category, sa.func.count()).group_by(listed.c.category)).all()
    counts = {}
    for category, n in rows:
        top = category.split("/", 1)[0]
        counts[top] = counts.get(top, 0) + n
    return counts


@materials_bp.route("/<int:material_id>")
@login_required
def show(material_id):
    material, learner = _readable_or_404(material_id)
    year = services.current_year()
    progress = services.progress_for(current_user, "material", material) if learner else None
    required = service.required_of(current_user, year)
    due = db.session.scalar(sa.select(required.c.due_date)
                            .where(required.c.material_id == material.id)) if learner else None
    body = render_markdown(material.body) if material.kind == "markdown" else None
    return render_template("materials/show.html", material=material, learner=learner, body=body, due=due,
                           progress=progress, study_kind="material", study_target=material,
                           study_progress=services.progress_payload("material", material, progress),
                           study_beat=setting("STUDY_BEAT_SECONDS"), study_idle=setting("STUDY_IDLE_SECONDS"),
                           min_minutes=services.min_minutes_for(material),
                           can_manage=service.can_manage(current_user, material))


@materials_bp.route("/<int:material_id>/file.pdf")
@login_required
def pdf(material_id):
    """The PDF itself, served inline from our own origin (shown in an <object> on the material page)."""
    material, _ = _readable_or_404(material_id)
    if material.kind != "pdf" or material.file is None:
        abort(404)
    stored = db.session.scalar(sa.select(MaterialFile).where(MaterialFile.id == material.file.id)
                               .options(sa.orm.undefer(MaterialFile.data)))
    if request.if_none_match and stored.sha256 in request.if_none_match:
        return Response(status=304)
    response = Response(stored.data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(stored.filename)}"
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(stored.sha256)
    return response


# ---------------------------------------------------------------- managing

def _manage_list(viewer):
    """Materials a manager edits, plus (for organisers) published ones they may require of their units."""
    if viewer.role == "admin":
        return sa.select(Material)
    managed = service.managed_materials(viewer).whereclause
    return sa.select(Material).where(sa.or_(managed, sa.and_(
        Material.published.is_(True),
        sa.or_(Material.unit_id.is_(None), Material.unit_id.in_(viewer.unit.ancestor_ids())))))


@materials_bp.route("/manage")
@roles_required(*MANAGERS)
def manage():
    category = request.args.get("category")
    stmt = _category_filter(_manage_list(current_user), category)
    search = (request.args.get("q") or "").strip()
    if search:
        stmt = stmt.where(Material.title.contains(search, autoescape=True))
    status = request.args.get("status")
    if status in ("published", "draft"):
        stmt = stmt.where(Material.published.is_(status == "published"))
    page = db.paginate(stmt.order_by(Material.updated_at.desc(), Material.id.desc()), per_page=page_size(),
                       error_out=False)
    year = services.current_year()
    ids = [m.id for m in page.items]
    required = dict(db.session.execute(
        sa.select(MaterialRequirement.material_id, sa.func.count())
        .where(MaterialRequirement.material_id.in_(ids), MaterialRequirement.year == year)
        .group_by(MaterialRequirement.material_id)).all()) if ids else {}
    return render_template("materials/manage.html", page=page, categories=CATEGORIES, category=category, search=search,
                           status=status, required=required, year=year, kinds=MATERIAL_KINDS, button=ButtonForm(),
                           can_manage=lambda m: service.can_manage(current_user, m))


def _material_form(material=None):
    form = MaterialForm(obj=material)
    choices = unit_choices(current_user)
    form.unit_id.choices = ([(0, "系统资料（全部单位）")] if current_user.role == "admin" else []) + choices
    form.audience_units.choices = choices
    if request.method == "GET":
        if material is not None:
            form.category.data = material.top_category
            form.sector.data = material.sector
            form.unit_id.data = material.unit_id or 0
            form.audience_units.data = [u.id for u in material.audience_units]
            form.audience_categories.data = material.audience_categories
        else:
            form.unit_id.data = 0 if current_user.role == "admin" else current_user.unit_id
    return form


def _input(form) -> service.MaterialInput:
    category = form.category.data
    if (form.sector.data or "").strip():  # the service refuses a sector outside 法律法规
        category = f"{category}/{form.sector.data.strip()}"
    upload = form.pdf.data
    has_file = upload is not None and getattr(upload, "filename", "")
    return service.MaterialInput(
        title=form.title.data, category=category, kind=form.kind.data, body=form.body.data or "",
        minutes=form.minutes.data, sources=form.sources.data or "", unit_id=form.unit_id.data or None,
        audience_unit_ids=list(form.audience_units.data or []),
        audience_categories=list(form.audience_categories.data or []),
        pdf_name=upload.filename if has_file else "", pdf_data=upload.read() if has_file else None)


@materials_bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def create():
    form = _material_form()
    if form.validate_on_submit():
        try:
            material = service.create_material(current_user, _input(form),
                                               max_pdf_bytes=setting("MATERIAL_PDF_MAX_BYTES"))
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("资料已保存（尚未发布）。请预览无误后发布。", "success")
            return redirect(url_for("materials.show", material_id=material.id))
    return render_template("materials/form.html", form=form, title="新建学习资料",
                           max_mb=setting("MATERIAL_PDF_MAX_BYTES") // (1024 * 1024))


@materials_bp.route("/<int:material_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(material_id):
    material = _material_or_404(material_id)
    if not service.can_manage(current_user, material):
        abort(404)
    form = _material_form(material)
    if form.validate_on_submit():
        try:
            service.update_material(current_user, material, _input(form),
                                    max_pdf_bytes=setting("MATERIAL_PDF_MAX_BYTES"))
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("资料已保存。", "success")
            return redirect(url_for("materials.show", material_id=material.id))
    return render_template("materials/form.html", form=form, title=f"修改学习资料：{material.title}",
                           material=material, max_mb=setting("MATERIAL_PDF_MAX_BYTES") // (1024 * 1024))


def _posted_material(material_id, form=None):
    if not (form or ButtonForm()).validate_on_submit():
        abort(400)
    material = _material_or_404(material_id)
    if not service.can_manage(current_user, material):
        abort(404)
    return material


@materials_bp.route("/<int:material_id>/publish", methods=["POST"])
@roles_required(*MANAGERS)
def publish(material_id):
    form = PublishForm()
    material = _posted_material(material_id, form)
    wanted = form.published.data == "1"
    try:
        service.set_published(current_user, material, wanted)
    except ServiceError as error:
        db.session.rollback()
        for message in error.messages:
            flash(message, "error")
    else:
        db.session.commit()
        flash("资料已发布。" if wanted else "资料已撤回，学员将看不到它。", "success")
    return redirect(url_for("materials.show", material_id=material.id))


@materials_bp.route("/<int:material_id>/delete", methods=["POST"])
@roles_required(*MANAGERS)
def delete(material_id):
    material = _posted_material(material_id)
    try:
        service.delete_material(current_user, material)
    except ServiceError as error:
        db.session.rollback()
        for message in error.messages:
            flash(message, "error")
        return redirect(url_for("materials.show", material_id=material_id))
    db.session.commit()
    flash("资料已删除。", "success")
    return redirect(url_for("materials.manage"))


# ---------------------------------------------------------------- required reading

def _requirement_units(material):
    choices = [(0, "全部人员")] if current_user.role == "admin" else []
    units = {u.id: u for u in db.session.scalars(sa.select(Unit).where(
        Unit.id.in_([uid for uid, _ in unit_choices(current_user)])))}
    return choices + [(uid, label) for uid, label in unit_choices(current_user)
                      if service.can_require(current_user, material, units[uid])]


@materials_bp.route("/<int:material_id>/requirements", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def requirements(material_id):
    material, _ = _readable_or_404(material_id)
    form = RequirementForm()
    form.unit_id.choices = _requirement_units(material)
    if request.method == "GET":
        form.year.data = services.current_year()
        form.unit_id.data = 0 if current_user.role == "admin" else current_user.unit_id
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
        try:
            service.add_requirement(current_user, material, form.year.data, unit, form.due_date.data)
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("已设为必学。", "success")
            return redirect(url_for("materials.requirements", material_id=material.id))
    return render_template("materials/requirements.html", material=material, form=form,
                           items=service.requirements_in_scope(current_user, material), button=ButtonForm(),
                           can_remove=lambda r: service.can_remove_requirement(current_user, r))


@materials_bp.route("/requirements/<int:requirement_id>/delete", methods=["POST"])
@roles_required(*MANAGERS)
def delete_requirement(requirement_id):
    if not ButtonForm().validate_on_submit():
        abort(400)
    requirement = db.session.get(MaterialRequirement, requirement_id)
    if requirement is None:
        abort(404)
    if not service.can_remove_requirement(current_user, requirement):
        raise Forbidden  # another unit's requirement: 404 like any object not theirs, and audited
    material_id = requirement.material_id
    try:
        service.remove_requirement(current_user, requirement)
    except ServiceError as error:
        db.session.rollback()
        for message in error.messages:
            flash(message, "error")
    else:
        db.session.commit()
        flash("已取消该必学要求。", "success")
    return redirect(url_for("materials.requirements", material_id=material_id))


@materials_bp.app_template_global("person_category_labels")
def person_category_labels(codes):
    return "、".join(PERSON_CATEGORIES.get(code, code) for code in codes)
