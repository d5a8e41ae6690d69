"""Two app servers, one PostgreSQL, one Redis: what a province runs, in one bounded test (issue 15).

Two gunicorns (gunicorn.conf.py, one worker of four threads each) on different ports serve the same test
database; every cadre signs in on one, starts on both at once, saves alternately on both, and submits on
both at once. Afterwards: one attempt per cadre, every acknowledged save in the database, one submission
and one result each, and the report figures (kept by the writes) equal a full recount.
Runs in the PostgreSQL pass of the suite (TEST_DATABASE_URL on PostgreSQL; tests/conftest.py leaves this module
out of the SQLite pass, where a province setup does not exist) and needs Redis on 127.0.0.1:6379 — without it
the test is skipped, which CI counts as a failure.
"""
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from quizapp.common.clock import utcnow
from quizapp.exams.models import Attempt, AttemptItem, ExamResult
from quizapp.extensions import db
from quizapp.reports import rollup
from quizapp.reports.models import FACT_COLUMNS, PersonStat, UnitStat

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Passw0rd!x"
CADRES = 6
SAVES = 6


def _redis_up():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason="two servers need Redis on 127.0.0.1:6379")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(database_url, port, tmp_path):
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="two-servers-shared-secret-key",
               RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/14", JOBS_URL="redis://127.0.0.1:6379/15",
               GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1", GUNICORN_THREADS="4")
    log = open(tmp_path / f"gunicorn-{port}.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                "quizapp:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, log


def _wait(port, deadline):
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"server on {port} did not start")


class Browser:
    """One cadre's browser: a cookie jar shared by both servers (a load balancer may send any request anywhere)."""

    def __init__(self, ports):
        self.ports = ports
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = None

    def url(self, server, path):
        return f"http://127.0.0.1:{self.ports[server]}{path}"

    def get(self, server, path):
        with self.opener.open(self.url(server, path), timeout=30) as response:
            return response.read().decode()

    def sign_in(self, server, login):
        token = re.search(r'name="csrf-token" content="([^"]+)"', self.get(server, "/login")).group(1)
        data = urllib.parse.urlencode({"login": login, "password": PASSWORD, "csrf_token": token}).encode()
        self.opener.open(urllib.request.Request(self.url(server, "/login"), data=data), timeout=30).read()
        page = self.get(1 - server, "/password")  # the other server knows the session
        self.token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def post_json(self, server, path, body):
        request = urllib.request.Request(self.url(server, path), data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json", "X-CSRFToken": self.token})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, {}


def _both(fn):
    """Run fn(0) and fn(1) at the same moment; return their results."""
    results = [None, None]
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, fn(i))) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _figures(year):
    def rows(model, key):
        t = model.__table__
        return {(r[0], r[1]): tuple(r[2:]) for r in db.session.execute(
            sa.select(t.c.slot, t.c[key], *[t.c[c] for c in FACT_COLUMNS]).where(t.c.year == year))
            if any(r[2:])}
    return rows(PersonStat, "user_id"), rows(UnitStat, "unit_id")


def test_two_servers_one_database(database_url, app, f, tree, tmp_path):
    started = time.monotonic()
    for qtype, count in (("single", 4), ("multiple", 2), ("judge", 2)):
        f.questions(count, qtype=qtype)
    exam = f.exam(tree["admin"], owner=tree["county"], audience=[tree["county"]], attempts_allowed=1)
    exam_id = exam.id
    people = [f.user(f"two{i}", tree["v1" if i % 2 else "v3"]) for i in range(CADRES)]
    year = utcnow().year
    rollup.refresh(year)
    db.session.commit()
    ports = [_free_port(), _free_port()]
    servers = [_start_server(database_url, port, tmp_path) for port in ports]
    try:
        for port in ports:
            _wait(port, time.monotonic() + 45)
        acknowledged = {}
        for n, person in enumerate(people):
            browser = Browser(ports)
            browser.sign_in(n % 2, person.login)
            starts = _both(lambda s: browser.post_json(s, f"/api/exams/{exam_id}/start", {"confirm": True}))
            ids = {body.get("attempt_id") for status, body in starts if status in (200, 201)}
            assert len(ids) == 1, starts  # both servers answered with the same attempt
            attempt_id = ids.pop()
            for seq in range(1, SAVES + 1):
                status, body = browser.post_json(seq % 2, f"/api/exams/attempts/{attempt_id}/answers",
                                                 {"answers": [{"position": 1 + seq % 3, "response": "A",
                                                               "seq": seq}]})
                assert status == 200, (status, body)
                if body["saved"][0]["accepted"]:
                    acknowledged[(attempt_id, 1 + seq % 3)] = seq
            _both(lambda s: browser.post_json(s, f"/api/exams/attempts/{attempt_id}/submit", {}))
    finally:
        for process, log in servers:
            process.terminate()
        for process, log in servers:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()
    db.session.expire_all()
    ids = [p.id for p in people]
    attempts = db.session.execute(sa.select(Attempt.user_id, sa.func.count()).where(Attempt.exam_id == exam_id)
                                  .group_by(Attempt.user_id)).all()
    assert sorted(count for _, count in attempts) == [1] * CADRES  # no duplicate attempt
    for (attempt_id, position), seq in acknowledged.items():  # no lost save
        item = db.session.scalar(sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt_id,
                                                              AttemptItem.position == position))
        assert item.seq >= seq and item.response == "A"
    submitted = db.session.scalars(sa.select(Attempt.status).where(Attempt.exam_id == exam_id)).all()
    assert submitted == ["submitted"] * CADRES
    results = db.session.scalar(sa.select(sa.func.count()).select_from(ExamResult)
                                .where(ExamResult.exam_id == exam_id, ExamResult.user_id.in_(ids)))
    assert results == CADRES  # one result each: no double submission
    incremental = _figures(year)
    rollup.refresh(year)
    assert incremental == _figures(year)  # figures kept by the servers' writes equal a recount
    db.session.rollback()
    assert time.monotonic() - started < 120
