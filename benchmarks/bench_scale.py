"""The per-request floor, start-up and figure upkeep, each against a baseline measured in the same run.

Run:  .venv/bin/python benchmarks/bench_scale.py [--saves 300] [--rounds 4]

* start-up: CPU seconds and resident memory of ``import quizapp; create_app()`` in a fresh interpreter,
  against a bare Flask + Flask-Login + Flask-WTF + Flask-SQLAlchemy app (alternating A B A B; CPU of the
  child process as the kernel counts it, /proc via getrusage); again with bytecode compiled beforehand;
* answer save: CPU per save through the app (signed-in cadre, CSRF header, the real save endpoint) against a
  bare app doing the same sign-in check, CSRF check and conditional UPDATE; in-process test clients on one
  scratch SQLite database each, alternating rounds A B A B;
* figure upkeep: CPU per study-time write (credit + commit) with the report roll-up kept current in the same
  transaction, against the same write with no roll-up to keep (alternating).

Scratch databases and folders are made for the run and removed after (benchmarks/scratch.py).
"""
from __future__ import annotations

import argparse
import gzip
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from scratch import scratch_folder  # noqa: E402

# Resident memory now (VmRSS), not the peak: a child's ru_maxrss starts at its parent's size, which is large
# when python -m benchmarks has already imported the other benches.
RSS_NOW = "[int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmRSS:')][0] / 1024"
STARTUP_APP = ("import time; t = time.process_time(); from quizapp import create_app; "
               "create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://'}); "
               "print(time.process_time() - t, " + RSS_NOW + ")")
STARTUP_BARE = ("import time; t = time.process_time(); from flask import Flask; "
                "from flask_login import LoginManager; from flask_wtf.csrf import CSRFProtect; "
                "from flask_sqlalchemy import SQLAlchemy; app = Flask('bare'); "
                "app.config.update(SECRET_KEY='x', SQLALCHEMY_DATABASE_URI='sqlite://'); "
                "SQLAlchemy(app); LoginManager(app); CSRFProtect(app); "
                "print(time.process_time() - t, " + RSS_NOW + ")")


def _startup(code, pycache=None):
    # As a gunicorn worker starts the app (gunicorn.conf.py sets QUIZAPP_SERVE_ONLY: no Alembic).
    env = dict(os.environ, QUIZAPP_SERVE_ONLY="1")
    if pycache:  # bytecode written once and reused, as on a server that pip installed (pip compiles it)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         timeout=120, env=env).stdout.split()
    return float(out[-2]), float(out[-1])


def bench_startup(rounds):
    """As this environment runs Python (a checkout with PYTHONDONTWRITEBYTECODE set compiles quizapp's source
    at every start), and with bytecode as an installed server has it; each against the bare app."""
    app, bare, app_pyc, bare_pyc = [], [], [], []
    with scratch_folder("pycache") as pycache:
        _startup(STARTUP_APP, pycache)  # writes the bytecode
        _startup(STARTUP_BARE, pycache)
        for _ in range(rounds):  # A B A B
            app.append(_startup(STARTUP_APP))
            bare.append(_startup(STARTUP_BARE))
            app_pyc.append(_startup(STARTUP_APP, pycache))
            bare_pyc.append(_startup(STARTUP_BARE, pycache))
    return {
        "start-up CPU (import + create_app)": (statistics.median(a for a, _ in app) * 1000,
                                               statistics.median(b for b, _ in bare) * 1000, "ms"),
        "start-up CPU, bytecode compiled": (statistics.median(a for a, _ in app_pyc) * 1000,
                                            statistics.median(b for b, _ in bare_pyc) * 1000, "ms"),
        "start-up memory (RSS)": (statistics.median(m for _, m in app), statistics.median(m for _, m in bare), "MB"),
    }


# ---------------------------------------------------------------- answer saves

