"""Audit entries no view has to remember: every file export, and denied attempts to reach others' objects.

An after_request hook records any spreadsheet (or other attachment) a signed-in
person downloads, so a new export is audited the day it is added. Views that
record their own, more precise entry (reports.export) are not recorded twice.
Denied access is recorded by the 404 handler for ``Forbidden``, at most
AUDIT_DENIED_PER_HOUR entries per person an hour, so a scanner cannot flood the log.
"""

from urllib.parse import unquote

from flask import current_app, g, request
from flask_login import current_user

from ..extensions import db, limiter
from .services import record

# Blank forms anyone with the page may take: no personal data, no bank.
NOT_EXPORTS = frozenset({"users.template", "bank.template", "offline.signin_template"})
EXPORT_ACTIONS = {
    "users.export": "export.users",
    "bank.export": "export.bank",
    "exam_admin.export": "export.roster",
    "offline.export": "export.offline",
    "reports.shufa_export": "export.shufa",
    "reports.shufa_sheet": "export.shufa",
    "reports.annual": "export.annual",
    "reports.records": "export.annual",
    "audit.export": "export.audit",
    "points.overview": "export.points",
    "points.units": "export.points",
    "points.people": "export.points",
}


def _is_export(response):
    disposition = response.headers.get("Content-Disposition", "")
    return response.status_code == 200 and disposition.startswith("attachment")


def record_export(response):
    """after_request: an attachment sent to a signed-in person is an export; keep who took what."""
    if not _is_export(response) or request.endpoint in NOT_EXPORTS or not current_user.is_authenticated:
        return response
    done = g.get("audit_actions", [])
    if any(action == "reports.export" or action.startswith("export.") for action in done):
        return response
    ids = [value for value in (request.view_args or {}).values() if isinstance(value, int)]
    action = EXPORT_ACTIONS.get(request.endpoint, "export.data")
    filename = response.headers.get("Content-Disposition", "").split("''", 1)[-1]
    record(current_user, action, "export", ids[0] if ids else None, unquote(filename)[:200],
           summary=request.full_path[:500])
    db.session.commit()
    return response


def record_denied():
    """From the Forbidden handler: note who asked for what that is not theirs (bounded per person and hour)."""
    if not current_user.is_authenticated:
        return
    per_hour = current_app.config.get("AUDIT_DENIED_PER_HOUR", 20)
    count = limiter.storage.incr(f"audit:denied:{current_user.id}", 3600)
    if count > per_hour + 1:
        return
    ids = [value for value in (request.view_args or {}).values() if isinstance(value, int)]
    summary = f"{request.method} {request.full_path}"[:500]
    if count == per_hour + 1:
        summary = f"本小时内越权访问已超过 {per_hour} 次，其余不再逐条记录。最后一次：{summary}"[:500]
    record(current_user, "access.denied", request.endpoint or "", ids[0] if ids else None,
           request.path[:200], summary=summary)
    db.session.commit()
