"""Accounts: list, search, filter, create, edit, deactivate, export — always inside the viewer's scope."""
import io
import re

import pandas as pd
import pytest
import sqlalchemy as sa

from quizapp.accounts.models import User
from quizapp.audit.models import AuditEntry
from quizapp.extensions import db


@pytest.fixture
def people(f, tree):
    return {
        "org": f.user("org01", tree["jia"], role="organiser", name="甲乡组织员"),
        "leader_v1": f.user("ld01", tree["v1"], role="leader", name="一村书记"),
        "a": f.user("gb01", tree["v1"], name="一村干部甲"),
        "b": f.user("gb02", tree["v2"], name="二村干部乙"),
        "c": f.user("gb03", tree["v3"], name="三村干部丙", category="legal_aide"),
    }


def _names(page):
    return set(re.findall(r'<td[^>]*><a href="/users/\d+">([^<]+)</a>', page))


def test_organiser_lists_own_subtree_only(client, people):
    """Does an organiser of 甲乡 see 甲乡's people (with sub-units) and nobody from 乙乡?"""
    client.login("org01")
    names = _names(client.get("/users/").get_data(as_text=True))
    assert {"一村干部甲", "二村干部乙", "一村书记", "甲乡组织员"} <= names
    assert "三村干部丙" not in names


def test_filter_by_unit_with_and_without_sub_units(client, people, tree):
    """Does the unit filter include sub-units by default and only the unit itself when asked?"""
    client.login("org01")
    with_sub = _names(client.get(f"/users/?unit={tree['jia'].id}").get_data(as_text=True))
    only = _names(client.get(f"/users/?unit={tree['jia'].id}&sub=0").get_data(as_text=True))
    assert "一村干部甲" in with_sub and only == {"甲乡组织员"}


def test_search_and_category_filter(client, people):
    """Do search by name or login and the category filter narrow the list?"""
    client.login("admin01")
    assert _names(client.get("/users/?q=gb02").get_data(as_text=True)) == {"二村干部乙"}
    assert _names(client.get("/users/?q=干部丙").get_data(as_text=True)) == {"三村干部丙"}
    assert _names(client.get("/users/?category=legal_aide").get_data(as_text=True)) == {"三村干部丙"}


def test_paging(client, f, tree):
    """Are long lists paged (20 a page) with a page count?"""
    for n in range(25):
        f.user(f"p{n:03d}", tree["v3"])
    client.login("admin01")
    first = client.get(f"/users/?unit={tree['v3'].id}").get_data(as_text=True)
    second = client.get(f"/users/?unit={tree['v3'].id}&page=2").get_data(as_text=True)
    assert len(_names(first)) == 20 and len(_names(second)) == 5
    assert "第 1 / 2 页" in first


def test_leader_of_one_village_cannot_see_another(client, people, tree):
    """Is a village leader refused another village's people by list, by id and by export?"""
    client.login("ld01")
    assert _names(client.get("/users/").get_data(as_text=True)) == {"一村干部甲", "一村书记"}
    assert client.get(f"/users/?unit={tree['v2'].id}").status_code == 404
    assert client.get(f"/users/{people['b'].id}").status_code == 404
    assert client.get(f"/users/export.xlsx?unit={tree['v2'].id}").status_code == 404
    exported = pd.read_excel(io.BytesIO(client.get("/users/export.xlsx").data), dtype=str, engine="calamine")
    assert set(exported["姓名"]) == {"一村干部甲", "一村书记"}


def test_leader_cannot_manage(client, people):
    """Can a leader read but not create, edit, reset or deactivate?"""
    client.login("ld01")
    a = people["a"].id
    assert client.get("/users/new").status_code == 404
    assert client.get(f"/users/{a}/edit").status_code == 404
    assert client.post(f"/users/{a}/reset-password").status_code == 404
    assert client.post(f"/users/{a}/active", {"active": "0"}).status_code == 404


def test_cadre_sees_only_own_account(client, people):
    """Does a cadre see their own account page and get 404 for anyone else's and for lists?"""
    client.login("gb01")
    assert client.get(f"/users/{people['a'].id}").status_code == 200
    assert client.get(f"/users/{people['b'].id}").status_code == 404
    assert client.get("/users/").status_code == 404
    assert client.get("/users/export.xlsx").status_code == 404


def test_organiser_refused_other_township_person(client, people):
    """Does an organiser get 404 for a person outside their township, by every route?"""
    client.login("org01")
    c = people["c"].id
    for url in (f"/users/{c}", f"/users/{c}/edit"):
        assert client.get(url).status_code == 404
    assert client.post(f"/users/{c}/active", {"active": "0"}).status_code == 404
    assert client.post(f"/users/{c}/reset-password").status_code == 404


