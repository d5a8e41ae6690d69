"""Scratch databases and folders for benchmarks: uniquely named, made for one run, dropped after it.

A benchmark never resets a database it did not create: PostgreSQL databases are created here under a fresh
name (``bench_<label>_<pid>_<random>``) through the server's maintenance database and dropped on exit;
SQLite files live in a fresh temporary folder removed on exit.
"""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from contextlib import contextmanager

import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1/postgres")


def pg_available() -> bool:
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.SQLAlchemyError:
        return False


@contextmanager
def scratch_folder(label: str):
    folder = tempfile.mkdtemp(prefix=f"quizapp-bench-{label}-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def scratch_database(kind: str, label: str):
    """A new, empty database ("sqlite" or "postgres") for this run; its URL is yielded, and it is removed after."""
    if kind == "sqlite":
        with scratch_folder(label) as folder:
            yield f"sqlite:///{folder}/bench.sqlite"
        return
    name = f"bench_{label}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
