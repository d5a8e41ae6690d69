"""每日一练: five scheduled questions a day, feedback, the scheduler's plan, study time, exams kept out, streak."""
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from quizapp.engage import daily
from quizapp.engage.models import DailySet, ReviewCard
from quizapp.engage.scheduling import review
from quizapp.extensions import db
from quizapp.practice.models import MistakeEntry
from quizapp.study import materials as study_materials
from quizapp.study.models import StudyCredit

from daily_helpers import answer, answer_all, start

UTC = timezone.utc


# ---------------------------------------------------------------- the scheduling rule

def test_a_miss_comes_back_the_next_day_and_correct_answers_space_out():
    """Does the FSRS rule bring a missed question back after one day and push correct ones further each time?"""
    when = datetime(2026, 12, 7, 2, tzinfo=UTC)
    missed = review(None, False, when)
    assert missed.due - when == timedelta(days=1)
    gaps, state = [], None
    for _ in range(3):
        state = review(state, True, when)
        gaps.append((state.due - when).days)
        when = state.due
    assert gaps[0] >= 2 and gaps[0] < gaps[1] < gaps[2]
    assert state.reviews == 3 and state.lapses == 0
    lapsed = review(state, False, when)
    assert lapsed.lapses == 1 and lapsed.due - when == timedelta(days=1)


@pytest.mark.parametrize("days,today,expected", [
    (set(), date(2026, 12, 7), 0),
    ({date(2026, 12, 6), date(2026, 12, 5)}, date(2026, 12, 7), 2),  # today still to do: the run goes on
    ({date(2026, 12, 7), date(2026, 12, 6)}, date(2026, 12, 7), 2),
    ({date(2026, 12, 7), date(2026, 12, 5)}, date(2026, 12, 7), 1),  # a gap breaks it
    ({date(2026, 12, 5)}, date(2026, 12, 7), 0),
])
def test_streak(days, today, expected):
    """Is the streak the run of done days ending today, or yesterday while today is still open?"""
    assert daily.streak(days, today) == expected


def test_at_most_one_question_of_a_variant_group():
    """Does the day's choice skip a second question of the same 变式组 and keep ungrouped ones?"""
    pairs = [(1, "g1"), (2, "g1"), (3, ""), (4, ""), (5, "g2"), (6, "g2"), (7, "g3")]
    assert daily.one_per_group(pairs, 5) == [1, 3, 4, 5, 7]
    assert daily.one_per_group(pairs, 2) == [1, 3]


# ---------------------------------------------------------------- the day's set

def test_five_questions_once_a_day(f, cadre, cadre_client, clock):
    """Does starting give five questions, and does starting again (another tab) give the same set?"""
    f.questions(8, bank=f.bank())
    first = start(cadre_client)
    assert first.session.total == 5 and len(set(first.session.question_ids)) == 5
    assert first.day == date(2026, 12, 7)
    again = start(cadre_client)
    assert again.id == first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DailySet)) == 1


def test_feedback_shows_explanation_article_link_and_next_review(f, cadre, cadre_client, clock):
    """Does a wrong answer show 回答错误, the 解析, a link to the article and when the question comes back?"""
    f.question(f.bank(), explanation="宪法第二条：一切权力属于人民。", law_article="第二条")
    found = start(cadre_client)
    clock.advance(seconds=50)
    response = answer(cadre_client, found, 0, "B")
    assert response.status_code == 302
    page = cadre_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "回答错误" in page and "宪法第二条：一切权力属于人民。" in page
    assert "/laws/lookup?" in page and "查看法条" in page
    assert "2026年12月08日 再次出现" in page
    question_id = found.session.question_ids[0]
    entry = db.session.scalar(sa.select(MistakeEntry).where(MistakeEntry.user_id == cadre.id))
    assert entry.question_id == question_id and entry.status == "open"
    credited = db.session.scalar(sa.select(sa.func.sum(StudyCredit.seconds)).where(
        StudyCredit.user_id == cadre.id, StudyCredit.source == "practice"))
    assert credited == 50


