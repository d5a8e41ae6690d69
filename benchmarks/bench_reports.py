"""Report speed at scale, on SQLite and PostgreSQL, with the floor measured in the same run.

Run:  .venv/bin/python benchmarks/bench_reports.py                      # 10,000 and 100,000 cadres, both databases
      .venv/bin/python benchmarks/bench_reports.py --sizes 10000 --databases postgres --repeat 3

For each database and size it generates the data (benchmarks/gen_data.py: a
year of 12 monthly exams, study credits, required materials, sessions), signs
in as an administrator at the root and times, as the median of --repeat runs:

* floor (live)  — the single bare SQL aggregate a dashboard headline needs,
  run straight on the raw tables (exam results, audience, study credits,
  population) for one month at the root: what any live page must at least pay;
* floor (roll-up) — the same headline from the roll-up tables the pages read;
* rebuild — ``rollup.refresh`` of the year (what cron or “立即更新” pays);
* pages — dashboard at the root (a month and the year), dashboard of one
  township, the people list and the 未完成名单 at the root, the 述法 batch
  export (the whole .xlsx downloaded) and the annual figures, all through the
  Flask test client with a warm roll-up.

It prints milliseconds and ratios to both floors; the goal is every page under
300 ms at the root on PostgreSQL and within 3× the live floor. Every run makes its
own databases (benchmarks/scratch.py: a uniquely named PostgreSQL database through
BENCH_PG_ADMIN_URL, a SQLite file in a fresh temporary folder) and drops them after.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from datetime import datetime, timezone

import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gen_data  # noqa: E402

MONTH = 6
YEAR = gen_data.YEAR
NOW = datetime(YEAR, 12, 15, 2, 0, tzinfo=timezone.utc)
GOAL_MS = 300
GOAL_RATIO = 3.0

FLOOR_SQL = """
WITH sp AS (
  SELECT u.id AS user_id, u.unit_id, u.created_at, u.active, u.deactivated_at,
         CASE WHEN u.created_at < :period_end AND (u.active OR u.deactivated_at >= :period_start) THEN 1 ELSE 0 END
           AS in_pop
  FROM users u
  WHERE u.unit_id IN (SELECT id FROM units WHERE path LIKE :root_like) AND u.role IN ('cadre', 'leader', 'organiser')
),
eligible AS (
  SELECT DISTINCT eu.exam_id, m.id AS unit_id FROM exam_units eu JOIN units a ON a.id = eu.unit_id
  JOIN units m ON m.path LIKE a.path || '%' WHERE eu.exam_id = :exam_id
),
pairs AS (
  SELECT sp.user_id, CASE WHEN r.id IS NOT NULL THEN 1 ELSE 0 END AS sat, CASE WHEN r.passed THEN 1 ELSE 0 END AS passed,
         CASE WHEN r.score >= 90 THEN 1 ELSE 0 END AS excellent, r.score
  FROM sp JOIN exams e ON e.id = :exam_id
  LEFT JOIN eligible el ON el.unit_id = sp.unit_id
  LEFT JOIN exam_results r ON r.exam_id = e.id AND r.user_id = sp.user_id
  WHERE (el.unit_id IS NOT NULL AND sp.created_at < e.close_at AND (sp.active OR sp.deactivated_at >= e.close_at))
        OR r.id IS NOT NULL
),
credits AS (
  SELECT c.user_id, SUM(c.seconds) AS seconds FROM study_credits c
  WHERE c.year = :year AND c.month = :month GROUP BY c.user_id
)
SELECT (SELECT SUM(in_pop) FROM sp) AS people, COUNT(*) AS due, SUM(sat) AS sat, SUM(passed) AS passed,
       SUM(excellent) AS excellent, AVG(score) AS average,
       (SELECT SUM(seconds) FROM credits JOIN sp ON sp.user_id = credits.user_id) AS seconds
