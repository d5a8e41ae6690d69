"""Fault scenarios for the exam core (issue 11): does any acknowledged save or any answer given in time get lost?

Run:  .venv/bin/python benchmarks/faults.py                       (every scenario, about 6 minutes)
      .venv/bin/python benchmarks/faults.py --only load,deadline  (some of them)

Scenarios, all on 127.0.0.1, each bounded in time; gunicorn and the throwaway PostgreSQL are started by this
script and stopped by their own pids:

- ``load``: 200 cadres autosaving at once on SQLite, comparing gunicorn settings (gunicorn.conf.py's gthread 2×16 on two cores; the former README's 4 sync workers)
  and with the recommended one (gthread, 2 workers × 16 threads); latency p50/p99.
- ``kill``: the same load while one worker is killed with SIGKILL, then the master and every worker, and
  gunicorn is started again.
- ``pg``: the load on a PostgreSQL cluster this script creates with ``initdb`` on its own port (never the
  shared server), restarted with ``pg_ctl restart -m fast`` and then ``-m immediate``; removed afterwards.
- ``deadline``: every attempt shares one deadline T; cadres answer up to T and submit within a second after
  it, while one worker is stopped (SIGSTOP) from T+0.5 s to T+12 s; some cadres also send answers made after
  the deadline, which must never be credited. Every submit must be answered, each attempt graded once, and
  every reply truthful.

Each simulated cadre behaves like static/js/exam.js: answers carry a per-question ``seq`` and the page's own
time ``at``; unconfirmed answers are kept and re-sent with growing pauses (Retry-After honoured) until the
server says stored. The table gives requests, errors by kind, acknowledged saves lost, answers given in time
lost and late answers credited. The offline queue in Chromium is covered by tests/browser/test_exam_browser.py.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_exam import CSRF_RE, PASSWORD, free_port, prepare_database  # noqa: E402

VENV_BIN = Path(sys.executable).parent
UTC = timezone.utc
GRACE = 10.0
README_COMMAND = ["--workers", "4"]  # the former README command: gunicorn --workers 4 (sync)
RECOMMENDED = ["--worker-class", "gthread", "--workers", "2", "--threads", "16"]
CONFIGS = {
    "readme": ("former README: 4 sync workers", README_COMMAND),
    "gthread-2x16": ("gthread 2×16", RECOMMENDED),
    "gthread-1x16": ("gthread 1×16", ["--worker-class", "gthread", "--workers", "1", "--threads", "16"]),
    "gthread-4x8": ("gthread 4×8", ["--worker-class", "gthread", "--workers", "4", "--threads", "8"]),
    "sync-2": ("2 sync workers", ["--workers", "2"]),
}


# ---------------------------------------------------------------- servers

class Gunicorn:
    """gunicorn serving the app on its own port; started and stopped (by pid) by this script."""

    def __init__(self, env, options, port=None):
        self.env, self.options, self.port = env, options, port or free_port()
        self.process = None

    def start(self):
        command = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--timeout", "30",
                   "--log-level", "warning", *self.options, "quizapp:create_app()"]
        self.process = subprocess.Popen(command, cwd=str(ROOT), env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=open(os.devnull, "w"), start_new_session=True)
        wait_for_port(self.port, 30)
        return self

    def workers(self):
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def kill_master_and_workers(self):
        workers = self.workers()
        os.kill(self.process.pid, signal.SIGKILL)
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def wait_for_port(port, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port} after {seconds} s")


class ThrowawayPostgres:
    """A PostgreSQL cluster made with initdb in a temporary folder, on its own port, removed afterwards."""

    def __init__(self):
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql")
        self.bin = found[-1].parent
        self.folder = Path(tempfile.mkdtemp(prefix="faults_pg_"))
        self.data = self.folder / "data"
        self.port = free_port()

    def _run(self, *args, check=True):
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def start(self):
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.pg_ctl("start", "-w")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/faults"

    def pg_ctl(self, action, *extra):
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        return self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), action,
                         *extra)

    def remove(self):
        self._run("pg_ctl", "-D", str(self.data), "stop", "-m", "immediate", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


# ---------------------------------------------------------------- a simulated cadre

def iso(moment):
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Cadre:
    """One browser: signs in, starts, answers like exam.js (seq, own time, keep until stored, back off)."""

    def __init__(self, port, login, stats):
        self.port, self.login, self.stats = port, login, stats
        self.connection = None
        self.cookie = ""
        self.token = ""
        self.attempt_id = None
        self.positions = []
        self.made = {}      # position -> (response, seq, at) the cadre's latest answer
        self.pending = {}   # position -> (response, seq, at) not yet confirmed stored
        self.acked = {}     # position -> (response, seq) the server said stored
        self.refused = {}   # position -> reason
        self.submit_replies = []
        self.delay = 0.0

    def request(self, method, path, body=None, headers=None, kind="save"):
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        began = time.perf_counter()
        try:
            response = self._send(method, path, body, headers)
            data = response.read()
            status = response.status
            retry_after = response.getheader("Retry-After")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("session="):
                    self.cookie = value.split(";", 1)[0]
            if response.will_close:
                self.connection.close()
                self.connection = None
        except (OSError, http.client.HTTPException) as error:
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            self.stats.count(kind, f"connection:{type(error).__name__}", time.perf_counter() - began)
            return 0, b"", None
        self.stats.count(kind, status, time.perf_counter() - began)
        return status, data, retry_after

    def _send(self, method, path, body, headers):
        """Like a browser, retry once on a fresh connection when a reused keep-alive one turns out closed."""
        reused = self.connection is not None
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            self.connection.request(method, path, body=body, headers=headers)
            return self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            if not reused:
                raise
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request(method, path, body=body, headers=headers)
            return self.connection.getresponse()

    def json(self, path, payload, kind="save"):
        return self.request("POST", path, json.dumps(payload).encode(),
                            {"Content-Type": "application/json", "X-CSRFToken": self.token}, kind)

    def sign_in_and_start(self, exam_id):
        for _ in range(20):
            status, page, _ = self.request("GET", "/login", kind="setup")
            if status == 200:
                break
            time.sleep(1)
        token = CSRF_RE.search(page.decode()).group(1)
        status, _, _ = self.request("POST", "/login", urlencode({"login": self.login, "password": PASSWORD,
                                                                 "csrf_token": token, "next": ""}).encode(),
                                    {"Content-Type": "application/x-www-form-urlencoded"}, kind="setup")
        if status != 302:
            raise RuntimeError(f"sign-in failed: {status}")
        status, page, _ = self.request("GET", f"/exams/{exam_id}", kind="setup")
        self.token = CSRF_RE.search(page.decode()).group(1)
        status, data, _ = self.json(f"/api/exams/{exam_id}/start", {"confirm": True}, kind="setup")
        if status not in (200, 201):
            raise RuntimeError(f"start failed: {status} {data[:200]!r}")
        self.attempt_id = json.loads(data)["attempt_id"]
        status, data, _ = self.request("GET", f"/api/exams/attempts/{self.attempt_id}/state", kind="setup")
        items = json.loads(data)["items"]
        self.positions = [item["position"] for item in items]
        self.shapes = {item["position"]: (item["qtype"], len(item["options"])) for item in items}

    def answer(self, position, at=None):
        qtype, count = self.shapes[position]
        letters = "ABCDEFGH"[:count]
        response = "".join(sorted(random.sample(letters, 2))) if qtype == "multiple" else random.choice(letters)
        previous = self.made.get(position)
        seq = (previous[1] if previous else 0) + 1
        made = (response, seq, at or datetime.now(UTC))
        self.made[position] = made
        self.pending[position] = made
        return made

    def _payload(self):
        return [{"position": p, "response": r, "seq": s, "at": iso(at)} for p, (r, s, at) in self.pending.items()]

    def _settle(self, results):
        for result in results:
            position = result["position"]
            mine = self.pending.get(position)
            if result.get("status") in ("stored", "superseded"):
                if result["status"] == "stored" and mine and mine[1] == result["seq"]:
                    self.acked[position] = (mine[0], mine[1])
                if mine and mine[1] <= result["seq"]:
                    del self.pending[position]
            elif mine and mine[1] <= result["seq"]:
                self.refused[position] = result.get("reason", "")
                del self.pending[position]

    def _back_off(self, retry_after):
        hinted = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else 0.0
        self.delay = min(8.0, max(hinted, self.delay * 2 if self.delay else 0.5)) + random.random() * 0.5
        time.sleep(self.delay)

    def flush(self):
        """Send every unconfirmed answer once; True when nothing is left pending."""
        if not self.pending:
            return True
        status, data, retry_after = self.json(f"/api/exams/attempts/{self.attempt_id}/answers",
                                              {"answers": self._payload()})
        if status == 200:
            self.delay = 0.0
            self._settle(json.loads(data)["saved"])
        elif status == 409:
            body = json.loads(data)
            self._settle(body.get("saved", []))
        else:
            self._back_off(retry_after)
        return not self.pending

    def submit(self, deadline_s):
        """Submit with the unsent answers, retrying until a reply comes (bounded by ``deadline_s``)."""
        while time.time() < deadline_s:
            status, data, retry_after = self.json(f"/api/exams/attempts/{self.attempt_id}/submit",
                                                  {"answers": self._payload()}, kind="submit")
            if status == 200:
                body = json.loads(data)
                self.submit_replies.append(body)
                self._settle(body.get("saved", []))
                return body
            self._back_off(retry_after)
        return None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.kinds = Counter()
        self.latencies = []
        self.submit_latencies = []
        self.requests = 0

    def count(self, kind, status, seconds):
        with self.lock:
            self.requests += 1
            if kind == "save" and status == 200:
                self.latencies.append(seconds)
            if kind == "submit" and status == 200:
                self.submit_latencies.append(seconds)
            if status not in (200, 201, 302):
                self.kinds[f"{kind}:{status}"] += 1


# ---------------------------------------------------------------- checking the database afterwards

def stored_items(url):
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT attempt_id, position, response, seq FROM exam_attempt_items")).all()
        audits = Counter(row[0] for row in connection.execute(sa.text(
            "SELECT target_id FROM audit_entries WHERE action = 'exam.submit'")).all())
        statuses = dict(connection.execute(sa.text("SELECT id, status FROM exam_attempts")).all())
    engine.dispose()
    return {(a, p): (r, s) for a, p, r, s in rows}, audits, statuses


def losses(url, cadres, *, in_time_until=None):
    """(acknowledged saves lost, answers given in time lost, late answers credited)."""
    stored, _audits, _statuses = stored_items(url)
    acked_lost = in_time_lost = late_credited = 0
    for cadre in cadres:
        for position, (response, seq) in cadre.acked.items():
            now = stored.get((cadre.attempt_id, position))
            if now is None or now[1] < seq or (now[1] == seq and now[0] != response):
                acked_lost += 1
        for position, (response, seq, at) in cadre.made.items():
            now = stored.get((cadre.attempt_id, position))
            given_in_time = in_time_until is None or at <= in_time_until
            if given_in_time and (now is None or now[1] < seq):
                in_time_lost += 1
            if not given_in_time and now is not None and now[1] >= seq:
                late_credited += 1
    return acked_lost, in_time_lost, late_credited


# ---------------------------------------------------------------- scenarios

def sign_in_all(port, exam_id, count, stats, first=0):
    cadres = [Cadre(port, f"bench{n:03d}", stats) for n in range(first, first + count)]
    errors = []

    gate = threading.Semaphore(8)  # sign-ins are slow on purpose (scrypt): not part of what is measured

    def run(cadre):
        with gate:
            for attempt in range(3):
                try:
                    cadre.sign_in_and_start(exam_id)
                    return
                except Exception as error:  # retried, then reported below
                    if attempt == 2:
                        errors.append(repr(error))
                    time.sleep(1)

    run_threads(run, cadres, 240)
    if errors:
        raise RuntimeError(f"{len(errors)} cadres could not start: {errors[:3]}")
    return cadres


def run_threads(function, items, seconds):
    threads = [threading.Thread(target=function, args=(item,), daemon=True) for item in items]
    for thread in threads:
        thread.start()
    deadline = time.time() + seconds
    for thread in threads:
        thread.join(timeout=max(0.1, deadline - time.time()))


def autosave(cadres, seconds, think, events=()):
    """Every cadre answers a question, sends it, waits ``think`` s; ``events`` [(after s, fn)] run meanwhile."""
    stop_at = time.time() + seconds

    def run(cadre):
        index = 0
        while time.time() < stop_at:
            cadre.answer(cadre.positions[index % len(cadre.positions)])
            index += 1
            cadre.flush()
            time.sleep(think * (0.5 + random.random()))
        drain = time.time() + 60  # answers still unconfirmed are re-sent until stored (bounded)
        while cadre.pending and time.time() < drain:
            if not cadre.flush():
                time.sleep(0.2)

    started = time.time()
    timers = [threading.Timer(after, fn) for after, fn in events]
    for timer in timers:
        timer.start()
    run_threads(run, cadres, seconds + 90)
    for timer in timers:
        timer.cancel()
    return time.time() - started


def row(name, stats, cadres, url, **extra):
    latencies = sorted(stats.latencies) or [0.0]
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    acked_lost, in_time_lost, late_credited = losses(url, cadres, in_time_until=extra.pop("in_time_until", None))
    return {"scenario": name, "requests": stats.requests, "errors": dict(stats.kinds),
            "acked_lost": acked_lost, "in_time_lost": in_time_lost, "late_credited": late_credited,
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, **extra}


def scenario_load(env_base, url, exam_id, options, label, cadres_n, seconds, think, first):
    server = Gunicorn(dict(env_base, DATABASE_URL=url), options).start()
    stats = Stats()
    try:
        cadres = sign_in_all(server.port, exam_id, cadres_n, stats, first)
        stats.latencies.clear()
        stats.kinds.clear()
        stats.requests = 0
        elapsed = autosave(cadres, seconds, think)
    finally:
        server.stop()
    saves = sum(len(c.acked) for c in cadres)
    return row(f"load {label}", stats, cadres, url, saves_per_s=round(saves / elapsed, 1))


def scenario_kill(env_base, url, exam_id, cadres_n, first):
    server = Gunicorn(dict(env_base, DATABASE_URL=url), RECOMMENDED).start()
    stats = Stats()

    def kill_worker():
        workers = server.workers()
        if workers:
            os.kill(workers[0], signal.SIGKILL)

    def kill_everything_and_restart():
        server.kill_master_and_workers()
        time.sleep(2)
        server.start()

    try:
        cadres = sign_in_all(server.port, exam_id, cadres_n, stats, first)
        stats.kinds.clear()
        autosave(cadres, 40, 1.0, events=[(8, kill_worker), (20, kill_everything_and_restart)])
    finally:
        server.stop()
    return row("kill -9 worker, then master+workers, restart", stats, cadres, url)


def scenario_pg(env_base, cadres_n):
    postgres = ThrowawayPostgres()
    server = None
    try:
        url = postgres.start()
        exam_id = prepare_database(url, cadres_n)
        server = Gunicorn(dict(env_base, DATABASE_URL=url), RECOMMENDED).start()
        stats = Stats()
        cadres = sign_in_all(server.port, exam_id, cadres_n, stats)
        stats.kinds.clear()
        autosave(cadres, 45, 1.0, events=[(8, lambda: postgres.pg_ctl("restart", "-m", "fast", "-w")),
                                          (25, lambda: postgres.pg_ctl("restart", "-m", "immediate", "-w"))])
        result = row("PostgreSQL restart -m fast, -m immediate", stats, cadres, url)
    finally:
        if server is not None:
            server.stop()
        postgres.remove()
    return result


def scenario_deadline(env_base, url, exam_id, cadres_n, first, options):
    """One deadline for all; submits in the second after it while a worker is stopped from T+0.5 to T+12."""
    import sqlalchemy as sa

    server = Gunicorn(dict(env_base, DATABASE_URL=url), options).start()
    stats = Stats()
    try:
        cadres = sign_in_all(server.port, exam_id, cadres_n, stats, first)
        stats.kinds.clear()
        deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=20)
        attempts = sa.table("exam_attempts", sa.column("id", sa.Integer()), sa.column("deadline", sa.DateTime()))
        engine = sa.create_engine(url)
        with engine.begin() as connection:  # stored as the app stores UTC: naive, in UTC
            connection.execute(attempts.update().where(attempts.c.id.in_([c.attempt_id for c in cadres]))
                               .values(deadline=deadline.replace(tzinfo=None)))
        engine.dispose()
        t = deadline.timestamp()
        stalled = []

        def stop_worker():
            workers = server.workers()
            if workers:
                stalled.append(workers[0])
                os.kill(workers[0], signal.SIGSTOP)

        def resume_worker():
            for pid in stalled:
                os.kill(pid, signal.SIGCONT)

        timers = [threading.Timer(t + 0.5 - time.time(), stop_worker),
                  threading.Timer(t + 12 - time.time(), resume_worker)]
        for timer in timers:
            timer.start()
        cheaters = set(range(0, cadres_n, 10))

        def run(index):
            cadre = cadres[index]
            position = 0
            while time.time() < t - 3:
                cadre.answer(cadre.positions[position % len(cadre.positions)])
                position += 1
                cadre.flush()
                time.sleep(1 + random.random())
            # The last answer, given just before T, is still unsent when the submit goes in the second after T.
            time.sleep(max(0.0, t - 0.5 - time.time()))
            cadre.answer(cadre.positions[position % len(cadre.positions)])
            time.sleep(max(0.0, t + random.random() - time.time()))
            if index in cheaters:
                # An answer made after deadline + grace and sent then: must never be credited.
                time.sleep(max(0.0, t + GRACE + 2 - time.time()))
                cadre.answer(cadre.positions[(position + 1) % len(cadre.positions)])
                cadre.flush()
            cadre.submit(time.time() + 120)

        run_threads(run, list(range(cadres_n)), 200)
        for timer in timers:
            timer.cancel()
        resume_worker()
    finally:
        server.stop()
    _stored, audits, statuses = stored_items(url)
    attempts = [c.attempt_id for c in cadres]
    answered = sum(1 for c in cadres if c.submit_replies)
    graded_once = sum(1 for a in attempts if audits.get(a) == 1 and statuses.get(a) == "submitted")
    truthful = sum(1 for c in cadres if sum(1 for r in c.submit_replies if r["submitted"]) == 1
                   or (not any(r["submitted"] for r in c.submit_replies) and audits.get(c.attempt_id) == 1))
    return row("deadline spike, worker SIGSTOP T+0.5..T+12", stats, cadres, url,
               in_time_until=datetime.fromtimestamp(t + GRACE, UTC),
               submits_answered=f"{answered}/{cadres_n}", graded_once=f"{graded_once}/{cadres_n}",
               slowest_submit_s=round(max(stats.submit_latencies or [0]), 1),
               truthful=f"{truthful}/{cadres_n}")


# ---------------------------------------------------------------- entry point

SCENARIOS = ("load", "kill", "pg", "deadline")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--cadres", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=45, help="length of each load phase (≤ 60)")
    parser.add_argument("--think", type=float, default=2.0, help="seconds between one cadre's answers")
    parser.add_argument("--max-seconds", type=int, default=1500)
    parser.add_argument("--configs", default="readme,gthread-2x16",
                        help="gunicorn settings the load scenario compares: " + ", ".join(CONFIGS))
    options = parser.parse_args(argv)
    chosen = [s for s in options.only.split(",") if s]
    seconds = min(options.seconds, 60)
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("faults over its time limit")))
    signal.alarm(options.max_seconds)
    scratch = tempfile.mkdtemp(prefix="faults_")
    url = f"sqlite:///{scratch}/faults.sqlite"
    configs = [CONFIGS[name] for name in options.configs.split(",") if name]
    rounds = len(configs) * ("load" in chosen) + ("kill" in chosen) + ("deadline" in chosen)
    env_base = dict(os.environ, SECRET_KEY="faults-secret-key-0123456789", QUIZAPP_ENV="development",
                    LOGIN_LIMIT_PER_ADDRESS="100000 per minute", LOGIN_LIMIT_PER_ACCOUNT="100000 per minute",
                    PYTHONPATH=str(ROOT))
    rows = []
    try:
        exam_id = prepare_database(url, options.cadres * max(1, rounds)) if rounds else None
        first = 0
        if "load" in chosen:
            for label, command in configs:
                rows.append(scenario_load(env_base, url, exam_id, command, label, options.cadres, seconds,
                                          options.think, first))
                print_table(rows[-1:], flush=True)
                first += options.cadres
        if "kill" in chosen:
            rows.append(scenario_kill(env_base, url, exam_id, options.cadres, first))
            first += options.cadres
        if "pg" in chosen:
            rows.append(scenario_pg(env_base, options.cadres))
        if "deadline" in chosen:
            rows.append(scenario_deadline(env_base, url, exam_id, options.cadres, first, RECOMMENDED))
    finally:
        signal.alarm(0)
        shutil.rmtree(scratch, ignore_errors=True)
    print_table(rows)
    return [{"figure": f"{r['scenario']}: {name}", "value": r[name], "baseline": 0, "ratio": None, "unit": unit,
             "rerun": "benchmarks/faults.py --only " + r["scenario"].split()[0]}
            for r in rows for name, unit in (("acked_lost", "saves"), ("in_time_lost", "answers"),
                                             ("late_credited", "answers"), ("p99_ms", "ms"))]


def print_table(rows, flush=False):
    print(f"{'scenario':<46} {'requests':>8} {'p50 ms':>7} {'p99 ms':>7} {'acked lost':>10} {'in-time lost':>12} "
          f"{'late credited':>13}  errors by kind / extra")
    for r in rows:
        extra = {k: v for k, v in r.items() if k not in ("scenario", "requests", "errors", "acked_lost",
                                                          "in_time_lost", "late_credited", "p50_ms", "p99_ms")}
        print(f"{r['scenario']:<46} {r['requests']:>8} {r['p50_ms']:>7.0f} {r['p99_ms']:>7.0f} {r['acked_lost']:>10} "
              f"{r['in_time_lost']:>12} {r['late_credited']:>13}  {r['errors'] or '-'} {extra or ''}", flush=flush)


if __name__ == "__main__":
    results = main(sys.argv[1:])
    sys.exit(0 if all(r["value"] == 0 for r in results if r["unit"] != "ms") else 1)
