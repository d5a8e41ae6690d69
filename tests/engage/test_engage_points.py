"""学法积分: off by default, points derived from done daily sets, completed required materials and passed
required exams, never from what the honest-time rules refused; own points only for a cadre, a leader's subtree
only, the export escaped and audited."""
import io
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from quizapp.audit.models import AuditEntry
from quizapp.engage import points
from quizapp.exams import grading
from quizapp.exams.models import Attempt, AttemptItem
from quizapp.extensions import db
from quizapp.study import materials as study_materials, services as study

from daily_helpers import answer_all, start


@pytest.fixture
def enabled(app):
    app.config["POINTS_ENABLED"] = True


def published_material(title, minutes=2, **values):
    material = study_materials.create_material(
        None, study_materials.MaterialInput(title=title, category="宪法", body="正文", minutes=minutes, **values),
        max_pdf_bytes=0)
    study_materials.set_published(None, material, True)
    db.session.commit()
    return material


def require(admin, material, unit, year=2026):
    study_materials.add_requirement(admin, material, year, unit, date(year, 12, 31))
    db.session.commit()


def read(person, material, clock, seconds, reached_end=True):
    """Read a material through the study heartbeat, 30 s a beat, reaching the end on the last beat."""
    session = study.start_reading(person, "material", material)
    db.session.commit()
    for n in range(seconds // 30):
        clock.advance(seconds=30)
        study.beat(person, session.token, 30, reached_end=reached_end and n == seconds // 30 - 1)
        db.session.commit()


def mine(person, year=2026):
    return points.mine(person, year)


# ---------------------------------------------------------------- off by default

def test_off_by_default_no_pages_menu_or_card(app, f, cadre, cadre_client, make_client, tree):
    """With POINTS_ENABLED unset, are the points pages 404 for everyone and absent from the menu and 首页?"""
    assert app.config["POINTS_ENABLED"] is False
    for url in ("/points/", "/points/rules", "/points/units", f"/points/units/{tree['county'].id}/people"):
        assert cadre_client.get(url).status_code == 404
    home = cadre_client.get("/").get_data(as_text=True)
    assert "我的积分" not in home and "points-card" not in home
    f.user("pt_leader0", tree["jia"], role="leader")
    leader = make_client()
    leader.login("pt_leader0")
    assert leader.get("/points/units").status_code == 404
    assert leader.get(f"/points/units/{tree['jia'].id}?format=xlsx").status_code == 404
    assert "学法积分" not in leader.get("/").get_data(as_text=True)
    app.config["POINTS_ENABLED"] = True  # the same pages, switched on
    assert leader.get("/points/units").status_code == 200 and "学法积分" in leader.get("/").get_data(as_text=True)


# ---------------------------------------------------------------- what earns points

def test_daily_set_done_earns_points_on_home_and_my_points(enabled, f, cadre, cadre_client, clock):
    """Does a done 每日一练 give 5 points plus 1 per right answer, shown on the 首页 card and 我的积分, and an
    unfinished set nothing?"""
    f.questions(6, bank=f.bank())
    found = start(cadre_client)
    assert mine(cadre).total == 0
    right = set(found.session.question_ids[:3])
    answer_all(cadre_client, found, right)
    view = mine(cadre)
    assert view.total == view.by_source["daily"] == points.DAILY_DONE + 3 * points.DAILY_PER_CORRECT
    assert [(e.source, e.day, e.points) for e in view.recent] == [("daily", date(2026, 12, 7), 8)]
    home = cadre_client.get("/").get_data(as_text=True)
    assert 'id="points-card"' in home and "data-points-total>8<" in home
    page = cadre_client.get("/points/").get_data(as_text=True)
    assert "data-points-total>8<" in page and "不代替参考率、合格率和学时" in page
    assert "我的积分" in home  # in the menu
    clock.advance(days=1)  # tomorrow's set started but not finished: nothing more
    start(cadre_client)
    assert mine(cadre).total == 8


def test_required_material_counts_once_when_completed_by_study_time(enabled, f, tree, cadre, clock):
    """Does a required material earn points only once its reading is completed by the study-time rules, once
    however often it is re-read, and does an unrequired one or one required elsewhere earn nothing?"""
    required = published_material("必学宪法")
    require(tree["admin"], required, tree["jia"])
    elsewhere = published_material("乙乡必学")
    require(tree["admin"], elsewhere, tree["yi"])
    free = published_material("选学材料")
    read(cadre, required, clock, 60, reached_end=False)  # too short and not to the end: refused
    assert mine(cadre).total == 0
    read(cadre, required, clock, 120)
    assert mine(cadre).by_source["material"] == points.MATERIAL_DONE
    read(cadre, required, clock, 120)  # re-read
    read(cadre, free, clock, 120)
    read(cadre, elsewhere, clock, 120)
    view = mine(cadre)
    assert view.total == points.MATERIAL_DONE
    assert [e.title for e in view.recent] == ["必学宪法"]


def test_hurried_reading_earns_nothing(enabled, f, tree, cadre, clock):
    """Does a page claiming more time than passed (refused by the honest-time rule) leave the material
    uncompleted and pointless?"""
    material = published_material("必学民法典", minutes=2)
    require(tree["admin"], material, None)
    session = study.start_reading(cadre, "material", material)
    db.session.commit()
    clock.advance(seconds=10)
    study.beat(cadre, session.token, 600, reached_end=True)
    db.session.commit()
    assert mine(cadre).total == 0


def test_required_exam_passed_earns_points_and_follows_a_regrade(enabled, f, tree, cadre, clock):
    """Does a passed required exam earn 20 (30 for 优秀), an unrequired or failed one nothing, and does a
    regrade that turns a pass into a fail take the points away?"""
    admin = tree["admin"]
    bank = f.bank()
    f.questions(5, bank=bank)
    rules = (("single", 5),)
    passed = f.exam(admin, owner=tree["county"], audience=[tree["county"]], bank=bank, rules=rules,
                    title="十二月测试")
    f.sit(passed, cadre, correct=3)
    assert mine(cadre).by_source["exam"] == points.EXAM_PASSED
    best = f.exam(admin, owner=tree["county"], audience=[tree["county"]], bank=bank, rules=rules, title="优秀测试")
    f.sit(best, cadre, correct=5)
    optional = f.exam(admin, owner=tree["county"], audience=[tree["county"]], bank=bank, rules=rules,
                      title="自愿测试", required=False)
    f.sit(optional, cadre, correct=5)
    failed = f.exam(admin, owner=tree["county"], audience=[tree["county"]], bank=bank, rules=rules, title="未过")
    f.sit(failed, cadre, correct=1)
    assert mine(cadre).by_source["exam"] == 2 * points.EXAM_PASSED + points.EXAM_EXCELLENT
    first_right = db.session.scalar(sa.select(AttemptItem.question_id).join(Attempt)
                                    .where(Attempt.exam_id == passed.id, Attempt.user_id == cadre.id)
                                    .order_by(AttemptItem.position).limit(1))
    grading.regrade(admin, passed, {first_right: "B"})
    db.session.commit()
    assert mine(cadre).by_source["exam"] == points.EXAM_PASSED + points.EXAM_EXCELLENT


def test_year_boundary_and_rank_in_unit(enabled, f, tree, cadre, cadre_client, clock):
    """Are points counted in the local year they were earned, and is the person ranked within their unit?"""
    f.questions(12, bank=f.bank())
    neighbour = f.user("pt_neighbour", tree["v1"])
    f.user("pt_idle", tree["v1"])
    material = published_material("全员必学")
    require(tree["admin"], material, None)
    read(neighbour, material, clock, 120)
    answer_all(cadre_client, start(cadre_client), set())  # 5 points
    view = mine(cadre)
    assert (view.total, view.rank, view.unit_size) == (5, 2, 3)
    assert mine(cadre, 2025).total == 0 and mine(cadre, 2027).total == 0


# ---------------------------------------------------------------- who sees what

@pytest.fixture
def scored(f, tree, clock, enabled):
    """Points in both townships: 一村 (甲乡) 10 and 5, 三村 (乙乡) 10; one organiser of 甲乡 and a leader of 乙乡."""
    material = published_material("全员必学")
    require(tree["admin"], material, None)
    people = {"a": f.user("pt_a", tree["v1"], name="=HYPERLINK(\"x\")"), "b": f.user("pt_b", tree["v2"]),
              "c": f.user("pt_c", tree["v3"])}
    for key in ("a", "c"):
        read(people[key], material, clock, 120)
    f.questions(6, bank=f.bank())
    return {**people, "jia_leader": f.user("pt_jia", tree["jia"], role="leader"),
            "yi_leader": f.user("pt_yi", tree["yi"], role="leader")}


def test_cadre_cannot_see_others_points(scored, make_client, tree):
    """Is a cadre refused the unit pages, and does 我的积分 show only their own total (no argument names anyone)?"""
    client = make_client()
    client.login("pt_b")
    for url in ("/points/units", f"/points/units/{tree['v1'].id}", f"/points/units/{tree['v1'].id}/people",
                f"/points/units/{tree['v1'].id}/people?format=xlsx"):
        assert client.get(url).status_code == 404, url
    page = client.get(f"/points/?user={scored['a'].id}").get_data(as_text=True)
    assert "data-points-total>0<" in page


def test_leader_sees_own_subtree_only(scored, make_client, tree):
    """Does a 甲乡 leader see 甲乡's villages and people, and get 404 for 乙乡 and the county?"""
    client = make_client()
    client.login("pt_jia")
    page = client.get("/points/units").get_data(as_text=True)
    assert "一村两委" in page and "二村两委" in page and "三村两委" not in page
    assert "不代替参考率、合格率和学时" in page
    for unit in ("yi", "v3", "county"):
        assert client.get(f"/points/units/{tree[unit].id}").status_code == 404
        assert client.get(f"/points/units/{tree[unit].id}/people").status_code == 404
    people = client.get(f"/points/units/{tree['jia'].id}/people").get_data(as_text=True)
    assert "pt_c" not in people and f'data-user="{scored["c"].id}"' not in people


def test_by_unit_matches_a_recount(scored, tree):
    """Are the by-unit figures the sums of the people's own points, 本级 and 合计 included?"""
    rows, whole = points.by_unit(tree["county"], 2026)
    by_name = {row.label: row for row in rows}
    assert by_name["甲乡"].total == mine(scored["a"]).total + mine(scored["b"]).total == points.MATERIAL_DONE
    assert by_name["乙乡"].total == points.MATERIAL_DONE
    assert by_name["甲乡"].earning == 1 and by_name["甲乡"].people == 3  # a, b and the 甲乡 leader
    assert whole.total == 2 * points.MATERIAL_DONE
    assert "示范县（本级）" not in by_name  # only the admin works there: admins are not learners


def test_export_is_escaped_and_audited(scored, make_client, tree):
    """Is the per-person export a workbook with a formula-like name escaped, and recorded in the audit log?"""
    client = make_client()
    client.login("pt_jia")
    response = client.get(f"/points/units/{tree['jia'].id}/people?format=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert any(isinstance(v, str) and "HYPERLINK" in v and not v.startswith("=") for v in values)
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    units = client.get(f"/points/units/{tree['jia'].id}?format=xlsx")
    assert units.status_code == 200
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions.count("export.points") == 2


def test_rule_page_renders_the_constants(scored, make_client):
    """Does the 积分规则 page state the same numbers the computation uses?"""
    client = make_client()
    client.login("pt_b")
    page = client.get("/points/rules").get_data(as_text=True)
    for rule in points.RULES:
        assert rule.points in page and rule.limit in page
    assert f"每天最多 {points.DAILY_CAP} 分" in page


def test_people_list_is_one_query_per_page(scored, tree, app):
    """Does the by-person list cost the same number of queries for 1 person as for many (no N+1)?"""
    statements = []
    assert tree["county"].path and tree["v1"].path  # loaded before counting

    def count(*_args, **_kwargs):
        statements.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        points.people_page(tree["county"], 2026, 1, 50)
        few = len(statements)
        statements.clear()
        points.people_page(tree["v1"], 2026, 1, 50)
        assert len(statements) == few
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