def bare_app(url):
    """Flask + Flask-Login + CSRF + a conditional UPDATE: the least an authenticated, CSRF-checked save costs."""
    import sqlalchemy as sa
    from flask import Flask, jsonify, render_template_string, request
    from flask_login import LoginManager, UserMixin, login_required, login_user
    from flask_wtf.csrf import CSRFProtect, generate_csrf

    engine = sa.create_engine(url)
    meta = sa.MetaData()
    users = sa.Table("users", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("login", sa.String(20)))
    items = sa.Table("items", meta, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("user_id", sa.Integer), sa.Column("position", sa.Integer),
                     sa.Column("response", sa.String(20)), sa.Column("seq", sa.Integer))
    questions = sa.Table("questions", meta, sa.Column("position", sa.Integer, primary_key=True),
                         sa.Column("title", sa.String(300)), sa.Column("options", sa.String(600)),
                         sa.Column("multi", sa.Boolean))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(questions.insert(), [
            {"position": i, "multi": i % 3 == 0,
             "title": f"第{i}题：根据《中华人民共和国宪法》的规定，下列关于国家机构职权的说法中，正确的是哪一项？",
             "options": "|".join(f"选项{c}：全国人民代表大会常务委员会依照法律规定行使相应职权第{i}项" for c in "ABCD")}
            for i in range(1, 51)])
        conn.execute(users.insert().values(id=1, login="bare"))
        conn.execute(items.insert(), [{"id": i, "user_id": 1, "position": i, "response": "", "seq": 0}
                                      for i in range(1, 51)])
    app = Flask("bare")
    app.config.update(SECRET_KEY="bench", SESSION_REFRESH_EACH_REQUEST=False)
    app.jinja_env.filters["enumerate_letters"] = lambda options: zip("ABCDEFGH", options)
    CSRFProtect(app)
    login = LoginManager(app)

    class U(UserMixin):
        def __init__(self, id):
            self.id = id

    @login.user_loader
    def load(user_id):
        with engine.connect() as conn:
            row = conn.execute(sa.select(users.c.id).where(users.c.id == int(user_id))).first()
        return U(row.id) if row else None

    @app.post("/login")
    def do_login():
        login_user(U(1))
        return "ok"

    @app.get("/token")
    def token():
        return generate_csrf()

    @app.post("/save")
    @login_required
    def save():
        answer = request.get_json()["answers"][0]
        with engine.begin() as conn:
            done = conn.execute(items.update().where(items.c.user_id == 1, items.c.position == answer["position"],
                                                     items.c.seq < answer["seq"])
                                .values(response=answer["response"], seq=answer["seq"])).rowcount
        return jsonify(saved=[{"position": answer["position"], "seq": answer["seq"], "accepted": bool(done)}])

    def page(_seq=0):
        """The bare 50-question page: signed in, one query for the paper, every question and its options
        rendered as a form (radio or checkbox), gzip as the app does."""
        with engine.connect() as conn:
            rows = conn.execute(sa.select(questions).order_by(questions.c.position)).all()
        return app.make_response(render_template_string(BARE_PAGE, rows=rows, csrf=generate_csrf()))

    @app.get("/page")
    @login_required
    def show_page():
        response = page()
        response.set_data(gzip.compress(response.get_data(), 6))
        response.headers["Content-Encoding"] = "gzip"
        return response

    app.config["WTF_CSRF_CHECK_DEFAULT"] = True
    csrf_exempt = app.extensions["csrf"].exempt
    csrf_exempt(do_login)
    client = app.test_client()
    client.post("/login")
    csrf = client.get("/token").get_data(as_text=True)

    def one(seq):
        response = client.post("/save", json={"answers": [{"position": 1 + seq % 50, "response": "A", "seq": seq}]},
                               headers={"X-CSRFToken": csrf})
        assert response.status_code == 200, response.get_data(as_text=True)

    def view(_seq=0):
        response = client.get("/page", headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        return len(response.get_data())
    return one, view


BARE_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>考试</title></head><body>
<form method="post"><input type="hidden" name="csrf_token" value="{{ csrf }}">
{% for q in rows %}<fieldset><legend>{{ q.position }}. {{ q.title }}</legend>
{% for letter, text in q.options.split("|") | enumerate_letters %}<label><input type="{{ 'checkbox' if q.multi else 'radio' }}"
 name="q{{ q.position }}" value="{{ letter }}"> {{ letter }}. {{ text }}</label>{% endfor %}</fieldset>
{% endfor %}<button>保存</button></form></body></html>"""


def quizapp_saver(url, folder):
    """A demo cadre signed in to the demo county's exam of this month, saving through the real endpoint."""
    from flask_migrate import upgrade

    from quizapp import create_app
    from quizapp.demo import load_demo
    from quizapp.exams.models import Exam
    from quizapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "JOBS_IMMEDIATE": True})
    app.instance_path = folder
    with app.app_context():
        upgrade(directory=os.path.join(ROOT, "migrations"), revision="heads")
        load_demo()
        db.session.commit()
        exam_id = db.session.scalars(Exam.__table__.select().with_only_columns(Exam.id)
                                     .order_by(Exam.open_at.desc()).limit(1)).first()
    client = app.test_client()
    assert client.post("/login", data={"login": "ganbu", "password": "Ganbu@2026",
                                       "csrf_token": _token(client.get("/login"))}).status_code == 302
    csrf = _token(client.get("/password"))
    started = client.post(f"/api/exams/{exam_id}/start", json={"confirm": True}, headers={"X-CSRFToken": csrf})
    assert started.status_code in (200, 201), started.get_data(as_text=True)
    attempt_id = started.get_json()["attempt_id"]

    def one(seq):
        response = client.post(f"/api/exams/attempts/{attempt_id}/answers", headers={"X-CSRFToken": csrf},
                               json={"answers": [{"position": 1 + seq % 50, "response": "A", "seq": seq}]})
        assert response.status_code == 200, response.get_data(as_text=True)

    def view(_seq=0):
        """Everything the browser fetches to show the first question, static files already cached: the page,
        which carries the script's state. Returns the bytes sent (gzip, as a phone asks)."""
        sent = 0
        for url in (f"/exams/attempts/{attempt_id}",):
            response = client.get(url, headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200, (url, response.status_code)
            sent += len(response.get_data())
        return sent

    def first_view():
        """A phone that has never been here: (page + stylesheets, the first question on screen from the plain
        form; the same with the scripts, which load after it and take over)."""
        html = client.get(f"/exams/attempts/{attempt_id}").get_data(as_text=True)
        styles = scripts = 0
        for url in sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))):
            response = client.get(url.replace("&amp;", "&"), headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200, (url, response.status_code)
            if ".css" in url:
                styles += len(response.get_data())
            else:
                scripts += len(response.get_data())
        page = view()
        return page + styles, page + styles + scripts
    return app, one, view, first_view


def _token(page):
    return re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True)).group(1)


