"""Browser tests: the app served in a thread, driven through Playwright in Debian's Chromium.

Never downloads a browser: Chromium comes from Debian (/usr/bin/chromium,
override with QUIZAPP_CHROMIUM). Without it these tests skip locally, and
fail in CI (QUIZAPP_FAIL_ON_SKIP turns the skip into a failure).
"""
import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("QUIZAPP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture
def live_server(app):
    """The test app served on 127.0.0.1 on a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def _playwright():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN")
    context.set_default_timeout(15000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def sign_in(page, live_server):
    """Sign in through the real form; returns the page."""

    def sign_in_as(login, password):
        page.goto(f"{live_server}/login")
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", password)
        page.click("main button[type=submit]")
        return page

    return sign_in_as
