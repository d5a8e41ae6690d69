"""Background jobs on huey: long work (the 述法 batch workbook, full roll-up rebuilds) leaves the request.

One server keeps the queue in a SQLite file; several servers share Redis — configuration only:

    JOBS_URL=sqlite:////srv/quizapp/instance/jobs.sqlite   (the default: instance/jobs.sqlite)
    JOBS_URL=redis://127.0.0.1:6379/1

The worker is one command, ``flask --app quizapp jobs worker`` (bin/demo starts it). Tests and
``JOBS_IMMEDIATE=1`` run every job at once in the caller's thread (huey's immediate mode).

The queue is built on first use (``get_huey``), not at import: importing huey imports its storage module, which
imports redis and psycopg (~0.17 s of start-up CPU and ~19 MB a process) whatever the queue is, and a worker
that only serves pages never queues anything. Functions the queue runs are declared with ``@task`` and bound
to it when it is built.

A ``Job`` row is what the person who asked sees: status, progress, and the file when there is one. Domains
register what a kind of job does with ``@handler("kind")``; the handler gets the job and a ``progress(done,
total)`` callback, and returns ``(path, download name)`` for a file or None. Files live in
``instance/job_files`` and are offered only to the person who asked.

A handler whose work must be all or nothing (an import) reports progress inside its transaction with
``side_progress``; it raises ``ServiceError`` or ``SpreadsheetError`` to fail with a reason the page shows.
"""
from __future__ import annotations

import functools
import os
import secrets
import threading
from datetime import datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, send_file
from flask.cli import AppGroup
from flask_login import current_user, login_required
from sqlalchemy.orm import Mapped, mapped_column

from .common.clock import utcnow
from .common.errors import ServiceError
from .common.spreadsheets import SpreadsheetError
from .common.types import UTCDateTime
from .extensions import db

STATUSES = {"queued": "排队中", "running": "正在处理", "done": "已完成", "failed": "失败"}
_HANDLERS: dict[str, callable] = {}
_APP = None  # the app jobs run in (set by init_app; the worker's own app)
_TASKS: list[Task] = []  # every @task, bound to the queue when get_huey builds it
_HUEY = None  # the queue, once built
_HUEY_LOCK = threading.Lock()  # two threads queueing the first job build one queue
_IMMEDIATE = False  # run jobs at once in the caller's thread (tests, JOBS_IMMEDIATE=1); see init_app


def _default_url():
    """A SQLite queue in the app's instance folder, found as Flask finds it (installed or not)."""
    from flask.sansio.scaffold import find_package

    prefix, package_path = find_package(__name__.split(".")[0])
    folder = Path(prefix) / "var" / "quizapp-instance" if prefix is not None else Path(package_path) / "instance"
    return "sqlite:///" + str(folder / "jobs.sqlite")


def make_huey(url: str | None = None, immediate: bool = False):
    """The queue named by ``url``: redis://… (several servers), sqlite:///path (one server), memory:// (tests)."""
    from huey import MemoryHuey, RedisHuey, SqliteHuey

    url = url or os.environ.get("JOBS_URL") or _default_url()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("quizapp", url=url, immediate=immediate)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("quizapp", filename=str(path), immediate=immediate)
    if url.startswith("memory://"):
        return MemoryHuey("quizapp", immediate=immediate)
    raise RuntimeError(f"JOBS_URL={url!r}: use redis://…, sqlite:///path or memory://")


def get_huey():
    """The queue (JOBS_URL), built the first time a job is queued or the worker starts, with every @task bound."""
    global _HUEY
    with _HUEY_LOCK:
        if _HUEY is None:
            queue = make_huey(immediate=_IMMEDIATE)
            for task_ in _TASKS:
                task_.bind(queue)
            _HUEY = queue
    return _HUEY


def set_immediate(immediate: bool):
    """Run jobs at once in the caller's thread (tests, JOBS_IMMEDIATE=1), or queue them (the worker)."""
    global _IMMEDIATE
    _IMMEDIATE = immediate
    if _HUEY is not None:
        _HUEY.immediate = immediate


class Task:
    """A function the queue runs (``@task``): calling it queues the call, or runs it at once in immediate mode."""

    def __init__(self, fn):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.queued = None  # huey's task wrapper, once the queue is built

    def bind(self, queue):
        self.queued = queue.task()(self.fn)

    def __call__(self, *args, **kwargs):
        get_huey()
        return self.queued(*args, **kwargs)

    def __repr__(self):
        return f"<Task {self.fn.__module__}.{self.fn.__name__}>"


def task(fn) -> Task:
    """Declare ``fn`` a task of the queue; the queue itself (and huey) is imported only when first used."""
    declared = Task(fn)
    with _HUEY_LOCK:
        _TASKS.append(declared)
        if _HUEY is not None:  # a module imported after the queue was built
            declared.bind(_HUEY)
    return declared


