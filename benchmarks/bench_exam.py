"""Exam throughput under gunicorn: sign-in, start, 50 answer saves and submit per cadre, against a ceiling.

Run:  .venv/bin/python benchmarks/bench_exam.py                      (SQLite, WAL, scratch file)
      .venv/bin/python benchmarks/bench_exam.py --database postgresql+psycopg://postgres@127.0.0.1/bench_exam

For each concurrency (16 and 64 cadres at once) every simulated cadre signs in through the
real form, opens the exam, starts it over JSON, saves 50 answers one request at a time (the
page's own pattern) and submits. In the same run the same number of clients post 50 saves each
to benchmarks/ceiling_app.py, a bare Flask + SQLAlchemy endpoint inserting one row, served by the
same gunicorn settings on the same database: that is the ceiling. Prints saves/s, p50/p95/p99,
errors and the ratio to the ceiling, then checks that every acknowledged save is in the
database (zero lost saves). Goal: ratio ≥ 0.6, p99 < 250 ms at 64, zero errors, zero lost.

Bounded: gunicorn is started on 127.0.0.1 with a fixed worker count and stopped (by its own pid)
at the end; every request has a timeout and the whole run a deadline (--max-seconds).
"""
import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SAVES_PER_CADRE = 50
PASSWORD = "Bench@2026x"
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
# Made per run: a key written in the repository is public (production refuses one).
BENCH_SECRET_KEY = secrets.token_hex(32)


# ---------------------------------------------------------------- set-up

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(url, cadres):
    """A fresh schema by the project's migrations; a township, cadres, a system bank and a published exam."""
    import sqlalchemy as sa
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    if url.startswith("postgresql"):
        admin = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        name = url.rsplit("/", 1)[1]
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    from quizapp import create_app
    from quizapp.accounts import services as accounts
    from quizapp.accounts.models import User
    from quizapp.bank.models import Bank, Question
    from quizapp.common.clock import utcnow
    from quizapp.exams import papers, setup
    from quizapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": BENCH_SECRET_KEY})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        county = accounts.create_unit(None, "基准县", None, "county")
        township = accounts.create_unit(None, "基准乡", county, "township")
        password_hash = generate_password_hash(PASSWORD)
        admin = User(login="benchadmin", name="管理员", unit_id=county.id, role="admin", password_hash=password_hash,
                     must_change_password=False)
        db.session.add(admin)
        db.session.add_all([User(login=f"bench{n:03d}", name=f"干部{n}", unit_id=township.id, role="cadre",
                                 password_hash=password_hash, must_change_password=False) for n in range(cadres)])
        bank = Bank(name="基准题库")
        db.session.add(bank)
        db.session.flush()
        for qtype, count in (("single", 30), ("multiple", 12), ("judge", 18)):
            for n in range(count):
                options = ["正确", "错误"] if qtype == "judge" else [f"选项{k}" for k in "甲乙丙丁"]
                db.session.add(Question(bank_id=bank.id, qtype=qtype, stem=f"{qtype}基准题{n}", options=options,
                                        answer="AB" if qtype == "multiple" else "A", tags=[],
                                        fingerprint=f"{qtype}-{n}"))
        db.session.flush()
        now = utcnow()
        exam = setup.create_exam(admin, {
            "title": "基准月度测试", "kind": "monthly", "period": "2026-11", "description": "", "unit_id": county.id,
            "audience_ids": [township.id], "open_at": now - timedelta(hours=1), "close_at": now + timedelta(days=1),
            "time_limit": 60, "required": True, "categories": [], "audience_shufa_only": False, "full_marks": 100,
            "pass_mark": 60, "bands": [["优秀", 90], ["良好", 80], ["合格", 60]], "multi_scoring": "all",
            "attempts_allowed": 1, "counting": "best", "unseen_first": True, "makeup_enabled": False,
            "makeup_open_at": None, "makeup_close_at": None, "makeup_attempts": 1, "shuffle_questions": True,
            "shuffle_options": True, "review_policy": "after_close"})
        problems = papers.apply_template(admin, exam, exam.variants[0], papers.blueprint_templates()["monthly"])
        assert not problems, problems
        setup.publish(admin, exam)
        db.session.commit()
        exam_id = exam.id
        db.engine.dispose()
    return exam_id


