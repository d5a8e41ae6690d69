"""The small pure rules behind practice: categories, credited time, the 错题本 state machine, the category tree."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizapp.practice.services import (MAX_CREDIT_SECONDS, build_tree, credit_seconds, next_state, top_category)

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("category, expected", [
    ("宪法/国家机构/乡镇人大", "宪法"), ("民法典", "民法典"), ("", "综合"), ("/", "综合"), (" 行政执法 /行政处罚", "行政执法"),
])
def test_top_category(category, expected):
    """Is study time filed under the first segment of the question's category, or 综合 without one?"""
    assert top_category(category) == expected


@pytest.mark.parametrize("gap, expected", [
    (timedelta(seconds=0), 0), (timedelta(seconds=45), 45), (timedelta(seconds=119.7), 119),
    (timedelta(minutes=2), MAX_CREDIT_SECONDS), (timedelta(hours=3), MAX_CREDIT_SECONDS), (timedelta(seconds=-30), 0),
])
def test_credit_seconds_is_bounded(gap, expected):
    """Is the credit for one answer the time since the previous one, never negative and at most two minutes?"""
    assert credit_seconds(T0, T0 + gap) == expected


def run(answers, source="practice", state=None):
    for i, correct in enumerate(answers):
        state = next_state(state, correct, source, T0 + timedelta(minutes=i))
    return state


def test_a_correct_answer_alone_adds_nothing():
    """Does a question answered correctly stay out of the book?"""
    assert run([True, True]) is None


def test_wrong_then_two_correct_leaves_the_book():
    """Does a missed question leave after exactly two correct answers in a row?"""
    one = run([False, True])
    assert (one.status, one.correct_streak, one.wrong_count) == ("open", 1, 1)
    two = run([False, True, True])
    assert (two.status, two.correct_streak, two.left_at) == ("mastered", 2, T0 + timedelta(minutes=2))
    assert two.first_wrong_at == T0 and two.last_wrong_at == T0


def test_a_miss_between_corrects_resets_the_streak():
    """Does wrong, right, wrong, right keep the question in the book with the misses counted?"""
    state = run([False, True, False, True])
    assert (state.status, state.correct_streak, state.wrong_count) == ("open", 1, 2)
    assert state.last_wrong_at == T0 + timedelta(minutes=2)


def test_missing_a_mastered_question_brings_it_back_with_the_new_source():
    """Does a question that left come back (from an exam miss) with its history kept?"""
    mastered = run([False, True, True])
    back = next_state(mastered, False, "exam", T0 + timedelta(days=1))
    assert (back.status, back.correct_streak, back.wrong_count, back.source) == ("open", 0, 2, "exam")
    assert back.first_wrong_at == T0 and back.left_at is None
    # While open, a further miss from elsewhere keeps the source it came in with.
    again = next_state(back, False, "practice", T0 + timedelta(days=2))
    assert (again.source, again.wrong_count) == ("exam", 3)


def test_correct_answers_do_not_move_a_closed_entry():
    """Does answering a mastered question correctly change nothing?"""
    mastered = run([False, True, True])
    assert next_state(mastered, True, "practice", T0 + timedelta(days=1)) == mastered


@given(st.lists(st.booleans(), max_size=30))
def test_state_follows_the_answers(answers):
    """For any run of answers: misses are counted, and the question is out exactly when the last two were right."""
    state = run(answers)
    if False not in answers:
        assert state is None
        return
    trailing = len(answers) - 1 - max(i for i, a in enumerate(answers) if not a)
    assert state.wrong_count == answers.count(False)
    assert state.correct_streak == min(trailing, 2)
    assert state.status == ("mastered" if trailing >= 2 else "open")


def test_build_tree_sums_counts_up_the_paths():
    """Does a parent category count every question below it, with the children nested in order?"""
    tree = build_tree([("宪法/国家机构", 3), ("宪法", 1), ("宪法/国家机构/乡镇人大", 2), ("民法典/婚姻家庭", 4)])
    assert [(n["name"], n["count"]) for n in tree] == [("宪法", 6), ("民法典", 4)]
    organs = tree[0]["children"][0]
    assert (organs["path"], organs["count"]) == ("宪法/国家机构", 5)
    assert [(n["path"], n["count"]) for n in organs["children"]] == [("宪法/国家机构/乡镇人大", 2)]
