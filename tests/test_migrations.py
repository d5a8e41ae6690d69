"""The schema comes only from migrations, and they match the models."""
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from quizapp.common.database import include_name, include_object
from quizapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_migrated_schema_matches_models(app):
    """Does upgrading an empty database to head give exactly the models' schema (full-text objects aside)?"""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": include_name, "include_object": include_object})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_autogenerate_keeps_full_text_search(app, tmp_path):
    """Would a newcomer's ``flask db migrate`` leave the raw-SQL full-text objects alone (and does ``db check`` pass)?"""
    from flask_migrate import check

    with db.engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names())
        indexes = {ix["name"] for ix in sa.inspect(connection).get_indexes("law_articles")}
    if db.engine.dialect.name == "sqlite":
        assert "law_articles_fts" in names
    else:
        assert "ix_law_articles_text_trgm" in indexes
    check(directory=str(ROOT / "migrations"))  # raises (and exits) when autogenerate would write anything


def test_single_head(app):
    """Is the migration history one straight line (one head)?"""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_check_constraints_carry_the_models_names(app):
    """Do the migrated CHECK constraints have the names the models give them (autogenerate does not compare them)?"""
    with db.engine.connect() as connection:
        inspector = sa.inspect(connection)
        migrated = {(table, check["name"]) for table in db.metadata.tables
                    for check in inspector.get_check_constraints(table)}
    modelled = {(table.name, constraint.name) for table in db.metadata.tables.values()
                for constraint in table.constraints if isinstance(constraint, sa.CheckConstraint)}
    assert modelled and modelled == migrated
