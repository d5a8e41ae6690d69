"""Every report definition on small hand-built data with known answers.

The data goes in through the exam and study services (create, start, save,
submit; add_credit; offline sessions); required-material completion is written
as study_progress rows, the study domain's record of a finished material.
"""
from datetime import date, timedelta

import pytest

from quizapp.reports import rollup
from quizapp.reports.periods import Period

from reportkit import at


@pytest.fixture
def march(world, tree, f):
    """The March 2026 monthly exam (5–20 March) and the people the 应参考 rules are about."""
    people = {
        "a": world.person("pa", tree["v1"]),
        "b": world.person("pb", tree["v1"]),
        "c": world.person("pc", tree["v2"]),
        "late": world.person("plate", tree["v3"], joined=at(2026, 3, 25)),
        "gone_early": world.person("pgone1", tree["v3"]),
        "gone_late": world.person("pgone2", tree["jia"]),
        "lead": world.person("plead", tree["county"], role="leader"),
    }
    exam = world.exam("2026-03")
    world.sit(exam, people["a"], 90)
    world.sit(exam, people["b"], 50)
    world.sit(exam, people["lead"], 70)
    world.deactivate(people["gone_early"], at(2026, 3, 10))
    world.deactivate(people["gone_late"], at(2026, 3, 25))
    world.clock.set(at(2026, 4, 2))
    return {"exam": exam, **people}


def test_exam_figures_follow_the_stated_rules(world, tree, march):
    """应参考 excludes late joiners, those deactivated before the close and administrators; the rates follow."""
    fig = world.figures(tree["county"], "2026-03")
    # a, b, c, the leader, and the one deactivated only after the close (absent).
    assert fig.exam_due == 5
    assert (fig.exam_sat, fig.participation) == (3, 60.0)
    assert (fig.exam_passed, fig.pass_rate) == (2, 66.7)
    assert (fig.exam_excellent, fig.excellent_rate) == (1, 33.3)
    assert fig.average == 70.0
    assert (fig.absent, fig.failed) == (2, 1)


def test_population_of_a_period(world, tree, march):
    """在册 counts everyone who joined before the period ended and was not deactivated before it started."""
    assert world.figures(tree["county"], "2026-03").people == 7  # the March joiner and both deactivated included
    assert world.figures(tree["county"], "2026-02").people == 6  # not yet the March joiner
    assert world.figures(tree["county"], "2026-04").people == 5  # both deactivated in March are gone


def test_completion_rate(world, tree, march):
    """完成率 is the share of people with an obligation who met all of them (here: passed the exam)."""
    fig = world.figures(tree["county"], "2026-03")
    assert (fig.obliged, fig.complete, fig.completion_rate) == (5, 2, 40.0)
    assert fig.incomplete == 3


def test_sub_units_add_up_to_the_total(world, tree, march):
    """Do the direct sub-units plus 本级 (people placed in the unit itself) add up to the subtree?"""
    period = Period.parse("2026-03")
    rollup.refresh(2026)
    buckets = rollup.figures_by_bucket(tree["county"], period)
    assert set(buckets) == {tree["jia"].id, tree["yi"].id, tree["county"].id}
    jia, yi, own = buckets[tree["jia"].id], buckets[tree["yi"].id], buckets[tree["county"].id]
    assert (jia.people, jia.exam_due, jia.exam_sat, jia.exam_passed) == (4, 4, 2, 1)
    assert (yi.people, yi.exam_due) == (2, 0)
    assert (own.people, own.exam_due, own.exam_passed) == (1, 1, 1)
    total = rollup.total(tree["county"], period)
    assert (jia + yi + own).as_dict() == total.as_dict()
    deeper = rollup.figures_by_bucket(tree["county"], period, level=2)
    assert deeper[tree["v1"].id].exam_sat == 2 and tree["county"].id not in deeper


def test_figures_of_a_subtree(world, tree, march):
    """A village's figures count only its own people."""
    fig = world.figures(tree["v1"], "2026-03")
    assert (fig.people, fig.exam_due, fig.exam_sat, fig.exam_passed, fig.average) == (2, 2, 2, 1, 70.0)


