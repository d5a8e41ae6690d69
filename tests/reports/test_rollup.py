"""The yearly roll-up: rebuilding, freshness, and the `flask reports` commands."""
from datetime import timedelta
from types import SimpleNamespace

import openpyxl
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.reports import rollup
from quizapp.reports.models import PersonStat, Refresh, UnitStat
from quizapp.reports.periods import Period

from reportkit import at


def _snapshot():
    return sorted(tuple(row) for row in db.session.execute(
        sa.select(UnitStat.__table__).where(UnitStat.year == 2026)).all())


def test_rebuild_is_repeatable(world, tree):
    """Does rebuilding twice give the same rows, and a rebuild after a change pick it up?"""
    person = world.person("pr1", tree["v1"])
    exam = world.exam("2026-03")
    world.sit(exam, person, 80)
    rollup.refresh(2026)
    first = _snapshot()
    rollup.refresh(2026)
    assert _snapshot() == first
    world.sit(world.exam("2026-04"), person, 50)
    rollup.refresh(2026)
    assert rollup.total(tree["county"], Period.parse("2026-04")).exam_sat == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PersonStat).where(
        PersonStat.year == 2026, PersonStat.slot == 17)) == 1


def test_only_the_rebuilt_year_changes(world, tree):
    """Does rebuilding 2026 leave 2025's rows alone?"""
    person = world.person("pr2", tree["v1"], joined=at(2024, 1, 1))
    world.sit(world.exam("2025-06", opens=at(2025, 6, 5), closes=at(2025, 6, 20)), person, 70)
    rollup.refresh(2025)
    rollup.refresh(2026)
    assert rollup.total(tree["county"], Period.parse("2025-06")).exam_passed == 1


def test_stale_years(world, tree, app):
    """Does stale_years() list the years whose last rebuild is older than the maximum age (for --stale)?"""
    app.config["REPORTS_SNAPSHOT_MAX_AGE"] = 300
    world.person("pr3", tree["v1"])
    world.clock.set(at(2026, 5, 1, 9))
    rollup.refresh(2026)
    assert 2026 not in rollup.stale_years(at(2026, 5, 1, 9) + timedelta(minutes=2))
    assert 2026 in rollup.stale_years(at(2026, 5, 2))


def test_refresh_keeps_a_recent_rebuild(world, tree):
    """With if_older_than, is a rebuild done moments ago (by another request) kept as it is, and an older one redone?"""
    world.person("pr4", tree["v1"])
    world.clock.set(at(2026, 5, 1, 9))
    stamp = rollup.refresh(2026).computed_at
    db.session.commit()
    # Damage the roll-up behind the upkeep's back (raw SQL): only a real rebuild repairs it.
    db.session.execute(sa.text("DELETE FROM report_unit_stats WHERE year = 2026 AND slot = 1"))
    db.session.commit()
    damaged = _snapshot()
    world.clock.set(at(2026, 5, 1, 9) + timedelta(seconds=30))
    assert rollup.refresh(2026, if_older_than=60).computed_at == stamp
    assert _snapshot() == damaged
    world.clock.set(at(2026, 5, 1, 9) + timedelta(seconds=90))
    assert rollup.refresh(2026, if_older_than=60).computed_at == at(2026, 5, 1, 9) + timedelta(seconds=90)
    assert _snapshot() != damaged


def test_refresh_records_how_long_it_took(world, tree, runner, monkeypatch):
    """Is a rebuild's own run time stored (it decides whether a page may rebuild) and told by the command?"""
    world.person("pr9", tree["v1"])
    ticks = iter([100.0, 101.5])
    monkeypatch.setattr(rollup, "time", SimpleNamespace(perf_counter=lambda: next(ticks)))
    world.clock.set(at(2026, 5, 1, 9))
    result = runner.invoke(args=["reports", "refresh", "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert "用时 1.5 秒" in result.output
    db.session.expire_all()
    assert db.session.get(Refresh, 2026).duration_ms == 1500


def test_cli_refresh_and_annual(world, tree, runner):
    """Does `flask reports refresh` rebuild a year and `flask reports annual` print the year's sentences?"""
    person = world.person("pr5", tree["v1"])
    world.sit(world.exam("2026-03"), person, 90)
    world.clock.set(at(2026, 4, 1))
    result = runner.invoke(args=["reports", "refresh", "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert "2026年统计数据已更新" in result.output
    result = runner.invoke(args=["reports", "annual", "--year", "2026", "--unit", str(tree["county"].id)])
    assert result.exit_code == 0, result.output
    assert "全年组织在线学法考试1次，参考1人次，参考率100%，合格率100%" in result.output
    assert runner.invoke(args=["reports", "annual", "--unit", "99999"]).exit_code != 0


def test_cli_shufa_export(world, tree, runner, tmp_path):
    """Does `flask reports shufa-export` write the same workbook as the batch download?"""
    person = world.person("pr6", tree["v1"], shufa=True, name="述法甲")
    world.sit(world.exam("2026-03"), person, 90)
    world.clock.set(at(2026, 4, 1))
    out = tmp_path / "shufa.xlsx"
    result = runner.invoke(args=["reports", "shufa-export", "--year", "2026", "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert [row[1].value for row in book["述法对象汇总"].iter_rows(min_row=3)] == ["述法甲"]


def test_pages_never_rebuild_but_the_button_does(world, tree, app, plain_client):
    """A page shows the roll-up as it is, however old; “立即更新” (a POST) rebuilds it."""
    world.person("pslow", tree["v1"])
    world.clock.set(at(2026, 5, 1, 9))
    first = rollup.refresh(2026).computed_at
    db.session.commit()
    world.clock.set(at(2026, 5, 1, 11))
    plain_client.login("admin01")
    html = plain_client.get("/reports/?period=2026-05").get_data(as_text=True)
    assert "统计数据更新于" in html
    db.session.expire_all()
    assert db.session.get(Refresh, 2026).computed_at == first
    assert plain_client.post("/reports/refresh", {"year": "2026", "next": "/reports/"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Refresh, 2026).computed_at > first


def test_missing_roll_up_is_said_not_built(world, tree, plain_client):
    """With no roll-up for the year yet, the page says so and builds nothing."""
    db.session.delete(db.session.get(Refresh, 2026))
    db.session.commit()
    plain_client.login("admin01")
    world.clock.set(at(2026, 5, 1, 9))
    html = plain_client.get("/reports/?period=2026-05").get_data(as_text=True)
    assert "本年度统计数据尚未生成" in html
    assert db.session.get(Refresh, 2026) is None
