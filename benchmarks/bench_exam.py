"""Exam saves under gunicorn at 16, 64 and 256 cadres at once, against a bare app doing the same auth + CSRF + UPDATE.

Run:  .venv/bin/python benchmarks/bench_exam.py [--database sqlite|postgres] [--concurrency 16,64,256]

Every simulated cadre signs in through the real form, opens the exam, starts it over JSON, saves 50 answers one
request at a time (the page's own pattern) and submits. In the same run as many clients sign in to
benchmarks/ceiling_app.py — bare Flask + Flask-Login + Flask-WTF CSRF and a conditional UPDATE of the answer
row — and save 50 answers each, served by the same gunicorn settings (gunicorn.conf.py's: gthread, one worker
per core, 16 threads) on the same kind of database: that is the baseline. Prints saves/s, p50/p95/p99, errors,
the ratio to the baseline, and checks that every acknowledged save is in the database (zero lost saves). Then
20 cadres and a leader open their everyday pages (the mixed page load) and the largest worker's memory is read
from /proc (RSS, and PSS, which shares pages among workers) for both apps.

Bounded: the database is a scratch one made for the run (benchmarks/scratch.py) and dropped after it; gunicorn
is started on 127.0.0.1 and stopped by its own pid; every request has a timeout and the run a deadline
(--max-seconds).
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
    """A fresh schema by the project's migrations in the scratch database made for this run (never an existing
    one); a township, cadres, a leader, a system bank and a published exam."""
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

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
        db.session.add(User(login="benchlead", name="领导", unit_id=township.id, role="leader",
                            password_hash=password_hash, must_change_password=False))
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
    # No recycling (gunicorn.conf.py's max_requests): a worker restarting mid-round drops its clients' keep-alive
    # connections (the run fails with reset connections), and the memory read after the load should be what a
    # worker grows to, not what a freshly restarted one holds.
    command = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", "gthread", "--threads", str(threads), "--timeout", "60", "--keep-alive", "30",
               "--max-requests", "0", "--log-level", "warning", "--no-control-socket", target]
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


def sign_in(browser, login):
    """Sign in through the real form (its CSRF token first), as a cadre's browser does."""
    status, page = browser.request("GET", "/login")
    token = CSRF_RE.search(page.decode()).group(1)
    status, _ = browser.request("POST", "/login", urlencode({"login": login, "password": PASSWORD,
                                                            "csrf_token": token, "next": ""}).encode(),
                                {"Content-Type": "application/x-www-form-urlencoded"})
    if status != 302:
        raise RuntimeError(f"sign-in failed: {status}")


def cadre_session(port, login, exam_id, record):
    """Sign in, start, 50 saves, submit; appends save latencies and acknowledged saves to ``record``."""
    browser = Browser(port)
    try:
        sign_in(browser, login)
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
    """The same save pattern against the bare app: sign in (session cookie), CSRF token, 50 conditional saves."""
    browser = Browser(port)
    try:
        status, data = browser.request("POST", "/login", json.dumps({"cadre": cadre}).encode(),
                                       {"Content-Type": "application/json"})
        if status != 200:
            raise RuntimeError(f"baseline sign-in failed: {status}")
        token = json.loads(data)["token"]
        record["ready"].wait(timeout=120)
        for position in range(1, SAVES_PER_CADRE + 1):
            payload = {"answers": [{"position": position, "response": "A", "seq": 1}]}
            began = time.perf_counter()
            try:
                status, data = browser.json("/save", payload, token)
            except (OSError, http.client.HTTPException):
                browser = reconnect(browser, port)
                status, data = 0, b""
            elapsed = time.perf_counter() - began
            with record["lock"]:
                record["latencies"].append(elapsed)
                if status == 200 and json.loads(data)["saved"][0]["accepted"]:
                    record["acknowledged"].append((cadre, position))
                else:
                    record["errors"] += 1
    finally:
        browser.close()


CADRE_PAGES = ("/", "/exams/", "/exams/results", "/materials/", "/laws/", "/practice/", "/practice/mistakes",
               "/daily/", "/study/me", "/reports/me", "/mine", "/messages/", "/cases/")
LEADER_PAGES = ("/", "/reports/", "/reports/?kind=year", "/reports/annual", "/reports/shufa", "/study/people",
                "/offline/", "/legal-aides/coverage")


def browse(port, login, paths, record):
    """Sign in through the form and open ``paths`` (the mixed page load before memory is read)."""
    browser = Browser(port)
    try:
        sign_in(browser, login)
        for path in paths:
            status, _ = browser.request("GET", path)
            with record["lock"]:
                record["pages"] += 1
                if status != 200:
                    record["errors"] += 1
                    record.setdefault("failures", []).append(f"{login} {path} {status}")
    finally:
        browser.close()


def worker_memory(master_pid):
    """(largest RSS, largest PSS, largest USS) in MB over the gunicorn workers of ``master_pid`` (from /proc):
    RSS counts the pages a worker shares with the preloaded master in full, PSS shares them out, USS is only the
    worker's own pages — what one more worker costs."""
    rss, pss, uss = [], [], []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            if ppid != master_pid:
                continue
            with open(f"/proc/{entry}/status") as status:
                rss.append(next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024)
            with open(f"/proc/{entry}/smaps_rollup") as rollup:
                fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup if line.endswith("kB\n")}
            pss.append(fields["Pss"] / 1024)
            uss.append((fields["Private_Clean"] + fields["Private_Dirty"]) / 1024)
        except (OSError, StopIteration, ValueError, IndexError, KeyError):
            continue
    return tuple(max(values) if values else 0.0 for values in (rss, pss, uss))


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
        stored = set(connection.execute(sa.text("SELECT cadre, position FROM ceiling_saves WHERE response = 'A'"))
                     .all())
    engine.dispose()
    return [pair for pair in acknowledged if tuple(pair) not in stored]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite",
                        help="a scratch database of this kind, made for the run and dropped after it")
    parser.add_argument("--concurrency", default="16,64,256")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="as gunicorn.conf.py: one per core")
    parser.add_argument("--threads", type=int, default=16, help="as gunicorn.conf.py")
    parser.add_argument("--max-seconds", type=int, default=900)
    options = parser.parse_args(argv)
    levels = [int(c) for c in options.concurrency.split(",")]
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("benchmark over its time limit")))
    signal.alarm(options.max_seconds)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scratch import scratch_database

    try:
        with scratch_database(options.database, "exam") as url:
            return _run(options, levels, url)
    finally:
        signal.alarm(0)


