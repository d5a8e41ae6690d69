"""On a phone-sized screen, a cadre answers a 案例分析 case and a 不定项 question of a paper in Chromium."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from quizapp.exams.models import Attempt, AttemptItem
from quizapp.extensions import db

pytestmark = pytest.mark.browser
CASE = "牧民扎西与邻村多吉因草场界线争执不下，村人民调解委员会主动上门调解。"


def test_case_material_and_checkboxes_on_a_phone(f, tree, page, live_server, sign_in):
    """Does the paper show the case material above each sub-question, checkboxes for 不定项, and save both?"""
    bank = f.bank()
    f.questions(1, bank=bank, qtype="indefinite", answer="AC")
    f.case(bank, size=2, qtypes=("single", "indefinite"), text=CASE)
    exam = f.exam(tree["admin"], owner=tree["county"], audience=[tree["jia"]],
                  rules=[("indefinite", 1), ("case", 1)], points={"indefinite": 40, "case": 60}, bank=bank,
                  close_at=datetime.now(timezone.utc) + timedelta(days=1), shuffle_questions=False,
                  shuffle_options=False, review_policy="immediate")
    cadre = f.user("gb_case1", tree["v1"])
    sign_in("gb_case1", "Passw0rd!x")
    page.goto(f"{live_server}/exams/{exam.id}")
    page.check("input[name=confirm]")
    page.click("form.start-form button[type=submit]")
    page.wait_for_selector("#exam-js .js-question")
    assert page.locator("#exam-js .case-text").is_hidden()
    assert page.locator("#exam-js .options input[type=checkbox]").count() == 4
    page.locator("#exam-js .options label").filter(has_text="A.").first.click()
    page.locator("#exam-js .options label").filter(has_text="C.").first.click()
    page.wait_for_selector("#exam-js .save-state.saved")
    page.click("text=下一题")
    assert CASE in page.inner_text("#exam-js .case-text")
    assert page.locator("#exam-js .options input[type=radio]").count() == 4
    page.locator("#exam-js .options label").filter(has_text="A.").first.click()
    page.wait_for_selector("#exam-js .save-state.saved")
    page.click("text=下一题")
    assert CASE in page.inner_text("#exam-js .case-text")
    assert page.locator("#exam-js .options input[type=checkbox]").count() == 4
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing pushes the phone page sideways
    db.session.expire_all()
    attempt = db.session.scalar(sa.select(Attempt).where(Attempt.user_id == cadre.id))
    responses = dict(db.session.execute(sa.select(AttemptItem.position, AttemptItem.response)
                                        .where(AttemptItem.attempt_id == attempt.id)).all())
    assert responses == {1: "AC", 2: "A", 3: ""}
