"""Engine settings per database (SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL no JIT) and the schema objects outside the models."""
import warnings

import sqlalchemy as sa
from sqlalchemy import event

from ..extensions import db


# Each pooled connection keeps a page cache of its own (SQLite's default is 2 MB), and a worker's 16 threads
# hold up to 15 connections: 2 MB each left a worker ~15 MB larger after the mixed page load
# (benchmarks/bench_exam.py). The file's pages stay in the operating system's cache, shared by every worker.
SQLITE_CACHE_KB = 512


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")
    cursor.close()


def _postgres_settings(dbapi_connection, _record):
    """No JIT compilation: the app's statements are short or read the roll-up, and compiling one (50–100 ms at a
    million cadres) cost more than it saved — a ranking's count took 616 ms with it and ~500 without."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()  # outside any transaction the pool would roll back


def configure_engine_events(app):
    """Attach per-connection settings when the engine is first created."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        elif engine.dialect.name == "postgresql":
            event.listen(engine, "connect", _postgres_settings)


def is_postgres():
    return db.engine.dialect.name == "postgresql"


def database_ok():
    """True when a trivial query succeeds (used by /healthz)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False


# SQLite cannot reflect an index on an expression (``flask db check`` would warn about each): they are ours,
# made by raw SQL in migrations and left alone by ``made_by_raw_sql``.
warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index",
                        category=sa.exc.SAWarning)


def made_by_raw_sql(name, type_):
    """Full-text search is built with raw SQL in migrations, outside the models: FTS5 tables on SQLite, trigram indexes on PostgreSQL;
    so are indexes on expressions (the roll-up's average score) and partial indexes in a sort order (``_sorted``:
    the roll-up's 学时), which the models cannot declare portably either.

    Autogenerate, ``flask db check`` and the migration test leave these alone;
    without this filter a newcomer's first ``flask db migrate`` would drop them.
    """
    if type_ == "table":
        return "_fts" in name
    if type_ == "index":  # … and indexes on expressions (``_expr``), which the models cannot declare portably
        return name.endswith(("_trgm", "_expr", "_sorted"))
    return False


def include_name(name, type_, parent_names):
    """Alembic hook: do not reflect the objects made by raw SQL."""
    return not (name and made_by_raw_sql(name, type_))


def include_object(obj, name, type_, reflected, compare_to):
    """Alembic hook: skip the objects made by raw SQL (and indexes on FTS tables)."""
    if name and made_by_raw_sql(name, type_):
        return False
    table = getattr(obj, "table", None)
    return not (type_ == "index" and table is not None and made_by_raw_sql(table.name, "table"))
