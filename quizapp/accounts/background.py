"""A large account file is applied by a background job (quizapp/jobs.py): each new account costs a password hash
(~0.2 s of scrypt), so a few thousand would outlast any request.

The job hashes the temporary passwords first, committing its progress as it goes (nothing of the import is
written yet), then creates every account and unit in one transaction, or none. The initial passwords are kept
in the job's file, which only the person who asked can reach: their job page leads to the same 导入完成 page
and 账号通知单 a small import shows.
"""
from __future__ import annotations

import json

from ..common import uploads
from ..common.errors import ServiceError
from ..extensions import db
from ..jobs import handler, new_file
from . import importer
from .models import User

JOB_PURPOSE = "users:job"


@handler("accounts.import")
def import_accounts(job, progress):
    """Apply a staged account file; progress counts the accounts prepared."""
    staged = uploads.claimed(job.params["upload_id"], JOB_PURPOSE)
    actor = db.session.get(User, job.user_id) if job.user_id else None
    if staged is None or actor is None:
        raise ServiceError("未导入任何账号：预检结果已失效，请重新上传文件。")
    filename = staged.filename
    plan = importer.plan_import(actor, staged.data, create_units=(staged.options or {}).get("create_units", False))
    if not plan.ok:
        raise ServiceError(f"未导入任何账号：文件中有 {len(plan.problems)} 处错误（可能在预检之后系统中的账号或单位有变化），"
                           "请重新上传文件预检。")
    total = len(plan.rows)
    progress(0, total)
    issued = importer.issue_passwords(total, progress=lambda done: progress(done))
    actor = db.session.get(User, job.user_id)  # progress commits, which expires what was loaded
    try:
        created = importer.apply_import(actor, plan, filename=filename, issued=issued)
    except ServiceError as error:
        raise ServiceError(f"未导入任何账号：{error}") from error
    uploads.discard(staged)
    path = new_file(".json")
    path.write_text(json.dumps({"filename": filename, "issued": [[user.id, password] for user, password in created]}),
                    encoding="utf-8")
    job.file_path = str(path)  # no file_name: the passwords are shown on the 导入完成 page, not downloaded raw
    job.message = f"已导入 {len(created)} 个账号，新建单位 {len(plan.missing_units)} 个。"
    return None


def issued_by(job) -> tuple[str, list[tuple[int, str]]]:
    """The file name and [(user id, initial password)] an account import job created."""
    with open(job.file_path, encoding="utf-8") as handle:
        saved = json.load(handle)
    return saved["filename"], [(user_id, password) for user_id, password in saved["issued"]]
