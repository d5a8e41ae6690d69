"""账号通知单 after an import or a reset, and initial passwords people can type."""
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa

from quizapp.accounts import services
from quizapp.audit.models import AuditEntry
from quizapp.extensions import db

from test_import import GOOD, xlsx

LOOK_ALIKES = set("iloqguvIO01l96") | set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def test_initial_passwords_avoid_look_alikes():
    """Is every initial password lower-case letters then digits, with no 0/O, 1/l/I, 9/q/g, 6/b, u/v look-alikes?"""
    for _ in range(300):
        password = services.temporary_password()
        assert re.fullmatch(r"[a-z]{5}[2-8]{4}", password)
        assert not set(password) & LOOK_ALIKES
        assert services.password_problems("someone", password) == []


def _import(client):
    page = client.post("/users/import", {"file": (io.BytesIO(xlsx(GOOD)), "名单.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([^"]+)"', page).group(1)
    return client.post("/users/import/apply", {"token": token}).get_data(as_text=True)


def _entries(page):
    return re.search(r'name="entries"[^>]*value="([^"]+)"', page).group(1)


def test_import_offers_slips_as_pdf_and_xlsx(client, f, tree):
    """After an import, can the organiser download one slip per person, as PDF and as .xlsx, audited?"""
    f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    done = _import(client)
    assert "下载账号通知单（PDF）" in done
    entries = _entries(done)
    pdf = client.post("/users/slips", {"entries": entries, "pdf": "1"})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    book = openpyxl.load_workbook(io.BytesIO(client.post("/users/slips", {"entries": entries, "xlsx": "1"}).data))
    rows = [[c.value for c in row] for row in book.worksheets[0].iter_rows(min_row=3)]
    passwords = dict(part.split(":") for part in entries.split(";"))
    assert len(rows) == len(GOOD) == len(passwords)
    assert {r[3] for r in rows} == set(passwords.values())
    assert all(r[4] == "http://localhost" and "设置新密码" in r[5] for r in rows)
    summaries = db.session.scalars(sa.select(AuditEntry.summary).where(AuditEntry.action == "user.slips")).all()
    assert len(summaries) == 2 and "下载账号通知单 2 人" in summaries[0]


def test_slips_use_the_public_address(app, client, f, tree):
    """Does the slip print PUBLIC_BASE_URL rather than whatever host the request came in on?"""
    app.config["PUBLIC_BASE_URL"] = "https://xuefa.example.gov.cn"
    f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    page = client.post(f"/users/{f.user('gb1', tree['v1']).id}/reset-password").get_data(as_text=True)
    book = openpyxl.load_workbook(io.BytesIO(client.post("/users/slips", {"entries": _entries(page), "xlsx": "1"}).data))
    assert book.worksheets[0]["E3"].value == "https://xuefa.example.gov.cn"


@pytest.mark.parametrize("case", ["out_of_scope", "already_changed", "no_csrf"])
def test_slips_refused(client, f, tree, case):
    """Are slips refused for someone outside the organiser's scope, for an account whose password was already
    changed, and without the CSRF token?"""
    f.user("org01", tree["jia"], role="organiser")
    person = f.user("gb9", tree["v3"] if case == "out_of_scope" else tree["v1"], must_change=case != "already_changed")
    client.login("org01")
    response = client.post("/users/slips", {"entries": f"{person.id}:abcde2345", "pdf": "1"},
                           csrf=case != "no_csrf")
    assert response.status_code in (400, 404)
