"""Engine settings per database: SQLite gets WAL, foreign keys and a busy timeout."""
import sqlalchemy as sa
from sqlalchemy import event

from ..extensions import db


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def configure_engine_events(app):
    """Attach per-connection settings when the engine is first created."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)


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