class Job(db.Model):
    """One piece of background work someone asked for, with its progress and (when done) its file."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued", server_default="queued")
    done: Mapped[int] = mapped_column(default=0, server_default="0")
    total: Mapped[int] = mapped_column(default=0, server_default="0")
    message: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    file_path: Mapped[str | None] = mapped_column(sa.String(300))
    file_name: Mapped[str | None] = mapped_column(sa.String(200))
    back_url: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def status_label(self):
        return STATUSES.get(self.status, self.status)

    @property
    def percent(self):
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    def __repr__(self):
        return f"<Job {self.id} {self.kind} {self.status}>"


def handler(kind: str):
    """Register the function that does jobs of ``kind``: fn(job, progress) -> (path, name) | None."""
    def register(fn):
        _HANDLERS[kind] = fn
        return fn
    return register


def files_dir() -> Path:
    path = Path(current_app.instance_path) / "job_files"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_file(suffix: str) -> Path:
    """A fresh, unguessable path for a job's output file."""
    return files_dir() / f"{secrets.token_hex(12)}{suffix}"


def side_progress(job: Job, done: int):
    """Progress from inside a transaction that must not commit yet, written on a connection of its own.

    SQLite has one writer at a time and the caller's transaction holds it, so there the page sees the count
    only when the job commits; PostgreSQL shows it as it goes.
    """
    if db.engine.dialect.name == "sqlite":
        return
    with db.engine.begin() as connection:
        connection.execute(sa.update(Job).where(Job.id == job.id).values(done=done))


def submit(kind: str, user, params: dict, *, title: str = "", back_url: str = "") -> Job:
    """Record a job (flushes; the caller commits) and queue it once the transaction commits."""
    if kind not in _HANDLERS:
        raise ValueError(f"no handler for job kind {kind!r}")
    job = Job(kind=kind, user_id=user.id if user is not None else None, params=params, title=title,
              back_url=back_url)
    db.session.add(job)
    db.session.flush()
    db.session.info.setdefault("jobs_after_commit", []).append(job.id)
    return job


def enqueue_after_commit(task, *args, session=None):
    """Queue ``task(*args)`` once the current transaction commits (nothing if it rolls back)."""
    (session or db.session).info.setdefault("tasks_after_commit", []).append((task, args))


def _after_commit(session):
    jobs = session.info.pop("jobs_after_commit", [])
    tasks = session.info.pop("tasks_after_commit", [])
    for job_id in jobs:
        run_job(job_id)
    for task, args in tasks:
        task(*args)


def _after_rollback(session):
    session.info.pop("jobs_after_commit", None)
    session.info.pop("tasks_after_commit", None)


def in_app_context(fn):
    """Run a task inside a fresh app context (its own database session) of the app jobs belong to."""
    def wrapped(*args, **kwargs):
        app = _APP or current_app._get_current_object()
        with app.app_context():
            try:
                return fn(*args, **kwargs)
            finally:
                db.session.remove()
    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


@task
@in_app_context
def run_job(job_id: int):
    """Do one recorded job, keeping its row up to date (each progress step is committed so the page sees it)."""
    job = db.session.get(Job, job_id)
    if job is None or job.status not in ("queued", "running"):
        return
    job.status = "running"
    db.session.commit()

    def progress(done, total=None):
        job.done = done
        if total is not None:
            job.total = total
        db.session.commit()

    try:
        produced = _HANDLERS[job.kind](job, progress)
    except Exception as error:  # the page must say it failed; the log keeps the trace
        db.session.rollback()
        current_app.logger.exception("job %s (%s) failed", job_id, job.kind)
        job = db.session.get(Job, job_id)
        # Refusals carry a Chinese reason for the page; anything else stays in the log, not on the page.
        reason = str(error) if isinstance(error, (ServiceError, SpreadsheetError)) else ""
        job.status, job.message, job.finished_at = "failed", reason[:500], utcnow()
        db.session.commit()
        return
    if produced:
        job.file_path, job.file_name = str(produced[0]), produced[1]
    job.status, job.finished_at = "done", utcnow()
    db.session.commit()


def init_app(app):
    """Bind jobs to ``app``: tests (and JOBS_IMMEDIATE=1) run them at once, in the caller's thread."""
    global _APP
    _APP = app
    if app.config.get("JOBS_IMMEDIATE") or app.testing:
        set_immediate(True)
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda session, _tx: _after_rollback(session))
    app.register_blueprint(jobs_bp)
    app.cli.add_command(jobs_cli)


# ---------------------------------------------------------------- the page and the file

jobs_bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def own_job(job_id) -> Job:
    """The signed-in person's job, or 404 (someone else's job is as missing as one that never was)."""
    job = db.session.get(Job, job_id)
    if job is None or job.user_id != current_user.id:
        abort(404)
    return job


@jobs_bp.route("/<int:job_id>")
@login_required
def show(job_id):
    """The job's progress (the page refreshes itself until the job is over) and its file when ready."""
    return render_template("jobs/show.html", job=own_job(job_id))


@jobs_bp.route("/<int:job_id>/file")
@login_required
def file(job_id):
    job = own_job(job_id)
    if job.status != "done" or not job.file_name or not job.file_path or not Path(job.file_path).is_file():
        abort(404)
    return send_file(job.file_path, as_attachment=True, download_name=job.file_name or Path(job.file_path).name)


# ---------------------------------------------------------------- the worker

jobs_cli = AppGroup("jobs", help="后台任务。")


@jobs_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="并行执行的任务数（线程）。")
def worker_command(workers):
    """Run the job worker (one per server is enough; stop it with Ctrl+C or SIGTERM)."""
    global _APP
    _APP = current_app._get_current_object()
    set_immediate(False)
    click.echo(f"后台任务处理已启动（{workers} 个线程）。")
    get_huey().create_consumer(workers=workers, worker_type="thread").run()
