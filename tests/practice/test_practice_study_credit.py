"""Practice counts as study: each answer credits the time since the previous one, at most two minutes."""
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.study import services as study_services
from quizapp.study.models import StudyCredit

from practice_helpers import answer, start


def test_each_answer_credits_bounded_time(f, cadre, cadre_client, clock, monkeypatch):
    """Is add_credit called per answer with the gap since the last answer (capped at 120 s) and the top category?"""
    calls = []
    real = study_services.add_credit

    def spy(user, source, category, seconds, when=None):
        calls.append((user.id, source, category, seconds, when))
        return real(user, source=source, category=category, seconds=seconds, when=when)

    monkeypatch.setattr(study_services, "add_credit", spy)
    bank = f.bank()
    top = {f.question(bank, category="宪法/国家机构").id: "宪法", f.question(bank, category="民法典").id: "民法典",
           f.question(bank, category="").id: "综合"}
    practice = start(cadre_client, count="5")
    order = practice.question_ids

    clock.advance(seconds=40)
    answer(cadre_client, practice, 0, "A")
    clock.advance(hours=2)  # left the phone on the table
    answer(cadre_client, practice, 1, "A")
    clock.advance(seconds=75)
    answer(cadre_client, practice, 2, "A")
    # A repeated submission credits nothing more.
    answer(cadre_client, practice, 2, "A")

    assert [c[3] for c in calls] == [40, 120, 75]
    assert all(c[0] == cadre.id and c[1] == "practice" for c in calls)
    assert [c[2] for c in calls] == [top[qid] for qid in order]
    assert calls[-1][4] == clock.now


def test_credit_reaches_the_study_roll_up(f, cadre, cadre_client, clock):
    """Does practice time end up in study_credits, in the same transaction as the answer?"""
    f.questions(2, bank=f.bank(), category="宪法/总纲")
    practice = start(cadre_client, count="5")
    clock.advance(seconds=30)
    answer(cadre_client, practice, 0, "A")
    clock.advance(seconds=500)
    answer(cadre_client, practice, 1, "A")
    total = db.session.scalar(sa.select(sa.func.sum(StudyCredit.seconds)).where(
        StudyCredit.user_id == cadre.id, StudyCredit.source == "practice"))
    assert total == 30 + 120
