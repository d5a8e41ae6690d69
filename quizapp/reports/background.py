"""The reports' background jobs: the 述法 batch workbook and full roll-up rebuilds (see quizapp/jobs.py).

Both used to run inside a request (5.9 s for the workbook at 100,000 cadres, minutes for a rebuild at a
million); now the request records a job and the worker does the work, with progress on the job's page.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import Unit
from ..common.spreadsheets import write_workbook
from ..extensions import db
from ..jobs import handler, in_app_context, new_file, task
from . import rollup, services, shufa


@handler("reports.shufa_batch")
def shufa_batch(job, progress):
    """Every 述法对象 of a subtree in one workbook; progress counts people written."""
    unit = db.session.get(Unit, job.params["unit_id"])
    year = int(job.params["year"])
    total = db.session.scalar(sa.select(sa.func.count()).select_from(shufa.shufa_people(unit, year).subquery()))
    progress(0, total or 0)
    path = new_file(".xlsx")
    write_workbook(str(path), shufa.batch_filler(unit, year, progress=progress))
    return path, f"{unit.name}-{year}-述法对象学法情况.xlsx"


@handler("reports.rebuild")
def rebuild(job, progress):
    """“立即更新”: close overdue attempts, then rebuild the year's roll-up (unless rebuilt in the last minute)."""
    year = int(job.params["year"])
    progress(0, 1)
    services.finalise_overdue()
    db.session.commit()
    row = rollup.refresh(year, if_older_than=job.params.get("if_older_than"))
    db.session.commit()
    job.message = f"{year}年统计数据已更新（{row.person_rows} 行）。"
    progress(1)


@task
@in_app_context
def rebuild_year(year: int):
    """A year whose definitions changed (an exam published, a requirement added …), rebuilt whole off-request."""
    rollup.refresh(year)
    db.session.commit()
