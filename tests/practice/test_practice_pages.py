"""Practising through the pages: start, answer one question per page, feedback, resume, summary, refusals."""
import re
from urllib.parse import quote, unquote

import pytest
import sqlalchemy as sa

from quizapp.bank.models import Question
from quizapp.extensions import db
from quizapp.practice.models import PracticeAnswer, PracticeSession

from practice_helpers import answer, fresh, shown, start


def test_practice_pages_are_in_the_menu_for_people_who_study(f, tree, client):
    """Do cadres, leaders and organisers see 模拟练习 and 错题本 in the menu, and an admin does not?"""
    for login, role in (("c1", "cadre"), ("l1", "leader"), ("o1", "organiser")):
        f.user(login, tree["jia"], role=role)
        client.login(login)
        page = client.get("/").get_data(as_text=True)
        assert 'href="/practice/"' in page and "模拟练习" in page and "错题本" in page
        client.post("/logout")
    client.login("admin01")
    page = client.get("/").get_data(as_text=True)
    assert "模拟练习" not in page
    assert client.get("/practice/").status_code == 404
    assert client.get("/practice/mistakes").status_code == 404


def test_index_shows_the_category_tree_and_laws(f, cadre_client):
    """Can a cadre browse the categories as a tree and pick one (or a law) to practise?"""
    bank = f.bank()
    f.question(bank, category="宪法/国家机构/乡镇人大")
    f.question(bank, category="宪法/总纲")
    f.question(bank, category="民法典/婚姻家庭", law_name="《中华人民共和国民法典》")
    page = cadre_client.get("/practice/").get_data(as_text=True)
    assert "乡镇人大" in page and "国家机构" in page
    links = {unquote(link) for link in re.findall(r'href="/practice/\?category=([^"#]+)#start"', page)}
    assert links == {"宪法", "宪法/国家机构", "宪法/国家机构/乡镇人大", "宪法/总纲", "民法典", "民法典/婚姻家庭"}
    assert "《中华人民共和国民法典》" in page
    chosen = cadre_client.get("/practice/?category=" + quote("宪法/总纲")).get_data(as_text=True)
    assert re.search(r'<option selected value="宪法/总纲">|<option value="宪法/总纲" selected>', chosen)


def test_start_form_refuses_with_a_message(f, cadre_client):
    """Is a choice with no questions refused on the page, in Chinese, without a session?"""
    f.question(f.bank())
    response = cadre_client.post("/practice/start", {"category": "民法典", "law": "", "qtype": "", "count": "10"})
    assert response.status_code == 200
    assert "没有符合条件的题目" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PracticeSession)) == 0


def test_no_key_before_answering_and_full_feedback_after(f, cadre_client, clock):
    """Is the key absent from the question page, and are right/wrong, key, 解析 and legal basis shown after?"""
    bank = f.bank()
    question = f.question(bank, stem="乡、民族乡、镇的人民代表大会每届任期（ ）年。", options=["三", "四", "五", "六"],
                           answer="C", explanation="独一无二的解析文字：宪法第九十八条规定任期五年。",
                           law_article="第九十八条")
    practice = start(cadre_client)
    page = cadre_client.get(f"/practice/{practice.id}").get_data(as_text=True)
    assert question.stem in page and "第 1 / 1 题" in page
    assert "独一无二的解析文字" not in page
    assert "正确答案" not in page and "is-key" not in page and "answer-key" not in page
    assert 'type="radio" name="response" value="C"' in page
    # The feedback page of a question not yet answered never shows it either.
    early = cadre_client.get(f"/practice/{practice.id}/feedback/0")
    assert early.status_code == 302 and early.headers["Location"].endswith(f"/practice/{practice.id}")

    response = answer(cadre_client, practice, 0, "B")
    assert response.headers["Location"].endswith(f"/practice/{practice.id}/feedback/0")
    feedback = cadre_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "回答错误" in feedback
    # The key is given in the letters shown, next to the option text 五.
    assert re.search(rf'class="answer-key">{shown(practice, 0, "C")}<', feedback)
    assert re.search(r'is-key">\s*<b>[A-D]\.</b> 五', feedback)
    assert "独一无二的解析文字" in feedback
    assert "《中华人民共和国宪法》第九十八条" in feedback
    lookup = "/laws/lookup?law=" + quote("《中华人民共和国宪法》", safe="") + "&amp;article=" + quote("第九十八条", safe="")
    assert f'href="{lookup}"' in feedback and "查看法条" in feedback
    assert "本题已记入错题本" in feedback
    assert "查看练习结果" in feedback


