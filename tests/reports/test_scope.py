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
            f"/reports/shufa/export?unit={v2}", f"/reports/annual?unit={v2}",
            f"/reports/annual/records/people?unit={v2}", f"/reports/annual/records/sat?unit={v2}",
            f"/reports/people/{other}", f"/reports/people/{shufa_other}",
            f"/reports/shufa/{people['v1_shufa'].id}?unit={county}", f"/reports/units/{county}"]
    return urls


def test_village_leader_gets_404_for_another_village(client, tree, people):
    """Every page and export about another village's unit, people or 述法对象 is a 404 for a village leader."""
    client.login("leadv1")
    for url in _other_village_urls(tree, people):
        assert client.get(url).status_code == 404, url
        sep = "&" if "?" in url else "?"
        assert client.get(url + sep + "format=xlsx").status_code == 404, url + " (xlsx)"


def test_village_leader_sees_own_village(client, tree, people):
    """The same pages for the leader's own village open."""
    client.login("leadv1")
    v1 = tree["v1"].id
    for url in [f"/reports/units/{v1}", f"/reports/units/{v1}/people", f"/reports/units/{v1}/rankings",
                f"/reports/units/{v1}/unfinished", "/reports/", "/reports/shufa", f"/reports/shufa/{people['v1_shufa'].id}",
                "/reports/annual", f"/reports/people/{people['cadre'].id}", "/reports/about"]:
        assert client.get(url).status_code == 200, url


def test_leader_dashboard_starts_at_own_unit(client, tree, people):
    """A leader's dashboard opens on their own unit, not the county."""
    client.login("leadv1")
    page = client.get("/reports/").get_data(as_text=True)
    assert "统计报表：一村两委" in page


def test_organiser_scope_is_their_subtree(client, tree, people):
    """An organiser of a township sees its villages but not the other township's."""
    client.login("orgjia")
    assert client.get(f"/reports/units/{tree['v2'].id}").status_code == 200
    assert client.get(f"/reports/units/{tree['v3'].id}").status_code == 404
    assert client.get(f"/reports/shufa/{people['v2_shufa'].id}").status_code == 200


def test_cadre_cannot_open_leader_reports(client, tree, people):
    """A cadre gets 404 for the dashboard and every leader page, and for anyone else's 学习档案."""
    client.login("cadrev1")
    own = tree["v1"].id
    for url in ["/reports/", f"/reports/units/{own}", f"/reports/units/{own}/people", f"/reports/units/{own}/rankings",
                f"/reports/units/{own}/unfinished", "/reports/shufa", f"/reports/shufa/{people['v1_shufa'].id}",
                "/reports/shufa/export", "/reports/annual", "/reports/annual/records/people",
                f"/reports/people/{people['v1_shufa'].id}", "/reports/settings"]:
        assert client.get(url).status_code == 404, url
    assert client.get("/reports/me").status_code == 200
    assert client.get(f"/reports/people/{people['cadre'].id}").status_code == 200


def test_refresh_is_for_leaders_only(client, tree, people):
    """A cadre cannot trigger a rebuild of the statistics."""
    client.login("cadrev1")
    assert client.post("/reports/refresh", {"year": "2026"}).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(app, tree, people):
    """Report pages need a signed-in user."""
    anonymous = app.test_client()
    response = anonymous.get("/reports/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_sees_everything(client, tree, people):
    """An administrator opens any unit's pages."""
    client.login("admin01")
    for unit in ("county", "jia", "v2", "v3"):
        assert client.get(f"/reports/units/{tree[unit].id}").status_code == 200
    assert client.get(f"/reports/shufa/{people['v2_shufa'].id}").status_code == 200


def test_not_a_shufa_person_has_no_sheet(client, tree, people):
    """A 述法 sheet exists only for 述法对象."""
    client.login("admin01")
    assert client.get(f"/reports/shufa/{people['cadre'].id}").status_code == 404


@pytest.mark.parametrize("query", ["period=2026-13", "period=abc", "year=1800"])
def test_absurd_periods_are_404(client, tree, people, query):
    """A malformed period or year is a 404, not an error page."""
    client.login("admin01")
    path = "/reports/annual" if query.startswith("year") else "/reports/"
    assert client.get(f"{path}?{query}").status_code == 404
