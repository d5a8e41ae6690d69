"""Annual figures (法治政府建设年度报告 学法数据): the figures, the sentences, and the records behind each."""
import re
from datetime import date

import pytest

from quizapp.reports import annual, rollup

from reportkit import at


@pytest.fixture
def township(world, tree):
    """甲乡 in 2026: 12 monthly exams for three cadres, study time, sessions, 法律明白人 in two villages."""
    a = world.person("pa", tree["jia"], name="乡长", shufa=True, category="leading")
    b = world.person("pb", tree["jia"], name="副乡长", shufa=True, category="leading")
    c = world.person("pc", tree["v1"], name="村支书", category="village")
    aides = [world.person(f"paide{i}", tree["v1"], category="legal_aide") for i in range(3)]
    lone_aide = world.person("paide9", tree["v2"], category="legal_aide")
    for month in range(1, 13):
        exam = world.exam(f"2026-{month:02d}", audience=[tree["jia"]], owner=tree["jia"],
                          categories=["leading", "village"])
        world.sit(exam, a, 90)
        world.sit(exam, b, 60 if month != 6 else 50)
        if month != 7:
            world.sit(exam, c, 80)
    world.credit(a, 45 * 40, at(2026, 3, 3), category="习近平法治思想")
    for aide in aides[:2]:
        world.credit(aide, 45, at(2026, 5, 3))
    world.offline(tree["jia"], [a, b, c, *aides], kind="法治讲堂", topic="农村土地承包法", held_on=date(2026, 5, 10),
                  public=150)
    world.offline(tree["jia"], [a, b], kind="集中学法", topic="宪法", held_on=date(2026, 6, 2), minutes=60)
    world.offline(tree["v1"], [], kind="法治讲堂", topic="禁毒法", held_on=date(2026, 6, 26), public=2061)
    world.clock.set(at(2026, 12, 31))
    return {"a": a, "b": b, "c": c, "aides": aides, "lone": lone_aide}


def test_annual_figures(world, tree, township):
    """Cadres, 学法人次, sessions with 群众人次, exams, 述法对象 coverage and 法律明白人 per village."""
    rollup.refresh(2026)
    data = annual.annual_figures(tree["jia"], 2026)
    assert data.people == 7 and data.shufa == 2
    assert data.by_category == {"leading": 2, "village": 1, "legal_aide": 4}
    assert data.online_person_months == 3  # a in March, two aides in May
    assert data.online_hours == 42.0
    assert data.sessions == {"法治讲堂": {"sessions": 2, "cadres": 6, "public": 2211},
                             "集中学法": {"sessions": 1, "cadres": 2, "public": 0}}
    assert data.cadre_attendance == 8
    assert data.exam_count == 12
    e = data.exams
    assert (e.exam_due, e.exam_sat, e.exam_passed) == (36, 35, 34)
    assert (e.participation, e.pass_rate) == (97.2, 97.1)
    assert (data.shufa_sat_all, data.shufa_passed_all, data.shufa_hours_met) == (2, 1, 1)
    assert [(v.name, n, t) for v, n, t in data.villages] == [("一村两委", 3, 3), ("二村两委", 1, 0)]
    assert data.villages_met == 1 and [v.name for v in data.villages_short] == ["二村两委"]


def test_annual_sentences(world, tree, township):
    """Ready-to-paste sentences in the style of a township's annual report."""
    rollup.refresh(2026)
    lines = annual.sentences(annual.annual_figures(tree["jia"], 2026))
    assert lines[0] == "2026年，甲乡共有在册干部7人，其中领导干部2人、村“两委”干部1人、法律明白人4人。"
    assert lines[2] == "组织法治讲堂2期、集中学法1次，参加干部8人次、群众2211人次。"
    assert lines[3] == "全年组织在线学法考试12次，参考35人次，参考率97.2%，合格率97.1%，优秀率34.3%，平均分76.3分。"
    assert lines[4] == "全乡述法对象2人，全部参加年度学法考试，1人全部合格，1人学时达到年度目标。"
    assert lines[5] == ("全乡2个行政村共有法律明白人4名，其中本年度参加培训学习3名；1个村达到每村不少于3名的要求，"
                        "1个村尚未达标（二村两委），法律明白人培养仍需加强。")


def test_every_figure_links_to_its_records(client, tree, township):
    """Each linked figure opens a list whose length is the figure."""
    client.login("admin01")
    html = client.get(f"/reports/annual?year=2026&unit={tree['jia'].id}").get_data(as_text=True)
    links = re.findall(r'<td class="num"><a href="([^"]+)">([^<]+)</a></td>', html)
    assert len(links) >= 15
    checked = 0
    for href, value in links:
        href = href.replace("&amp;", "&")
        page = client.get(href)
        assert page.status_code == 200, href
        total = int(re.search(r'id="record-total">(\d+)<', page.get_data(as_text=True)).group(1))
        if any(key in href for key in ("/people?", "/sessions?", "/attendance?", "/exams?", "/absent?", "/passed?", "/due?",
                                       "/failed?", "/excellent?", "/aides?")) and "." not in value:
            checked += 1
            if "/aides?" in href and int(value) != total:
                continue  # village and trained counts link to the list of all 法律明白人
            assert total == int(value), (href, value, total)
    assert checked >= 8


def test_records_of_one_village(client, tree, township):
    """The 法律明白人 list can be narrowed to one village."""
    client.login("admin01")
    html = client.get(f"/reports/annual/records/aides?year=2026&unit={tree['jia'].id}&village={tree['v1'].id}")
    assert 'id="record-total">3<' in html.get_data(as_text=True)


