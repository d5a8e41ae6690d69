"""The report pages: what the dashboard, drill-downs, rankings, 未完成名单, 学习档案 and settings show."""
import json
import re
from datetime import date

import pytest
import sqlalchemy as sa

from quizapp.audit.models import AuditEntry
from quizapp.extensions import db
from quizapp.reports.models import Refresh

from reportkit import at


@pytest.fixture
def data(world, tree):
    """March 2026: 甲乡 villages sit the exam (one fails, one absent); 乙乡 all pass; a 述法对象 with study time."""
    p = {
        "a": world.person("pa", tree["v1"], name="张一", shufa=True, title="村支书", phone="13900000001"),
        "b": world.person("pb", tree["v1"], name="李二", phone="13900000002"),
        "c": world.person("pc", tree["v2"], name="王三", phone="13900000003"),
        "d": world.person("pd", tree["v3"], name="赵四"),
        "e": world.person("pe", tree["v3"], name="钱五"),
        "lead": world.person("plead", tree["county"], role="leader", name="县领导"),
        "cadre": world.person("pcadre", tree["v3"], name="孙六"),
    }
    exam = world.exam("2026-03", title="3月学法测试")
    world.sit(exam, p["a"], 90)
    world.sit(exam, p["b"], 50)
    world.sit(exam, p["d"], 80)
    world.sit(exam, p["e"], 100)
    world.sit(exam, p["cadre"], 70)
    world.sit(exam, p["lead"], 60)
    world.credit(p["a"], 135, at(2026, 3, 3))
    world.material("习近平法治思想学习纲要", due=date(2026, 3, 31))
    world.clock.set(at(2026, 3, 28))
    return {"exam": exam, **p}


