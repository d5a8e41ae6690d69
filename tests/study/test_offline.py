"""线下学法活动: recording in scope, attendance credits and their adjustment, totals, sign-in sheets."""
import io
from datetime import date

import pytest
import sqlalchemy as sa

from quizapp.common.spreadsheets import write_xlsx
from quizapp.extensions import db
from quizapp.study import offline
from quizapp.study.models import OfflineAttendance, OfflineSession, StudyCredit


def _credits():
    """{(user_id, year, month, category): seconds} of offline credits, zero rows left out."""
    rows = db.session.execute(sa.select(StudyCredit.user_id, StudyCredit.year, StudyCredit.month,
                                        StudyCredit.category, StudyCredit.seconds)
                              .where(StudyCredit.source == "offline")).all()
    return {(u, y, m, c): s for u, y, m, c, s in rows if s}


def _values(unit, **changes):
    values = {"kind": "法治讲堂", "topic": "宪法宣誓制度", "category": "宪法", "held_on": date(2026, 3, 15),
              "minutes": 90, "unit_id": unit.id, "speaker": "县司法局", "location": "乡政府会议室",
              "public_count": 40, "notes": ""}
    values.update(changes)
    return values


@pytest.fixture
def lecture(people, tree):
    """A 法治讲堂 held on 15 March, its attendance confirmed: attendees added now are credited at once."""
    session = offline.create_session(people["organiser"], _values(tree["jia"]))
    offline.confirm_session(people["organiser"], session)
    db.session.commit()
    return session


def _form(unit, **changes):
    values = _values(unit, **changes)
    values["held_on"] = values["held_on"].isoformat()
    return {k: str(v) for k, v in values.items()}


def test_organiser_records_a_session(people, tree, client):
    """Can an organiser record a session for a unit in their scope (and is another township refused)?"""
    client.login("zz01")
    assert client.post("/offline/new", data=_form(tree["jia"])).status_code == 302
    session = db.session.scalar(sa.select(OfflineSession))
    assert (session.kind, session.minutes, session.public_count, session.unit_id) == ("法治讲堂", 90, 40, tree["jia"].id)
    page = client.post("/offline/new", data=_form(tree["yi"])).get_data(as_text=True)
    assert "不是有效的选择" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OfflineSession)) == 1


def test_attendance_credits_the_people_present(people, lecture):
    """Does adding attendees credit each the session's minutes, in its month and category, once?"""
    added = offline.add_attendees(people["organiser"], lecture, [people["cadre"].id, people["cadre2"].id,
                                                                 people["cadre"].id])
    db.session.commit()
    assert added == 2
    assert _credits() == {(people["cadre"].id, 2026, 3, "宪法"): 5400, (people["cadre2"].id, 2026, 3, "宪法"): 5400}
    assert offline.add_attendees(people["organiser"], lecture, [people["cadre"].id]) == 0
    assert _credits()[(people["cadre"].id, 2026, 3, "宪法")] == 5400


def test_people_outside_scope_are_not_added(people, lecture):
    """Is a cadre of another township silently left out of an organiser's session?"""
    assert offline.add_attendees(people["organiser"], lecture, [people["other"].id]) == 0
    assert _credits() == {}


def test_editing_moves_the_credits(people, lecture):
    """When the date, length and category change, do attendees' credits move with them?"""
    offline.add_attendees(people["organiser"], lecture, [people["cadre"].id])
    offline.update_session(people["organiser"], lecture, _values(lecture.unit, held_on=date(2026, 4, 2), minutes=60,
                                                                 category="法律法规"))
    db.session.commit()
    assert _credits() == {(people["cadre"].id, 2026, 4, "法律法规"): 3600}


def test_editing_other_fields_leaves_credits(people, lecture):
    """Does changing only the topic leave the credits as they were?"""
    offline.add_attendees(people["organiser"], lecture, [people["cadre"].id])
    offline.update_session(people["organiser"], lecture, _values(lecture.unit, topic="新主题"))
    assert _credits() == {(people["cadre"].id, 2026, 3, "宪法"): 5400}