def test_place_word(tree):
    """Sentences say 全乡, 全县 or 全村 by the unit's name."""
    assert annual._place(tree["jia"]) == "乡" and annual._place(tree["county"]) == "县"


def test_empty_year_reads_plainly(world, tree):
    """A unit with nobody and nothing gets sentences, not errors."""
    empty = world.f.unit("空单位", tree["county"], kind="township")
    rollup.refresh(2026)
    lines = annual.sentences(annual.annual_figures(empty, 2026))
    assert lines[0] == "2026年，空单位共有在册干部0人。"


def test_people_counts_follow_writes_without_a_rebuild(world, tree, township):
    """The annual counts live on the roll-up: a new 述法对象, a changed 人员类别 and a trained 法律明白人 are
    counted as soon as they are written, and equal a rebuild."""
    rollup.refresh(2026)
    township["c"].shufa = True
    township["lone"].category = "general"
    world.credit(township["aides"][2], 45, at(2026, 7, 3))
    from quizapp.extensions import db

    db.session.commit()
    data = annual.annual_figures(tree["jia"], 2026)
    assert data.shufa == 3 and data.by_category == {"leading": 2, "village": 1, "legal_aide": 3, "general": 1}
    assert (data.shufa_sat_all, data.shufa_passed_all) == (2, 1)  # 村支书 missed July's exam
    assert [(v.name, n, t) for v, n, t in data.villages] == [("一村两委", 3, 3), ("二村两委", 0, 0)]
    rollup.refresh(2026)
    again = annual.annual_figures(tree["jia"], 2026)
    assert (again.shufa, again.by_category, again.shufa_sat_all, again.shufa_passed_all, again.shufa_hours_met,
            again.villages) == (data.shufa, data.by_category, data.shufa_sat_all, data.shufa_passed_all,
                                data.shufa_hours_met, data.villages)


def test_a_change_of_targets_rebuilds_who_met_them(world, tree, township):
    """学时达到年度目标 depends on the targets: changing them rebuilds the year (a job; at once in tests)."""
    from quizapp.extensions import db
    from quizapp.study import services as study_services

    rollup.refresh(2026)
    db.session.commit()
    assert annual.annual_figures(tree["jia"], 2026).shufa_hours_met == 1  # 乡长's 40 学时 and more reach 40
    study_services.set_targets(tree["admin"], {"leading": 0})
    db.session.commit()
    assert annual.annual_figures(tree["jia"], 2026).shufa_hours_met == 2  # no target: both count as met
    study_services.set_targets(tree["admin"], {"leading": 100})
    db.session.commit()
    assert annual.annual_figures(tree["jia"], 2026).shufa_hours_met == 0


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("by", ["average", "hours"])
def test_people_by_a_figure_read_in_two_parts_page_like_one_list(world, tree, township, by, descending):
    """The people list sorted by 平均分 or 学时 reads those with the figure in the index's order, then those without
    (before them when 学时 ascends): every page, across the boundary too, is the page the single sorted statement
    gives (ties in account order, no score last)."""
    from quizapp.accounts.models import User
    from quizapp.reports import queries
    from quizapp.reports.periods import Period

    extra = [world.person(f"pz{i}", tree["v2"], name=f"无成绩{i}") for i in range(5)]  # without a score
    for person in extra[:2]:  # two with the same study time
        world.credit(person, 30, at(2026, 6, 8))
    rollup.refresh(2026)
    for period in (Period("month", 2026, 6), Period("year", 2026)):
        stmt = queries.people_stmt(tree["jia"], period, sort=by, descending=descending)
        parts = queries.figure_parts(tree["jia"], period, by, descending=descending)
        whole = [row[0].id for row in queries.paginate(stmt, 1, 100, key=User.id).items]
        assert len(whole) >= 10
        for per_page in (1, 2, 3, 4):
            paged = []
            for number in range(1, len(whole) // per_page + 2):
                paged += [row[0].id for row in queries.paginate(stmt, number, per_page, len(whole), key=User.id,
                                                                parts=parts).items]
            assert paged[:len(whole)] == whole, (period, per_page)


@pytest.mark.parametrize("by", ["average", "hours"])
def test_ranking_read_from_the_index_pages_like_ranking_everyone(world, tree, township, by):
    """The 个人排名 by 平均分 or 学时 is read a page at a time in the order of the roll-up's index, places counted
    from the page (ties share a place, across a page boundary too; by 学时 everyone 在册 without study time
    shares the last place) and the totals from the roll-up: every page equals the page of the ranking computed
    over everyone."""
    from quizapp.reports import queries
    from quizapp.reports.periods import Period

    tied = [world.person(f"ptie{i}", tree["v2"], name=f"并列{i}", category="village") for i in range(3)]
    exam = world.exam("2026-06", title="六月加考", audience=[tree["v2"]], owner=tree["jia"])
    for person in tied:
        world.sit(exam, person, 70)
        world.credit(person, 40, at(2026, 6, 9))
    rollup.refresh(2026)
    for period in (Period("month", 2026, 6), Period("year", 2026)):
        whole = queries.paginate(queries.ranking_people(tree["jia"], period, by), 1, 100)
        expected = [(row[0].id, row[-1]) for row in whole.items]
        assert len(expected) >= 4 and len({place for _, place in expected}) < len(expected)  # there are ties
        for per_page in (1, 2, 3):
            got = []
            for number in range(1, len(expected) // per_page + 2):
                page = queries.ranking_page(tree["jia"], period, by, number, per_page)
                assert page.total == len(expected)
                got += [(row[0].id, row[-1]) for row in page.items]
            assert got[:len(expected)] == expected, (period, per_page)
