"""Exam rules: attempts, best or last, 补考, overrides, unseen questions first, papers by category or rank,
refusing a blueprint the banks cannot fill, and the edit lock once someone has started."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from examkit import only_attempt
from factories import START
from quizapp.audit.models import AuditEntry
from quizapp.bank.models import Question
from quizapp.common.errors import ServiceError
from quizapp.exams import access, papers, setup, sitting
from quizapp.exams.models import Attempt, AttemptItem, ExamResult
from quizapp.extensions import db


def result_of(exam, person):
    db.session.expire_all()
    return db.session.scalar(sa.select(ExamResult).where(ExamResult.exam_id == exam.id, ExamResult.user_id == person.id))


def test_attempts_limit_and_best_counts(make_exam, f, tree, clock):
    """With 3 attempts and 'best', can a cadre sit three times, is the best kept, and is a fourth refused?"""
    exam = make_exam(attempts_allowed=3, counting="best")  # 5 questions × 20 points
    cadre = f.user("gb1", tree["v1"])
    f.sit(exam, cadre, correct=4)
    f.sit(exam, cadre, correct=2)
    assert result_of(exam, cadre).score == 80
    third = f.sit(exam, cadre, correct=3)
    result = result_of(exam, cadre)
    assert (result.score, result.best_score, result.last_score, result.attempts_used) == (80, 80, 60, 3)
    assert result.band == "良好" and result.passed is True
    assert result.attempt_id != third.id
    with pytest.raises(ServiceError, match="次数已用完"):
        sitting.start_attempt(exam, cadre)


def test_last_attempt_counts_when_set(make_exam, f, tree, clock):
    """With counting 'last', does the last attempt decide score, pass and band even when an earlier one was better?"""
    exam = make_exam(attempts_allowed=2, counting="last")
    cadre = f.user("gb1", tree["v1"])
    f.sit(exam, cadre, correct=5)
    f.sit(exam, cadre, correct=1)
    result = result_of(exam, cadre)
    assert (result.score, result.best_score, result.passed, result.band) == (20, 100, False, "不合格")


def test_window_not_open_yet_and_closed(make_exam, f, tree, clock):
    """Are starts before the window and after the close refused with the reason?"""
    exam = make_exam(open_at=START + timedelta(hours=2), close_at=START + timedelta(hours=5))
    cadre = f.user("gb1", tree["v1"])
    with pytest.raises(ServiceError, match="考试将于"):
        sitting.start_attempt(exam, cadre)
    clock.advance(hours=6)
    with pytest.raises(ServiceError, match="考试已结束"):
        sitting.start_attempt(exam, cadre)


def makeup_exam(make_exam):
    return make_exam(close_at=START + timedelta(days=1), makeup_enabled=True,
                     makeup_open_at=START + timedelta(days=2), makeup_close_at=START + timedelta(days=3),
                     makeup_attempts=1)


def test_makeup_round_only_for_those_who_did_not_pass(make_exam, f, tree, clock):
    """In the 补考 window, may a failed or absent cadre sit once more, and is a passed cadre refused?"""
    exam = makeup_exam(make_exam)
    failed, passed, absent = (f.user(login, tree["v1"]) for login in ("gb1", "gb2", "gb3"))
    f.sit(exam, failed, correct=1)
    f.sit(exam, passed, correct=4)
    clock.advance(days=1, hours=1)  # between the rounds
    for person in (failed, absent):
        with pytest.raises(ServiceError, match="考试将于"):
            sitting.start_attempt(exam, person)
    clock.advance(days=1)
    makeup = f.sit(exam, failed, correct=3, now=clock.now)
    assert makeup.is_makeup is True
    result = result_of(exam, failed)
    assert (result.score, result.passed, result.is_makeup) == (60, True, True)
    with pytest.raises(ServiceError, match="考试已结束"):
        sitting.start_attempt(exam, passed)
    attempt, created = sitting.start_attempt(exam, absent)
    assert created and attempt.is_makeup and attempt.deadline == clock.now + timedelta(minutes=60)
    db.session.commit()
    sitting.submit_attempt(attempt)
    db.session.commit()
    with pytest.raises(ServiceError, match="次数已用完"):
        sitting.start_attempt(exam, absent)


def test_makeup_deadline_capped_by_makeup_close(make_exam, f, tree, clock):
    """Does a 补考 attempt started near the 补考 close end at that close rather than after the full time limit?"""
    exam = makeup_exam(make_exam)
    cadre = f.user("gb1", tree["v1"])
    clock.now = START + timedelta(days=3) - timedelta(minutes=10)
    attempt, _ = sitting.start_attempt(exam, cadre)
    assert attempt.deadline == START + timedelta(days=3)


def test_overrides_extra_time_later_close_extra_attempt_audited(make_exam, f, tree, clock):
    """Do a person's extra minutes, later close and extra attempt apply, with the reason in the audit log?"""
    exam = make_exam(attempts_allowed=1, close_at=START + timedelta(hours=3))
    cadre = f.user("gb1", tree["v1"])
    other = f.user("gb2", tree["v1"])
    admin = tree["admin"]
    setup.save_override(admin, exam, cadre, extra_minutes=30, close_at=START + timedelta(days=1),
                           extra_attempts=1, reason="住院，县司法局批准延期")
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "exam.override"))
    assert "住院" in entry.summary and cadre.login in entry.summary
    clock.advance(hours=5)  # past the exam's close, inside the person's
    with pytest.raises(ServiceError, match="考试已结束"):
        sitting.start_attempt(exam, other)
    attempt, _ = sitting.start_attempt(exam, cadre)
    assert attempt.deadline == clock.now + timedelta(minutes=90)
    db.session.commit()
    sitting.submit_attempt(attempt)
    second, created = sitting.start_attempt(exam, cadre)
    assert created and second.attempt_no == 2
    db.session.commit()
    sitting.submit_attempt(second)
    with pytest.raises(ServiceError, match="次数已用完"):
        sitting.start_attempt(exam, cadre)


