"""Writing to the audit log from any service."""
from flask import g, has_request_context, request

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
    "bank.create": "新建题库",
    "bank.update": "修改题库",
    "bank.import": "导入试题",
    "question.create": "新建试题",
    "question.update": "修改试题",
    "question.retire": "停用试题",
    "question.restore": "恢复试题",
    "exam.create": "新建考试",
    "exam.update": "修改考试",
    "exam.publish": "发布考试",
    "exam.unpublish": "撤回考试",
    "exam.delete": "删除考试",
    "exam.paper": "设置试卷",
    "exam.override": "考试特殊安排",
    "exam.regrade": "更正答案并重新评分",
    "exam.submit": "交卷",
    "law.import": "导入法律法规",
    "law.update": "修改法规信息",
    "law.current": "设置现行版本",
    "law.delete_version": "删除法规版本",
    "question.law_review": "法规更新复核",
    "material.create": "新建学习资料",
    "material.update": "修改学习资料",
    "material.publish": "发布学习资料",
    "material.unpublish": "撤回学习资料",
    "material.delete": "删除学习资料",
    "material.require": "设置必学资料",
    "material.unrequire": "取消必学资料",
    "study.targets": "设置学时目标",
    "offline.create": "登记线下学法活动",
    "offline.update": "修改线下学法活动",
    "offline.delete": "删除线下学法活动",
    "offline.attendance": "线下活动参加人员",
    "offline.confirm": "确认线下活动参加情况",
    "reports.settings": "修改报表设置",
    "reports.export": "导出报表",
    "auth.login": "登录成功",
    "auth.failure": "登录失败",
    "auth.throttled": "登录受限",
    "auth.forced_change": "登录后须修改密码",
    "auth.unlock": "解除登录限制",
    "access.denied": "越权访问被拒绝",
    "export.users": "导出人员名单",
    "export.bank": "导出题库",
    "export.roster": "导出考试名单",
    "export.offline": "导出线下活动",
    "export.annual": "导出年度学法数据",
    "export.shufa": "导出述法材料",
    "export.audit": "导出操作日志",
    "reports.shufa_text": "修改述法学法情况",
    "notices.send": "发送督办提醒",
    "user.slips": "下载账号通知单",
    "certificate.settings": "修改证书设置",
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
    if has_request_context():
        g.setdefault("audit_actions", []).append(action)
    return entry