def _cells(html, table_id):
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    return [[re.sub(r"<[^>]+>|\s+", "", cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            for row in rows]


def test_dashboard_headline_and_sub_units(client, tree, data):
    """The headline figures, and one row per sub-unit with 本级, each drilling down."""
    client.login("plead")
    html = client.get("/reports/?period=2026-03").get_data(as_text=True)
    assert 'data-figure="participation">85.7%' in html  # 6 of 7 sat
    assert 'data-figure="pass_rate">83.3%' in html  # 5 of 6
    assert 'data-figure="average">75' in html
    rows = _cells(html, "unit-table")
    assert rows[0][:4] == ["单位", "在册人数", "应参考", "参考"]
    names = [r[0] for r in rows[1:-1]]
    assert names == ["乙乡", "甲乡", "示范县（本级）"]  # sub-units in tree order, then 本级
    jia = rows[2]
    assert jia[1:5] == ["3", "3", "2", "66.7%"]
    assert rows[-1][0] == "合计" and rows[-1][1:4] == ["7", "7", "6"]
    assert f'href="/reports/units/{tree["jia"].id}?period=2026-03"' in html
    assert "尚未完成本期学习考试任务" in html


def test_dashboard_sorts_server_side(client, tree, data):
    """Sorting is a query argument the server applies: the page is sorted without JavaScript."""
    client.login("plead")
    html = client.get("/reports/?period=2026-03&sort=pass_rate&dir=desc").get_data(as_text=True)
    names = [r[0] for r in _cells(html, "unit-table")[1:-1]]
    assert names == ["乙乡", "示范县（本级）", "甲乡"]
    html = client.get("/reports/?period=2026-03&sort=pass_rate&dir=asc").get_data(as_text=True)
    assert [r[0] for r in _cells(html, "unit-table")[1:-1]] == ["甲乡", "乙乡", "示范县（本级）"]
    assert 'aria-sort="ascending"' in html


def test_drill_down_to_villages_then_people(client, tree, data):
    """County → township lists villages; a village (no sub-units) links to its people."""
    client.login("plead")
    html = client.get(f"/reports/units/{tree['jia'].id}?period=2026-03").get_data(as_text=True)
    assert [r[0] for r in _cells(html, "unit-table")[1:-1]] == ["一村两委", "二村两委"]
    assert f'href="/reports/units/{tree["v1"].id}/people?period=2026-03"' in html
    people = client.get(f"/reports/units/{tree['v1'].id}/people?period=2026-03").get_data(as_text=True)
    rows = _cells(people, "people-table")
    assert [r[1][:2] for r in rows[1:]] == ["张一", "李二"]
    assert rows[1][2:6] == ["1", "1", "1", "90"]


def test_charts_have_their_data_and_tables(client, tree, data):
    """The chart data is a JSON block (not script), and every chart has a table with the same figures."""
    client.login("plead")
    html = client.get("/reports/?period=2026-03").get_data(as_text=True)
    block = re.search(r'<script type="application/json" id="report-charts">(.*?)</script>', html, re.S).group(1)
    chart = json.loads(block)
    assert chart["units"]["labels"] == ["乙乡", "甲乡", "示范县（本级）"]
    assert chart["units"]["pass"] == [100.0, 50.0, 100.0]
    units = _cells(html, "unit-chart-table")
    assert [r[2] for r in units[1:]] == ["100%", "50%", "100%"]
    assert chart["trend"]["participation"][2] == 85.7
    assert chart["distribution"]["counts"] == [1, 1, 1, 1, 2]
    distribution = _cells(html, "distribution-table")
    assert [int(r[1]) for r in distribution[1:]] == chart["distribution"]["counts"]
    trend = _cells(html, "trend-table")
    assert trend[3][2] == "85.7%"
    # Only external scripts: the CSP forbids inline script, the JSON block is data.
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'src="' in tag or 'type="application/json"' in tag
    assert "/static/vendor/echarts/echarts.min.js" in html


def test_people_page_sorts_by_score(client, tree, data):
    """The people list sorts by 平均分 with those who did not sit last."""
    client.login("plead")
    html = client.get(f"/reports/units/{tree['county'].id}/people?period=2026-03&sort=average&dir=desc")
    names = [r[1][:2] for r in _cells(html.get_data(as_text=True), "people-table")[1:]]
    assert names[:3] == ["钱五", "张一", "赵四"]
    assert names[-1] == "王三"


def test_rankings(client, tree, data):
    """Units rank by the chosen metric with ties sharing a place; people by score."""
    client.login("plead")
    html = client.get(f"/reports/units/{tree['county'].id}/rankings?period=2026-03&metric=pass_rate").get_data(
        as_text=True)
    units = _cells(html, "unit-ranking")[1:]
    assert [(r[0], r[1]) for r in units] == [("第1", "示范县/乙乡"), ("第2", "示范县/甲乡")]
    people = _cells(html, "people-ranking")[1:]
    assert [r[0] for r in people] == ["1", "2", "3", "4", "5", "6"]
    assert people[0][1] == "钱五"
    html = client.get(f"/reports/units/{tree['county'].id}/rankings?period=2026-03&level=2&by=hours").get_data(
        as_text=True)
    assert len(_cells(html, "unit-ranking")) == 4  # header and three villages
    assert _cells(html, "people-ranking")[1][1] == "张一"


def test_unfinished_list(client, tree, data):
    """One row per person naming what is unfinished (failed, absent, the required material), with phone."""
    client.login("plead")
    html = client.get(f"/reports/units/{tree['county'].id}/unfinished?period=2026-03").get_data(as_text=True)
    rows = _cells(html, "unfinished-table")[1:]
    by_name = {r[1][:2]: r for r in rows}
    assert len(rows) == len(by_name) == 7  # nobody has read the required material: seven people, one row each
    assert "考试“3月学法测试”：不合格（50分）" in by_name["李二"][3]
    assert "考试“3月学法测试”：未参考" in by_name["王三"][3] and "13900000003" in by_name["王三"][2]
    assert "必修资料《习近平法治思想学习纲要》：未" in by_name["张一"][3]
    assert by_name["张一"][4] == "0次"
    assert 'id="unfinished-people">7<' in html
    only_exams = client.get(f"/reports/units/{tree['county'].id}/unfinished?period=2026-03&kind=exam")
    assert 'id="unfinished-people">2<' in only_exams.get_data(as_text=True)


def test_one_click_reminder_reaches_home_and_messages(client, make_client, tree, data):
    """Does 一键提醒 send each person on the list a notice naming their items, shown on 首页 and 消息 until read,
    counted on the list and audited once?"""
    client.login("plead")
    url = f"/reports/units/{tree['county'].id}/unfinished"
    response = client.post(f"{url}/remind", {"period": "2026-03", "kind": "exam"})
    assert response.status_code == 302
    cadre = make_client()
    cadre.login("pb")  # 李二, failed the exam
    home = cadre.get("/").get_data(as_text=True)
    assert 'id="home-notices"' in home and "2026年3月学法任务督办提醒" in home and "不合格（50分）" in home
    page = cadre.get("/messages/").get_data(as_text=True)
    assert "1 条未读" in page and 'id="menu-unread">1<' in page
    notice_id = int(re.search(r'id="notice-(\d+)"', page).group(1))
    cadre.post(f"/messages/{notice_id}")
    assert "条未读" not in cadre.get("/messages/").get_data(as_text=True)
    assert 'id="menu-unread"' not in cadre.get("/").get_data(as_text=True)
    assert 'id="home-notices"' not in cadre.get("/").get_data(as_text=True)
    other = make_client()
    other.login("pa")  # 张一 passed the exam: not reminded about exams
    assert "督办提醒" not in other.get("/messages/").get_data(as_text=True)
    assert other.post(f"/messages/{notice_id}").status_code == 404  # not theirs
    rows = _cells(client.get(f"{url}?period=2026-03&kind=exam").get_data(as_text=True), "unfinished-table")[1:]
    assert {r[4] for r in rows} == {"1次"}
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "notices.send")).all()
    assert len(entries) == 1 and "发送 2 人" in entries[0].summary