def test_override_during_a_sitting_extends_it(make_exam, f, tree, clock):
    """Do extra minutes granted while someone is sitting extend their running attempt's deadline?"""
    exam = make_exam(time_limit=30)
    cadre = f.user("gb1", tree["v1"])
    attempt, _ = sitting.start_attempt(exam, cadre)
    db.session.commit()
    setup.save_override(tree["admin"], exam, cadre, extra_minutes=15, reason="网络故障中断")
    db.session.commit()
    assert only_attempt(exam, cadre).deadline == START + timedelta(minutes=45)


@pytest.mark.parametrize("kwargs, message", [
    ({"reason": ""}, "原因"),
    ({"reason": "x", "extra_minutes": -5}, "延长时间"),
    ({"reason": "x", "close_at": START}, "个人截止时间"),
])
def test_override_problems(make_exam, f, tree, clock, kwargs, message):
    """Are impossible or unexplained 特殊安排 refused with a message naming the problem?"""
    exam = make_exam()
    cadre = f.user("gb1", tree["v1"])
    with pytest.raises(ServiceError, match=message):
        setup.save_override(tree["admin"], exam, cadre, **kwargs)


def test_override_refused_outside_audience(make_exam, f, tree, clock):
    """Is a 特殊安排 for someone outside the exam's audience refused?"""
    exam = make_exam()
    stranger = f.user("yi1", tree["v3"])
    with pytest.raises(ServiceError, match="参考范围"):
        setup.save_override(tree["admin"], exam, stranger, extra_minutes=5, reason="x")


def test_unseen_questions_come_first(make_exam, f, tree, clock):
    """On a second attempt, are questions not seen before drawn first?"""
    f.questions(10, qtype="judge")  # exactly twice the paper
    exam = make_exam(rules=[("judge", 5)], points={"judge": 20}, attempts_allowed=2, fill=False)
    cadre = f.user("gb1", tree["v1"])
    first = f.sit(exam, cadre, correct=5)
    second, _ = sitting.start_attempt(exam, cadre)
    seen = {i.question_id for i in first.items}
    assert seen.isdisjoint({i.question_id for i in second.items})


def test_questions_and_options_shuffled_per_cadre_but_keys_follow(make_exam, f, tree, clock):
    """Do cadres get their own order, with each displayed key pointing at the bank's correct option text?"""
    f.questions(10, qtype="single")
    exam = make_exam(rules=[("single", 10)], points={"single": 10}, fill=False)
    orders, option_orders = set(), set()
    for n in range(4):
        person = f.user(f"gb{n}", tree["v1"])
        attempt, _ = sitting.start_attempt(exam, person)
        db.session.commit()
        orders.add(tuple(i.question_id for i in attempt.items))
        for item in attempt.items:
            question = db.session.get(Question, item.question_id)
            assert item.options[ord(item.key) - 65] == question.options[ord(question.answer) - 65]
            option_orders.add(tuple(item.options))
    assert len(orders) > 1
    assert len(option_orders) > 10


def test_judge_options_never_shuffled(make_exam, f, tree, clock):
    """With option shuffling on, does every 判断题 still read 正确 then 错误?"""
    exam = make_exam(rules=[("judge", 5)], points={"judge": 20})
    attempt, _ = sitting.start_attempt(exam, f.user("gb1", tree["v1"]))
    assert exam.shuffle_options and [item.options for item in attempt.items] == [["正确", "错误"]] * 5


