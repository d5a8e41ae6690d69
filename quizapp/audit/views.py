"""Admins read the audit log."""
import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request

from ..common.auth import ADMINS, roles_required
from ..extensions import db
from .models import AuditEntry
from .services import ACTION_LABELS

audit_bp = Blueprint("audit", __name__, url_prefix="/audit")


@audit_bp.route("/")
@roles_required(*ADMINS)
def index():
    stmt = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    action = request.args.get("action")
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    search = (request.args.get("q") or "").strip()
    if search:
        stmt = stmt.where(AuditEntry.target_label.like(f"%{search.replace('%', '')}%"))
    page = db.paginate(stmt, per_page=current_app.config["PAGE_SIZE"] * 2, error_out=False)
    return render_template("audit/index.html", page=page, labels=ACTION_LABELS)