@pytest.mark.parametrize("counting, scores, expected, passed", [
    ("best", (80, 60), 80.0, True),
    ("best", (40, 70), 70.0, True),
    ("last", (80, 50), 50.0, False),
    ("last", (40, 70), 70.0, True),
])
def test_best_or_last_attempt(world, tree, counting, scores, expected, passed):
    """Is the score the exam's counting attempt (最高分 or 最后一次)?"""
    person = world.person("ptwice", tree["v1"])
    exam = world.exam("2026-03", counting=counting, attempts=2)
    world.sit(exam, person, scores[0], exam.open_at + timedelta(hours=1))
    world.sit(exam, person, scores[1], exam.open_at + timedelta(hours=3))
    fig = world.figures(tree["v1"], "2026-03")
    assert (fig.exam_due, fig.exam_sat, fig.average) == (1, 1, expected)
    assert fig.exam_passed == (1 if passed else 0)


def test_a_pass_in_makeup_counts_as_passed(world, tree):
    """补考合格 counts as 合格, with the makeup score; a late joiner who sat the 补考 is counted."""
    failed_then_passed = world.person("pmakeup", tree["v1"])
    joined_late = world.person("platemakeup", tree["v2"], joined=at(2026, 3, 21))
    exam = world.exam("2026-03", makeup=(at(2026, 3, 22), at(2026, 3, 28)))
    world.sit(exam, failed_then_passed, 40)
    world.sit(exam, failed_then_passed, 70, at(2026, 3, 23))
    world.sit(exam, joined_late, 80, at(2026, 3, 23))
    fig = world.figures(tree["county"], "2026-03")
    assert (fig.exam_due, fig.exam_sat, fig.exam_passed, fig.exam_makeup) == (2, 2, 2, 2)
    assert fig.average == 75.0
    assert fig.completion_rate == 100.0


def test_audience_by_category_and_shufa(world, tree):
    """An exam for 领导干部 only, or for 述法对象 only, is not expected of anyone else."""
    leading = world.person("plead1", tree["jia"], category="leading")
    shufa = world.person("pshufa", tree["jia"], shufa=True)
    world.person("pplain", tree["jia"])
    world.exam("2026-05", categories=["leading"])
    world.exam("2026-06", shufa_only=True)
    may, june = world.figures(tree["county"], "2026-05"), world.figures(tree["county"], "2026-06")
    assert may.exam_due == 1 and june.exam_due == 1
    rollup.refresh(2026)
    from quizapp.reports import queries

    by_user = queries.facts_for(Period.parse("2026-05"), [leading.id, shufa.id])
    assert by_user[leading.id]["exam_due"] == 1 and shufa.id not in by_user


def test_scores_on_a_hundred_point_scale(world, tree):
    """平均分 and 优秀 use 百分制: 45 of 50 points is 90."""
    person = world.person("pfifty", tree["v1"])
    other = world.person("pfifty2", tree["v1"])
    exam = world.exam("2026-03", points=5)
    world.sit(exam, person, 45)
    world.sit(exam, other, 30)
    fig = world.figures(tree["v1"], "2026-03")
    assert (fig.average, fig.exam_excellent, fig.exam_passed) == (75.0, 1, 2)
    assert fig.bins == [0, 1, 0, 0, 1]


def test_exams_only_count_when_required_and_published(world, tree):
    """Optional (非必考) exams are not 应参考."""
    person = world.person("poptional", tree["v1"])
    exam = world.exam("2026-03", required=False)
    world.sit(exam, person, 80)
    fig = world.figures(tree["county"], "2026-03")
    assert (fig.exam_due, fig.exam_sat) == (0, 0)


def test_study_hours_per_cadre(world, tree, app):
    """学时 adds online reading, practice and offline sessions, 45 minutes a 学时; 人均 divides by 在册."""
    one = world.person("phours1", tree["v1"])
    world.person("phours2", tree["v1"])
    world.credit(one, 90, at(2026, 3, 3), source="material")
    world.credit(one, 45, at(2026, 3, 4), source="practice", category="民法典/婚姻家庭")
    world.credit(one, 45, at(2026, 2, 27), source="law")  # February
    world.offline(tree["v1"], [one], held_on=date(2026, 3, 12), minutes=90)
    fig = world.figures(tree["v1"], "2026-03")
    assert fig.seconds == (90 + 45 + 90) * 60
    assert fig.hours == 5.0 and fig.hours_per_person == 2.5
    assert (fig.online_seconds, fig.offline_seconds, fig.online_months) == ((90 + 45) * 60, 90 * 60, 1)
    assert world.figures(tree["v1"], "2026-Q1").hours == 6.0
    app.config["STUDY_MINUTES_PER_HOUR"] = 40
    assert world.figures(tree["v1"], "2026-03").hours == round(225 / 40, 1)


