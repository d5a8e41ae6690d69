"""学时 roll-up, 我的学习, and who may read whose study record."""
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.study import materials, services
from quizapp.study.models import StudyCredit, StudyProgress


def test_add_credit_accumulates_in_one_row(people):
    """Do repeated credits for the same person, month, category and source add up in one row?"""
    when = datetime(2026, 3, 5, 1, 0, tzinfo=timezone.utc)
    services.add_credit(people["cadre"], "practice", "宪法/国家机构", 120, when)
    services.add_credit(people["cadre"].id, "practice", "宪法", 30, when)
    services.add_credit(people["cadre"], "practice", "宪法", -50, when)
    services.add_credit(people["cadre"], "practice", "宪法", 0, when)
    db.session.commit()
    rows = db.session.execute(sa.select(StudyCredit.category, StudyCredit.source, StudyCredit.seconds)).all()
    assert rows == [("宪法", "practice", 100)]


def test_add_credit_refuses_unknown_sources(people):
    """Is a source other than material, law, practice or offline refused?"""
    with pytest.raises(ValueError):
        services.add_credit(people["cadre"], "games", "宪法", 60)


@pytest.mark.parametrize("category, expected", [
    ("宪法", "宪法"), ("宪法/国家机构", "宪法"), ("法律法规/土地与农村", "法律法规"), ("民法典/婚姻家庭", "法律法规"),
    ("习近平法治思想/十一个坚持", "习近平法治思想"), ("综合", "其他"), ("", "其他"), ("典型案例", "典型案例"),
])
def test_top_category(category, expected):
    """Is every material, law or question category reported under one of the six 学时 categories?"""
    assert services.top_category(category) == expected


@pytest.mark.parametrize("per_hour, seconds, hours", [(45, 2700, 1.0), (45, 4050, 1.5), (40, 2400, 1.0), (45, 0, 0.0)])
def test_hours_rule_is_configurable(app, per_hour, seconds, hours):
    """Are 学时 minutes divided by the configured rule (45 minutes by default)?"""
    app.config["STUDY_MINUTES_PER_HOUR"] = per_hour
    assert services.to_hours(seconds) == hours


def test_my_study_shows_hours_required_and_next_steps(people, make_material, client, clock, tree):
    """Does 我的学习 show 学时 by category, required materials with due dates and what to do next?"""
    late = make_material(None, "逾期必学")
    soon = make_material(None, "即将截止")
    done = make_material(None, "已完成必学")
    for material, due in ((late, date(2026, 5, 1)), (soon, date(2026, 5, 20)), (done, date(2026, 9, 1))):
        materials.add_requirement(people["organiser"], material, 2026, tree["jia"], due)
    db.session.add(StudyProgress(user_id=people["cadre"].id, year=2026, material_id=done.id, seconds=600,
                                 reached_end=True, completed_at=clock.now))
    services.add_credit(people["cadre"], "material", "宪法", 2700, clock.now)
    services.add_credit(people["cadre"], "offline", "法律法规", 5400, clock.now)
    db.session.commit()
    client.login("gb01")
    page = client.get("/study/me").get_data(as_text=True)
    assert "3.0" in page and "40.0" in page  # 学时 this year and the target for 一般干部
    assert "1/3" in page  # required materials completed
    assert page.index("逾期必学") < page.index("即将截止")
    assert "已超过截止日期" in page and "10 天后截止" in page and "还差 37.0 学时" in page
    record = services.study_record(people["cadre"], 2026)
    assert record.credits["by_source"]["offline"] == 5400 and record.hours == 3.0


def test_targets_by_person_category(people, client, tree):
    """Can an admin set the yearly 学时 target per 人员类别, which 我的学习 then uses?"""
    client.login("admin01")
    form = {code: "40" for code in ("leading", "general", "legal_aide", "other")} | {"village": "12.5"}
    assert client.post("/study/targets", data=form).status_code == 302
    assert services.target_hours("village") == 12.5
    client.post("/logout")
    client.login("gb02")  # 村“两委”干部
    assert "12.5" in client.get("/study/me").get_data(as_text=True)
    client.post("/logout")
    client.login("zz01")
    assert client.get("/study/targets").status_code == 404


def test_cadre_cannot_read_another_persons_record(people, client):
    """Is another person's study record a 404 for a cadre, while their own is readable?"""
    client.login("gb01")
    assert client.get(f"/study/people/{people['cadre2'].id}").status_code == 404
    assert "<h1>我的学习</h1>" in client.get(f"/study/people/{people['cadre'].id}").get_data(as_text=True)
    assert client.get("/study/people").status_code == 404


def test_leaders_and_organisers_read_their_subtree_only(people, client):
    """Do a leader and an organiser of 甲乡 read records in 甲乡 but get 404 for 乙乡?"""
    services.add_credit(people["cadre"], "material", "宪法", 2700)
    db.session.commit()
    for login in ("ld01", "zz01"):
        client.login(login)
        assert "王一的学习记录" in client.get(f"/study/people/{people['cadre'].id}").get_data(as_text=True)
        assert client.get(f"/study/people/{people['other'].id}").status_code == 404
        listing = client.get("/study/people").get_data(as_text=True)
        assert "王一" in listing and "张三" not in listing
        client.post("/logout")


def test_people_list_sorted_by_hours(people, client):
    """Does the 学习情况 list sort by 学时 when asked, with each person's total?"""
    services.add_credit(people["cadre2"], "material", "宪法", 4500)
    services.add_credit(people["cadre"], "material", "宪法", 900)
    db.session.commit()
    client.login("zz01")
    page = client.get("/study/people?sort=hours").get_data(as_text=True)
    assert page.index("李二") < page.index("王一") and "1.7" in page and "0.3" in page


def test_year_filter_bounds(people, client):
    """Is an absurd year a 404 rather than an error?"""
    client.login("gb01")
    assert client.get("/study/me?year=1900").status_code == 404
    assert client.get("/study/me?year=2025").status_code == 200
