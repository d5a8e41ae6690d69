"""The home page each role lands on, and /healthz for load balancers."""
import sqlalchemy as sa
from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..accounts.models import CATEGORIES, Unit, User
from ..accounts.scope import scope_path, subtree_unit_ids
from ..accounts.services import unit_full_name
from ..common.database import database_ok
from ..common.templating import nav_groups_for, register_nav
from ..extensions import db

main_bp = Blueprint("main", __name__)

register_nav("main.home", "首页", ("cadre", "leader", "organiser", "admin"), order=0, group="")
register_nav("units.index", "单位管理", ("organiser", "admin"), order=80, group="管理")
register_nav("users.index", "人员管理", ("organiser", "admin"), order=81, group="管理")
register_nav("users.index", "人员名单", ("leader",), order=81, group="统计")
register_nav("audit.index", "操作日志", ("admin",), order=90, group="管理")


@main_bp.route("/healthz")
def healthz():
    ok = database_ok()
    return jsonify(status="ok" if ok else "error", database="reachable" if ok else "unreachable"), (200 if ok else 503)


@main_bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    from ..notices.services import latest_unread, unread_count

    context = {"full_name": unit_full_name(current_user.unit), "notices": latest_unread(current_user),
               "unread": unread_count(current_user)}
    if current_user.role != "admin":
        context.update(_learner_todo())
    if current_user.role in ("organiser", "admin"):
        context.update(_manager_counts())
    if current_user.role in ("leader", "organiser", "admin"):
        context["by_unit"] = _headcount_by_child_unit()
    return render_template("main/home.html", **context)


@main_bp.route("/mine")
@login_required
def mine():
    """我的: everything about the signed-in person in one place (the phone bottom bar's 我的)."""
    groups = dict(nav_groups_for(current_user))
    return render_template("main/mine.html", items=groups.get("我的", []),
                           full_name=unit_full_name(current_user.unit))


def _learner_todo():
    """What this person should do next: open and pending exams, study hours, the next required materials."""
    from ..common.clock import utcnow
    from ..exams.queries import my_todo
    from ..study.services import current_year, study_record

    record = study_record(current_user, current_year())
    return {"exams_todo": my_todo(current_user, utcnow()), "study": record,
            "next_steps": record.next_steps[:3]}


def _scope_root():
    path = scope_path(current_user)
    return path or "/"


def _manager_counts():
    path = _scope_root()
    units = db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(Unit.path.startswith(path)))
    people = db.session.execute(
        sa.select(User.active, sa.func.count()).where(User.unit_id.in_(subtree_unit_ids(path))).group_by(User.active)
    ).all()
    counts = {bool(active): n for active, n in people}
    by_category = dict(db.session.execute(
        sa.select(User.category, sa.func.count())
        .where(User.unit_id.in_(subtree_unit_ids(path)), User.active.is_(True)).group_by(User.category)
    ).all())
    must_change = db.session.scalar(
        sa.select(sa.func.count()).select_from(User)
        .where(User.unit_id.in_(subtree_unit_ids(path)), User.active.is_(True), User.must_change_password.is_(True)))
    return {"unit_count": units, "active_count": counts.get(True, 0), "inactive_count": counts.get(False, 0),
            "by_category": [(CATEGORIES[c], by_category.get(c, 0)) for c in CATEGORIES],
            "must_change_count": must_change}


def _headcount_by_child_unit():
    """Active people under each direct child of the viewer's root unit (admin: the top units)."""
    if current_user.role == "admin":
        children = db.session.scalars(sa.select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.name)).all()
        if len(children) == 1:
            children = children[0].children
    else:
        children = current_user.unit.children
    if not children:
        return []
    child_ids = [c.id for c in children]
    # The child id is the path segment right after the root's path: join people to
    # units below each child with one grouped query.
    child = sa.orm.aliased(Unit)
    rows = db.session.execute(
        sa.select(child.id, sa.func.count(User.id))
        .select_from(child)
        .join(Unit, Unit.path.startswith(child.path))
        .join(User, sa.and_(User.unit_id == Unit.id, User.active.is_(True)))
        .where(child.id.in_(child_ids))
        .group_by(child.id)
    ).all()
    counts = dict(rows)
    return [(c, counts.get(c.id, 0)) for c in sorted(children, key=lambda u: (u.sort_order, u.name))]