def test_removing_and_deleting_take_credits_back(people, lecture, client):
    """Does removing an attendee, then deleting the session, take back exactly what was credited?"""
    from quizapp.study.services import add_credit

    add_credit(people["cadre"].id, "offline", "宪法", 600, date(2026, 3, 1))  # another session the same month
    offline.add_attendees(people["organiser"], lecture, [people["cadre"].id, people["cadre2"].id])
    db.session.commit()
    client.login("zz01")
    response = client.post(f"/offline/{lecture.id}/attendees/remove",
                           data={"user_ids": [str(people["cadre2"].id)], "back": "show"})
    assert response.headers["Location"] == f"/offline/{lecture.id}"  # back to the page the button was on
    assert _credits() == {(people["cadre"].id, 2026, 3, "宪法"): 6000}
    client.post(f"/offline/{lecture.id}/delete")
    assert _credits() == {(people["cadre"].id, 2026, 3, "宪法"): 600}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OfflineAttendance)) == 0


def test_pick_people_without_javascript(people, lecture, client):
    """Can attendees be found by a GET search and added by ticking boxes, or all results at once?"""
    client.login("zz01")
    page = client.get(f"/offline/{lecture.id}/attendees", query_string={"q": "王一"}).get_data(as_text=True)
    assert "王一" in page and "李二" not in page and f'value="{people["cadre"].id}"' in page
    client.post(f"/offline/{lecture.id}/attendees/add", data={"user_ids": [str(people["cadre"].id)], "q": "王一"})
    page = client.get(f"/offline/{lecture.id}").get_data(as_text=True)
    assert "参加人员（1 人）" in page
    client.post(f"/offline/{lecture.id}/attendees/add", data={"all": "1", "q": "", "unit": str(lecture.unit_id)})
    people_in_jia = db.session.scalar(sa.select(sa.func.count()).select_from(OfflineAttendance))
    assert people_in_jia == 4  # 甲乡: organiser, leader and the two cadres of 一村


def test_totals_and_filters(people, tree, lecture):
    """Do the totals count 期数, cadres and 群众人次 for the filtered sessions only?"""
    offline.add_attendees(people["organiser"], lecture, [people["cadre"].id, people["cadre2"].id])
    other = offline.create_session(people["organiser"], _values(tree["v1"], kind="集中学法", public_count=0,
                                                                held_on=date(2025, 12, 1)))
    offline.add_attendees(people["organiser"], other, [people["cadre"].id])
    db.session.commit()
    viewer = people["organiser"]
    assert offline.totals(offline.filtered_sessions(viewer)) == {"sessions": 2, "cadres": 3, "public": 40, "people": 43}
    assert offline.totals(offline.filtered_sessions(viewer, year=2026))["sessions"] == 1
    assert offline.totals(offline.filtered_sessions(viewer, kind="集中学法"))["cadres"] == 1
    assert offline.totals(offline.filtered_sessions(viewer, unit=tree["v1"]))["sessions"] == 1
    assert offline.totals(offline.filtered_sessions(people["organiser_yi"])) == \
        {"sessions": 0, "cadres": 0, "public": 0, "people": 0}


def test_list_page_and_export(people, lecture, client):
    """Does the list show the totals sentence and the export carry the sessions?"""
    offline.add_attendees(people["organiser"], lecture, [people["cadre"].id])
    db.session.commit()
    client.login("ld01")
    page = client.get("/offline/?year=2026").get_data(as_text=True)
    assert "共开展线下学法活动1期，参加41人次" in page
    export = client.get("/offline/export.xlsx?year=2026")
    assert export.status_code == 200 and export.data.startswith(b"PK")
    assert client.get(f"/offline/{lecture.id}/edit").status_code == 404  # leaders read, organisers edit


