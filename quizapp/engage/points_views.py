"""学法积分 pages: the published rule, a learner's own points, and leaders' points by unit and by person.

The whole blueprint is 404 unless the deployment turns points on (``POINTS_ENABLED``).
"""
import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from ..accounts.models import Unit
from ..accounts.scope import default_root, get_unit_or_404
from ..accounts.services import unit_full_name
from ..common.auth import EVERYONE, LEARNERS, READERS, roles_required
from ..common.clock import to_local, utcnow
from ..common.spreadsheets import SheetSpec, xlsx_download
from ..common.templating import register_nav
from ..extensions import db
from . import points

points_bp = Blueprint("points", __name__, url_prefix="/points")

register_nav("points.mine", "我的积分", LEARNERS, order=88, group="我的", setting="POINTS_ENABLED")
register_nav("points.overview", "学法积分", READERS, order=58, group="统计", setting="POINTS_ENABLED")

NOTE = "积分只用于激励学习，不代替参考率、合格率和学时等考核统计数据。"


@points_bp.before_request
def switched_on():
    if not points.enabled():
        abort(404)


@points_bp.app_context_processor
def home_card_helpers():
    """``points_enabled()`` and ``my_points()`` for the 首页 card, computed only where it is shown."""
    def my_points():
        return points.mine(current_user, _this_year(), recent=0)
    return {"points_enabled": points.enabled, "my_points": my_points}


def _this_year():
    return to_local(utcnow()).year


def _year_arg() -> int:
    year = request.args.get("year", type=int) or _this_year()
    if not 2000 <= year <= 2100:
        abort(404)
    return year


@points_bp.route("/rules")
@roles_required(*EVERYONE)
def rules():
    return render_template("engage/points/rules.html", rules=points.RULES, sources=points.SOURCES, note=NOTE)


@points_bp.route("/")
@roles_required(*LEARNERS)
def mine():
    """The person's own points only: no argument names anyone else."""
    year = _year_arg()
    return render_template("engage/points/mine.html", view=points.mine(current_user, year),
                           sources=points.SOURCES, note=NOTE, this_year=_this_year())


@points_bp.route("/units")
@roles_required(*READERS)
def overview():
    """Where a leader starts: their own unit (an administrator, the top of the tree)."""
    return _units_page(default_root(current_user))


@points_bp.route("/units/<int:unit_id>")
@roles_required(*READERS)
def units(unit_id):
    return _units_page(get_unit_or_404(current_user, unit_id))


def _units_page(root):
    year = _year_arg()
    rows, whole = points.by_unit(root, year)
    if request.args.get("format") == "xlsx":
        header = ["单位", "人数", "有积分人数", "积分合计", "人均积分"]
        data = [[row.label, row.people, row.earning, row.total, row.average] for row in [*rows, whole]]
        title = f"{unit_full_name(root)} {year}年 学法积分（{NOTE}）"
        return xlsx_download([SheetSpec("按单位", header, data, [30, 8, 12, 10, 10], title)],
                             f"{root.name}-{year}-学法积分.xlsx")
    return render_template("engage/points/units.html", root=root, year=year, rows=rows, whole=whole, note=NOTE,
                           trail=_trail(root), this_year=_this_year())


@points_bp.route("/units/<int:unit_id>/people")
@roles_required(*READERS)
def people(unit_id):
    root = get_unit_or_404(current_user, unit_id)
    year = _year_arg()
    sort = request.args.get("sort") if request.args.get("sort") in points.PEOPLE_SORTS else "total"
    if request.args.get("format") == "xlsx":
        header = ["姓名", "单位", "积分合计", *points.SOURCES.values()]

        def data():
            for row in db.session.execute(points.people_stmt(root, year, sort)):
                yield [row.User.name, row.unit_name, row.total, *(getattr(row, source) for source in points.SOURCES)]
        title = f"{unit_full_name(root)} {year}年 个人学法积分（{NOTE}）"
        return xlsx_download([SheetSpec("按人员", header, data(), [14, 20, 10, 10, 10, 10], title)],
                             f"{root.name}-{year}-个人学法积分.xlsx")
    page = max(1, request.args.get("page", 1, type=int))
    found = points.people_page(root, year, page, 50, sort)
    return render_template("engage/points/people.html", root=root, year=year, page=found, sort=sort, note=NOTE,
                           sources=points.SOURCES, trail=_trail(root), this_year=_this_year())


def _trail(root):
    """The units from the viewer's starting unit down to ``root`` (links back up), top first, in one query."""
    start = default_root(current_user)
    ids = root.ancestor_ids()
    units = {unit.id: unit for unit in db.session.scalars(sa.select(Unit).where(Unit.id.in_(ids)))}
    return [units[i] for i in ids if i in units and units[i].is_within(start)]
