"""Study time in a real browser: the credited minutes move only while the material's page is visible.

Headless Chromium reports every tab as visible (it has no window to switch),
so the test plays the browser's part in a tab switch: when it opens the other
tab it marks the material's page hidden and fires ``visibilitychange``, exactly
what a desktop or phone browser does, and marks it visible again on return.
Everything else (the page's timer, heartbeats, the server's crediting) is real.
"""
import time
from datetime import date

import pytest
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.study.materials import MaterialInput, add_requirement, create_material, set_published
from quizapp.study.models import StudyCredit

pytestmark = pytest.mark.browser

VISIBILITY_SWITCH = """
(() => {
  let state = 'visible';
  Object.defineProperty(Document.prototype, 'visibilityState', {configurable: true, get() { return state; }});
  Object.defineProperty(Document.prototype, 'hidden', {configurable: true, get() { return state === 'hidden'; }});
  window.__setVisibility = (next) => { state = next; document.dispatchEvent(new Event('visibilitychange')); };
})();
"""
CREDITED = "() => parseInt(document.querySelector('[data-study-kind]').getAttribute('data-seconds'), 10)"


def _wait_for_credit(page, at_least, timeout=15.0):
    """Poll the page's credited seconds (the app's CSP rightly forbids the eval wait_for_function needs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(CREDITED)
        if value >= at_least:
            return value
        page.wait_for_timeout(200)
    raise AssertionError(f"credited seconds stayed at {page.evaluate(CREDITED)}, expected at least {at_least}")


def _credited_in_database(user_id):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(StudyCredit.seconds), 0))
                             .where(StudyCredit.user_id == user_id)) or 0


def test_minutes_move_only_while_the_page_is_visible(app, f, tree, live_server, context, sign_in):
    """A cadre opens a required material, stays, switches to another tab, comes back: is only visible time credited?"""
    app.config.update(STUDY_BEAT_SECONDS=1, STUDY_IDLE_SECONDS=120)
    organiser = f.user("zz01", tree["jia"], role="organiser")
    cadre = f.user("gb01", tree["v1"], name="王一")
    material = create_material(None, MaterialInput(title="宪法学习要点", category="宪法", minutes=10,
                                                   body="## 要点\n\n" + "宪法是国家的根本法。\n\n" * 20),
                               max_pdf_bytes=1024)
    set_published(None, material, True)
    add_requirement(organiser, material, date.today().year, tree["jia"], date(date.today().year, 12, 31))
    db.session.commit()

    context.add_init_script(VISIBILITY_SWITCH)
    page = sign_in("gb01", "Passw0rd!x")
    page.goto(f"{live_server}/study/me")
    page.click("text=宪法学习要点")
    page.wait_for_selector("[data-study-kind=material]")
    opened = time.monotonic()

    # Stay on the material: the credited seconds grow.
    _wait_for_credit(page, 3)

    # Switch to another tab for four seconds.
    other = context.new_page()
    other.goto(f"{live_server}/")
    page.evaluate("window.__setVisibility('hidden')")
    page.wait_for_timeout(1500)  # the last counted second is handed in as the page hides
    hidden_at = page.evaluate(CREDITED)
    in_database = _credited_in_database(cadre.id)
    hidden_from = time.monotonic()
    page.wait_for_timeout(4000)
    hidden_for = time.monotonic() - hidden_from
    assert page.evaluate(CREDITED) == hidden_at
    assert _credited_in_database(cadre.id) == in_database
    assert "已暂停计时" in page.inner_text("[data-study-state]")

    # Come back: counting resumes.
    page.bring_to_front()
    page.evaluate("window.__setVisibility('visible')")
    _wait_for_credit(page, hidden_at + 2)
    assert _credited_in_database(cadre.id) >= hidden_at + 2

    # The hidden seconds were never credited: the total stays below the time the page was open, less them.
    page.evaluate("window.__setVisibility('hidden')")
    page.wait_for_timeout(1500)
    open_for = time.monotonic() - opened
    assert _credited_in_database(cadre.id) <= open_for - hidden_for + 1