def test_scope_of_sessions(people, lecture, client):
    """Is a session invisible (404) to a cadre and to another township's organiser?"""
    client.login("gb01")
    assert client.get("/offline/").status_code == 404
    assert client.get(f"/offline/{lecture.id}").status_code == 404
    client.post("/logout")
    client.login("zz02")
    assert client.get(f"/offline/{lecture.id}").status_code == 404
    assert client.post(f"/offline/{lecture.id}/delete").status_code == 404


# ---------------------------------------------------------------- sign-in sheets

def _sheet(rows, kind="xlsx"):
    if kind == "csv":
        return "\n".join(",".join(row) for row in rows).encode("utf-8-sig")
    return write_xlsx({"签到表": rows})


@pytest.fixture
def namesake(f, tree):
    """A second 王一, in 二村, so that the name alone is ambiguous."""
    return f.user("gb09", tree["v2"], name="王一")


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_signin_sheet_rows_and_errors(people, lecture, namesake, kind, f, tree):
    """Is every row checked: matched by login, by unique name, and each problem reported by sheet and row?"""
    f.user("gb10", tree["v1"], name="停用人", active=False)
    rows = [["序号", "姓名", "登录名", "签名"],
            ["1", "王一", "gb01", ""],          # login and name agree
            ["2", "李二", "", ""],              # name only, unique
            ["3", "王一", "", ""],              # name only, two people
            ["4", "赵四", "nobody", ""],        # unknown login
            ["5", "张冠李戴", "gb02", ""],      # name does not match the login
            ["6", "张三", "gb03", ""],          # another township
            ["7", "停用人", "gb10", ""],        # deactivated
            ["8", "王一", "gb01", ""],          # the same person again
            ["9", "", "", "签名"]]              # no name
    plan = offline.plan_signin(people["organiser"], lecture, _sheet(rows, kind))
    assert plan.total == 9
    assert [r["user"].login for r in plan.matched] == ["gb01", "gb02"]
    problems = {(p.row, p.column): p.message for p in plan.problems}
    assert "请填写登录名以区分" in problems[(4, "登录名")]
    assert "没有登录名为“nobody”" in problems[(5, "登录名")]
    assert "与登录名“gb02”对应的人员“李二”不一致" in problems[(6, "姓名")]
    assert "不在您的管理范围内" in problems[(7, "登录名")]
    assert "已停用" in problems[(8, "登录名")]
    assert "重复签到只计一次" in problems[(9, "姓名")]
    assert "缺少姓名" in problems[(10, "姓名")]
    assert all(p.sheet == ("CSV" if kind == "csv" else "签到表") for p in plan.problems)