def test_sms_list_has_name_phone_and_text(client, tree, data):
    """Does the 短信名单 give name, phone and a ready text per person, people without a phone apart, audited?"""
    import io

    import openpyxl

    client.login("plead")
    response = client.get(f"/reports/units/{tree['county'].id}/unfinished/sms.xlsx?period=2026-03&kind=exam")
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    rows = [[c.value for c in row] for row in book["短信名单"].iter_rows(min_row=3)]
    assert [r[:2] for r in rows] == [["李二", "13900000002"], ["王三", "13900000003"]]
    assert rows[1][2].startswith("王三同志，您2026年3月尚有1项学法任务未完成：考试“3月学法测试”：未参考")
    assert "\n" not in rows[1][2]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.summary.like("%督办短信名单%"))) == 1


def test_settings_change_what_cadres_see(client, make_client, tree, data):
    """By default a cadre sees only their own rank in their unit; the admin can widen or hide it (audited)."""
    cadre = make_client()
    cadre.login("pd")
    own = cadre.get("/reports/me?year=2026").get_data(as_text=True)
    assert 'id="my-rank"' in own and "第2名（共3人）" in own
    assert 'id="unit-ranking"' not in own
    client.login("admin01")
    assert client.get("/reports/settings").status_code == 200
    response = client.post("/reports/settings", {"cadre_rankings": "unit"})
    assert response.status_code == 302
    page = cadre.get("/reports/me?year=2026").get_data(as_text=True)
    assert 'id="unit-ranking"' in page and "钱五" in page
    client.post("/reports/settings", {"cadre_rankings": "none"})
    page = cadre.get("/reports/me?year=2026").get_data(as_text=True)
    assert 'id="my-rank"' not in page and 'id="unit-ranking"' not in page
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action == "reports.settings")).all()
    assert len(actions) == 2
    assert client.post("/reports/settings", {"cadre_rankings": "everyone"}).status_code == 200


