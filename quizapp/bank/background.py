"""A large question file is applied by a background job (quizapp/jobs.py), with its progress on the job page.

The request has previewed the file and claimed its staged upload (``uploads.claim``), so a double click
cannot queue it twice; the job reads it again, writes every accepted row or none, and deletes the upload in
the same transaction.
"""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..accounts.models import User
from ..common import uploads
from ..common.errors import ServiceError
from ..extensions import db
from ..jobs import handler, side_progress
from . import importer
from .models import Bank

JOB_PURPOSE = "bank:job"


def read_cache() -> importer.ReadCache:
    """The server's cache of files read at preview, so that applying one does not read it again."""
    return importer.ReadCache(Path(current_app.instance_path) / "import_cache", current_app.config["SECRET_KEY"])


@handler("bank.import")
def import_questions(job, progress):
    """Apply a staged question file; progress counts questions written."""
    staged = uploads.claimed(job.params["upload_id"], JOB_PURPOSE)
    bank = db.session.get(Bank, job.params["bank_id"])
    if staged is None or bank is None:
        raise ServiceError("未导入任何试题：预检结果已失效，请重新上传文件。")
    actor = db.session.get(User, job.user_id) if job.user_id else None
    preview = importer.preview_import(staged.data, bank, staged.filename,
                                      type_codes=(staged.options or {}).get("type_codes"), read_cache=read_cache())
    progress(0, len(preview.accepted))  # commits the count only: nothing of the import is written yet
    try:
        record = importer.apply_import(actor, bank, preview, valid_only=job.params.get("valid_only", False),
                                       progress=lambda done: side_progress(job, done))
    except ServiceError as error:
        raise ServiceError(f"未导入任何试题：{error}") from error
    except sa.exc.IntegrityError as error:
        raise ServiceError("未导入任何试题：题库在此期间被修改，请重新预检后再导入。") from error
    uploads.discard(staged)
    job.done = job.total
    job.message = (f"已导入 {record.accepted} 道试题（与已有试题重复 {record.duplicates} 道，"
                   f"有错误的 {record.rejected} 行未导入）。")
    return None
