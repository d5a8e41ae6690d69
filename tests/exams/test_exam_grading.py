"""The pure rules: deadlines, option shuffling, grading per type and scoring rule, bands, item statistics."""
import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizapp.exams import grading

T0 = datetime(2026, 11, 10, 1, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("limit, extra, close, expected", [
    (60, 0, T0 + timedelta(hours=5), T0 + timedelta(minutes=60)),
    (60, 15, T0 + timedelta(hours=5), T0 + timedelta(minutes=75)),
    (60, 0, T0 + timedelta(minutes=20), T0 + timedelta(minutes=20)),
    (90, 30, T0 + timedelta(minutes=100), T0 + timedelta(minutes=100)),
])
def test_deadline_is_the_earlier_of_limit_and_close(limit, extra, close, expected):
    """Is the deadline min(start + limit + extra minutes, close time)?"""
    assert grading.deadline_for(T0, limit, close, extra) == expected


@pytest.mark.parametrize("seconds, accepted", [(0, True), (10, True), (10.5, False), (60, False), (-300, True)])
def test_saves_accepted_until_deadline_plus_grace(seconds, accepted):
    """Are saves taken up to the deadline plus the grace, and not a moment later?"""
    assert grading.accepts_saves(T0 + timedelta(seconds=seconds), T0, 10) is accepted


@given(st.integers(min_value=2, max_value=8).flatmap(
    lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1), min_size=1), st.integers(0, 2**32))))
def test_shuffled_key_and_responses_map_back_to_the_bank(case):
    """Whatever the shuffle, does the displayed key point at the same option texts as the bank's key?"""
    n, key_indexes, seed = case
    options = [f"选项{i}" for i in range(n)]
    key = "".join(sorted("ABCDEFGH"[i] for i in key_indexes))
    shown, option_map, shown_key = grading.shuffle_options(options, key, random.Random(seed), shuffle=True)
    assert sorted(shown) == sorted(options)
    assert {shown["ABCDEFGH".index(ch)] for ch in shown_key} == {options["ABCDEFGH".index(ch)] for ch in key}
    assert grading.to_bank_letters(shown_key, option_map) == key
    assert grading.to_displayed_letters(key, option_map) == shown_key


def test_no_shuffle_keeps_order():
    """Without shuffling are options, map and key unchanged?"""
    assert grading.shuffle_options(["甲", "乙", "丙"], "B", random.Random(1), shuffle=False) == (["甲", "乙", "丙"], "ABC", "B")


@pytest.mark.parametrize("qtype, key, response, partial, earned, correct", [
    ("single", "B", "B", False, 2, True),
    ("single", "B", "C", False, 0, False),
    ("single", "B", "", False, 0, False),
    ("single", "B", "BC", False, 0, False),  # two letters is no single-choice answer
    ("judge", "A", "A", False, 2, True),
    ("judge", "A", "B", False, 0, False),
    ("multiple", "ABD", "ABD", False, 2, True),
    ("multiple", "ABD", "AB", False, 0, False),  # all-or-nothing: 少选不得分
    ("multiple", "ABD", "AB", True, 1, False),  # partial: 少选得一半分
    ("multiple", "ABD", "ABC", True, 0, False),  # partial: 错选不得分
    ("multiple", "ABD", "ABCD", True, 0, False),  # 多选 counts as wrong
    ("multiple", "ABD", "", True, 0, False),
    ("multiple", "ABD", "dba", False, 2, True),  # normalised letters
])
def test_every_scoring_rule(qtype, key, response, partial, earned, correct):
    """Does each type and 多选 setting give the points the rules say?"""
    assert grading.grade_item(qtype, key, response, 2, partial=partial) == (earned, correct)


@pytest.mark.parametrize("score, band", [(100, "优秀"), (90, "优秀"), (89.5, "良好"), (80, "良好"), (79, "合格"),
                                         (60, "合格"), (59.5, "不合格"), (0, "不合格")])
def test_default_bands(score, band):
    """Do the default bands read 优秀 ≥ 90, 良好 80–89, 合格 60–79, else 不合格?"""
    assert grading.band_for(score, [["优秀", 90], ["良好", 80], ["合格", 60]], 60) == band


def test_custom_bands_and_pass_without_band():
    """With custom bands, is a passing score below every band still 合格?"""
    assert grading.band_for(75, [["优秀", 95]], 70) == "合格"
    assert grading.band_for(96, [["优秀", 95]], 70) == "优秀"


def test_discrimination_and_groups():
    """Is D the upper group's correct rate minus the lower group's, with 27% groups?"""
    assert grading.group_size(100) == 27
    assert grading.group_size(3) == 1
    assert grading.group_size(0) == 0
    assert grading.discrimination_index(9, 10, 2, 10) == 0.7
    assert grading.discrimination_index(1, 10, 5, 10) == -0.4
    assert grading.discrimination_index(1, 0, 1, 1) is None


def test_fast_flag():
    """Is a sitting flagged only when answered faster than seconds-per-question allows?"""
    assert grading.is_implausibly_fast(20, 50, 50, 3)
    assert not grading.is_implausibly_fast(600, 50, 50, 3)
    assert not grading.is_implausibly_fast(5, 50, 0, 3)


def test_formatting():
    assert grading.format_duration(725) == "12分05秒"
    assert grading.format_duration(3725) == "1小时02分"
    assert grading.format_score(88.0) == "88"
    assert grading.format_score(88.5) == "88.5"
