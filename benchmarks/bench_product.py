"""Page weight on a phone: the leader dashboard's bytes over the wire on a first and a second visit.

Run:  .venv/bin/python benchmarks/bench_product.py            (about a minute; needs /usr/bin/chromium)
      .venv/bin/python benchmarks/bench_product.py --page /reports/annual

Loads the demo data into a temporary SQLite file, serves the app in a thread,
signs in as the demo leader (``lingdao``) in Chromium at 390×844 and counts the
encoded bytes of every response (Chrome's ``Network.loadingFinished``):

* first visit — a cold cache; the goal is under 400 KB;
* next visit — the same page again, cache warm; the goal is under 60 KB.

The baseline is the same two visits with the browser cache disabled and
``Accept-Encoding: identity``: what the page cost before compression and
long-lived caching (the ratio is value / baseline).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

CHROMIUM = os.environ.get("QUIZAPP_CHROMIUM", "/usr/bin/chromium")
GOALS_KB = {"first": 400, "next": 60}


def _app(folder):
    from quizapp import create_app

    # Rate limits stay on (two sign-ins never reach them): create_app assumes Flask-Limiter is enabled.
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite", "DEMO_MODE": True})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=os.path.join(ROOT, "migrations"), revision="heads")
        from quizapp.demo import load_demo
        from quizapp.extensions import db

        load_demo()
        db.session.commit()
    return app


def weigh(browser, base, page_path, *, plain, login=("lingdao", "Lingdao@2026")):
    """KB over the wire of a first and a second visit to ``page_path`` after signing in as ``login`` (login,
    password) in one browser context at 390×844; tests/browser/test_reports.py weighs its own world with it."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  extra_http_headers={"Accept-Encoding": "identity"} if plain else None)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login[0])
    page.fill("input[name=password]", login[1])
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if plain:
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes = []
    cdp.on("Network.loadingFinished", lambda event: sizes.append(event["encodedDataLength"]))
    results = []
    for _ in range(2):
        sizes.clear()
        page.goto(f"{base}{page_path}", wait_until="networkidle")
        results.append(sum(sizes) / 1024)
    context.close()
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="/reports/", help="path to weigh (default the leader dashboard)")
    args = parser.parse_args(argv)
    import logging

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    with tempfile.TemporaryDirectory() as folder:
        app = _app(folder)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                     args=["--no-sandbox", "--disable-gpu", "--disable-quic"])
                first, second = weigh(browser, base, args.page, plain=False)
                plain_first, plain_second = weigh(browser, base, args.page, plain=True)
                browser.close()
        finally:
            server.shutdown()
            thread.join(timeout=5)
    rerun = f".venv/bin/python benchmarks/bench_product.py --page {args.page}"
    rows = [
        {"figure": f"{args.page} first visit (goal < {GOALS_KB['first']} KB)", "value": round(first, 1),
         "baseline": round(plain_first, 1), "ratio": round(first / plain_first, 3), "unit": "KB", "rerun": rerun},
        {"figure": f"{args.page} next visit (goal < {GOALS_KB['next']} KB)", "value": round(second, 1),
         "baseline": round(plain_second, 1), "ratio": round(second / plain_second, 3), "unit": "KB", "rerun": rerun},
    ]
    for row in rows:
        print(f"{row['figure']}: {row['value']} {row['unit']} (baseline {row['baseline']}, ratio {row['ratio']})")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
