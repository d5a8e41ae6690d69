"""Admins read, filter and export the audit log."""
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request

from ..common.auth import ADMINS, roles_required
from ..common.clock import format_datetime, local_to_utc
from ..common.spreadsheets import SheetSpec, xlsx_download
from ..extensions import db
from .models import AuditEntry
from .services import ACTION_LABELS

audit_bp = Blueprint("audit", __name__, url_prefix="/audit")

# Families of actions an admin asks about together ("all sign-in events", "all exports").
ACTION_GROUPS = {"auth.*": "全部登录事件", "export.*": "全部导出", "access.*": "全部越权访问"}
EXPORT_MAX_ROWS = 100_000


def _people_models():
    """User and Unit, reached through the mapped relationship: the audit log sits below accounts and imports
    nothing from it (accounts' services write to it)."""
    user = AuditEntry.actor.property.mapper.class_
    return user, user.unit.property.mapper.class_


def _day(name):
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


def filtered_entries():
    """The audit entries the query string asks for (newest first): date range, actor, unit, action, address."""
    stmt = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    start, end = _day("from"), _day("to")
    if start:
        stmt = stmt.where(AuditEntry.at >= local_to_utc(datetime.combine(start, time.min)))
    if end:
        stmt = stmt.where(AuditEntry.at < local_to_utc(datetime.combine(end + timedelta(days=1), time.min)))
    action = request.args.get("action") or ""
    if action.endswith(".*") and action in ACTION_GROUPS:
        stmt = stmt.where(AuditEntry.action.startswith(action[:-1], autoescape=True))
    elif action:
        stmt = stmt.where(AuditEntry.action == action)
    User, Unit = _people_models()
    actor = (request.args.get("actor") or "").strip()
    unit_id = request.args.get("unit", type=int)
    if actor or unit_id:
        people = sa.select(User.id)
        if actor:
            people = people.where(sa.or_(User.login == actor, User.name.contains(actor, autoescape=True)))
        if unit_id:
            unit = db.session.get(Unit, unit_id)
            if unit is None:
                abort(404)
            people = people.join(Unit, User.unit_id == Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))
        stmt = stmt.where(AuditEntry.actor_id.in_(people))
    address = (request.args.get("ip") or "").strip()
    if address:
        # A whole address, or a prefix ending in "." or ":" (a network such as 198.51.100.).
        stmt = stmt.where(AuditEntry.ip.startswith(address, autoescape=True) if address[-1] in ".:"
                          else AuditEntry.ip == address)
    search = (request.args.get("q") or "").strip()
    if search:
        stmt = stmt.where(AuditEntry.target_label.contains(search, autoescape=True))
    return stmt


def _label(action):
    return ACTION_LABELS.get(action, action)


@audit_bp.route("/")
@roles_required(*ADMINS)
def index():
    page = db.paginate(filtered_entries(), per_page=current_app.config["PAGE_SIZE"] * 2, error_out=False)
    _, Unit = _people_models()
    units = db.session.execute(sa.select(Unit.id, Unit.name, Unit.depth).order_by(Unit.path)).all()
    return render_template("audit/index.html", page=page, labels=ACTION_LABELS, groups=ACTION_GROUPS, units=units)


@audit_bp.route("/export.xlsx")
@roles_required(*ADMINS)
def export():
    """The filtered log as a workbook (text formula-escaped by the one xlsx writer); itself audited."""
    stmt = filtered_entries().limit(EXPORT_MAX_ROWS)
    User, _ = _people_models()
    people = dict(db.session.execute(sa.select(User.id, User.login)).all())

    def rows():
        for entry in db.session.scalars(stmt).yield_per(1000):
            changes = "；".join(f"{key}：{value[0] if isinstance(value, list) else ''} → "
                               f"{value[1] if isinstance(value, list) else value}"
                               for key, value in (entry.changes or {}).items())
            yield [format_datetime(entry.at, "%Y-%m-%d %H:%M:%S"), people.get(entry.actor_id, "系统"),
                   _label(entry.action), entry.action, entry.target_type, entry.target_id, entry.target_label,
                   entry.summary, changes, entry.ip]

    header = ["时间", "操作人登录名", "操作", "操作代码", "对象类型", "对象编号", "对象", "内容", "变更", "IP 地址"]
    return xlsx_download([SheetSpec("操作日志", header, rows(), [20, 14, 16, 18, 12, 10, 30, 40, 40, 16])],
                         "操作日志.xlsx")
