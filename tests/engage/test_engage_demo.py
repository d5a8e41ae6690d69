"""The demo's 法律明白人 test: certificates earned through the real path, coverage with figures, idempotent."""
import sqlalchemy as sa

from quizapp.engage import legal_aide
from quizapp.engage.demo import TITLE
from quizapp.engage.models import LegalAideCertificate
from quizapp.exams.models import Exam, ExamResult
from quizapp.extensions import db
from quizapp.accounts.models import User


def test_demo_certifies_some_legal_aides_and_coverage_shows_the_rest(runner, app, make_client):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    exam = db.session.scalar(sa.select(Exam).where(Exam.title == TITLE))
    assert exam is not None and exam.categories == ["legal_aide"]
    certificates = db.session.scalars(sa.select(LegalAideCertificate)).all()
    passed = set(db.session.scalars(sa.select(ExamResult.user_id).where(ExamResult.exam_id == exam.id,
                                                                        ExamResult.passed.is_(True))))
    assert certificates and {c.user_id for c in certificates} == passed
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and db.session.scalar(
        sa.select(sa.func.count()).select_from(LegalAideCertificate)) == len(certificates)

    leader = db.session.scalar(sa.select(User).where(User.login == "lingdao"))
    rows = legal_aide.coverage(leader)
    assert len(rows) == 5 and sum(r.trained for r in rows) == len(certificates)
    assert sum(r.trained + len(r.missing) for r in rows) == 15
    client = make_client()
    client.login("lingdao", "Lingdao@2026")
    page = client.get("/legal-aides/coverage").get_data(as_text=True)
    assert "嘎木村两委" in page