def test_judge_and_multiple_choice_answers(f, cadre_client, clock):
    """Are 判断 answered by 正确/错误 and 多选 graded all-or-nothing through checkboxes?"""
    bank = f.bank()
    f.question(bank, qtype="judge", answer="A")
    practice = start(cadre_client, qtype="judge")
    page = cadre_client.get(f"/practice/{practice.id}").get_data(as_text=True)
    assert "正确" in page and "错误" in page and 'type="radio"' in page
    answer(cadre_client, practice, 0, "A")
    feedback = cadre_client.get(f"/practice/{practice.id}/feedback/0").get_data(as_text=True)
    assert "回答正确" in feedback and 'class="answer-key">正确<' in feedback

    f.question(bank, qtype="multiple", answer="ABD", options=["甲", "乙", "丙", "丁"])
    practice = start(cadre_client, qtype="multiple")
    assert 'type="checkbox" name="response"' in cadre_client.get(f"/practice/{practice.id}").get_data(as_text=True)
    answer(cadre_client, practice, 0, ["A", "B"])
    assert "回答错误" in cadre_client.get(f"/practice/{practice.id}/feedback/0").get_data(as_text=True)
    practice = start(cadre_client, qtype="multiple")
    answer(cadre_client, practice, 0, ["D", "A", "B"])
    assert "回答正确" in cadre_client.get(f"/practice/{practice.id}/feedback/0").get_data(as_text=True)


