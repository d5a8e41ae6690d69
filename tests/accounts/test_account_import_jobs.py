"""An account file over ACCOUNT_IMPORT_JOB_ROWS is applied by a background job: progress to the total, every account
or none, the same 导入完成 page and 账号通知单 as a small import — for the person who asked only."""
import io
import re

import sqlalchemy as sa

from quizapp import jobs
from quizapp.accounts import importer, services
from quizapp.accounts.models import User
from quizapp.audit.models import AuditEntry
from quizapp.common.errors import ServiceError
from quizapp.extensions import db
from test_import import GOOD, xlsx

ROWS = GOOD + [["王五", "GM0103", "示范县/甲乡/二村两委", "", "", "", "", ""]]


def _preview(client, rows=ROWS):
    page = client.post("/users/import", {"file": (io.BytesIO(xlsx(rows)), "名单.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    return re.search(r'name="token"[^>]*value="([^"]+)"', page).group(1)


def _imported():
    return db.session.scalars(sa.select(User.login).where(User.login.in_([r[1] for r in ROWS]))).all()


def _jobs():
    return db.session.scalars(sa.select(jobs.Job).order_by(jobs.Job.id)).all()


def test_small_file_is_applied_in_the_request(app, client, f, tree):
    """At or under the threshold, does the request import and show the passwords itself, with no job?"""
    app.config["ACCOUNT_IMPORT_JOB_ROWS"] = len(ROWS)
    f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    done = client.post("/users/import/apply", {"token": _preview(client)}).get_data(as_text=True)
    assert "已导入 3 人" in done and len(_imported()) == 3 and _jobs() == []


def test_large_file_is_applied_by_a_job_with_the_slips(app, client, make_client, f, tree):
    """Over the threshold: does the job reach the total, create every account with one audit entry, and lead its
    owner — and no one else — to the passwords and the 账号通知单?"""
    app.config["ACCOUNT_IMPORT_JOB_ROWS"] = 2
    organiser = f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    response = client.post("/users/import/apply", {"token": _preview(client)})
    assert response.status_code == 303 and response.headers["Location"].startswith("/jobs/")
    [job] = _jobs()
    assert (job.kind, job.status, job.done, job.total, job.file_name) == ("accounts.import", "done", 3, 3, None)
    assert sorted(_imported()) == sorted(r[1] for r in ROWS)
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.import")).all()
    assert entry.actor_id == organiser.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已导入 3 个账号" in page and f"/users/import/jobs/{job.id}" in page
    done = client.get(f"/users/import/jobs/{job.id}").get_data(as_text=True)
    assert "已导入 3 人" in done and "名单.xlsx" in done
    passwords = re.findall(r"<code>([a-z0-9]{9})</code>", done)
    assert len(passwords) == 3
    zhang = db.session.scalar(sa.select(User).where(User.login == "13800000001"))
    assert any(services.authenticate("13800000001", p) == zhang for p in passwords)
    entries = re.search(r'name="entries" type="hidden" value="([^"]+)"', done).group(1)
    slips = client.post("/users/slips", {"entries": entries, "pdf": "1"})
    assert slips.status_code == 200 and slips.mimetype == "application/pdf"
    assert client.get(f"/jobs/{job.id}/file").status_code == 404  # the passwords are not a raw download

    f.user("org02", tree["jia"], role="organiser")
    other = make_client()
    other.login("org02")
    for url in (f"/jobs/{job.id}", f"/jobs/{job.id}/file", f"/users/import/jobs/{job.id}"):
        assert other.get(url).status_code == 404, url


def test_double_click_queues_one_job(app, client, f, tree):
    """Does a second 确认导入 with the same token create no second job and no account twice?"""
    app.config["ACCOUNT_IMPORT_JOB_ROWS"] = 2
    f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    token = _preview(client)
    client.post("/users/import/apply", {"token": token})
    again = client.post("/users/import/apply", {"token": token}, follow_redirects=True)
    assert again.status_code == 200 and len(_jobs()) == 1 and len(_imported()) == 3


def test_failed_job_imports_nothing_and_says_why(app, client, f, tree, monkeypatch):
    """When the last account is refused, are the first two not kept either, and is the reason on the job page?"""
    app.config["ACCOUNT_IMPORT_JOB_ROWS"] = 2
    f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    token = _preview(client)
    real = importer.create_user

    def refuse_wang(actor, values, **kw):
        if values["login"] == "GM0103":
            raise ServiceError([("login", "登录名已被占用")])
        return real(actor, values, **kw)

    monkeypatch.setattr(importer, "create_user", refuse_wang)
    response = client.post("/users/import/apply", {"token": token})
    [job] = _jobs()
    assert job.status == "failed" and _imported() == []
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.import")) is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "未导入任何账号：" in page and "第 4 行：登录名已被占用" in page
    assert client.get(f"/users/import/jobs/{job.id}").status_code == 404
