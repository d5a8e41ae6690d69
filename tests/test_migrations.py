"""The schema comes only from migrations, and they match the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from quizapp.extensions import db


def test_migrated_schema_matches_models(app):
    """Does upgrading an empty database to head give exactly the models' schema?"""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    # Server-side index options and type details that SQLite cannot report are not differences.
    meaningful = [d for d in diff if not (isinstance(d, tuple) and d[0] in ("remove_index", "add_index")
                                          and d[1].name.startswith("ix_") and d[1].name.endswith("_trgm"))]
    assert meaningful == []


def test_single_head(app):
    """Is the migration history one straight line (one head)?"""
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    root = Path(__file__).resolve().parent.parent
    config = Config(str(root / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