def test_settings_need_csrf_and_admin(client, make_client, tree, data):
    """The settings form refuses a post without its CSRF token, and non-admins never see it."""
    client.login("admin01")
    assert client.post("/reports/settings", {"cadre_rankings": "unit"}, csrf=False).status_code == 400
    leader = make_client()
    leader.login("plead")
    assert leader.get("/reports/settings").status_code == 404


def test_archive_shows_the_year(client, tree, data, world):
    """学习档案: 学时 by category and month, materials, exams with bands, printable."""
    world.offline(tree["v1"], [data["a"]], held_on=date(2026, 3, 12), topic="宪法宣讲")
    client.login("pa")
    html = client.get("/reports/me?year=2026").get_data(as_text=True)
    assert "张一 2026年度学习档案" in html
    hours = _cells(html, "archive-hours")
    assert hours[1][0] == "宪法" and hours[1][3] == "5"  # 135 + 90 minutes in March
    exams = _cells(html, "archive-exams")
    assert exams[1] == ["3月学法测试", "90", "优秀", "合格"]
    assert "宪法宣讲" in html and "习近平法治思想学习纲要" in html
    assert "data-print" in html
    xlsx = client.get("/reports/me?year=2026&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")


def test_leader_opens_a_persons_archive(client, tree, data):
    """A leader opens anyone's 学习档案 in their subtree, with the rank shown."""
    client.login("plead")
    html = client.get(f"/reports/people/{data['b'].id}?year=2026").get_data(as_text=True)
    assert "李二 2026年度学习档案" in html and 'id="my-rank"' in html


