"""Fixtures for the study domain: a movable clock, law imports, materials and questions."""
import itertools

import pytest

from quizapp.extensions import db
from quizapp.study import library
from quizapp.study.materials import MaterialInput, create_material, set_published
from study_helpers import START, Clock, QuestionFactory, law_text

_counter = itertools.count(1)


@pytest.fixture
def clock(app):
    clock = Clock(START)
    app.config["CLOCK"] = clock
    return clock


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
def qf(app):
    return QuestionFactory()


@pytest.fixture
def people(f, tree):
    """An organiser and a leader at 甲乡, cadres in 一村 and 三村 (乙乡)."""
    return {
        "organiser": f.user("zz01", tree["jia"], role="organiser"),
        "leader": f.user("ld01", tree["jia"], role="leader"),
        "cadre": f.user("gb01", tree["v1"], name="王一"),
        "cadre2": f.user("gb02", tree["v1"], name="李二", category="village"),
        "other": f.user("gb03", tree["v3"], name="张三"),
        "organiser_yi": f.user("zz02", tree["yi"], role="organiser"),
    }