def test_study_credit_follows_the_honest_time_rule(f, cadre, cadre_client, clock):
    """Is an answer after a long pause credited at most two minutes, and a repeated submission nothing?"""
    f.questions(5, bank=f.bank())
    found = start(cadre_client)
    clock.advance(hours=3)
    answer(cadre_client, found, 0, "A")
    answer(cadre_client, found, 0, "A")
    clock.advance(seconds=30)
    answer(cadre_client, found, 1, "A")
    credited = db.session.scalar(sa.select(sa.func.sum(StudyCredit.seconds)).where(StudyCredit.user_id == cadre.id))
    assert credited == 120 + 30
    assert db.session.scalar(sa.select(sa.func.sum(ReviewCard.reviews)).where(ReviewCard.user_id == cadre.id)) == 2


def test_next_day_brings_the_missed_questions_back_and_new_ones(f, cadre, cadre_client, clock):
    """After a day with two misses, does tomorrow's set hold those two, new questions, and none answered right?"""
    f.questions(12, bank=f.bank())
    day1 = start(cadre_client)
    ids = day1.session.question_ids
    right = set(ids[2:])
    answer_all(cadre_client, day1, right)
    assert db.session.get(DailySet, day1.id).done

    clock.advance(days=1)
    day2 = start(cadre_client)
    assert day2.id != day1.id and day2.day == date(2026, 12, 8)
    chosen = day2.session.question_ids
    assert len(chosen) == 5
    assert set(ids[:2]) <= set(chosen)
    assert not right & set(chosen)
    assert chosen != ids


def test_mistakes_from_practice_join_the_schedule(f, cadre, cadre_client, clock):
    """Does a question missed in ordinary practice get a review card and come up in the next 每日一练?"""
    from quizapp.practice import services as practice

    questions = f.questions(20, bank=f.bank())
    practice.record_outcomes(cadre, [(questions[7].id, False)], "practice", when=clock.now - timedelta(days=2))
    db.session.commit()
    found = start(cadre_client)
    assert questions[7].id in found.session.question_ids
    card = db.session.scalar(sa.select(ReviewCard).where(ReviewCard.question_id == questions[7].id))
    assert card.user_id == cadre.id and card.lapses == 0 and card.reviews == 1
    page = cadre_client.get("/daily/schedule").get_data(as_text=True)
    assert questions[7].stem[:10] in page


def test_questions_of_the_persons_laws_come_first(f, cadre, cadre_client, clock, tree):
    """Are unseen questions on laws of materials meant for the cadre's 人员类别 drawn before others?"""
    bank = f.bank()
    f.questions(10, bank=bank, law_name="《中华人民共和国宪法》")
    mine = {q.id for q in f.questions(5, bank=bank, law_name="《中华人民共和国民法典》", category="民法典")}
    values = study_materials.MaterialInput(title="民法典要点", category="法律法规/民生保障", body="正文",
                                           sources="《中华人民共和国民法典》（2020年5月28日）",
                                           audience_categories=["general"])
    material = study_materials.create_material(None, values, max_pdf_bytes=10_000)
    material.published = True
    db.session.commit()
    assert daily.preferred_laws(cadre) == ["《中华人民共和国民法典》"]
    assert set(start(cadre_client).session.question_ids) == mine


def test_laws_of_papers_made_for_the_persons_rank_come_first(f, tree, clock):
    """Does a leading cadre get the laws of exam papers matched to their 职级 as preferred laws, and a
    cadre of another rank not?"""
    from quizapp.exams.models import PaperRule, PaperVariant

    organiser = f.user("org_rank", tree["jia"], role="organiser")
    bank = f.bank()
    f.questions(3, bank=bank)
    exam = f.exam(organiser, owner=tree["jia"], audience=[tree["jia"]], bank=bank, rules=(("single", 3),),
                  points={"single": 20, "multiple": 20, "judge": 20}, publish=False)
    variant = PaperVariant(exam_id=exam.id, name="领导干部卷", position=1, match_ranks=["zhengke"],
                           points={"single": 20})
    db.session.add(variant)
    db.session.flush()
    db.session.add(PaperRule(variant_id=variant.id, qtype="single", count=1, law_name="《信访工作条例》"))
    db.session.commit()
    leader = f.user("gb_rank", tree["v1"], rank="zhengke")
    other = f.user("gb_rank2", tree["v1"], rank="fuke")
    assert daily.preferred_laws(leader) == ["《信访工作条例》"]
    assert daily.preferred_laws(other) == []


