"""The schema comes only from migrations, and they match the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from quizapp.extensions import db


def test_migrated_schema_matches_models(app):
    """Does upgrading an empty database to head give exactly the models' schema?"""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert [d for d in diff if not _created_by_raw_sql(d)] == []


def _created_by_raw_sql(difference):
    """Full-text search tables and trigram indexes are made with raw SQL in migrations, outside the models."""
    if not isinstance(difference, tuple):
        return False
    kind, obj = difference[0], difference[1]
    if kind == "remove_table":
        return "_fts" in obj.name
    if kind in ("remove_index", "add_index"):
        return obj.name.endswith("_trgm") or "_fts" in (obj.table.name if obj.table is not None else "")
    return False


def test_single_head(app):
    """Is the migration history one straight line (one head)?"""
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    root = Path(__file__).resolve().parent.parent
    config = Config(str(root / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
