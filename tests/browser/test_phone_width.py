"""Every page of every role fits a 360-px phone: no horizontal scrolling, no console errors.

Each role opens every page of its menu, then the pages those link to, breadth first (same site, GET, a bounded
number, one page per route pattern), at 360×640 in Chromium. Downloads (.xlsx, .pdf) and sign-out are left out.
"""
import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest

from factories import START
from quizapp.extensions import db
from quizapp.study import offline

pytestmark = pytest.mark.browser

WIDTH = 360
MAX_PAGES_PER_ROLE = 70
SKIP = (".xlsx", ".pdf", "/logout", "format=xlsx", "/export", "/template", "seal.png", "/verify/")


@pytest.fixture
def world(f, tree, clock):
    """A bank with long question titles, a published exam one cadre failed, a required material, a session."""
    organiser = f.user("zuzhi1", tree["jia"], role="organiser", phone="13900000000")
    f.user("lingdao1", tree["jia"], role="leader", shufa=True)
    cadre = f.user("ganbu1", tree["v1"], phone="13900000001")
    bank = f.bank("一个名字相当长的题库用来检验窄屏下的换行和下拉框宽度是否会撑破页面", tree["county"])
    long_law = "《中华人民共和国全国人民代表大会和地方各级人民代表大会选举法及其配套实施规定汇编（窄屏测试用长名称）》"
    f.questions(8, qtype="single", bank=bank, law_name=long_law, category="法律法规/土地与农村")
    f.questions(3, qtype="judge", bank=bank, law_name=long_law)
    exam = f.exam(tree["admin"], owner=tree["county"], audience=[tree["jia"]], rules=(("single", 3), ("judge", 1)),
                  title="2026年11月全县干部学法用法月度测试（含补考安排的长标题）", bank=bank)
    from quizapp.exams import sitting

    attempt, _ = sitting.start_attempt(exam, cadre)
    db.session.commit()
    sitting.submit_attempt(attempt)
    session = offline.create_session(organiser, {
        "kind": "法治讲堂", "topic": "学习《中华人民共和国行政复议法》", "category": "法律法规",
        "held_on": date(2026, 11, 3), "minutes": 90, "unit_id": tree["jia"].id, "speaker": "县司法局",
        "location": "乡政府会议室", "public_count": 10, "notes": ""})
    offline.add_attendees(organiser, session, [cadre.id])
    db.session.commit()
    return {"exam": exam, "start": START + timedelta(days=0)}


def _shape(path):
    """A route pattern: numbers and query values blanked, so 30 people's pages count as one."""
    parts = urlsplit(path)
    route = re.sub(r"/\d+", "/N", parts.path)
    keys = sorted(part.split("=")[0] for part in parts.query.split("&") if part)
    return route + "?" + "&".join(keys)


def _collect(page, base, selector):
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    out = []
    for href in hrefs:
        if not href or href.startswith(("#", "tel:", "mailto:", "javascript:", "data:")):
            continue
        parts = urlsplit(href)
        if parts.netloc and f"{parts.scheme}://{parts.netloc}" != base:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if any(mark in path for mark in SKIP):
            continue
        out.append(path)
    return out


@pytest.mark.parametrize("login", ["ganbu1", "lingdao1", "zuzhi1", "admin01"])
def test_every_page_fits_a_phone(world, page, live_server, sign_in, login):
    """Visiting each page this role can reach, is any page wider than 360 px or logging a console error?"""
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append((page.url, message.text)))
    page.on("pageerror", lambda error: errors.append((page.url, str(error))))
    page.set_viewport_size({"width": WIDTH, "height": 640})
    sign_in(login, "Passw0rd!x")
    page.wait_for_url(f"{live_server}/")
    todo = ["/"] + _collect(page, live_server, ".menu-panel a, .bottombar a, .whoami a")
    seen, shapes, wide = set(), set(), []
    while todo and len(seen) < MAX_PAGES_PER_ROLE:
        path = todo.pop(0)
        shape = _shape(path)
        if path in seen or shape in shapes:
            continue
        seen.add(path)
        shapes.add(shape)
        response = page.goto(live_server + path)
        if response is None or response.status >= 400:
            errors.append((path, f"HTTP {response.status if response else '?'}"))
            continue
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            culprit = page.evaluate("""() => { const w = document.documentElement.clientWidth;
                for (const el of document.querySelectorAll('main *')) {
                  const r = el.getBoundingClientRect();
                  if (r.right > w + 1 && getComputedStyle(el).position !== 'fixed') {
                    let p = el.parentElement, clipped = false;
                    while (p) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = true; break; } p = p.parentElement; }
                    if (!clipped) return el.tagName + '.' + el.className + ' ' + Math.round(r.right);
                  } } return ''; }""")
            wide.append((path, width, culprit))
        todo += [p for p in _collect(page, live_server, "main a") if p not in seen]
    assert not wide, wide
    assert not errors, errors
    assert len(seen) >= 8, sorted(seen)
