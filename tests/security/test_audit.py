"""Finding 3: the audit log answers "who did this" — exports, denied access, filters, its own export."""
import io
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest
import sqlalchemy as sa

from quizapp.audit.models import AuditEntry
from quizapp.audit.services import record
from quizapp.extensions import db


def _entries(action=None):
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return db.session.scalars(stmt).all()


@pytest.fixture
def exam_setup(f, tree):
    f.user("org01", tree["jia"], role="organiser")
    cadre = f.user("gb01", tree["v1"])
    f.questions(3)
    f.questions(1, qtype="multiple")
    f.questions(1, qtype="judge")
    exam = f.exam(tree["admin"], owner=tree["county"], audience=[tree["county"]])
    return {"exam": exam, "cadre": cadre, "attempt": f.sit(exam, cadre, correct=3)}


def test_every_export_of_personal_data_or_banks_is_audited(client, f, tree, exam_setup):
    """Do the users, bank, roster, offline-session, 述法 and annual exports each leave one entry naming who took
    which file from where?"""
    bank = f.bank("县题库", tree["county"])
    exam = exam_setup["exam"]
    client.login("admin01")
    year = datetime.now().year
    exports = {
        "/users/export.xlsx": "export.users",
        f"/banks/{bank.id}/export.xlsx": "export.bank",
        f"/manage/exams/{exam.id}/roster.xlsx": "export.roster",
        "/offline/export.xlsx": "export.offline",
        f"/reports/annual?year={year}&format=xlsx": "export.annual",
    }
    for url, action in exports.items():
        before = len(_entries())
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment"), url
        response.close()
        new = _entries()[before:]
        assert [e.action for e in new] == [action], url
        assert new[0].actor_id == tree["admin"].id and new[0].ip == "127.0.0.1"
    # The 述法 batch workbook is made by a background job: asking for it (a POST) is the export that is logged.
    before = len(_entries())
    assert client.post(f"/reports/shufa/export?year={year}", {}).status_code == 302
    assert [e.action for e in _entries()[before:]] == ["reports.export"]


def test_blank_templates_are_not_exports(client, tree):
    """Are the blank import templates (no personal data) left out of the log?"""
    client.login("admin01")
    for url in ("/users/template.xlsx", "/banks/template.xlsx", "/offline/signin-template.xlsx"):
        client.get(url).close()
    assert [e for e in _entries() if e.action.startswith("export.")] == []


def test_denied_access_is_audited_and_bounded(client, app, f, tree, exam_setup):
    """Is a cadre asking for another's attempt refused like a missing one, logged, and a scan logged only up to
    the hourly bound?"""
    app.config["AUDIT_DENIED_PER_HOUR"] = 5
    f.user("gb02", tree["v2"])
    client.login("gb02")
    attempt = exam_setup["attempt"]
    refused = client.get(f"/exams/attempts/{attempt.id}/result")
    missing = client.get("/exams/attempts/999999/result")
    assert refused.status_code == missing.status_code == 404
    assert refused.get_data(as_text=True) == missing.get_data(as_text=True)
    denied = _entries("access.denied")
    assert len(denied) == 1 and denied[0].target_id == attempt.id and denied[0].actor.login == "gb02"
    for _ in range(20):
        client.get(f"/exams/attempts/{attempt.id}/result")
    denied = _entries("access.denied")
    assert len(denied) == 6 and "不再逐条记录" in denied[-1].summary


def _seed_log(tree, f):
    org = f.user("org01", tree["jia"], role="organiser")
    other = f.user("org03", tree["yi"], role="organiser")
    base = datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc)
    rows = [(org, "auth.login", "10.1.2.3", 0), (org, "export.users", "10.1.2.3", 1),
            (other, "auth.failure", "10.9.0.7", 2), (other, "bank.update", "192.0.2.1", 5)]
    for actor, action, ip, days in rows:
        entry = record(actor, action, "user", actor.id, actor.login)
        entry.ip, entry.at = ip, base + timedelta(days=days)
    db.session.commit()


@pytest.mark.parametrize("query, expected", [
    ("from=2026-11-11&to=2026-11-12", {"export.users", "auth.failure"}),
    ("actor=org01", {"auth.login", "export.users"}),
    ("unit={yi}", {"auth.failure", "bank.update"}),
    ("action=auth.*", {"auth.login", "auth.failure"}),
    ("action=bank.update", {"bank.update"}),
    ("ip=10.1.2.3", {"auth.login", "export.users"}),
    ("ip=10.", {"auth.login", "export.users", "auth.failure"}),
])
def test_admin_filters_the_log(client, f, tree, query, expected):
    """Does the admin page filter by date range, actor, unit, action (or family) and address, and its export too?"""
    _seed_log(tree, f)
    client.login("admin01")
    query = query.format(yi=tree["yi"].id)
    page = client.get("/audit/?" + query).get_data(as_text=True)
    from quizapp.audit.services import ACTION_LABELS

    shown = {action for action in ("auth.login", "export.users", "auth.failure", "bank.update")
             if f"<td>{ACTION_LABELS[action]}</td>" in page}
    assert shown == expected
    book = openpyxl.load_workbook(io.BytesIO(client.get("/audit/export.xlsx?" + query).data))
    codes = {row[3] for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert codes - {"auth.login"} == expected - {"auth.login"}  # the admin's own sign-in may match too


def test_audit_export_is_formula_safe_and_audited(client, f, tree):
    """Is a formula-looking label exported inert, and is the export itself in the log?"""
    record(None, "user.update", "user", None, "=HYPERLINK(\"http://x\",\"点我\")")
    db.session.commit()
    client.login("admin01")
    book = openpyxl.load_workbook(io.BytesIO(client.get("/audit/export.xlsx").data))
    labels = [row[6] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://x\",\"点我\")" in labels
    assert [e.actor_id for e in _entries("export.audit")] == [tree["admin"].id]


def test_audit_log_is_for_admins_only(client, f, tree):
    """Do organisers get 404 for the log and its export?"""
    f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    assert client.get("/audit/").status_code == 404
    assert client.get("/audit/export.xlsx").status_code == 404


def test_audit_addresses_are_not_taken_from_forwarded_headers(client, tree):
    """Without a trusted proxy, does a forged X-Forwarded-For stay out of the log?"""
    client._client.get("/login")
    client.post("/login", {"login": "admin01", "password": "nope"}, headers={"X-Forwarded-For": "6.6.6.6"})
    assert [e.ip for e in _entries("auth.failure")] == ["127.0.0.1"]