FROM pairs
"""


def median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench(kind, url, cadres, repeat, log, *, existing=False, skip=()):
    """Generate ``cadres`` into ``url`` and time everything; with ``existing``, time the pages of a database an
    earlier run generated and rolled up (no generation, no rebuild, nothing dropped)."""
    from werkzeug.security import generate_password_hash

    from quizapp import create_app
    from quizapp.extensions import db

    started = time.perf_counter()
    if existing:
        log(f"\n== {kind}, {cadres:,} cadres: the database generated earlier ({url.rsplit('/', 1)[-1]})")
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            made = {"root_id": conn.scalar(sa.text("SELECT min(id) FROM units")),
                    "county_id": conn.scalar(sa.text("SELECT min(id) FROM units WHERE depth = 1")),
                    "township_id": conn.scalar(sa.text("SELECT min(id) FROM units WHERE kind = 'township'"))}
        engine.dispose()
    else:
        log(f"\n== {kind}, {cadres:,} cadres: generating …")
        gen_data.migrate(url)
        made = gen_data.generate(url, cadres, 12, log=lambda text: log("   " + text))
    generated = (time.perf_counter() - started) * 1000
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "TESTING": True,
                      "RATELIMIT_ENABLED": False, "CLOCK": lambda: NOW,
                      "REPORTS_SNAPSHOT_MAX_AGE": 10 ** 9})
    # As gunicorn.conf.py's pre_fork does before every worker starts: the app's own objects are kept out of the
    # garbage collector's full passes. Without it a page that builds 22,500 village rows paid ~100 ms for
    # collections that walk the whole app in this process, and in none of the served workers.
    gc.collect()
    gc.freeze()
    results = {}
    with app.app_context():
        from quizapp.accounts.models import Unit, User
        from quizapp.reports import rollup
        from quizapp.reports.periods import Period

        if db.session.scalar(sa.select(User.id).where(User.login == "bench-admin")) is None:
            db.session.add(User(login="bench-admin", name="基准测试",
                                password_hash=generate_password_hash("bench-password"), unit_id=made["root_id"],
                                role="admin", must_change_password=False, created_at=NOW, updated_at=NOW))
            db.session.commit()
        exam_id = db.session.scalar(sa.text("SELECT id FROM exams WHERE period = :p"), {"p": f"{YEAR}-{MONTH:02d}"})
        params = {"period_start": "2026-05-31 16:00:00", "period_end": "2026-06-30 16:00:00", "root_like": "/1/%",
                  "exam_id": exam_id, "year": YEAR, "month": MONTH}
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET jit = off")

        def floor_live():
            db.session.execute(sa.text(FLOOR_SQL), params).one()

        results["floor (live)"] = median_ms(floor_live, repeat)

        def rebuild():
            rollup.refresh(YEAR)
            db.session.commit()

        # A repair, not a page: once is enough at a million (minutes each).
        if not existing:
            results["rebuild (year)"] = median_ms(rebuild, 1 if cadres >= 500_000 else max(1, min(repeat, 2)))
            rollup.vacuum()  # as `flask reports refresh` does after rebuilding

        root = db.session.get(Unit, made["root_id"])

        def floor_rollup():
            rollup.total(root, Period("month", YEAR, MONTH))

        results["floor (roll-up)"] = median_ms(floor_rollup, repeat)
        db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"login": "bench-admin", "password": "bench-password"})
    assert response.status_code == 302, response.status_code
    pages = {
        "dashboard, root, month": f"/reports/?period={YEAR}-{MONTH:02d}",
        "dashboard, root, year": f"/reports/?period={YEAR}",
        "dashboard, one county": f"/reports/units/{made['county_id']}?period={YEAR}-{MONTH:02d}",
        "dashboard, one township": f"/reports/units/{made['township_id']}?period={YEAR}-{MONTH:02d}",
        "people, root (by 平均分, highest first)":
            f"/reports/units/{made['root_id']}/people?period={YEAR}-{MONTH:02d}&sort=average&dir=desc",
        "people, root (by 学时, most first)":
            f"/reports/units/{made['root_id']}/people?period={YEAR}-{MONTH:02d}&sort=hours&dir=desc",
        "rankings, root (by 平均分)": f"/reports/units/{made['root_id']}/rankings?period={YEAR}-{MONTH:02d}",
        "rankings, root (by 学时)":
            f"/reports/units/{made['root_id']}/rankings?period={YEAR}-{MONTH:02d}&by=hours",
        "rankings, root, year": f"/reports/units/{made['root_id']}/rankings?period={YEAR}",
        "rankings, one township (by 平均分)":
            f"/reports/units/{made['township_id']}/rankings?period={YEAR}-{MONTH:02d}",
        "rankings, one county (by 学时)":
            f"/reports/units/{made['county_id']}/rankings?period={YEAR}-{MONTH:02d}&by=hours",
        "未完成名单, root": f"/reports/units/{made['root_id']}/unfinished?period={YEAR}-{MONTH:02d}",
        "annual figures, root": f"/reports/annual?year={YEAR}",
        "述法 batch workbook job, root": f"/reports/shufa/export?year={YEAR}",
    }
    for label, path in pages.items():
        if any(word in label for word in skip):
            continue

        def fetch():
            if "job" in label:  # a POST queues the job (run at once here), then the file is fetched
                done = client.post(path)
                assert done.status_code == 302, (path, done.status_code)
                response = client.get(done.headers["Location"] + "/file")
            else:
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            response.get_data()
            response.close()

        fetch()  # warm-up
        results[label] = median_ms(fetch, repeat if "job" not in label else max(1, repeat // 2))
    with app.app_context():
        db.engine.dispose()
    if not existing:
        results["generate + load (COPY on PostgreSQL)"] = generated
    return results


def report(all_results, log):
    log("\n== results (median ms; ratio to the live floor / to the roll-up floor)")
    for (kind, cadres), results in all_results.items():
        live, rolled = results["floor (live)"], results["floor (roll-up)"]
        log(f"\n{kind}, {cadres:,} cadres")
        for label, ms in results.items():
            mark = ""
            if not label.startswith(("floor", "rebuild", "generate")):
                ok = ms <= GOAL_MS and ms <= GOAL_RATIO * live
                mark = "  ok" if ok else "  over goal"
            log(f"  {label:40s} {ms:9.1f} ms   ×{ms / live:6.2f}   ×{ms / rolled:7.1f}{mark}")
    sizes = sorted({cadres for _, cadres in all_results})
    if len(sizes) > 1:
        log(f"\n== growth from {sizes[0]:,} to {sizes[-1]:,} cadres")
        for kind in sorted({k for k, _ in all_results}):
            small, large = all_results.get((kind, sizes[0])), all_results.get((kind, sizes[-1]))
            if small and large:
                log(f"  {kind}: " + ", ".join(f"{label} ×{large[label] / small[label]:.1f}" for label in small if label in large))


def rows(all_results, argv_base):
    """The table rows for ``python -m benchmarks``: every page against the live floor of the same run."""
    out = []
    for (kind, cadres), results in all_results.items():
        live = results["floor (live)"]
        rerun = f"python benchmarks/bench_reports.py --databases {kind} --sizes {cadres}"
        for label, ms in results.items():
            if label == "floor (live)":
                continue
            out.append({"figure": f"reports {kind} {cadres:,}: {label}", "value": round(ms, 1),
                        "baseline": round(live, 1), "ratio": round(ms / live, 2) if live else None, "unit": "ms",
                        "rerun": rerun})
    sizes = sorted({cadres for _, cadres in all_results})
    for kind in sorted({k for k, _ in all_results}):
        small, large = all_results.get((kind, sizes[0])), all_results.get((kind, sizes[-1]))
        if len(sizes) < 2 or not small or not large:
            continue
        scale = sizes[-1] / sizes[0]
        for label in small:
            if label.startswith("floor (roll-up)") or not small[label] or label not in large:
                continue
            # value: how many times slower at the larger size; baseline: how many times more cadres.
            grew = large[label] / small[label]
            out.append({"figure": f"growth {kind} {sizes[0]:,}→{sizes[-1]:,}: {label}", "value": round(grew, 2),
                        "baseline": scale, "ratio": round(grew / scale, 2), "unit": "×",
                        "rerun": f"python benchmarks/bench_reports.py --databases {kind} "
                                 f"--sizes {sizes[0]},{sizes[-1]}"})
    return out


def main(argv=None):
    from scratch import pg_available, scratch_database

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--existing", default="",
                        help="URL of a database an interrupted run generated and rolled up: time its pages only "
                             "(--sizes names its size; it is not dropped)")
    parser.add_argument("--skip", default="", help="comma-separated words: pages whose label has one are left out")
    args = parser.parse_args(argv)
    skip = tuple(word for word in args.skip.split(",") if word)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    kinds = [d.strip() for d in args.databases.split(",") if d.strip()]
    if "postgres" in kinds and not pg_available():
        print("PostgreSQL not reachable (BENCH_PG_ADMIN_URL): skipped")
        kinds.remove("postgres")
    all_results = {}
    for kind in kinds:
        for cadres in sizes:
            if args.existing:
                all_results[(kind, cadres)] = bench(kind, args.existing, cadres, args.repeat, print, existing=True,
                                                    skip=skip)
                continue
            with scratch_database(kind, f"reports{cadres}") as url:
                all_results[(kind, cadres)] = bench(kind, url, cadres, args.repeat, print, skip=skip)
    report(all_results, print)
    return rows(all_results, argv)


if __name__ == "__main__":
    main()
