"""A question file over IMPORT_JOB_ROWS is applied by a background job: progress to the total, the same rows and
audit entry as in the request, nothing twice on a double click, nothing at all when it fails, and only for its owner."""
import sqlalchemy as sa

from bankfiles import GOOD_ROWS, make_xlsx
from quizapp import jobs
from quizapp.audit.models import AuditEntry
from quizapp.bank import importer
from quizapp.bank.models import ImportRecord, Question
from quizapp.bank.rows import COLUMNS
from quizapp.common.uploads import StagedUpload
from quizapp.extensions import db
from test_bank_views import questions_in, token_of, upload


def _jobs():
    return db.session.scalars(sa.select(jobs.Job).order_by(jobs.Job.id)).all()


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _staged_file(client, bank):
    return token_of(upload(client, bank, make_xlsx({"题库": [COLUMNS] + GOOD_ROWS})))


def test_small_file_is_applied_in_the_request(app, client, org, jia_bank):
    """At or under the threshold, is the file imported by the request itself, with no job?"""
    app.config["IMPORT_JOB_ROWS"] = len(GOOD_ROWS)
    client.login("org_jia")
    response = client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": _staged_file(client, jia_bank)})
    assert response.headers["Location"].startswith("/banks/imports/")
    assert len(questions_in(jia_bank)) == 3 and _jobs() == []


def test_large_file_is_applied_by_a_job(app, client, org, jia_bank):
    """Over the threshold, does the organiser land on a job page that reaches the total, with the rows, the
    import record, the audit entry and links to the bank?"""
    app.config["IMPORT_JOB_ROWS"] = 2
    client.login("org_jia")
    response = client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": _staged_file(client, jia_bank)})
    assert response.status_code == 303 and response.headers["Location"].startswith("/jobs/")
    [job] = _jobs()
    assert (job.kind, job.status, job.done, job.total) == ("bank.import", "done", 3, 3)
    assert len(questions_in(jia_bank)) == 3
    record = db.session.scalar(sa.select(ImportRecord))
    assert record.accepted == 3 and record.imported_by_id == org.id
    assert {q.import_id for q in questions_in(jia_bank)} == {record.id}
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "bank.import")).actor_id == org.id
    assert _count(StagedUpload) == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-status="done"' in page and "已导入 3 道试题" in page
    assert f"/banks/{jia_bank.id}/imports" in page and "3</span> / <span id=\"job-total\">3" in page


def test_double_click_queues_one_job(app, client, org, jia_bank):
    """Does a second 确认导入 with the same token import nothing more and queue no second job?"""
    app.config["IMPORT_JOB_ROWS"] = 2
    client.login("org_jia")
    token = _staged_file(client, jia_bank)
    client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token})
    again = client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token}, follow_redirects=True)
    assert again.status_code == 200 and len(_jobs()) == 1 and len(questions_in(jia_bank)) == 3


def test_claimed_file_is_refused_a_second_time_before_the_job_ran(app, client, org, jia_bank):
    """While the job is still queued, is a second click refused rather than queued again?"""
    app.config["IMPORT_JOB_ROWS"] = 2
    client.login("org_jia")
    token = _staged_file(client, jia_bank)
    staged = db.session.scalar(sa.select(StagedUpload))
    staged.purpose = "bank:job"  # as the first click leaves it until the worker gets to it
    db.session.commit()
    response = client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token}, follow_redirects=True)
    assert "预检结果已失效" in response.get_data(as_text=True) and _jobs() == []


def test_failed_job_imports_nothing_and_says_why(app, client, org, jia_bank, monkeypatch):
    """When the database refuses the second chunk, is nothing imported (not even the first chunk), no record or
    audit entry kept, and the reason shown in Chinese?"""
    app.config["IMPORT_JOB_ROWS"] = 2
    monkeypatch.setattr(importer, "INSERT_CHUNK", 1)
    real, calls = importer._insert_chunk, []

    def second_collides(rows, constant):
        calls.append(len(rows))
        if len(calls) == 2:
            raise sa.exc.IntegrityError("INSERT", {}, Exception("uq_questions_bank_fingerprint"))
        real(rows, constant)

    monkeypatch.setattr(importer, "_insert_chunk", second_collides)
    client.login("org_jia")
    response = client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": _staged_file(client, jia_bank)})
    [job] = _jobs()
    assert job.status == "failed" and calls == [1, 1]
    assert _count(Question) == 0 and _count(ImportRecord) == 0
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "bank.import")) is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-status="failed"' in page and "未导入任何试题：题库在此期间被修改" in page
    assert f"/banks/{jia_bank.id}/import" in page


def test_another_organiser_cannot_see_the_job(app, client, make_client, org, other_org, jia_bank):
    """Is the job page someone else's 404?"""
    app.config["IMPORT_JOB_ROWS"] = 2
    client.login("org_jia")
    location = client.post(f"/banks/{jia_bank.id}/import/apply",
                           data={"token": _staged_file(client, jia_bank)}).headers["Location"]
    other = make_client()
    other.login("org_yi")
    assert other.get(location).status_code == 404 and other.get(location + "/file").status_code == 404
