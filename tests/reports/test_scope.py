"""Who may see which report: a leader sees their unit and below, a cadre only their own 学习档案."""
import pytest

from reportkit import at


@pytest.fixture
def people(world, tree):
    made = {
        "v1_leader": world.person("leadv1", tree["v1"], role="leader"),
        "jia_organiser": world.person("orgjia", tree["jia"], role="organiser"),
        "v1_shufa": world.person("shufav1", tree["v1"], shufa=True),
        "v2_shufa": world.person("shufav2", tree["v2"], shufa=True),
        "v3_cadre": world.person("cadrev3", tree["v3"]),
        "cadre": world.person("cadrev1", tree["v1"]),
    }
    world.sit(world.exam("2026-03"), made["v2_shufa"], 80)
    world.clock.set(at(2026, 4, 2))
    return made


def _other_village_urls(tree, people):
    v2, county = tree["v2"].id, tree["county"].id
    other, shufa_other = people["v3_cadre"].id, people["v2_shufa"].id
    urls = [f"/reports/units/{v2}", f"/reports/units/{v2}/people", f"/reports/units/{v2}/rankings",
            f"/reports/units/{v2}/unfinished", f"/reports/?unit={v2}", f"/reports/shufa?unit={v2}",
            f"/reports/shufa/{shufa_other}", f"/reports/shufa/{shufa_other}?unit={v2}",
            f"/reports/annual?unit={v2}",
            f"/reports/annual/records/people?unit={v2}", f"/reports/annual/records/sat?unit={v2}",
            f"/reports/people/{other}", f"/reports/people/{shufa_other}",
            f"/reports/shufa/{people['v1_shufa'].id}?unit={county}", f"/reports/units/{county}"]
    return urls


def test_village_leader_gets_404_for_another_village(client, tree, people):
    """Is every page and export about another village's unit, people or 述法对象 a 404 for a village leader?"""
    client.login("leadv1")
    for url in _other_village_urls(tree, people):
        assert client.get(url).status_code == 404, url
        sep = "&" if "?" in url else "?"
        assert client.get(url + sep + "format=xlsx").status_code == 404, url + " (xlsx)"


def _opens(client, url, text):
    response = client.get(url)
    return response.status_code == 200 and text in response.get_data(as_text=True)


def test_village_leader_sees_own_village(client, tree, people):
    """Do the same pages open for the leader's own village, each showing that village or its person?"""
    client.login("leadv1")
    v1 = tree["v1"].id
    shufa, cadre = people["v1_shufa"], people["cadre"]
    for url, text in [(f"/reports/units/{v1}", "统计报表：一村两委"), (f"/reports/units/{v1}/people", cadre.name),
                      (f"/reports/units/{v1}/rankings", "排名：一村两委"),
                      (f"/reports/units/{v1}/unfinished", "未完成名单：一村两委"), ("/reports/", "统计报表：一村两委"),
                      ("/reports/shufa", shufa.name), (f"/reports/shufa/{shufa.id}", shufa.name),
                      ("/reports/annual", "2026年度学法数据：一村两委"),
                      (f"/reports/people/{cadre.id}", f"{cadre.name} 2026年度学习档案"), ("/reports/about", "统计报表说明")]:
        assert _opens(client, url, text), url


def test_leader_dashboard_starts_at_own_unit(client, tree, people):
    """Does a leader's dashboard open on their own unit, not the county?"""
    client.login("leadv1")
    page = client.get("/reports/").get_data(as_text=True)
    assert "统计报表：一村两委" in page


def test_organiser_scope_is_their_subtree(client, tree, people):
    """Does an organiser of a township see its villages and their 述法对象, but not the other township's?"""
    client.login("orgjia")
    assert _opens(client, f"/reports/units/{tree['v2'].id}", "统计报表：二村两委")
    assert client.get(f"/reports/units/{tree['v3'].id}").status_code == 404
    assert _opens(client, f"/reports/shufa/{people['v2_shufa'].id}", people["v2_shufa"].name)


def test_cadre_cannot_open_leader_reports(client, tree, people):
    """Does a cadre get 404 for the dashboard, every leader page and anyone else's 学习档案, yet read their own?"""
    client.login("cadrev1")
    own = tree["v1"].id
    for url in ["/reports/", f"/reports/units/{own}", f"/reports/units/{own}/people", f"/reports/units/{own}/rankings",
                f"/reports/units/{own}/unfinished", "/reports/shufa", f"/reports/shufa/{people['v1_shufa'].id}",
                "/reports/annual", "/reports/annual/records/people",
                f"/reports/people/{people['v1_shufa'].id}", "/reports/settings"]:
        assert client.get(url).status_code == 404, url
    assert client.post("/reports/shufa/export", {}).status_code == 404
    own_record = f"{people['cadre'].name} 2026年度学习档案"
    assert _opens(client, "/reports/me", own_record)
    assert _opens(client, f"/reports/people/{people['cadre'].id}", own_record)


def test_refresh_is_for_leaders_only(client, tree, people):
    """Is a cadre refused a rebuild of the statistics?"""
    client.login("cadrev1")
    assert client.post("/reports/refresh", {"year": "2026"}).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(app, tree, people):
    """Are signed-out visitors sent to the sign-in page from the reports?"""
    anonymous = app.test_client()
    response = anonymous.get("/reports/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_sees_everything(client, tree, people):
    """Does an administrator open any unit's pages and any 述法对象's sheet?"""
    client.login("admin01")
    for unit in ("county", "jia", "v2", "v3"):
        assert _opens(client, f"/reports/units/{tree[unit].id}", f"统计报表：{tree[unit].name}"), unit
    assert _opens(client, f"/reports/shufa/{people['v2_shufa'].id}", people["v2_shufa"].name)


def test_not_a_shufa_person_has_no_sheet(client, tree, people):
    """Is the 述法 sheet of someone who is not a 述法对象 a 404?"""
    client.login("admin01")
    assert client.get(f"/reports/shufa/{people['cadre'].id}").status_code == 404


@pytest.mark.parametrize("query", ["period=2026-13", "period=abc", "year=1800"])
def test_absurd_periods_are_404(client, tree, people, query):
    """Is a malformed period or year a 404 rather than an error page?"""
    client.login("admin01")
    path = "/reports/annual" if query.startswith("year") else "/reports/"
    assert client.get(f"{path}?{query}").status_code == 404
