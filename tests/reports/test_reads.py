"""Reads are reads: no report page writes — not the overdue sweep, not a roll-up rebuild, nothing.

Every statement the database sees during the GETs is captured with an engine event listener, so the test
fails on any INSERT, UPDATE or DELETE however it is issued (ORM flush, Core statement, raw SQL).
"""
import re
from datetime import date

import pytest

from quizapp.exams import sitting as exam_sitting
from quizapp.extensions import db
from quizapp.reports import rollup
from quizapp.reports.annual import RECORDS

from reportkit import at

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|TRUNCATE|CREATE|DROP|ALTER|VACUUM|ANALYZE)\b", re.I)


@pytest.fixture
def scene(world, tree, f):
    """March 2026 with results, study time, a material, a session, a 述法对象 and one attempt left open past time."""
    people = {
        "a": world.person("ra", tree["v1"], shufa=True, title="村支书"),
        "b": world.person("rb", tree["v3"]),
        "open": world.person("ropen", tree["v1"]),
        "lead": world.person("rlead", tree["county"], role="leader"),
    }
    exam = world.exam("2026-03")
    world.sit(exam, people["a"], 90)
    world.sit(exam, people["b"], 50)
    world.sit(exam, people["open"], 70, submit=False)
    world.credit(people["a"], 90, at(2026, 3, 3))
    world.material("必学资料", due=date(2026, 3, 31))
    world.clock.set(at(2026, 1, 10))
    rollup.refresh(2026)  # as the nightly rebuild or the job would have
    db.session.commit()
    world.clock.set(at(2026, 3, 25))  # the open attempt is now overdue
    return people


def _urls(tree, people):
    county, v1 = tree["county"].id, tree["v1"].id
    a = people["a"].id
    urls = [
        "/reports/?period=2026-03", "/reports/?period=2026-Q1", "/reports/?period=2026",
        f"/reports/units/{v1}?period=2026-03",
        f"/reports/units/{county}/people?period=2026-03", f"/reports/units/{county}/people?period=2026-03&q=r",
        f"/reports/units/{county}/rankings?period=2026-03", f"/reports/units/{county}/rankings?period=2026&level=2",
        f"/reports/units/{county}/unfinished?period=2026-03", f"/reports/units/{county}/unfinished?period=2026-03&kind=exam",
        f"/reports/people/{a}?year=2026", "/reports/shufa?year=2026", f"/reports/shufa/{a}?year=2026",
        "/reports/annual?year=2026", "/reports/about",
    ]
    urls += [f"/reports/annual/records/{name}?year=2026" for name in RECORDS]
    return urls


def _writes(statements):
    return [s for s in statements if WRITE.match(s)]


@pytest.fixture
def client(plain_client):
    """A plain client: nothing rebuilds the roll-up behind the pages' back."""
    return plain_client


def test_report_pages_never_write(client, tree, scene, count_queries):
    """A leader opening every report page (HTML) causes no INSERT, UPDATE or DELETE, and leaves the overdue
    attempt for the sweep."""
    client.login("rlead")
    with count_queries() as statements:
        for url in _urls(tree, scene):
            assert client.get(url).status_code == 200, url
    assert statements, "the listener saw no SQL at all"
    assert _writes(statements) == []
    assert len(exam_sitting.overdue_attempt_ids()) == 1


def test_cadre_and_admin_pages_never_write(client, tree, scene, count_queries):
    """学法档案 for the cadre themself, and the admin's settings page, are reads too."""
    client.login("ra")
    with count_queries() as statements:
        assert client.get("/reports/me?year=2026").status_code == 200
        assert client.get("/reports/about").status_code == 200
    assert _writes(statements) == []
    client.post("/logout")
    client.login("admin01")
    with count_queries() as statements:
        assert client.get("/reports/settings").status_code == 200
        assert client.get("/reports/?period=2026-03").status_code == 200
    assert _writes(statements) == []


def test_exports_write_only_their_audit_entry(client, tree, scene, count_queries):
    """An export of personal data writes exactly one thing: the audit entry saying who took which list."""
    client.login("rlead")
    county = tree["county"].id
    exports = [f"/reports/units/{county}/people?period=2026-03&format=xlsx",
               f"/reports/units/{county}/unfinished?period=2026-03&format=xlsx",
               "/reports/annual/records/due?year=2026&format=xlsx"]
    for url in exports:
        with count_queries() as statements:
            response = client.get(url)
            assert response.status_code == 200, url
            response.get_data()  # streamed bodies run their queries while being read
        writes = _writes(statements)
        assert len(writes) == 1 and re.match(r"\s*INSERT INTO audit_entries", writes[0]), (url, writes)


def test_overdue_attempts_reach_the_figures_through_the_sweep(client, tree, scene, world, runner):
    """The overdue attempt counts once the sweep (cron/job) closes it, not because somebody opened a page."""
    client.login("rlead")
    client.get("/reports/?period=2026-03")
    assert len(exam_sitting.overdue_attempt_ids()) == 1
    result = runner.invoke(args=["exams", "close-overdue"])
    assert result.exit_code == 0, result.output
    assert exam_sitting.overdue_attempt_ids() == []
    figures = world.figures(tree["county"], "2026-03")
    assert (figures.exam_sat, figures.exam_passed) == (3, 2)
