"""What the security hardening costs: start-up key checks and the per-request hooks.

Run:  .venv/bin/python benchmarks/bench_security.py [--requests 3000]

Figures, each against a baseline measured in the same run:
(1) production start-up (SECRET_KEY entropy, sample and repository checks) vs. development start-up;
(2) a request to a route without limits (as the answer save is) now, with Flask-Limiter's global
    before_request removed, vs. the same app with that hook put back (the old cost).
"""
import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RERUN = ".venv/bin/python benchmarks/bench_security.py"


def _app(tmp, production=False):
    from quizapp import create_app

    env = {"QUIZAPP_ENV": "production" if production else "development", "SECRET_KEY": secrets.token_hex(32)}
    with mock.patch.dict(os.environ, env):
        return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite"})


def _median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _per_request_us(client, url, count):
    client.get(url)  # warm
    start = time.perf_counter()
    for _ in range(count):
        client.get(url)
    return (time.perf_counter() - start) / count * 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    from quizapp.extensions import limiter

    tmp = tempfile.mkdtemp(prefix="bench_security_")
    results = []
    prod = _median_ms(lambda: _app(tmp, production=True), args.repeat)
    dev = _median_ms(lambda: _app(tmp), args.repeat)
    results.append({"figure": "production start-up with SECRET_KEY checks", "value": round(prod, 1),
                    "baseline": round(dev, 1), "ratio": round(prod / dev, 2), "unit": "ms", "rerun": RERUN})

    app = _app(tmp)
    app.add_url_rule("/bench-noop", "bench_noop", lambda: "ok")
    hooked = _app(tmp)
    hooked.add_url_rule("/bench-noop", "bench_noop", lambda: "ok")
    hooked.before_request_funcs.setdefault(None, []).insert(0, limiter._check_request_limit)
    clients = {"now": app.test_client(), "old": hooked.test_client()}
    rounds = {"now": [], "old": []}
    for _ in range(args.repeat):  # interleaved, so drift in the machine's load hits both alike
        for name, client in clients.items():
            rounds[name].append(_per_request_us(client, "/bench-noop", args.requests // args.repeat))
    now, old = statistics.median(rounds["now"]), statistics.median(rounds["old"])
    results.append({"figure": "request to a route without limits (no global limiter hook)", "value": round(now, 1),
                    "baseline": round(old, 1), "ratio": round(now / old, 2), "unit": "µs/request", "rerun": RERUN})

    for row in results:
        print(f"{row['figure']}: {row['value']} {row['unit']} (baseline {row['baseline']}, ×{row['ratio']})")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