def start_gunicorn(target, port, env, workers, threads):
    command = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", "gthread", "--threads", str(threads), "--timeout", "60", "--keep-alive", "30",
               "--log-level", "warning", target]
    process = subprocess.Popen(command, cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("gunicorn exited: " + process.stderr.read().decode(errors="replace"))
            time.sleep(0.2)
    stop(process)
    raise RuntimeError("gunicorn did not start in 30 s")


def stop(process):
    """Stop the gunicorn this script started (its own process group, by pid)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# ---------------------------------------------------------------- a simulated cadre

class Browser:
    """One keep-alive connection with a cookie jar of one cookie (the signed session)."""

    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, data

    def json(self, path, payload, token):
        return self.request("POST", path, json.dumps(payload).encode(),
                            {"Content-Type": "application/json", "X-CSRFToken": token})

    def close(self):
        self.connection.close()


def cadre_session(port, login, exam_id, record):
    """Sign in, start, 50 saves, submit; appends save latencies and acknowledged saves to ``record``."""
    browser = Browser(port)
    try:
        status, page = browser.request("GET", "/login")
        token = CSRF_RE.search(page.decode()).group(1)
        status, _ = browser.request("POST", "/login", urlencode({"login": login, "password": PASSWORD,
                                                                "csrf_token": token, "next": ""}).encode(),
                                    {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise RuntimeError(f"sign-in failed: {status}")
        status, page = browser.request("GET", f"/exams/{exam_id}")
        token = CSRF_RE.search(page.decode()).group(1)
        status, data = browser.json(f"/api/exams/{exam_id}/start", {"confirm": True}, token)
        if status not in (200, 201):
            raise RuntimeError(f"start failed: {status} {data[:200]!r}")
        attempt_id = json.loads(data)["attempt_id"]
        status, data = browser.request("GET", f"/api/exams/attempts/{attempt_id}/state")
        positions = [item["position"] for item in json.loads(data)["items"]]
        record["ready"].wait(timeout=120)
        for position in positions[:SAVES_PER_CADRE]:
            payload = {"answers": [{"position": position, "response": "A", "seq": 1}]}
            began = time.perf_counter()
            try:
                status, data = browser.json(f"/api/exams/attempts/{attempt_id}/answers", payload, token)
            except (OSError, http.client.HTTPException):
                browser = reconnect(browser, port)
                status, data = 0, b""
            elapsed = time.perf_counter() - began
            with record["lock"]:
                record["latencies"].append(elapsed)
                if status == 200 and json.loads(data)["saved"][0]["accepted"]:
                    record["acknowledged"].append((attempt_id, position))
                else:
                    record["errors"] += 1
        status, data = browser.json(f"/api/exams/attempts/{attempt_id}/submit", {}, token)
        if status != 200 or not json.loads(data)["submitted"]:
            with record["lock"]:
                record["errors"] += 1
    finally:
        browser.close()


def reconnect(browser, port):
    cookie = browser.cookie
    browser.close()
    fresh = Browser(port)
    fresh.cookie = cookie
    return fresh


def ceiling_client(port, cadre, record):
    browser = Browser(port)
    try:
        record["ready"].wait(timeout=120)
        for position in range(1, SAVES_PER_CADRE + 1):
            payload = json.dumps({"cadre": cadre, "answers": [{"position": position, "response": "A", "seq": 1}]})
            began = time.perf_counter()
            try:
                status, _ = browser.request("POST", "/save", payload.encode(), {"Content-Type": "application/json"})
            except (OSError, http.client.HTTPException):
                browser = reconnect(browser, port)
                status = 0
            elapsed = time.perf_counter() - began
            with record["lock"]:
                record["latencies"].append(elapsed)
                if status == 200:
                    record["acknowledged"].append((cadre, position))
                else:
                    record["errors"] += 1
    finally:
        browser.close()


def run_round(worker, arguments):
    """Run one client per argument tuple; the save phase starts for all at once. Returns the record."""
    record = {"lock": threading.Lock(), "latencies": [], "acknowledged": [], "errors": 0,
              "ready": threading.Barrier(len(arguments) + 1)}
    barrier = record["ready"]
    record["ready"] = barrier
    threads = [threading.Thread(target=_guarded, args=(worker, args, record)) for args in arguments]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=300)
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=600)
    record["seconds"] = time.perf_counter() - began
    return record


def _guarded(worker, args, record):
    try:
        worker(*args, record)
    except Exception as error:  # counted, and the barrier must not wait for a dead client
        with record["lock"]:
            record["errors"] += 1
            record.setdefault("failures", []).append(repr(error))
        try:
            record["ready"].wait(timeout=1)
        except threading.BrokenBarrierError:
            pass


def summary(record):
    latencies = sorted(record["latencies"]) or [0.0]
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return {"rate": len(record["acknowledged"]) / record["seconds"] if record["seconds"] else 0.0,
            "p50": quantiles[49] * 1000, "p95": quantiles[94] * 1000, "p99": quantiles[98] * 1000,
            "errors": record["errors"], "saves": len(record["acknowledged"])}


def lost_saves(url, acknowledged):
    """Acknowledged saves whose answer is not in the database afterwards."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        stored = set(connection.execute(sa.text(
            "SELECT attempt_id, position FROM exam_attempt_items WHERE response = 'A'")).all())
    engine.dispose()
    return [pair for pair in acknowledged if tuple(pair) not in stored]


