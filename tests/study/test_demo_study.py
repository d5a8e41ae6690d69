"""The demo fills the study pages: shipped materials, required reading this year, a monthly 法治讲堂."""
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.study.models import Material, MaterialRequirement, OfflineAttendance, OfflineSession, StudyCredit


def _counts():
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (Material, MaterialRequirement, OfflineSession, OfflineAttendance, StudyCredit))


def test_demo_study_data_is_idempotent_and_visible(runner, make_client, clock):
    """Does `flask demo` load materials, require some this year and record lectures, the same on a second run?"""
    assert runner.invoke(args=["demo"]).exit_code == 0
    first = _counts()
    materials, required, sessions, attendance, credits = first
    assert materials >= 3 and required == 3 and sessions == 4 and attendance > 0 and credits > 0
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert _counts() == first
    cadre = make_client()
    assert cadre.login("ganbu", "Ganbu@2026").status_code == 302
    page = cadre.get("/study/me").get_data(as_text=True)
    assert "2026年必学资料" in page and "本年度没有必学资料" not in page
    assert "习近平法治思想" in cadre.get("/materials/").get_data(as_text=True)
    organiser = make_client()
    organiser.login("zuzhi", "Zuzhi@2026")
    assert "共开展线下学法活动4期" in organiser.get("/offline/").get_data(as_text=True)