def test_refresh_button_rebuilds(client, tree, data, app):
    """“立即更新” queues a rebuild job (run at once in tests), whose page links back; twice in a minute is once."""
    client.login("plead")
    built = db.session.scalar(sa.select(Refresh.computed_at).where(Refresh.year == 2026))
    response = client.post("/reports/refresh", {"year": "2026", "next": "/reports/?period=2026-03"})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-status="done"' in page and 'href="/reports/?period=2026-03"' in page
    db.session.expire_all()
    first = db.session.scalar(sa.select(Refresh.computed_at).where(Refresh.year == 2026))
    assert first > built
    client.post("/reports/refresh", {"year": "2026", "next": "/reports/?period=2026-03"})
    db.session.expire_all()
    again = db.session.scalar(sa.select(Refresh.computed_at).where(Refresh.year == 2026))
    assert again == first  # rebuilt less than a minute ago: kept
    response = client.post("/reports/refresh", {"year": "2026", "next": "https://evil.example/"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "evil.example" not in page and 'href="/reports/"' in page


def test_user_text_is_escaped(client, tree, world):
    """Names and titles are escaped on every report page."""
    world.person("pevil", tree["v1"], name="<b>坏</b>", title='"><script>', shufa=True)
    world.exam("2026-03", title="<i>测试</i>")
    world.clock.set(at(2026, 3, 28))
    client.login("admin01")
    for url in [f"/reports/units/{tree['v1'].id}/people?period=2026-03", "/reports/shufa?year=2026",
                f"/reports/units/{tree['county'].id}/unfinished?period=2026-03"]:
        html = client.get(url).get_data(as_text=True)
        assert "<b>坏</b>" not in html and "&lt;b&gt;坏&lt;/b&gt;" in html, url


def test_about_page_states_the_rules(client, tree, data):
    """The 说明 page states the rules for deactivated and late-joining cadres, 补考 and best-vs-last."""
    client.login("plead")
    html = client.get("/reports/about").get_data(as_text=True)
    for phrase in ("考试截止后才加入的人员", "在正式考试截止前停用的不计入", "补考合格即计为合格", "取最高分", "取最后一次",
                   "每 45 分钟折合 1 学时", "完成率", "不少于 3 名"):
        assert phrase in html, phrase


def test_navigation_entries(client, make_client, tree, data):
    """Leaders get 统计报表, 述法材料, 年度学法数据 and 说明; cadres get 学法档案."""
    client.login("plead")
    html = client.get("/reports/about").get_data(as_text=True)
    for label in ("统计报表", "述法材料", "年度学法数据", "报表说明", "学法档案"):
        assert f">{label}<" in html
    cadre = make_client()
    cadre.login("pcadre")
    html = cadre.get("/reports/me").get_data(as_text=True)
    assert ">学法档案<" in html and ">统计报表<" not in html


def test_people_count_includes_those_outside_the_period(client, tree, world):
    """Someone who joined after March but sat March's 补考 is listed for March, and the count says so."""
    world.person("pin", tree["v1"], name="在册")
    late = world.person("plate", tree["v1"], name="后来者", joined=at(2026, 4, 1, 9))
    exam = world.exam("2026-03", makeup=(at(2026, 4, 2), at(2026, 4, 5)))
    world.sit(exam, late, 80, at(2026, 4, 3))
    world.clock.set(at(2026, 4, 10))
    client.login("admin01")
    html = client.get(f"/reports/units/{tree['v1'].id}/people?period=2026-03").get_data(as_text=True)
    names = [r[1][:3] for r in _cells(html, "people-table")[1:]]
    assert sorted(names) == ["后来者", "在册"]
    assert "共 2 条" in html
    searched = client.get(f"/reports/units/{tree['v1'].id}/people?period=2026-03&q=后来").get_data(as_text=True)
    assert "共 1 条" in searched


def test_month_in_progress_is_not_compared_with_a_finished_one(client, tree, data, world):
    """Early/mid-month, does the dashboard say 进行中 with days left, show last month beside it, and draw no red
    deltas; once the month has ended, are the changes back?"""
    client.login("plead")
    html = client.get("/reports/?period=2026-03").get_data(as_text=True)  # the clock is at 28 March
    assert 'id="in-progress"' in html and "还剩 3 天" in html and "已过 28/31 天" in html
    assert 'id="last-complete"' in html and "2026年2月（已结束）" in html
    assert "个百分点" not in html and "change down" not in html and "change up" not in html
    assert "不与2026年2月比较增减" in html
    world.clock.set(at(2026, 4, 2))
    html = client.get("/reports/?period=2026-03").get_data(as_text=True)
    assert 'id="in-progress"' not in html and 'id="last-complete"' not in html
    assert "与2026年2月比较。" in html


def test_ties_share_a_place_and_all_tied_is_no_ranking():
    """Are tied units 并列第N, and is no ranking shown at all when every unit has the same figure?"""
    from types import SimpleNamespace

    from quizapp.reports.views import place_labels

    a, b, c = (SimpleNamespace(name=n) for n in "abc")
    rows, undecided = place_labels([(1, a, None), (1, b, None), (3, c, None)])
    assert [label for label, _, _ in rows] == ["并列第1", "并列第1", "第3"] and not undecided
    rows, undecided = place_labels([(1, a, None), (1, b, None), (1, c, None)])
    assert undecided and [label for label, _, _ in rows] == ["—", "—", "—"]
    rows, undecided = place_labels([(1, a, None), (None, b, None)])
    assert [label for label, _, _ in rows] == ["第1", "—"] and not undecided


def test_rankings_page_says_when_nothing_distinguishes_units(client, tree, data):
    """When every township is at the same 完成率 (nobody has finished the required material), is no rank shown?"""
    client.login("plead")
    html = client.get(f"/reports/units/{tree['county'].id}/rankings?period=2026-03&metric=completion_rate"
                      ).get_data(as_text=True)
    units = _cells(html, "unit-ranking")[1:]
    assert len(units) == 2 and [r[0] for r in units] == ["—", "—"]
    assert 'id="no-ranking"' in html and "各单位的完成率相同，暂不排名" in html