def test_an_empty_answer_is_refused_on_the_page(f, cadre_client):
    """Does submitting without choosing keep the cadre on the question with a Chinese message?"""
    f.question(f.bank())
    practice = start(cadre_client)
    response = cadre_client.post(f"/practice/{practice.id}/answer", {"seq": "0"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "请选择答案" in page and "解析内容" not in page
    assert fresh(practice).position == 0


def test_reload_and_another_device_resume_where_the_cadre_left(f, cadre_client, make_client, clock):
    """After two answers, does a reload (or another phone) show question 3 with the score so far?"""
    f.questions(5, bank=f.bank())
    practice = start(cadre_client, count="5")
    answer(cadre_client, practice, 0, "A")
    answer(cadre_client, practice, 1, "B")
    practice = fresh(practice)
    third = db.session.get(Question, practice.question_ids[2])
    page = cadre_client.get(f"/practice/{practice.id}").get_data(as_text=True)
    assert "第 3 / 5 题" in page and "答对 1 题" in page

    phone = make_client()
    phone.login("gb_practice")
    other = phone.get(f"/practice/{practice.id}").get_data(as_text=True)
    assert third.stem in other and "第 3 / 5 题" in other
    assert f"/practice/{practice.id}" in phone.get("/practice/").get_data(as_text=True)  # listed as unfinished


def test_a_repeated_or_stale_submission_records_one_answer(f, cadre_client, clock):
    """Do a double click and an old tab's resubmission leave exactly one answer per question?"""
    f.questions(3, bank=f.bank())
    practice = start(cadre_client, count="5")
    first = answer(cadre_client, practice, 0, "B")
    again = answer(cadre_client, practice, 0, "A")
    assert first.headers["Location"] == again.headers["Location"]
    practice = fresh(practice)
    assert practice.position == 1
    rows = db.session.scalars(sa.select(PracticeAnswer).where(PracticeAnswer.session_id == practice.id)).all()
    assert [(a.seq, a.response) for a in rows] == [(0, "B")]
    # A submission for a question further ahead is refused and sends the cadre back to the current one.
    ahead = answer(cadre_client, practice, 2, "A")
    assert ahead.headers["Location"].endswith(f"/practice/{practice.id}")
    assert fresh(practice).position == 1


def test_summary_shows_the_score_at_the_end(f, cadre_client, clock):
    """After the last question, does the summary show the score and every question with its key?"""
    bank = f.bank()
    for _ in range(4):
        f.question(bank, answer="A")
    practice = start(cadre_client, count="5")
    for seq, response in enumerate(["A", "A", "B", "A"]):
        answer(cadre_client, practice, seq, response)
    practice = fresh(practice)
    assert practice.finished and (practice.correct_count, practice.position) == (3, 4)
    assert cadre_client.get(f"/practice/{practice.id}").headers["Location"].endswith(f"/{practice.id}/summary")
    summary = cadre_client.get(f"/practice/{practice.id}/summary").get_data(as_text=True)
    assert '<b class="score">75</b>' in summary
    assert summary.count("正确答案") >= 4 and summary.count("答错") >= 1


def test_finishing_early_keeps_unanswered_keys_hidden(f, cadre_client, clock):
    """When a cadre stops early, are unanswered questions listed without their keys or 解析?"""
    bank = f.bank()
    questions = {q.id: q for q in f.questions(3, bank=bank)}
    practice = start(cadre_client, count="5")
    answer(cadre_client, practice, 0, "A")
    cadre_client.post(f"/practice/{practice.id}/finish")
    practice = fresh(practice)
    assert practice.finished and practice.position == 1
    summary = cadre_client.get(f"/practice/{practice.id}/summary").get_data(as_text=True)
    assert "未作答的题目（2）" in summary
    for qid in practice.question_ids[1:]:
        assert questions[qid].stem in summary
        assert questions[qid].explanation not in summary
    assert questions[practice.question_ids[0]].explanation in summary
    # Answering after the end is refused.
    late = answer(cadre_client, practice, 1, "A")
    assert late.headers["Location"].endswith("/summary")
    assert fresh(practice).position == 1


def test_another_cadres_session_is_not_found(f, tree, cadre_client, make_client, clock):
    """Does every page and action of someone else's session answer 404, even for their leader?"""
    f.questions(2, bank=f.bank())
    practice = start(cadre_client, count="5")
    answer(cadre_client, practice, 0, "A")
    f.user("gb_other", tree["v1"])
    f.user("ld_jia", tree["jia"], role="leader")
    for login in ("gb_other", "ld_jia"):
        other = make_client()
        other.login(login)
        base = f"/practice/{practice.id}"
        for url in (base, base + "/feedback/0", base + "/summary"):
            assert other.get(url).status_code == 404, url
        assert other.post(base + "/answer", {"seq": "1", "response": "A"}).status_code == 404
        assert other.post(base + "/finish").status_code == 404
        assert "gb_practice" not in other.get("/practice/history").get_data(as_text=True)
    practice = fresh(practice)
    assert practice.position == 1 and not practice.finished


def test_signed_out_visitors_are_sent_to_sign_in(client):
    """Are signed-out visitors sent to the sign-in page from practice and the 错题本?"""
    for url in ("/practice/", "/practice/mistakes"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_history_lists_sessions(f, cadre_client, clock):
    """Does the history page list the cadre's sessions with progress and a way back in?"""
    f.questions(2, bank=f.bank())
    practice = start(cadre_client, count="5")
    page = cadre_client.get("/practice/history").get_data(as_text=True)
    assert "0 / 2" in page and f'href="/practice/{practice.id}"' in page


@pytest.mark.parametrize("tampered", [{"seq": "x"}, {"seq": ""}])
def test_a_tampered_sequence_is_a_bad_request(f, cadre_client, tampered):
    """Is an answer with a missing or non-numeric sequence a 400 that records nothing?"""
    f.question(f.bank())
    practice = start(cadre_client)
    assert cadre_client.post(f"/practice/{practice.id}/answer", {**tampered, "response": "A"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PracticeAnswer)) == 0
    assert fresh(practice).position == 0


def test_two_simultaneous_submissions_record_one_answer(f, cadre, make_client, clock):
    """Do two tabs submitting the same question at the same moment store one answer and move on once?"""
    import threading

    f.questions(3, bank=f.bank())
    clients = [make_client(), make_client()]
    for c in clients:
        c.login("gb_practice")
    practice = start(clients[0], count="5")
    tokens = [c.csrf_token() for c in clients]
    barrier = threading.Barrier(2)
    statuses = []

    def submit(c, token, response):
        barrier.wait()
        result = c._client.post(f"/practice/{practice.id}/answer",
                                data={"seq": "0", "response": response, "csrf_token": token})
        statuses.append((result.status_code, result.headers.get("Location", "")))

    threads = [threading.Thread(target=submit, args=(c, t, r)) for c, t, r in zip(clients, tokens, "AB")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s for s, _ in statuses) == [302, 302]
    assert all(loc.endswith("/feedback/0") for _, loc in statuses)
    practice = fresh(practice)
    assert practice.position == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PracticeAnswer)
                             .where(PracticeAnswer.session_id == practice.id)) == 1
