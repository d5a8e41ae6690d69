"""Fixtures for the study domain: the clock's start, law imports, materials and questions citing the demo law."""
import itertools
from datetime import date, datetime, timezone

import pytest

from quizapp.extensions import db
from quizapp.study import library
from quizapp.study.materials import MaterialInput, create_material, set_published
from study_helpers import law_text

_counter = itertools.count(1)
JOINED = datetime(2026, 1, 2, 1, 0, tzinfo=timezone.utc)  # when ``people`` took up their posts
# What a question citing the default law_text() says: 示范法 第二条 as adopted on 2020-01-01.
DEMO_CITATION = {"law_name": "《中华人民共和国示范法》", "law_article": "第二条", "law_version": date(2020, 1, 1)}


@pytest.fixture
def clock_start():
    return datetime(2026, 5, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 in Asia/Shanghai


@pytest.fixture
def import_law(app):
    """Import a law text through the service, as an upload would, and commit."""

    def do(data=None, filename="示范法.txt", actor=None, **kwargs):
        outcome = library.import_law(actor, law_text() if data is None else data, filename, **kwargs)
        db.session.commit()
        return outcome

    return do


@pytest.fixture
def make_material(app):
    """A published material made through the service (a system material unless a unit is given)."""

    def make(actor, title=None, *, minutes=10, category="宪法", body="# 正文\n\n学习内容。", unit=None,
             publish=True, **values):
        material = create_material(actor, MaterialInput(
            title=title or f"学习资料{next(_counter)}", category=category, body=body, minutes=minutes,
            unit_id=unit.id if unit else None, **values), max_pdf_bytes=10 * 1024 * 1024)
        if publish:
            set_published(actor, material, True)
        db.session.commit()
        return material

    return make


@pytest.fixture
def citing(f):
    """citing(bank, **changes) -> a question citing 示范法 第二条 of 2020 (what import_law() loads), changed as told."""
    return lambda bank, **changes: f.question(bank, **{**DEMO_CITATION, **changes})


@pytest.fixture
def people(f, tree, clock, clock_start):
    """An organiser and a leader at 甲乡, cadres in 一村 and 三村 (乙乡), all in post since 2 January 2026: a
    material is required only of people who joined before its due date, so they must not join "today"."""
    clock.set(min(clock_start, JOINED))
    made = {
        "organiser": f.user("zz01", tree["jia"], role="organiser"),
        "leader": f.user("ld01", tree["jia"], role="leader"),
        "cadre": f.user("gb01", tree["v1"], name="王一"),
        "cadre2": f.user("gb02", tree["v1"], name="李二", category="village"),
        "other": f.user("gb03", tree["v3"], name="张三"),
        "organiser_yi": f.user("zz02", tree["yi"], role="organiser"),
    }
    clock.set(clock_start)
    return made
