"""Migrations on SQLite that rebuild a table (batch mode, e.g. changing the questions' type CHECK) must not
delete the rows that point at it: with foreign keys on, dropping the old copy cascades."""
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-01-01 00:00:00"


def test_rebuilding_questions_keeps_the_mistake_book(tmp_path):
    """After upgrading from 0006 to the head (which rebuilds `questions` on SQLite), is a cadre's 错题本 entry
    pointing at a question still there, and does every foreign key still hold?"""
    from flask_migrate import upgrade

    from quizapp import create_app

    url = f"sqlite:///{tmp_path}/old.sqlite"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 32})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="0006")
        engine = sa.create_engine(url)
        with engine.begin() as c:
            c.exec_driver_sql(f"INSERT INTO units (id, name, kind, path, depth, sort_order, created_at) "
                              f"VALUES (1, '甲乡', 'township', '/1/', 0, 0, '{NOW}')")
            c.exec_driver_sql(
                "INSERT INTO users (id, login, name, unit_id, role, rank, category, shufa, title, phone, active, "
                "password_hash, must_change_password, session_version, created_at, updated_at) VALUES (1, 'gb1', "
                f"'王一', 1, 'cadre', 'none', 'general', 0, '', '', 1, 'x', 0, 1, '{NOW}', '{NOW}')")
            c.exec_driver_sql(f"INSERT INTO banks (id, name, description, created_at) VALUES (1, '宪法', '', '{NOW}')")
            c.exec_driver_sql(
                "INSERT INTO questions (id, bank_id, qtype, stem, options, answer, tags, fingerprint, created_at, "
                f"updated_at) VALUES (1, 1, 'judge', '宪法是根本法。', '[]', 'T', '[]', 'f1', '{NOW}', '{NOW}')")
            c.exec_driver_sql(
                "INSERT INTO mistake_entries (id, user_id, question_id, source, first_wrong_at, last_wrong_at, "
                f"last_answered_at) VALUES (1, 1, 1, 'practice', '{NOW}', '{NOW}', '{NOW}')")
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        with engine.connect() as c:
            kept = c.exec_driver_sql("SELECT COUNT(*) FROM mistake_entries").scalar()
            questions = c.exec_driver_sql("SELECT COUNT(*) FROM questions").scalar()
            broken = c.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        engine.dispose()
    assert (questions, kept, broken) == (1, 1, [])