def test_signin_sheet_two_steps(people, lecture, client):
    """Does the preview write nothing, and apply add the accepted rows (crediting them)?"""
    client.login("zz01")
    data = _sheet([["姓名", "登录名"], ["王一", "gb01"], ["查无此人", "zzz"]])
    page = client.post(f"/offline/{lecture.id}/signin", data={"file": (io.BytesIO(data), "签到.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "将添加" in page and "没有登录名为“zzz”" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OfflineAttendance)) == 0
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/offline/{lecture.id}/signin/apply", data={"token": token})
    assert response.status_code == 302
    assert db.session.scalars(sa.select(OfflineAttendance.user_id)).all() == [people["cadre"].id]
    assert _credits() == {(people["cadre"].id, 2026, 3, "宪法"): 5400}
    again = client.post(f"/offline/{lecture.id}/signin/apply", data={"token": token}, follow_redirects=True)
    assert "预检结果已失效" in again.get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    (b"", "文件是空的"),
    (b"\x00\x01\x02binary\x00" * 50, "不是有效的表格文件"),
    (_sheet([["单位", "职务"], ["乡政府", "干部"]]), "没有找到表头"),
    (_sheet([["姓名", "登录名"]]), "只有表头"),
])
def test_unreadable_signin_sheets(people, lecture, client, data, message):
    """Are files that are not sign-in sheets refused with a Chinese reason?"""
    client.login("zz01")
    page = client.post(f"/offline/{lecture.id}/signin", data={"file": (io.BytesIO(data), "签到.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert message in page


def test_signin_sheet_formula_cell_is_a_row_error(people, lecture):
    """Issue 12.7: is a name written as a formula (cached 王一) a row error naming the cell, and nobody credited for it?"""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet("签到表")
    sheet.write_row(0, 0, ["序号", "姓名", "登录名"])
    sheet.write_row(1, 0, ["1", "李二", "gb02"])
    sheet.write_row(2, 0, ["2"])
    sheet.write_formula(2, 1, '="王"&"一"', None, "王一")
    sheet.write_formula(2, 2, '=LOWER("GB01")', None, "gb01")
    book.close()
    plan = offline.plan_signin(people["organiser"], lecture, buffer.getvalue())
    assert [r["user"].login for r in plan.matched] == ["gb02"]
    assert {(p.row, p.column) for p in plan.problems} == {(3, "姓名"), (3, "登录名")}
    assert any("单元格 B3 是公式" in p.message for p in plan.problems)


def test_future_session_credits_nothing_until_held_and_confirmed(people, tree, client, clock):
    """Does a session dated three days ahead show as 已安排 and credit nothing; once held, does 确认 credit it?"""
    from datetime import timedelta

    from quizapp.audit.models import AuditEntry
    from quizapp.study.offline import local_today

    ahead = local_today() + timedelta(days=3)
    session = offline.create_session(people["organiser"], _values(tree["jia"], held_on=ahead, minutes=90))
    offline.add_attendees(people["organiser"], session, [people["cadre"].id])
    db.session.commit()
    assert _credits() == {}
    client.login("zz01")
    page = client.get(f"/offline/{session.id}").get_data(as_text=True)
    assert 'id="offline-status">已安排<' in page and "确认参加情况，计入学时" not in page
    assert "已安排" in client.get(f"/offline/?year={ahead.year}").get_data(as_text=True)
    with pytest.raises(offline.ServiceError, match="举行后才能确认"):
        offline.confirm_session(people["organiser"], session)
    assert client.post(f"/offline/{session.id}/confirm").status_code == 302
    assert _credits() == {}

    clock.advance(days=3)
    page = client.get(f"/offline/{session.id}").get_data(as_text=True)
    assert 'id="offline-status">待确认<' in page and "确认参加情况，计入学时" in page
    client.post(f"/offline/{session.id}/confirm")
    assert _credits() == {(people["cadre"].id, ahead.year, ahead.month, "宪法"): 5400}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "offline.confirm")) == 1
    db.session.refresh(session)
    with pytest.raises(offline.ServiceError, match="已经确认"):
        offline.confirm_session(people["organiser"], session)


def test_confirmed_session_cannot_move_into_the_future(people, lecture):
    """Is a confirmed session's date refused when moved past today (its hours were earned)?"""
    from datetime import timedelta

    from quizapp.study.offline import local_today

    offline.add_attendees(people["organiser"], lecture, [people["cadre"].id])
    with pytest.raises(offline.ServiceError):
        offline.update_session(people["organiser"], lecture,
                               _values(lecture.unit, held_on=local_today() + timedelta(days=1)))
    assert _credits() == {(people["cadre"].id, 2026, 3, "宪法"): 5400}


def test_cadre_sees_planned_session_without_hours(people, tree, client):
    """Does a cadre's 我的学习 show a planned session as 已安排 with no 学时 counted?"""
    from datetime import timedelta

    from quizapp.study.offline import local_today

    session = offline.create_session(people["organiser"], _values(tree["jia"], held_on=local_today() + timedelta(days=3)))
    offline.add_attendees(people["organiser"], session, [people["cadre"].id])
    db.session.commit()
    client.login(people["cadre"].login)
    page = client.get("/study/me").get_data(as_text=True)
    assert "已安排，未计学时" in page
