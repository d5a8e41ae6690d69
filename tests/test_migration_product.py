"""The w3product01 migration on existing data: offline sessions already held count as confirmed, and hours
credited in advance for sessions still to come are taken back."""
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent


def test_upgrade_confirms_past_sessions_and_takes_back_future_hours(tmp_path):
    """After the upgrade, is a held session confirmed with its hours kept, and a future one unconfirmed with the
    hours it credited in advance removed?"""
    from flask_migrate import upgrade

    from quizapp import create_app

    url = f"sqlite:///{tmp_path}/old.sqlite"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 32})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="0006")
        engine = sa.create_engine(url)
        today = date.today()
        past, future = today - timedelta(days=30), today + timedelta(days=3)
        with engine.begin() as c:
            c.execute(sa.text("INSERT INTO units (id, name, kind, path, depth, sort_order, created_at) "
                              "VALUES (1, '甲乡', 'township', '/1/', 0, 0, '2026-01-01 00:00:00')"))
            c.execute(sa.text(
                "INSERT INTO users (id, login, name, unit_id, role, rank, category, shufa, title, phone, active, "
                "password_hash, must_change_password, session_version, created_at, updated_at) VALUES (1, 'gb1', '王一', "
                "1, 'cadre', 'none', 'general', 0, '', '', 1, 'x', 0, 1, '2026-01-01 00:00:00', "
                "'2026-01-01 00:00:00')"))
            for sid, held in ((1, past), (2, future)):
                c.execute(sa.text(
                    "INSERT INTO offline_sessions (id, kind, topic, category, held_on, minutes, unit_id, speaker, "
                    "location, public_count, notes, created_at, updated_at) VALUES (:id, '法治讲堂', '宪法', '宪法', "
                    ":held, 90, 1, '', '', 0, '', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
                    {"id": sid, "held": held.isoformat()})
                c.execute(sa.text("INSERT INTO offline_attendance (session_id, user_id, added_via, added_at) "
                                  "VALUES (:id, 1, 'manual', '2026-01-01 00:00:00')"), {"id": sid})
            for held in {(past.year, past.month), (future.year, future.month)}:
                seconds = 5400 * ((past.year, past.month) == held) + 5400 * ((future.year, future.month) == held)
                c.execute(sa.text("INSERT INTO study_credits (user_id, year, month, category, source, seconds) "
                                  "VALUES (1, :y, :m, '宪法', 'offline', :s)"), {"y": held[0], "m": held[1], "s": seconds})
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        with engine.connect() as c:
            confirmed = dict(c.execute(sa.text("SELECT id, confirmed_at IS NOT NULL FROM offline_sessions")).all())
            total = c.execute(sa.text("SELECT SUM(seconds) FROM study_credits WHERE source = 'offline'")).scalar()
        engine.dispose()
    assert confirmed == {1: 1, 2: 0}
    assert total == 5400  # only the held session's 90 minutes remain
