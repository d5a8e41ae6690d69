"""The per-request floor: what every request costs beyond its own work (issue 15).

No Set-Cookie on responses that leave the session unchanged (the cookie used to be re-signed and re-sent on
every answer save), no connection ping on SQLite, and the heavy spreadsheet libraries loaded only by the code
that reads spreadsheets.
"""
import subprocess
import sys

from quizapp.extensions import db


def _start(client, exam):
    response = client.post(f"/api/exams/{exam.id}/start", json={"confirm": True})
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response.get_json()["attempt_id"]


def test_answer_saves_and_pages_send_no_cookie(client, make_exam, f, tree):
    """After sign-in, saves, state reads and pages come back without Set-Cookie; signing in still sets one."""
    exam = make_exam()
    f.user("fl1", tree["v1"])
    assert "Set-Cookie" in client.login("fl1").headers
    client.get("/")  # the first page may store the CSRF token in the session
    attempt_id = _start(client, exam)
    for seq in (1, 2, 3):
        saved = client.post(f"/api/exams/attempts/{attempt_id}/answers",
                            json={"answers": [{"position": 1, "response": "A", "seq": seq}]})
        assert saved.status_code == 200
        assert "Set-Cookie" not in saved.headers, saved.headers
    state = client.get(f"/api/exams/attempts/{attempt_id}/state")
    assert state.status_code == 200 and "Set-Cookie" not in state.headers
    page = client.get("/")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers


def test_no_pre_ping_on_sqlite(app):
    """pool_pre_ping is for servers that drop connections (PostgreSQL); a SQLite file is never pinged."""
    from quizapp.config import from_environment

    assert from_environment(app.instance_path)["SQLALCHEMY_ENGINE_OPTIONS"] == {}
    if db.engine.dialect.name == "sqlite":
        assert not db.engine.pool._pre_ping


def test_pre_ping_on_postgresql(app, monkeypatch):
    from quizapp.config import from_environment

    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1/x")
    assert from_environment(app.instance_path)["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}


def test_app_start_loads_no_pandas_numpy_or_job_queue():
    """Building the app imports neither pandas nor numpy (about a second and 100 MB per worker), nor the job
    queue's huey and redis (~0.17 s and ~19 MB): only imports, exports and queued jobs need them."""
    code = ("import sys; from quizapp import create_app; create_app({'TESTING': True}); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'numpy', 'openpyxl', 'huey', 'redis'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
