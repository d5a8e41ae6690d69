"""Writing to the audit log from any service."""
from flask import has_request_context, request

from ..extensions import db
from .models import AuditEntry

ACTION_LABELS = {
    "unit.create": "新建单位",
    "unit.rename": "修改单位",
    "unit.move": "移动单位",
    "unit.delete": "删除单位",
    "user.create": "新建账号",
    "user.update": "修改账号",
    "user.deactivate": "停用账号",
    "user.activate": "启用账号",
    "user.reset_password": "重置密码",
    "user.change_password": "修改密码",
    "user.import": "批量导入账号",
}


def _jsonable(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def diff(before: dict, after: dict) -> dict:
    """Fields whose value changed, as {field: [old, new]}."""
    return {
        key: [_jsonable(before.get(key)), _jsonable(after.get(key))]
        for key in after
        if before.get(key) != after.get(key)
    }


def record(actor, action, target_type, target_id=None, target_label="", summary="", changes=None):
    """Add an audit entry to the session; the caller's transaction commits it."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=(target_label or "")[:200],
        summary=(summary or "")[:500],
        changes=changes or None,
        ip=(request.remote_addr or "")[:45] if has_request_context() else "",
    )
    db.session.add(entry)
    return entry
