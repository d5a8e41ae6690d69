"""Drawing papers with 案例分析 cases and variant groups: a case comes whole, together and worth its rule's points;
a paper takes at most one question of a variant group; 不定项 earns half for a correct subset."""
import random

import pytest
import sqlalchemy as sa

from quizapp.common.errors import ServiceError
from quizapp.exams import grading, papers, sitting
from quizapp.exams.models import AttemptItem
from quizapp.extensions import db


@pytest.fixture
def cadre(f, tree):
    return f.user("gb_case", tree["v1"])


def test_case_is_drawn_whole_after_the_stand_alone_questions(f, tree, cadre, clock):
    """Does a 案例分析 rule bring every sub-question of one case, together, last, sharing the case's points?"""
    f.questions(4, qtype="single")
    sub_questions = f.case(size=3)
    f.case(size=2)
    exam = f.exam(tree["admin"], owner=tree["county"], audience=[tree["jia"]],
                  rules=(("single", 2), ("case", 1)), points={"single": 20, "case": 60})
    assert exam.full_marks == 100 and papers.variant_problems(exam, exam.variants[0]) == []
    attempt, _ = sitting.start_attempt(exam, cadre, clock())
    items = db.session.scalars(sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
                               .order_by(AttemptItem.position)).all()
    assert [i.qtype for i in items[:2]] == ["single", "single"] and all(not i.case_text for i in items[:2])
    cased = items[2:]
    assert len({i.case_text for i in cased}) == 1 and cased[0].case_text
    assert len(cased) in (2, 3) and sum(i.points for i in items) == pytest.approx(100)
    assert all(i.points == pytest.approx(60 / len(cased)) for i in cased)
    if len(cased) == 3:
        assert [i.question_id for i in cased] == [q.id for q in sub_questions]


def test_stand_alone_rules_never_take_a_case_sub_question(f, tree):
    """Does a 单选 rule draw only stand-alone 单选, never a case's 单选 sub-question?"""
    f.case(size=2, qtypes=("single",))
    f.questions(1, qtype="single")
    with pytest.raises(ServiceError, match="只有 1 道"):
        f.exam(tree["admin"], owner=tree["county"], audience=[tree["jia"]], rules=(("single", 2),),
               points={"single": 50})


def test_a_paper_takes_at_most_one_question_of_a_variant_group(f, tree, cadre):
    """Across many draws, is there never more than one question of the 变式组 on one paper?"""
    grouped = f.questions(3, qtype="single", variant_group="xianfa-renqi")
    f.questions(2, qtype="single")
    exam = f.exam(tree["admin"], owner=tree["county"], audience=[tree["jia"]], rules=(("single", 3),),
                  points={"single": 10})
    grouped_ids = {q.id for q in grouped}
    seen_grouped = set()
    for seed in range(25):
        drawn = papers.draw_questions(exam, exam.variants[0], cadre, random.Random(seed))
        ids = [q.id for q in drawn]
        assert len(ids) == 3 and len(set(ids) & grouped_ids) == 1
        seen_grouped |= set(ids) & grouped_ids
    assert seen_grouped == grouped_ids  # each variant gets its turn


def test_variant_groups_count_once_when_checking_a_rule(f, tree):
    """Is a rule refused when, counting a variant group once, the banks hold too few questions?"""
    f.questions(4, qtype="single", variant_group="one-fact")
    f.questions(1, qtype="single")
    with pytest.raises(ServiceError, match="同一变式组只算一道"):
        f.exam(tree["admin"], owner=tree["county"], audience=[tree["jia"]], rules=(("single", 3),),
               points={"single": 10})


@pytest.mark.parametrize("response, earned, correct", [("ACD", 4, True), ("AD", 2, False), ("ABD", 0, False)])
def test_indefinite_items_are_graded_by_their_type(response, earned, correct):
    """Does an exam item of type 不定项 earn full, half or nothing, also when the exam scores 多选 all-or-nothing?"""
    assert grading.grade_item("indefinite", "ACD", response, 4, partial=False) == (earned, correct)


def test_cadre_sits_a_paper_with_a_case_and_indefinite_questions(client, make_client, f, tree, clock):
    """Can a cadre open the paper (case material shown once, checkboxes for 不定项), answer through the API,
    get per-sub-question scores, and does the organiser's item statistics list the new types?"""
    f.questions(3, qtype="indefinite", answer="ABC", options=None)
    f.case(size=2, qtypes=("single", "indefinite"), text="牧民扎西在乡政府门前的草场上放牧时与人发生争执。")
    exam = f.exam(tree["admin"], owner=tree["jia"], audience=[tree["jia"]],
                  rules=(("indefinite", 2), ("case", 1)), points={"indefinite": 10, "case": 20},
                  review_policy="immediate")
    cadre = f.user("gb_paper", tree["v1"])
    attempt, _ = sitting.start_attempt(exam, cadre, clock())
    db.session.commit()
    client.login("gb_paper")
    page = client.get(f"/exams/attempts/{attempt.id}").get_data(as_text=True)
    assert page.count("牧民扎西在乡政府门前") == 1 and "案例分析" in page and 'type="checkbox"' in page
    state = client.get(f"/api/exams/attempts/{attempt.id}/state").get_json()
    items = state["items"]
    assert [i["qtype"] for i in items] == ["indefinite", "indefinite", "single", "indefinite"]
    assert [bool(i["case_text"]) for i in items] == [False, False, True, True]
    assert [i["several"] for i in items] == [True, True, False, True]
    keys = {i.position: i.key for i in attempt.items}
    answers = [{"position": 1, "response": keys[1], "seq": 1},  # full
               {"position": 2, "response": keys[2][:1], "seq": 1},  # a correct subset: half
               {"position": 3, "response": keys[3], "seq": 1},
               {"position": 4, "response": "", "seq": 1}]
    assert client.post(f"/api/exams/attempts/{attempt.id}/answers", json={"answers": answers}).status_code == 200
    assert client.post(f"/api/exams/attempts/{attempt.id}/submit", json={}).status_code == 200
    db.session.expire_all()
    earned = [i.earned for i in sorted(db.session.get(type(attempt), attempt.id).items, key=lambda i: i.position)]
    assert earned == [10, 5, 10, 0]
    f.user("zz_stats", tree["jia"], role="organiser")
    organiser = make_client()
    organiser.login("zz_stats")
    clock.advance(days=3)
    stats = organiser.get(f"/manage/exams/{exam.id}/stats").get_data(as_text=True)
    assert "不定项选择题 · 第" in stats and "单选题 · 案例 CASE-" in stats


def test_demo_paper_has_cases_and_indefinite_once_the_banks_hold_them(f, tree):
    """Does the demo pick the monthly template with 案例分析 and 不定项 when the system banks can fill it,
    the plain one before, and does that paper check clean at 100 points?"""
    from quizapp.exams import demo, setup

    for qtype, count in (("single", 20), ("multiple", 6), ("judge", 10)):
        f.questions(count, qtype=qtype)
    assert demo.choose_template()[0]["points"].get("case") is None
    f.questions(4, qtype="indefinite")
    f.case(size=2)
    f.case(size=3)
    template, short = demo.choose_template()
    assert short == [] and template["points"]["case"] == 10
    exam = f.exam(tree["admin"], owner=tree["county"], audience=[tree["jia"]], rules=(("single", 1),),
                  points={"single": 100}, publish=False)
    assert papers.apply_template(tree["admin"], exam, exam.variants[0], template) == []
    assert papers.variant_total(exam.variants[0]) == 100
    setup.publish(tree["admin"], exam)