# ---------------------------------------------------------------- exams stay out

def test_never_a_question_of_an_open_or_unreleased_exam(f, cadre, cadre_client, clock, tree):
    """Are the questions of the cadre's open attempt, and of a submitted exam before its review opens, kept out?"""
    organiser = f.user("org_daily", tree["jia"], role="organiser")
    bank = f.bank()
    f.questions(5, bank=bank)
    exam = f.exam(organiser, owner=tree["jia"], audience=[tree["jia"]], bank=bank,
                  rules=(("single", 5),), points={"single": 20, "multiple": 20, "judge": 20})
    f.questions(5, bank=f.bank())
    attempt = f.sit(exam, cadre, submit=False)
    exam_ids = {item.question_id for item in attempt.items}
    hidden = set(db.session.scalars(daily.question_ids_hidden_from(cadre.id, clock.now)))
    assert hidden == exam_ids
    found = start(cadre_client)
    assert found.session.total == 5 and not exam_ids & set(found.session.question_ids)

    # Submitted, but the review opens only when the exam closes: still hidden.
    from quizapp.exams import sitting

    sitting.submit_attempt(attempt, clock.now)
    db.session.commit()
    assert set(db.session.scalars(daily.question_ids_hidden_from(cadre.id, clock.now))) == exam_ids
    # Once the exam is over and its answers released, they may be practised.
    later = exam.close_at + timedelta(minutes=1)
    assert not set(db.session.scalars(daily.question_ids_hidden_from(cadre.id, later)))


def test_nothing_to_practise(f, cadre, cadre_client, clock):
    """With no questions at all, does starting say so instead of making an empty set?"""
    response = cadre_client.post("/daily/start")
    assert response.status_code == 302 and response.headers["Location"].endswith("/daily/")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DailySet)) == 0


# ---------------------------------------------------------------- 首页, streak, refusals

def test_home_shows_todays_questions_streak_and_calendar(f, cadre, cadre_client, clock):
    """Does 首页 show the 每日一练 card, today's stems once started, and the streak after done days?"""
    questions = f.questions(20, bank=f.bank())
    page = cadre_client.get("/").get_data(as_text=True)
    assert "每日一练" in page and "开始今日一练" in page and 'data-streak>0<' in page
    for _ in range(2):
        found = start(cadre_client)
        answer_all(cadre_client, found, right={q.id for q in questions})
        clock.advance(days=1)
    found = start(cadre_client)
    page = cadre_client.get("/").get_data(as_text=True)
    assert 'data-streak>2<' in page
    stems = {q.id: q.stem for q in questions}
    assert all(stems[i][:10] in page for i in found.session.question_ids)
    assert page.count('class="done') == 2


def test_a_set_is_only_its_owners(f, cadre, cadre_client, clock, tree, make_client):
    """Can another cadre neither see nor answer someone's set (404), and is the page refused to admins?"""
    f.questions(5, bank=f.bank())
    found = start(cadre_client)
    f.user("gb_other", tree["v2"])
    other = make_client()
    other.login("gb_other")
    assert other.get(f"/daily/{found.id}").status_code == 404
    assert other.post(f"/daily/{found.id}/answer", {"seq": "0", "response": "A"}).status_code == 404
    admin = make_client()
    admin.login("admin01")
    assert admin.get("/daily/").status_code == 404
    anonymous = make_client()
    assert anonymous.get("/daily/").status_code == 302
    assert cadre_client.post("/daily/start", csrf=False).status_code in (302, 400)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DailySet)) == 1
