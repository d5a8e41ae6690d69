"""The 错题本: wrong answers land there, two correct in a row take them out, exams feed it, 重做 works."""
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from quizapp.extensions import db
from quizapp.practice import services
from quizapp.practice.models import MistakeEntry, PracticeSession

from practice_helpers import answer, start


def entry_of(user, question):
    db.session.expire_all()
    return db.session.scalar(sa.select(MistakeEntry).where(
        MistakeEntry.user_id == user.id, MistakeEntry.question_id == question.id))


def redo_one(client, question, response):
    """重做此题 from the 错题本 and answer it; returns the feedback page."""
    response_ = client.post("/practice/mistakes/redo", {"question_id": str(question.id)})
    assert response_.status_code == 302
    session_id = int(re.search(r"/practice/(\d+)$", response_.headers["Location"]).group(1))
    practice = db.session.get(PracticeSession, session_id)
    assert practice.kind == "redo" and practice.question_ids == [question.id]
    location = answer(client, practice, 0, response).headers["Location"]
    return client.get(location).get_data(as_text=True)


def test_wrong_in_practice_lands_in_the_book_and_two_corrects_take_it_out(f, cadre, cadre_client, clock):
    """Does a missed question show in the 错题本, stay after one correct redo, and leave after the second?"""
    question = f.question(f.bank(), stem="村民委员会每届任期（ ）年。", answer="C")
    practice = start(cadre_client)
    answer(cadre_client, practice, 0, "A")
    entry = entry_of(cadre, question)
    assert (entry.status, entry.source, entry.wrong_count, entry.correct_streak) == ("open", "practice", 1, 0)
    book = cadre_client.get("/practice/mistakes").get_data(as_text=True)
    assert question.stem in book and "答错 1 次" in book and "来源：练习" in book

    clock.advance(minutes=5)
    first = redo_one(cadre_client, question, "C")
    assert "回答正确" in first and "再答对 1 次即移出" in first
    assert question.stem in cadre_client.get("/practice/mistakes").get_data(as_text=True)
    clock.advance(minutes=5)
    second = redo_one(cadre_client, question, "C")
    assert "本题已移出错题本" in second
    entry = entry_of(cadre, question)
    assert (entry.status, entry.correct_streak, entry.left_at) == ("mastered", 2, clock.now)
    book = cadre_client.get("/practice/mistakes").get_data(as_text=True)
    assert question.stem not in book
    assert question.stem in cadre_client.get("/practice/mistakes?status=mastered").get_data(as_text=True)


def test_a_correct_answer_in_ordinary_practice_also_counts(f, cadre, cadre_client, clock):
    """Do correct answers in ordinary practice (not only 重做) count towards leaving, and a miss reset them?"""
    question = f.question(f.bank(), answer="B")
    for response in ("A", "B", "A", "B"):
        practice = start(cadre_client)
        answer(cadre_client, practice, 0, response)
        clock.advance(minutes=1)
    entry = entry_of(cadre, question)
    assert (entry.status, entry.wrong_count, entry.correct_streak) == ("open", 2, 1)
    practice = start(cadre_client)
    answer(cadre_client, practice, 0, "B")
    assert entry_of(cadre, question).status == "mastered"


def test_record_outcomes_from_exams(f, cadre, clock):
    """Do exam outcomes add misses (source 考试), count a repeated miss, reset the streak, and ignore right answers?"""
    bank = f.bank()
    q1, q2, q3 = f.questions(3, bank=bank)
    services.record_outcomes(cadre, [(q1.id, False), (q2.id, True), (q3.id, False)], "exam")
    db.session.commit()
    assert entry_of(cadre, q2) is None
    first = entry_of(cadre, q1)
    assert (first.source, first.wrong_count, first.status, first.first_wrong_at) == ("exam", 1, "open", clock.now)

    # One correct answer in practice, then the same exam outcome arrives again: one more miss, streak reset.
    services.record_outcomes(cadre, [(q1.id, True)], "practice")
    assert entry_of(cadre, q1).correct_streak == 1
    clock.advance(days=1)
    services.record_outcomes(cadre, [(q1.id, False), (q3.id, False)], "exam")
    db.session.commit()
    again = entry_of(cadre, q1)
    assert (again.wrong_count, again.correct_streak, again.status) == (2, 0, "open")
    assert again.last_wrong_at == clock.now and again.first_wrong_at < clock.now
    assert entry_of(cadre, q3).wrong_count == 2


def test_record_outcomes_applies_a_question_answered_twice_in_order(f, cadre, clock):
    """Within one call, is a question's run of answers applied in the order given?"""
    question = f.question(f.bank())
    states = services.record_outcomes(cadre, [(question.id, False), (question.id, True), (question.id, True)],
                                      "exam")
    assert states[question.id].status == "mastered"
    entry = entry_of(cadre, question)
    assert (entry.status, entry.wrong_count, entry.correct_streak) == ("mastered", 1, 2)
    services.record_outcomes(cadre, [(question.id, False)], "practice")
    back = entry_of(cadre, question)
    assert (back.status, back.wrong_count, back.source) == ("open", 2, "practice")


def test_record_outcomes_is_set_based(f, cadre, clock):
    """Does a 40-question exam cost a fixed handful of statements (one read, one insert, one update)?"""
    ids = [q.id for q in f.questions(40, bank=f.bank())]
    services.record_outcomes(cadre, [(qid, False) for qid in ids[:10]], "exam")
    db.session.commit()
    user_id = cadre.id
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        services.record_outcomes(user_id, [(qid, i % 2 == 0) for i, qid in enumerate(ids)], "exam")
        db.session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 3, statements
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MistakeEntry)) == 10 + 15


