"""Which questions a practice session draws: bank scope, status, category, law, type and count."""
import pytest

from quizapp.common.errors import ServiceError
from quizapp.extensions import db
from quizapp.practice import services


def drawn(user, **choices):
    choices.setdefault("count", 50)
    practice, _ = services.start_session(user, **choices)
    db.session.commit()
    return set(practice.question_ids)


def test_only_banks_of_the_cadres_unit_and_above_are_used(f, tree, cadre):
    """Does a cadre in 一村 draw from system, county, 甲乡 and own-village banks, never from 乙乡 or 二村?"""
    usable = {
        f.question(f.bank("系统题库")).id,
        f.question(f.bank("县题库", tree["county"])).id,
        f.question(f.bank("甲乡题库", tree["jia"])).id,
        f.question(f.bank("一村题库", tree["v1"])).id,
    }
    foreign = {
        f.question(f.bank("乙乡题库", tree["yi"])).id,
        f.question(f.bank("三村题库", tree["v3"])).id,
        f.question(f.bank("二村题库", tree["v2"])).id,
    }
    for _ in range(3):
        ids = drawn(cadre)
        assert ids == usable
        assert not ids & foreign
    assert services.practisable_count(cadre) == 4


def test_retired_and_ungradable_questions_are_not_drawn(f, cadre):
    """Are retired questions left out of practice?"""
    bank = f.bank()
    active = f.question(bank)
    f.question(bank, status="retired")
    assert drawn(cadre) == {active.id}


def test_category_filter_takes_the_subtree_and_respects_path_boundaries(f, cadre):
    """Does 宪法 include 宪法/国家机构 but not a sibling category that merely starts with the same characters?"""
    bank = f.bank()
    top = f.question(bank, category="宪法")
    organ = f.question(bank, category="宪法/国家机构")
    township = f.question(bank, category="宪法/国家机构/乡镇人大")
    f.question(bank, category="宪法学习")
    f.question(bank, category="民法典/婚姻家庭")
    assert drawn(cadre, category="宪法") == {top.id, organ.id, township.id}
    assert drawn(cadre, category="宪法/国家机构") == {organ.id, township.id}


def test_like_wildcards_in_a_category_are_literal(f, cadre):
    """Is a % or _ in a chosen category matched literally, not as a wildcard?"""
    bank = f.bank()
    literal = f.question(bank, category="专题_2026/第一期")
    f.question(bank, category="专题x2026/第一期")
    assert drawn(cadre, category="专题_2026") == {literal.id}


def test_law_and_type_filters(f, cadre):
    """Do the law and question-type choices narrow the draw, alone and together?"""
    bank = f.bank()
    civil_single = f.question(bank, law_name="《中华人民共和国民法典》", category="民法典/总则")
    civil_judge = f.question(bank, qtype="judge", answer="B", law_name="《中华人民共和国民法典》",
                              category="民法典/总则")
    f.question(bank, law_name="《中华人民共和国宪法》")
    assert drawn(cadre, law="《中华人民共和国民法典》") == {civil_single.id, civil_judge.id}
    assert drawn(cadre, law="《中华人民共和国民法典》", qtype="judge") == {civil_judge.id}


def test_count_is_honoured_and_random(f, cadre):
    """Does a session hold exactly N distinct questions, and do two sessions differ in order or choice?"""
    f.questions(30, bank=f.bank())
    orders = set()
    for _ in range(5):
        practice, requested = services.start_session(cadre, count="10")
        assert (practice.total, requested) == (10, 10)
        assert len(set(practice.question_ids)) == 10
        orders.add(tuple(practice.question_ids))
    assert len(orders) > 1


def test_fewer_questions_than_asked_gives_what_there_is(f, cadre):
    """With 3 matching questions and 20 asked for, does the session hold the 3 (and report the 20 asked)?"""
    made = {q.id for q in f.questions(3, bank=f.bank())}
    practice, requested = services.start_session(cadre, count=20)
    assert (practice.total, requested) == (3, 20)
    assert set(practice.question_ids) == made


@pytest.mark.parametrize("choices, message", [
    ({"count": "7"}, "请选择题数。"),
    ({"count": "abc"}, "请选择题数。"),
    ({"qtype": "essay"}, "请选择题型。"),
    ({"category": "不存在的分类"}, "没有符合条件的题目"),
])
def test_refusals_are_explained(f, cadre, choices, message):
    """Is an impossible choice refused with a Chinese message, creating nothing?"""
    f.question(f.bank())
    with pytest.raises(ServiceError) as error:
        services.start_session(cadre, **choices)
    assert message in str(error.value)


def test_category_tree_and_law_counts_only_show_usable_questions(f, tree, cadre):
    """Does the browsable tree count only the questions this cadre may practise?"""
    mine = f.bank(unit=tree["jia"])
    f.question(mine, category="宪法/国家机构")
    f.question(mine, category="宪法/总纲")
    f.question(mine, category="宪法/总纲", status="retired")
    f.question(f.bank(unit=tree["yi"]), category="民法典/继承", law_name="《中华人民共和国民法典》")
    tree_ = services.category_tree(cadre)
    assert [(n["name"], n["count"]) for n in tree_] == [("宪法", 2)]
    assert services.law_counts(cadre) == [("《中华人民共和国宪法》", 2)]


def test_one_question_per_variant_group_and_cases_whole(f, cadre):
    """Does a session take one question of a 变式组 and every sub-question of a case, in order, side by side?"""
    bank = f.bank()
    grouped = {q.id for q in f.questions(4, bank=bank, variant_group="cunweihui-renqi")}
    alone = {q.id for q in f.questions(2, bank=bank)}
    case = [q.id for q in f.case(bank, size=3)]
    for _ in range(5):
        practice, _ = services.start_session(cadre, count=50)
        ids = practice.question_ids
        assert len(set(ids) & grouped) == 1 and alone <= set(ids)
        start = ids.index(case[0])
        assert ids[start:start + 3] == case
        db.session.rollback()


def test_practice_shows_options_in_its_own_order_and_grades_in_bank_letters(f, cadre):
    """Is the key not always where the bank puts it, and is a click on the shown key graded right?"""
    bank = f.bank()
    questions = f.questions(12, bank=bank, options=None)
    practice, _ = services.start_session(cadre, count=20)
    shown_keys = set()
    for seq, qid in enumerate(practice.question_ids):
        question = services.question_at(practice, seq)
        shown = services.shown_question(practice, seq, question)
        assert sorted(shown.options) == sorted(question.options)
        shown_keys.add(shown.shown(question.answer))
        answer, _ = services.submit_answer(cadre, practice, seq, shown.shown(question.answer))
        assert answer.correct and answer.response == question.answer
    assert len(shown_keys) > 1 and len(questions) == 12


def test_practise_cases_only(f, cadre):
    """Can a cadre choose 案例分析 and get whole cases, and nothing else?"""
    bank = f.bank()
    f.questions(3, bank=bank)
    case = [q.id for q in f.case(bank, size=3)]
    practice, _ = services.start_session(cadre, qtype="case", count=5)
    assert practice.question_ids == case and practice.label == "案例分析题"
