"""One benchmark command:  python -m benchmarks [--full] [--only scale,reports,exam,import]

Runs every benchmark and prints one table: each figure, the baseline measured in the same run, the ratio, and
the command that reruns that row alone. Quick by default (10,000 cadres for the reports); --full adds
100,000 cadres on SQLite and PostgreSQL and the gunicorn load runs (16/64/256 cadres); --million adds the
1,000,000-cadre report run on PostgreSQL (it takes a long while: generating alone is minutes).
Modules exposing ``main(argv) -> rows`` are called in-process; the others run as a subprocess and their
own output is kept in the log, with their exit status in the table.
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


def _subprocess_row(figure, script, args, timeout):
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, os.path.join(HERE, script), *args], timeout=timeout,
                              capture_output=True, text=True)
        status, tail = done.returncode, (done.stdout.strip().splitlines() or [""])[-1]
        print(done.stdout[-3000:])
    except subprocess.TimeoutExpired:
        status, tail = "timeout", ""
    return {"figure": f"{figure}: {tail[:70]}", "value": round(time.perf_counter() - started, 1), "baseline": None,
            "ratio": None, "unit": f"s (exit {status})", "rerun": f"python benchmarks/{script} {' '.join(args)}"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--million", action="store_true")
    parser.add_argument("--only", default="scale,reports,import,exam")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    rows = []
    if "scale" in only:
        import bench_scale

        rows += bench_scale.main(["--rounds", "4" if args.full else "2", "--saves", "300" if args.full else "150"])
    if "reports" in only:
        import bench_reports

        sizes = "10000,100000" if args.full else "10000"
        rows += bench_reports.main(["--sizes", sizes, "--databases", "sqlite,postgres", "--repeat", "3"])
        if args.million:
            rows += bench_reports.main(["--sizes", "1000000", "--databases", "postgres", "--repeat", "3"])
    if "import" in only:
        import bench_import

        rows += bench_import.main([])
    if "exam" in only and args.full:
        rows.append(_subprocess_row("exam saves under gunicorn", "bench_exam.py", ["--concurrency", "16,64,256"],
                                    1800))
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