def test_record_outcomes_refuses_an_unknown_source(cadre):
    """Is a 错题本 source other than practice or exam refused rather than stored?"""
    with pytest.raises(ValueError, match="unknown 错题本 source: homework"):
        services.record_outcomes(cadre, [(1, False)], "homework")


def test_book_filters_and_counts(f, cadre, cadre_client, clock):
    """Do the category, law and source filters narrow the list, with counts per source?"""
    bank = f.bank()
    constitution = f.question(bank, category="宪法/国家机构", stem="宪法错题")
    civil = f.question(bank, category="民法典/婚姻家庭", law_name="《中华人民共和国民法典》", stem="民法典错题")
    exam_miss = f.question(bank, category="宪法/总纲", stem="考试错题")
    services.record_outcomes(cadre, [(constitution.id, False), (civil.id, False)], "practice")
    services.record_outcomes(cadre, [(exam_miss.id, False)], "exam")
    db.session.commit()

    def listed(query=""):
        page = cadre_client.get("/practice/mistakes" + query).get_data(as_text=True)
        return {stem for stem in ("宪法错题", "民法典错题", "考试错题") if stem in page}, page

    everything, page = listed()
    assert everything == {"宪法错题", "民法典错题", "考试错题"}
    assert re.search(r"<b>3</b><span>未掌握</span>", page) and re.search(r"<b>1</b><span>来自考试</span>", page)
    assert listed("?category=宪法")[0] == {"宪法错题", "考试错题"}
    assert listed("?law=《中华人民共和国民法典》")[0] == {"民法典错题"}
    assert listed("?source=exam")[0] == {"考试错题"}
    assert listed("?source=practice&category=宪法")[0] == {"宪法错题"}


def test_redo_from_a_filtered_book(f, cadre, cadre_client, clock):
    """Does 重做 draw only the filtered open entries, and say so when none can be redone?"""
    bank = f.bank()
    constitution = f.questions(3, bank=bank, category="宪法/总纲")
    civil = f.question(bank, category="民法典/继承")
    services.record_outcomes(cadre, [(q.id, False) for q in [*constitution, civil]], "practice")
    db.session.commit()
    response = cadre_client.post("/practice/mistakes/redo", {"category": "宪法", "count": "10"})
    practice = db.session.get(PracticeSession, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert sorted(practice.question_ids) == sorted(q.id for q in constitution)
    page = cadre_client.get(f"/practice/{practice.id}").get_data(as_text=True)
    assert "错题重做" in page and "解析内容" not in page

    refused = cadre_client.post("/practice/mistakes/redo", {"category": "行政执法"})
    assert refused.status_code == 302
    assert "错题本中没有可以重做的题目" in cadre_client.get(refused.headers["Location"]).get_data(as_text=True)


def test_retired_questions_stay_visible_but_are_not_redone(f, cadre, cadre_client, clock):
    """Is a retired question still listed with a note, and left out of 重做?"""
    bank = f.bank()
    retired = f.question(bank, stem="已停用的旧题")
    services.record_outcomes(cadre, [(retired.id, False)], "practice")
    retired.status = "retired"
    db.session.commit()
    page = cadre_client.get("/practice/mistakes").get_data(as_text=True)
    assert "已停用的旧题" in page and "该题已停用" in page
    assert "重做全部错题" not in page and "重做此题" not in page
    refused = cadre_client.post("/practice/mistakes/redo", {"question_id": str(retired.id)})
    assert "已停用的题目不能重做" in cadre_client.get(refused.headers["Location"]).get_data(as_text=True)


def test_removing_by_hand_and_coming_back(f, cadre, cadre_client, clock):
    """Can a cadre take an entry out (移出), and does a new miss bring it back?"""
    question = f.question(f.bank(), stem="移出测试题")
    services.record_outcomes(cadre, [(question.id, False)], "practice")
    db.session.commit()
    entry = entry_of(cadre, question)
    response = cadre_client.post(f"/practice/mistakes/{entry.id}/remove?category=宪法")
    assert response.status_code == 302 and "category=" in response.headers["Location"]
    assert entry_of(cadre, question).status == "removed"
    assert "移出测试题" not in cadre_client.get("/practice/mistakes").get_data(as_text=True)
    services.record_outcomes(cadre, [(question.id, False)], "exam")
    db.session.commit()
    back = entry_of(cadre, question)
    assert (back.status, back.wrong_count, back.source) == ("open", 2, "exam")


def test_another_cadres_book_is_out_of_reach(f, tree, cadre, make_client, clock):
    """Is someone else's entry invisible and its 移出 and 重做 refused?"""
    question = f.question(f.bank(), stem="别人的错题")
    services.record_outcomes(cadre, [(question.id, False)], "practice")
    db.session.commit()
    entry = entry_of(cadre, question)
    f.user("gb_other", tree["v1"])
    other = make_client()
    other.login("gb_other")
    assert "别人的错题" not in other.get("/practice/mistakes").get_data(as_text=True)
    assert other.post(f"/practice/mistakes/{entry.id}/remove").status_code == 404
    refused = other.post("/practice/mistakes/redo", {"question_id": str(question.id)})
    assert refused.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PracticeSession)) == 0
    assert entry_of(cadre, question).status == "open"