def lost_ceiling(url, acknowledged):
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        stored = set(connection.execute(sa.text("SELECT cadre, position FROM ceiling_saves")).all())
    engine.dispose()
    return [pair for pair in acknowledged if tuple(pair) not in stored]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="", help="SQLAlchemy URL (PostgreSQL); default a scratch SQLite file")
    parser.add_argument("--concurrency", default="16,64")
    parser.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 2) * 2))
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--max-seconds", type=int, default=900)
    options = parser.parse_args()
    levels = [int(c) for c in options.concurrency.split(",")]
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("benchmark over its time limit")))
    signal.alarm(options.max_seconds)

    scratch = tempfile.mkdtemp(prefix="bench_exam_")
    url = options.database or f"sqlite:///{scratch}/bench.sqlite"
    ceiling_url = url if options.database else f"sqlite:///{scratch}/ceiling.sqlite"
    print(f"database: {url.split('@')[-1]}  gunicorn: {options.workers} workers × {options.threads} threads")
    exam_id = prepare_database(url, sum(levels))
    env = dict(os.environ, DATABASE_URL=url, CEILING_DATABASE_URL=ceiling_url, SECRET_KEY=BENCH_SECRET_KEY,
               LOGIN_LIMIT_PER_ADDRESS="100000 per minute", LOGIN_LIMIT_PER_ACCOUNT="100000 per minute",
               QUIZAPP_ENV="development", PYTHONPATH=str(ROOT))
    os.environ["CEILING_DATABASE_URL"] = ceiling_url
    sys.path.insert(0, str(ROOT))
    import benchmarks.ceiling_app  # noqa: F401  (creates the ceiling table once, before the workers race to)

    app_port, ceiling_port = free_port(), free_port()
    app_server = start_gunicorn("quizapp:create_app()", app_port, env, options.workers, options.threads)
    ceiling_server = start_gunicorn("benchmarks.ceiling_app:app", ceiling_port, env, options.workers,
                                    options.threads)
    rows, failures, offset, ceiling_offset = [], [], 0, 0
    try:
        for level in levels:
            logins = [f"bench{n:03d}" for n in range(offset, offset + level)]
            offset += level
            app_record = run_round(cadre_session, [(app_port, login, exam_id) for login in logins])
            ceiling_record = run_round(ceiling_client, [(ceiling_port, ceiling_offset + n) for n in range(level)])
            ceiling_offset += level
            lost = lost_saves(url, app_record["acknowledged"])
            lost_c = lost_ceiling(ceiling_url, ceiling_record["acknowledged"])
            failures += app_record.get("failures", []) + ceiling_record.get("failures", [])
            rows.append((level, summary(app_record), summary(ceiling_record), len(lost), len(lost_c)))
    finally:
        stop(app_server)
        stop(ceiling_server)
        signal.alarm(0)

    print(f"{'cadres':>6} | {'saves/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'lost':>5} | "
          f"{'ceiling/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'err':>4} | {'ratio':>5}")
    ok = True
    for level, app, ceiling, lost, lost_c in rows:
        ratio = app["rate"] / ceiling["rate"] if ceiling["rate"] else 0.0
        print(f"{level:>6} | {app['rate']:>8.0f} {app['p50']:>7.1f} {app['p95']:>7.1f} {app['p99']:>7.1f} "
              f"{app['errors']:>6} {lost:>5} | {ceiling['rate']:>9.0f} {ceiling['p50']:>7.1f} {ceiling['p99']:>7.1f} "
              f"{ceiling['errors']:>4} | {ratio:>5.2f}")
        ok = ok and app["errors"] == 0 and lost == 0 and app["saves"] == level * SAVES_PER_CADRE
    for failure in failures[:5]:
        print("failure:", failure)
    print("zero lost saves: " + ("yes" if all(r[3] == 0 for r in rows) else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