def _form(unit_id, **over):
    data = {"name": "新干部", "login": "new001", "unit_id": unit_id, "title": "干事", "rank": "fuke",
            "category": "general", "role": "cadre", "phone": ""}
    data.update(over)
    return data


def test_create_gives_one_time_password_and_forces_change(client, make_client, people, tree):
    """Does creating a person show an initial password that must be changed at first sign-in?"""
    client.login("org01")
    page = client.post("/users/new", _form(tree["v1"].id, shufa="y")).get_data(as_text=True)
    temp = re.search(r'class="password-box">([^<]+)<', page).group(1)
    person = db.session.scalar(sa.select(User).where(User.login == "new001"))
    assert person.must_change_password and person.shufa and person.rank == "fuke"
    fresh = make_client()
    fresh.login("new001", temp)
    assert fresh.get("/").headers["Location"] == "/password"


@pytest.mark.parametrize("over, message", [
    ({"name": ""}, "请填写姓名"),
    ({"login": "gb01"}, "已被占用"),
    ({"login": "有 空格"}, "登录名只能使用"),
    ({"role": "admin"}, "不是有效的选择"),
])
def test_create_validation(client, people, tree, over, message):
    """Are bad fields refused with a message on the form?"""
    client.login("org01")
    page = client.post("/users/new", _form(tree["v1"].id, **over)).get_data(as_text=True)
    assert message in page


def test_organiser_cannot_create_in_other_township(client, people, tree):
    """Is creating a person in a unit outside the organiser's scope refused?"""
    client.login("org01")
    client.post("/users/new", _form(tree["v3"].id))
    assert db.session.scalar(sa.select(User).where(User.login == "new001")) is None


def test_edit_is_audited_with_the_change(client, people, tree):
    """Does an edit record who changed which field from what to what?"""
    client.login("org01")
    a = people["a"]
    client.post(f"/users/{a.id}/edit", _form(tree["v2"].id, name=a.name, login=a.login, title="村委委员"))
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.update")).one()
    assert entry.actor_id == people["org"].id
    assert entry.changes["unit_id"] == [str(tree["v1"].id), str(tree["v2"].id)] or \
        entry.changes["unit_id"] == [tree["v1"].id, tree["v2"].id]
    assert entry.changes["title"] == ["", "村委委员"]


def test_deactivate_keeps_the_person_and_records(client, people):
    """Is a person deactivated (never deleted), audited, and shown in the inactive filter?"""
    client.login("org01")
    client.post(f"/users/{people['a'].id}/active", {"active": "0"})
    db.session.expire_all()
    person = db.session.get(User, people["a"].id)
    assert person is not None and not person.active and person.deactivated_at is not None
    assert "一村干部甲" in _names(client.get("/users/?status=inactive").get_data(as_text=True))
    assert "一村干部甲" not in _names(client.get("/users/").get_data(as_text=True))
    client.post(f"/users/{people['a'].id}/active", {"active": "1"})
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.target_id == people["a"].id)).all()
    assert "user.deactivate" in actions and "user.activate" in actions


def test_cannot_deactivate_self(client, people):
    """Is an organiser stopped from locking themself out?"""
    client.login("org01")
    page = client.post(f"/users/{people['org'].id}/active", {"active": "0"}, follow_redirects=True)
    assert "不能停用自己的账号" in page.get_data(as_text=True)


def test_audit_log_is_for_admins(client, people):
    """Can admins read the audit log while organisers get 404?"""
    client.login("org01")
    client.post(f"/users/{people['a'].id}/reset-password")
    assert client.get("/audit/").status_code == 404
    admin = client
    admin.post("/logout")
    admin.login("admin01")
    page = admin.get("/audit/").get_data(as_text=True)
    assert "重置密码" in page and "一村干部甲" in page and "甲乡组织员" in page


def test_export_escapes_formulas(client, f, tree):
    """Is a name that looks like a formula exported inert?"""
    f.user("evil01", tree["v1"], name="=HYPERLINK(1)")
    client.login("admin01")
    exported = pd.read_excel(io.BytesIO(client.get("/users/export.xlsx").data), dtype=str, engine="calamine")
    assert "'=HYPERLINK(1)" in set(exported["姓名"])


def test_home_pages_show_real_data(client, people, tree):
    """Does each role's home page show its own figures?"""
    client.login("org01")
    page = client.get("/").get_data(as_text=True)
    assert "管理范围" in page and "一村两委" in page
    client.post("/logout")
    client.login("admin01")
    page = client.get("/").get_data(as_text=True)
    assert "甲乡" in page and "乙乡" in page
