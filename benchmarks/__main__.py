"""One benchmark command:  python -m benchmarks [--full] [--million] [--only scale,reports,exam,import,servers]

Runs every benchmark and prints one table: each figure, the baseline measured in the same run, the ratio, and
the command that reruns that row alone. Quick by default (10,000 cadres for the reports); --full adds
100,000 cadres on SQLite and PostgreSQL and the gunicorn load runs at 16/64/256 cadres on both databases;
--million runs the reports at 100,000 and 1,000,000 cadres on PostgreSQL (with growth rows; it takes a long
while: generating alone is minutes). The two-server run needs PostgreSQL and Redis on 127.0.0.1.
Each bench module's ``main(argv) -> rows`` is called in-process; the two-server run is a pytest subprocess.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)


def _two_servers_row():
    """tests/test_two_servers.py on a scratch PostgreSQL database: two gunicorns, one database and Redis."""
    from scratch import scratch_database

    with scratch_database("postgres", "servers") as url:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               os.path.join(os.path.dirname(HERE), "tests", "test_two_servers.py")],
                              env=dict(os.environ, TEST_DATABASE_URL=url), capture_output=True, text=True,
                              timeout=900, cwd=os.path.dirname(HERE))
    tail = (done.stdout.strip().splitlines() or [""])[-1]
    print(done.stdout[-2000:])
    return {"figure": f"two servers, one PostgreSQL + Redis: {tail[:50]}", "value": time.perf_counter() - started,
            "baseline": None, "ratio": None, "unit": "s", "rerun": "TEST_DATABASE_URL=… bin/test tests/test_two_servers.py"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--million", action="store_true")
    parser.add_argument("--only", default="scale,reports,import,exam,servers")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    sections = []
    if "scale" in only:
        import bench_scale

        sections.append(("scale", lambda: bench_scale.main(["--rounds", "4" if args.full else "2",
                                                            "--saves", "300" if args.full else "150"])))
    if "reports" in only:
        import bench_reports

        if args.million:  # 100,000 and 1,000,000 on PostgreSQL in one run, for the growth rows
            sections.append(("reports", lambda: bench_reports.main(
                ["--sizes", "10000,100000", "--databases", "sqlite", "--repeat", "3"])))
            sections.append(("reports", lambda: bench_reports.main(
                ["--sizes", "100000,1000000", "--databases", "postgres", "--repeat", "3"])))
        else:
            sizes = "10000,100000" if args.full else "10000"
            sections.append(("reports", lambda: bench_reports.main(
                ["--sizes", sizes, "--databases", "sqlite,postgres", "--repeat", "3"])))
    if "import" in only:
        import bench_import

        sections.append(("import", lambda: bench_import.main([])))
    if "exam" in only:
        import bench_exam

        levels = "16,64,256" if args.full else "16"
        sections.append(("exam", lambda: bench_exam.main(["--concurrency", levels, "--max-seconds", "1800"])))
        if args.full:
            sections.append(("exam", lambda: bench_exam.main(["--database", "postgres", "--concurrency", levels,
                                                              "--max-seconds", "1800"])))
    if "servers" in only:
        sections.append(("servers", lambda: [_two_servers_row()]))
    rows = []
    for name, run in sections:
        try:
            rows += run()
        except (Exception, SystemExit) as error:  # one failing bench must not lose the others' figures
            rows.append({"figure": f"{name}: FAILED {error!r}"[:70], "value": 0.0, "baseline": None, "ratio": None,
                         "unit": "", "rerun": f"python -m benchmarks --only {name}"})
    print(f"\n== quizapp benchmarks — {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'figure':70s} {'value':>10s} {'baseline':>10s} {'ratio':>7s}  unit   rerun")
    for row in rows:
        baseline = "" if row["baseline"] is None else f"{row['baseline']:10.2f}"
        ratio = "" if row["ratio"] is None else f"×{row['ratio']:.2f}"
        print(f"{row['figure'][:70]:70s} {row['value']:10.2f} {baseline:>10s} {ratio:>7s}  {row['unit']:5s}  "
              f"{row['rerun']}")
    return rows


if __name__ == "__main__":
    main()
