"""No N+1: every report page and export runs the same number of SQL statements for 3 people or for 15."""
import difflib
from datetime import date

import pytest

from quizapp.reports import rollup

from reportkit import at

PAGES = [
    "/reports/?period=2026-03", "/reports/?period=2026", "/reports/units/{jia}?period=2026-03",
    "/reports/units/{county}/people?period=2026-03&sort=average", "/reports/units/{county}/rankings?period=2026-03",
    "/reports/units/{county}/unfinished?period=2026-03", "/reports/shufa?year=2026",
    "/reports/annual?year=2026", "/reports/annual/records/sat?year=2026", "/reports/annual/records/aides?year=2026",
    "/reports/units/{county}/unfinished?period=2026-03&format=xlsx",
    "/reports/units/{county}/people?period=2026-03&format=xlsx",
]


def _grow(world, tree, exam, start, count):
    """``count`` more people across the villages and three new ones, each sitting, studying and attending.

    New units too, so a lookup per unit would show as well as one per person.
    """
    villages = [tree["v1"], tree["v2"], tree["v3"]] + [
        world.f.unit(f"新村{start}-{n}", tree["jia" if n % 2 else "yi"], kind="village") for n in range(3)]
    made = []
    for i in range(start, start + count):
        person = world.person(f"pgrow{i:03d}", villages[i % len(villages)], shufa=i % 2 == 0,
                              category="legal_aide" if i % 3 == 0 else "general")
        world.sit(exam, person, 40 + 10 * (i % 7))
        world.credit(person, 30 + i, at(2026, 3, 2))
        made.append(person)
    world.offline(tree["v1"], made, held_on=date(2026, 3, 9 + start % 5), topic=f"活动{start}")
    world.clock.set(at(2026, 3, 28))
    return made


def _counts(client, count_queries, tree, keep=None):
    counts = {}
    for page in PAGES:
        url = page.format(jia=tree["jia"].id, county=tree["county"].id)
        with count_queries() as statements:
            response = client.get(url)
            response.get_data()
        assert response.status_code == 200, url
        counts[url] = len(statements)
        if keep is not None:
            keep[url] = list(statements)
    return counts


def test_pages_run_a_fixed_number_of_queries(world, tree, client, count_queries):
    """The statement count of each page does not grow with the number of people."""
    exam = world.exam("2026-03")
    world.material("必学", due=date(2026, 3, 31))
    _grow(world, tree, exam, 0, 3)
    client.login("admin01")
    client.get("/reports/")
    few_sql, many_sql = {}, {}
    few = _counts(client, count_queries, tree, few_sql)
    _grow(world, tree, exam, 3, 12)
    many = _counts(client, count_queries, tree, many_sql)
    changed = {url: "\n".join(difflib.unified_diff([q[:120] for q in few_sql[url]], [q[:120] for q in many_sql[url]],
                                                    lineterm=""))
               for url in few if few[url] != many[url]}
    assert not changed, changed


def test_rebuild_runs_a_fixed_number_of_queries(world, tree, count_queries, app):
    """Rebuilding the roll-up is a handful of INSERT … SELECT statements, whatever the number of people."""
    exam = world.exam("2026-03")
    _grow(world, tree, exam, 0, 2)
    with count_queries() as few:
        rollup.refresh(2026)
    _grow(world, tree, exam, 2, 10)
    with count_queries() as many:
        rollup.refresh(2026)
    assert len(many) == len(few) <= 16  # PostgreSQL adds its lock, two settings and ANALYZE


@pytest.mark.parametrize("who", ["cadre", "leader"])
def test_archive_runs_a_fixed_number_of_queries(world, tree, client, count_queries, who):
    """A 学习档案 costs the same however many results, sessions and credits the person has."""
    person = world.person("parchive", tree["v1"], role="leader" if who == "leader" else "cadre")
    exams = [world.exam(f"2026-{m:02d}") for m in (1, 2)]
    world.sit(exams[0], person, 80)
    client.login("parchive")
    world.clock.set(at(2026, 3, 28))
    with count_queries() as few:
        client.get("/reports/me?year=2026").get_data()
    world.sit(exams[1], person, 90)
    for day in range(1, 6):
        world.credit(person, 30, at(2026, 3, day), category=("宪法", "法律法规", "党内法规")[day % 3])
    world.offline(tree["v1"], [person], held_on=date(2026, 3, 20))
    world.clock.set(at(2026, 3, 28))
    with count_queries() as many:
        client.get("/reports/me?year=2026").get_data()
    assert len(many) == len(few)