def test_paper_frozen_at_start_ignores_later_bank_edits(make_exam, f, tree, clock):
    """After a bank edit, does a started attempt keep its stem, options and key?"""
    exam = make_exam(rules=[("single", 2)], points={"single": 50})
    cadre = f.user("gb1", tree["v1"])
    attempt, _ = sitting.start_attempt(exam, cadre)
    db.session.commit()
    item = attempt.items[0]
    question = db.session.get(Question, item.question_id)
    stem, options, key = item.stem, list(item.options), item.key
    question.stem, question.options, question.answer = "改过的题干", ["甲", "乙", "丙", "丁"], "D"
    db.session.commit()
    db.session.expire_all()
    fresh = db.session.get(AttemptItem, item.id)
    assert (fresh.stem, fresh.options, fresh.key) == (stem, options, key)


def test_variant_by_category_and_rank(make_exam, f, tree, clock):
    """Do 领导干部 get their paper, 正科 rank its own, and everyone else the default one?"""
    exam = make_exam(rules=[("single", 2)], points={"single": 50}, publish=False)
    admin = tree["admin"]
    hard = papers.save_variant(admin, exam, None, name="领导干部卷", mode="blueprint", categories=["leading"],
                                 ranks=[], points={"judge": 50})
    f.questions(3, qtype="judge")
    papers.add_rule(admin, exam, hard, qtype="judge", count=2)
    ranked = papers.save_variant(admin, exam, None, name="正科卷", mode="blueprint", categories=[],
                                   ranks=["zhengke"], points={"multiple": 50})
    f.questions(3, qtype="multiple")
    papers.add_rule(admin, exam, ranked, qtype="multiple", count=2)
    setup.publish(admin, exam)
    db.session.commit()
    leader = f.user("ld1", tree["v1"], category="leading", rank="zhengke")
    chief = f.user("zk1", tree["v1"], rank="zhengke")
    plain = f.user("gb1", tree["v1"])
    assert {i.qtype for i in sitting.start_attempt(exam, leader)[0].items} == {"judge"}
    assert {i.qtype for i in sitting.start_attempt(exam, chief)[0].items} == {"multiple"}
    assert {i.qtype for i in sitting.start_attempt(exam, plain)[0].items} == {"single"}


def test_blueprint_the_banks_cannot_fill_is_refused_naming_the_rule(make_exam, tree, clock, f):
    """Is a rule asking for more questions than the banks hold refused, naming the rule and the shortfall?"""
    exam = make_exam(rules=[("single", 2)], points={"single": 50}, publish=False)
    f.questions(3, qtype="judge", category="宪法/国家机构")
    with pytest.raises(ServiceError) as refused:
        papers.add_rule(tree["admin"], exam, exam.variants[0], qtype="judge", count=10, category="宪法")
    message = refused.value.messages[0]
    assert "第 2 条规则" in message and "判断题 10 道" in message and "分类“宪法”" in message and "只有 3 道" in message


def test_publish_refuses_when_bank_shrank(make_exam, tree, clock, f):
    """If questions were retired after the rule was added, does publishing name the rule that can no longer be filled?"""
    questions = f.questions(4, qtype="single")
    exam = make_exam(rules=[("single", 4)], points={"single": 25}, publish=False, fill=False)
    questions[0].status = "retired"
    db.session.commit()
    with pytest.raises(ServiceError) as refused:
        setup.publish(tree["admin"], exam)
    assert any("第 1 条规则" in m and "还差 1 道" in m for m in refused.value.messages)


def test_publish_refuses_wrong_total(make_exam, tree, clock):
    """Is publishing refused, with both figures, when the paper's total differs from the full marks?"""
    exam = make_exam(rules=[("single", 2)], points={"single": 20}, publish=False, full_marks=100)
    with pytest.raises(ServiceError, match="总分为 40 分，应等于满分 100 分"):
        setup.publish(tree["admin"], exam)


def test_system_and_unit_banks_usable_by_subtree_only(make_exam, tree, clock, f):
    """Can an exam of 甲乡 draw from a county bank and a system bank, but not from 乙乡's bank?"""
    exam = make_exam(owner=tree["jia"], rules=[("single", 1)], points={"single": 100}, publish=False)
    county_bank = f.bank("县题库", tree["county"])
    yi_bank = f.bank("乙乡题库", tree["yi"])
    f.questions(2, qtype="judge", bank=county_bank)
    f.questions(5, qtype="judge", bank=yi_bank)
    with pytest.raises(ServiceError, match="只有 2 道"):
        papers.add_rule(tree["admin"], exam, exam.variants[0], qtype="judge", count=3)
    with pytest.raises(ServiceError, match="不能用于本单位"):
        papers.add_rule(tree["admin"], exam, exam.variants[0], qtype="judge", count=1, bank_id=yi_bank.id)