def _cpu_per_call(fn, start, count):
    started = time.process_time()
    for seq in range(start, start + count):
        fn(seq)
    return (time.process_time() - started) / count * 1000


def bench_saves(saves, rounds):
    with scratch_folder("saves") as folder:
        app, ours, view, first_view = quizapp_saver(f"sqlite:///{folder}/app.sqlite", folder)
        bare, bare_view = bare_app(f"sqlite:///{folder}/bare.sqlite")
        ours(1), bare(1)  # warm-up
        a, b = [], []
        for r in range(rounds):
            a.append(_cpu_per_call(ours, 10 + r * saves, saves))
            b.append(_cpu_per_call(bare, 10 + r * saves, saves))
        results = {"answer save CPU per request": (statistics.median(a), statistics.median(b), "ms")}
        views = max(20, saves // 5)
        view(), bare_view()  # warm-up (templates compiled)
        a, b = [], []
        for _ in range(rounds):
            a.append(_cpu_per_call(view, 0, views))
            b.append(_cpu_per_call(bare_view, 0, views))
        results["exam page view CPU (50 questions)"] = (statistics.median(a), statistics.median(b),
                                                                      "ms")
        results["exam page view bytes over the wire (gzip, static cached)"] = (view() / 1024, bare_view() / 1024,
                                                                              "KB")
        shown, loaded = first_view()
        results["exam page first view: page + CSS, first question shown (gzip)"] = (shown / 1024,
                                                                                   bare_view() / 1024, "KB")
        results["exam page first view with its scripts (gzip)"] = (loaded / 1024, bare_view() / 1024, "KB")
        results.update(bench_upkeep(app, rounds))
    return results


def bench_upkeep(app, rounds, writes=40):
    """Study-time writes with the roll-up kept current vs with none to keep (the same app and database)."""
    from quizapp.accounts.models import User
    from quizapp.common.clock import utcnow
    from quizapp.extensions import db
    from quizapp.reports import rollup
    from quizapp.reports.models import PersonStat, Refresh, UnitStat
    from quizapp.study.services import add_credit

    with app.app_context():
        year = utcnow().year
        people = db.session.scalars(User.__table__.select().with_only_columns(User.id)
                                    .where(User.role == "cadre").limit(writes)).all()

        def write_all():
            started = time.process_time()
            for uid in people:
                add_credit(uid, "material", "宪法", 60)
                db.session.commit()
            return (time.process_time() - started) / len(people) * 1000

        kept, bare = [], []
        for _ in range(rounds):
            rollup.refresh(year)
            db.session.commit()
            write_all()  # warm the statement cache
            kept.append(write_all())
            for model in (PersonStat, UnitStat, Refresh):
                db.session.execute(model.__table__.delete())
            db.session.commit()
            bare.append(write_all())
    return {"study-time write with figures kept current": (statistics.median(kept), statistics.median(bare), "ms")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    results = bench_startup(args.rounds)
    results.update(bench_saves(args.saves, args.rounds))
    rows = []
    for figure, (value, baseline, unit) in results.items():
        rows.append({"figure": figure, "value": round(value, 3), "baseline": round(baseline, 3),
                     "ratio": round(value / baseline, 2) if baseline else None, "unit": unit,
                     "rerun": "python benchmarks/bench_scale.py"})
        print(f"{figure:48s} {value:10.3f} {unit:3s} baseline {baseline:10.3f}  ×{value / baseline:5.2f}")
    return rows


if __name__ == "__main__":
    main()
