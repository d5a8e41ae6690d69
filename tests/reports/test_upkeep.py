"""Figures stay current as results, credits, attendance and people are written — and equal a recount.

The roll-up is built once; after that only writes (each committed as a view or CLI would) keep it current.
After every write the incremental figures are compared with a full rebuild from the raw rows (made inside
the same transaction, then rolled back so the next write is again checked incrementally).
"""
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizapp.accounts import services as account_services
from quizapp.common.errors import ServiceError
from quizapp.exams.models import Attempt
from quizapp.extensions import db
from quizapp.reports import rollup
from quizapp.reports.models import FACT_COLUMNS, PersonStat, Refresh, UnitStat
from quizapp.study import offline as offline_services
from quizapp.study.models import StudyProgress

from reportkit import at

UNIT_COLUMNS = (*rollup.UNIT_EXTRA, *FACT_COLUMNS)  # the annual counts (人员类别, 述法对象 …) included


def _rows(table, key, columns, year=2026):
    t = table.__table__
    out = {}
    for row in db.session.execute(sa.select(t.c.slot, t.c[key], *[t.c[c] for c in columns])
                                  .where(t.c.year == year)):
        values = tuple(round(float(v), 6) if v is not None else 0 for v in row[2:])
        if any(values):  # a unit row whose last person left is all zeros; a rebuild leaves no row
            out[(row[0], row[1])] = values
    return out


def snapshot(year=2026):
    return _rows(PersonStat, "user_id", FACT_COLUMNS, year), _rows(UnitStat, "unit_id", UNIT_COLUMNS, year)


def assert_equals_recount(year=2026):
    db.session.expire_all()
    incremental = snapshot(year)
    rollup.refresh(year)
    recount = snapshot(year)
    db.session.rollback()
    assert incremental[0] == recount[0], "person rows differ from a recount"
    assert incremental[1] == recount[1], "unit rows differ from a recount"


@pytest.fixture
def scene(world, tree):
    units = [tree["v1"], tree["v2"], tree["v3"], tree["county"]]
    people = [world.person(f"up{i}", units[i % 4], shufa=(i == 0)) for i in range(6)]
    exams = [world.exam("2026-03", title="三月"), world.exam("2026-05", title="五月", audience=[tree["jia"]])]
    material = world.material("必学", due=date(2026, 4, 30))
    session = world.offline(tree["v1"], [people[0]], held_on=date(2026, 3, 12))
    world.clock.set(at(2026, 2, 1))
    rollup.refresh(2026)
    db.session.commit()
    return {"world": world, "units": units, "people": people, "exams": exams, "material": material,
            "session": session, "admin": tree["admin"]}


def test_a_submission_updates_the_figures_without_a_rebuild(scene, tree):
    """Sitting an exam moves the figures at once, and the year's roll-up is not rebuilt for it."""
    world, people = scene["world"], scene["people"]
    stamp = db.session.get(Refresh, 2026).computed_at
    before = rollup.total(tree["county"], world_period("2026-03"))
    world.sit(scene["exams"][0], people[1], 80)
    db.session.expire_all()
    after = rollup.total(tree["county"], world_period("2026-03"))
    assert (after.exam_sat, after.exam_passed) == (before.exam_sat + 1, before.exam_passed + 1)
    assert db.session.get(Refresh, 2026).computed_at == stamp
    assert_equals_recount()


def world_period(key):
    from quizapp.reports.periods import Period

    return Period.parse(key)


def _apply(scene, op):
    world, people, units = scene["world"], scene["people"], scene["units"]
    kind, i, value = op
    person = people[i % len(people)]
    if kind == "sit":
        exam = scene["exams"][value % 2]
        taken = db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)
                                  .where(Attempt.exam_id == exam.id, Attempt.user_id == person.id))
        if not taken and person.active:
            try:
                world.sit(exam, person, (value % 11) * 10)
            except ServiceError:  # not in the exam's audience (any more): nothing written
                db.session.rollback()
    elif kind == "credit":
        world.credit(person, 10 + value, at(2026, 1 + value % 12, 3), source=("material", "law", "offline")[value % 3])
    elif kind == "attend":
        offline_services.add_attendees(scene["admin"], scene["session"], [person.id])
        db.session.commit()
    elif kind == "unattend":
        offline_services.remove_attendees(scene["admin"], scene["session"], [person.id])
        db.session.commit()
    elif kind == "complete":
        done = db.session.scalar(sa.select(StudyProgress).where(StudyProgress.user_id == person.id,
                                                                 StudyProgress.material_id == scene["material"].id))
        if done is None:
            world.complete(person, scene["material"])
    elif kind == "move":
        person.unit_id = units[value % len(units)].id
        db.session.commit()
    elif kind == "deactivate":
        if person.active:
            world.deactivate(person, at(2026, 1 + value % 12, 10))
    elif kind == "recategorise":  # 人员类别 and 述法对象 change who the annual figures count
        person.category = ("leading", "general", "village", "legal_aide", "other")[value % 5]
        person.shufa = value % 2 == 0
        db.session.commit()
    elif kind == "newcomer":
        people.append(world.person(f"upn{len(people)}", units[value % len(units)],
                                   joined=at(2026, 1 + value % 12, 2)))


OPS = st.tuples(st.sampled_from(["sit", "credit", "attend", "unattend", "complete", "move", "deactivate",
                                 "recategorise", "newcomer"]),
                st.integers(0, 20), st.integers(0, 40))


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          deadline=None)
@given(ops=st.lists(OPS, min_size=1, max_size=5))
def test_figures_equal_a_recount_after_random_writes(scene, ops):
    """Whatever the writes, in whatever order, the incrementally kept figures equal a full recount.

    (State carries over between examples: the property holds from any starting point.)
    """
    for op in ops:
        _apply(scene, op)
        assert_equals_recount()


def test_an_exam_published_later_rebuilds_its_year(scene, tree):
    """Publishing an exam changes who should sit it — many people at once — so its year is rebuilt whole."""
    world = scene["world"]
    stamp = db.session.get(Refresh, 2026).computed_at
    world.clock.set(at(2026, 6, 1))
    world.exam("2026-07", title="七月")
    db.session.expire_all()
    assert db.session.get(Refresh, 2026).computed_at > stamp
    assert rollup.total(tree["county"], world_period("2026-07")).exam_due > 0
    assert_equals_recount()


def test_a_year_without_a_roll_up_waits_for_its_build(scene, tree, runner):
    """Writes never build a missing year inline; the rebuild (cron) does, and counts what came before."""
    world = scene["world"]
    db.session.execute(sa.delete(Refresh).where(Refresh.year == 2028))
    db.session.commit()
    world.credit(scene["people"][1], 45, at(2028, 1, 5))
    assert db.session.get(Refresh, 2028) is None
    result = runner.invoke(args=["reports", "rebuild", "--year", "2028"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert rollup.total(tree["county"], world_period("2028-01")).seconds == 45 * 60
    world.credit(scene["people"][1], 45, at(2028, 1, 6))
    assert rollup.total(tree["county"], world_period("2028-01")).seconds == 90 * 60
    assert_equals_recount(2028)


def test_moving_and_deactivating_people_keep_the_population(scene, tree):
    """在册 counts follow a move and a deactivation without a rebuild."""
    people = scene["people"]
    before = rollup.total(tree["v3"], world_period("2026-03")).people
    people[0].unit_id = tree["v3"].id
    db.session.commit()
    assert rollup.total(tree["v3"], world_period("2026-03")).people == before + 1
    account_services.set_active(scene["admin"], people[0], False)
    db.session.commit()
    assert_equals_recount()