def _run(options, levels, url):
    ceiling_url = url if options.database == "postgres" else url.replace("bench.sqlite", "ceiling.sqlite")
    setting = f"gunicorn gthread {options.workers}×{options.threads}, {options.database}"
    print(f"database: {options.database}  gunicorn: {options.workers} workers × {options.threads} threads")
    exam_id = prepare_database(url, sum(levels) + 20)
    env = dict(os.environ, DATABASE_URL=url, CEILING_DATABASE_URL=ceiling_url, SECRET_KEY=BENCH_SECRET_KEY,
               LOGIN_LIMIT_PER_ADDRESS="100000 per minute", LOGIN_LIMIT_PER_ACCOUNT="100000 per minute",
               QUIZAPP_ENV="development", QUIZAPP_SERVE_ONLY="1", PYTHONPATH=str(ROOT))
    os.environ["CEILING_DATABASE_URL"] = ceiling_url
    import benchmarks.ceiling_app  # noqa: F401  (creates the baseline's tables once, before the workers race to)

    app_port, ceiling_port = free_port(), free_port()
    app_server = start_gunicorn("quizapp:create_app()", app_port, env, options.workers, options.threads)
    ceiling_server = start_gunicorn("benchmarks.ceiling_app:app", ceiling_port, env, options.workers,
                                    options.threads)
    results, failures, offset, ceiling_offset = [], [], 0, 0
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
            results.append((level, summary(app_record), summary(ceiling_record), len(lost), len(lost_c)))
        # The mixed page load, then memory: 20 cadres and the leader open their everyday pages.
        pages = {"lock": threading.Lock(), "pages": 0, "errors": 0}
        threads = [threading.Thread(target=_guarded_browse,
                                    args=(app_port, f"bench{offset + n:03d}", CADRE_PAGES, pages)) for n in range(20)]
        threads += [threading.Thread(target=_guarded_browse, args=(app_port, "benchlead", LEADER_PAGES * 3, pages))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        failures += pages.get("failures", [])
        app_memory, ceiling_memory = worker_memory(app_server.pid), worker_memory(ceiling_server.pid)
    finally:
        stop(app_server)
        stop(ceiling_server)

    print(f"{'cadres':>6} | {'saves/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'lost':>5} | "
          f"{'bare/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'err':>4} | {'ratio':>5}")
    ok, rows = pages["errors"] == 0, []
    rerun = f"python benchmarks/bench_exam.py --database {options.database}"
    for level, app, ceiling, lost, lost_c in results:
        ratio = app["rate"] / ceiling["rate"] if ceiling["rate"] else 0.0
        print(f"{level:>6} | {app['rate']:>8.0f} {app['p50']:>7.1f} {app['p95']:>7.1f} {app['p99']:>7.1f} "
              f"{app['errors']:>6} {lost:>5} | {ceiling['rate']:>9.0f} {ceiling['p50']:>7.1f} {ceiling['p99']:>7.1f} "
              f"{ceiling['errors']:>4} | {ratio:>5.2f}")
        ok = ok and app["errors"] == 0 and lost == 0 and app["saves"] == level * SAVES_PER_CADRE
        rows.append({"figure": f"saves/s, {level} cadres ({setting}), {app['errors']} errors, {lost} lost",
                     "value": app["rate"], "baseline": ceiling["rate"],
                     "ratio": round(app["rate"] / ceiling["rate"], 2) if ceiling["rate"] else None, "unit": "/s",
                     "rerun": f"{rerun} --concurrency {level}"})
        rows.append({"figure": f"save p99 latency, {level} cadres", "value": app["p99"], "baseline": ceiling["p99"],
                     "ratio": round(app["p99"] / ceiling["p99"], 2) if ceiling["p99"] else None, "unit": "ms",
                     "rerun": f"{rerun} --concurrency {level}"})
    print(f"mixed pages: {pages['pages']} opened, {pages['errors']} not 200")
    for label, index in (("RSS", 0), ("PSS", 1), ("USS", 2)):
        print(f"worker memory after the load ({label}): quizapp {app_memory[index]:.1f} MB, "
              f"bare {ceiling_memory[index]:.1f} MB")
        rows.append({"figure": f"worker memory after saves + mixed pages ({label})", "value": app_memory[index],
                     "baseline": ceiling_memory[index],
                     "ratio": round(app_memory[index] / ceiling_memory[index], 2) if ceiling_memory[index] else None,
                     "unit": "MB", "rerun": rerun})
    for failure in failures[:5]:
        print("failure:", failure)
    print("zero lost saves: " + ("yes" if all(r[3] == 0 for r in results) else "NO"))
    if not ok:
        raise SystemExit(1)
    return rows


def _guarded_browse(port, login, paths, record):
    try:
        browse(port, login, paths, record)
    except Exception as error:  # counted as an error of the page load
        with record["lock"]:
            record["errors"] += 1
            record.setdefault("failures", []).append(repr(error))


if __name__ == "__main__":
    main()