def test_required_materials(world, tree):
    """必修资料: due in the period, for everyone or for a unit above; joiners and leavers by the due date."""
    a = world.person("pmat1", tree["v1"])
    b = world.person("pmat2", tree["v2"])
    gone = world.person("pmat3", tree["v1"])
    world.person("pmat4", tree["v1"], joined=at(2026, 4, 2))
    everyone = world.material("全员必学", due=date(2026, 3, 31))
    only_v1 = world.material("一村必学", due=date(2026, 3, 15), unit=tree["v1"])
    world.material("五月必学", due=date(2026, 5, 10))
    world.deactivate(gone, at(2026, 3, 20))
    world.complete(a, everyone)
    world.complete(a, only_v1)
    world.complete(b, only_v1)  # not required of b: does not count
    fig = world.figures(tree["county"], "2026-03")
    # a: both; b: the one for everyone; gone: only the one due on 15 March (left before the 31st).
    assert (fig.mat_due, fig.mat_done, fig.material_rate) == (4, 2, 50.0)
    assert (fig.obliged, fig.complete) == (3, 1)
    year = world.figures(tree["county"], "2026")
    assert year.mat_due == 4 + 3  # the May material, for the three still there in May (a, b and the April joiner)


def test_quarter_and_year_are_not_month_sums_for_completion(world, tree):
    """Complete for a quarter means complete in every month of it that had an obligation."""
    person = world.person("pq", tree["v1"])
    january, march_exam = world.exam("2026-01"), world.exam("2026-03")
    world.sit(january, person, 80)
    world.sit(march_exam, person, 30)
    assert world.figures(tree["v1"], "2026-01").completion_rate == 100.0
    assert world.figures(tree["v1"], "2026-03").completion_rate == 0.0
    quarter = world.figures(tree["v1"], "2026-Q1")
    assert (quarter.exam_due, quarter.exam_passed, quarter.completion_rate) == (2, 1, 0.0)
    assert world.figures(tree["v1"], "2026").average == 55.0


def test_trend_and_distribution(world, tree):
    """The monthly trend and the score distribution agree with the months' own figures."""
    people = [world.person(f"ptrend{i}", tree["v1"]) for i in range(4)]
    january, february = world.exam("2026-01"), world.exam("2026-02")
    for person, score in zip(people, (100, 90, 60, 40)):
        world.sit(january, person, score)
    world.sit(february, people[0], 70)
    rollup.refresh(2026)
    trend = rollup.trend(tree["county"], 2026, 3)
    assert [t["figures"].exam_sat for t in trend] == [4, 1, 0]
    assert [t["figures"].participation for t in trend] == [100.0, 25.0, None]
    assert trend[0]["figures"].average == 72.5
    counts = [d["count"] for d in rollup.distribution(rollup.total(tree["county"], Period.parse("2026-01")))]
    assert counts == [1, 1, 0, 0, 2]


def test_moving_unit_moves_the_figures(world, tree, march):
    """People are counted under their current unit: a move carries their results along."""
    march["a"].unit_id = tree["v3"].id
    from quizapp.extensions import db

    db.session.commit()
    assert world.figures(tree["v3"], "2026-03").exam_passed == 1
    assert world.figures(tree["v1"], "2026-03").exam_passed == 0


def test_material_audience(world, tree):
    """A material meant for 领导干部 only, or for one township's units, is required only of those people."""
    leading = world.person("pmlead", tree["v1"], category="leading")
    world.person("pmgen", tree["v1"])
    world.person("pmyi", tree["v3"], category="leading")
    world.material("领导干部必学", due=date(2026, 3, 31), audience_categories=["leading"])
    world.material("甲乡必学", due=date(2026, 3, 31), audience_units=[tree["jia"]])
    world.complete(leading, world.material("全员必学", due=date(2026, 3, 31)))
    fig = world.figures(tree["county"], "2026-03")
    # 领导干部必学: the two 领导干部; 甲乡必学: the two in 甲乡; 全员必学: all three.
    assert (fig.mat_due, fig.mat_done) == (2 + 2 + 3, 1)