def test_fixed_paper(make_exam, f, tree, clock):
    """Does a fixed paper give everyone exactly the chosen questions?"""
    exam = make_exam(rules=[("single", 1)], points={"single": 100}, publish=False)
    variant = exam.variants[0]
    chosen = f.questions(2, qtype="single") + f.questions(1, qtype="judge")
    papers.save_variant(tree["admin"], exam, variant, name="固定卷", mode="fixed", categories=[], ranks=[],
                          points={"single": 40, "judge": 20})
    papers.add_fixed_questions(tree["admin"], exam, variant, [q.id for q in chosen])
    setup.publish(tree["admin"], exam)
    db.session.commit()
    attempt, _ = sitting.start_attempt(exam, f.user("gb1", tree["v1"]))
    assert sorted(i.question_id for i in attempt.items) == sorted(q.id for q in chosen)
    assert attempt.max_score == 100


def test_edit_locked_after_someone_started(make_exam, f, tree, clock):
    """After a start, is everything but the close times and description refused, with the reason?"""
    exam = make_exam()
    sitting.start_attempt(exam, f.user("gb1", tree["v1"]))
    db.session.commit()
    reason = access.lock_reason(exam)
    assert "已有 1 人次开始作答" in reason
    with pytest.raises(ServiceError, match="只能修改截止时间"):
        setup.update_exam(tree["admin"], exam, {"time_limit": 10})
    with pytest.raises(ServiceError, match="只能修改截止时间"):
        papers.add_rule(tree["admin"], exam, exam.variants[0], qtype="single", count=1)
    with pytest.raises(ServiceError, match="只能修改截止时间"):
        setup.unpublish(tree["admin"], exam)
    setup.update_exam(tree["admin"], exam, {"close_at": START + timedelta(days=5)})
    db.session.commit()
    assert exam.close_at == START + timedelta(days=5)
    assert db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.action == "exam.update")) is not None


def test_audience_by_category_and_shufa(make_exam, f, tree, clock):
    """Does an exam limited to 领导干部 who are 述法对象 reach only them?"""
    exam = make_exam(categories=["leading"], audience_shufa_only=True)
    target = f.user("ld1", tree["v1"], category="leading", shufa=True)
    not_shufa = f.user("ld2", tree["v1"], category="leading")
    general = f.user("gb1", tree["v1"], shufa=True)
    outside = f.user("yi1", tree["v3"], category="leading", shufa=True)
    assert access.in_audience(exam, target)
    assert not any(access.in_audience(exam, p) for p in (not_shufa, general, outside))
    stmt = access.audience_users_stmt(exam)
    assert [u.login for u in db.session.scalars(stmt)] == ["ld1"]
    assert [e.id for e in db.session.scalars(access.exams_for_user_stmt(target))] == [exam.id]
    assert list(db.session.scalars(access.exams_for_user_stmt(general))) == []


@pytest.mark.parametrize("text, bands", [
    ("优秀 90；良好 80；合格 60", [["优秀", 90.0], ["良好", 80.0], ["合格", 60.0]]),
    ("优秀:95, 合格:70分", [["优秀", 95.0], ["合格", 70.0]]),
    ("", []),
])
def test_parse_bands(text, bands):
    """Are grade bands read from the ways organisers write them (；/，, colon or space, with or without 分)?"""
    assert setup.parse_bands(text) == bands


def test_parse_bands_refuses_nonsense():
    """Is text that names no score refused as badly formatted?"""
    with pytest.raises(ServiceError, match="格式不对"):
        setup.parse_bands("优秀很好")


@pytest.mark.parametrize("change, field", [
    ({"period": "2026/11"}, "period"),
    ({"close_at": START - timedelta(days=1)}, "close_at"),
    ({"pass_mark": 120}, "pass_mark"),
    ({"bands": [["优秀", 90], ["合格", 50]]}, "bands"),
    ({"makeup_enabled": True, "makeup_open_at": START, "makeup_close_at": START + timedelta(days=3)}, "makeup_open_at"),
    ({"audience_ids": []}, "audience_ids"),
])
def test_exam_setting_problems(make_exam, tree, clock, change, field):
    """Is each bad setting reported on its own field?"""
    exam = make_exam(publish=False)
    with pytest.raises(ServiceError) as refused:
        setup.update_exam(tree["admin"], exam, {**_values(exam), **change})
    assert field in [f for f, _ in refused.value.problems]


def _values(exam):
    values = {key: getattr(exam, key) for key in setup.EXAM_FIELDS if key not in ("categories", "bands")}
    values.update(categories=exam.categories, bands=exam.bands, audience_ids=[u.id for u in exam.audience_units])
    return values


def test_no_attempt_rows_for_people_outside_audience(make_exam, f, tree, clock):
    """When someone outside the audience tries to start, is it refused without leaving an attempt row behind?"""
    exam = make_exam()
    with pytest.raises(ServiceError, match="参考范围"):
        sitting.start_attempt(exam, f.user("yi1", tree["v3"]))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0
