"""The unit tree: list, create, rename, move and delete units (blueprint ``units``)."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...common.auth import MANAGERS, READERS, roles_required
from ...common.errors import ServiceError, put_on_form
from ...common.forms import ButtonForm
from ...extensions import db
from .. import services
from ..forms import MoveUnitForm, UnitForm
from ..models import Unit, User
from ..scope import get_unit_or_404, units_in_scope

units_bp = Blueprint("units", __name__, url_prefix="/units")


def _unit_counts(unit_ids):
    """Direct headcount per unit (active people), one grouped query."""
    if not unit_ids:
        return {}
    rows = db.session.execute(
        sa.select(User.unit_id, sa.func.count()).where(User.unit_id.in_(unit_ids), User.active.is_(True))
        .group_by(User.unit_id))
    return dict(rows.all())


@units_bp.route("/")
@roles_required(*READERS)
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
@roles_required(*MANAGERS)
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
@roles_required(*MANAGERS)
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
@roles_required(*MANAGERS)
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
@roles_required(*MANAGERS)
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
