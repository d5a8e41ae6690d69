"""`flask reports …`: rebuild the yearly roll-up from cron, print annual figures, export 述法 sheets."""
import click
import sqlalchemy as sa
from flask.cli import AppGroup

from ..accounts.models import Unit
from ..common.clock import to_local, utcnow
from ..common.spreadsheets import write_workbook
from ..extensions import db
from . import annual as annual_module
from . import rollup, services, shufa

reports_cli = AppGroup("reports", help="统计报表命令。")


def _unit(unit_id):
    if unit_id is None:
        tops = db.session.scalars(sa.select(Unit).where(Unit.parent_id.is_(None)).limit(2)).all()
        if len(tops) != 1:
            raise click.UsageError("单位不止一个顶级单位，请用 --unit 指定单位编号。")
        return tops[0]
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise click.UsageError(f"找不到编号为 {unit_id} 的单位。")
    return unit


@reports_cli.command("rebuild")
@click.option("--year", type=int, multiple=True, help="要更新的年度（可重复；默认今年）。")
@click.option("--stale", is_flag=True, help="同时更新所有已过期的年度。")
def rebuild_command(year, stale):
    """Close overdue attempts, then rebuild the roll-up of this year (or the given years): a repair, or nightly cron."""
    years = set(year) or {to_local(utcnow()).year}
    if stale:
        years |= set(rollup.stale_years())
    services.finalise_overdue()
    db.session.commit()
    for y in sorted(years):
        row = rollup.refresh(y)
        db.session.commit()
        click.echo(f"{y}年统计数据已更新：{row.person_rows} 行，用时 {row.duration_ms / 1000:.1f} 秒。")
    rollup.vacuum()


# The command's earlier name, kept for existing crontabs.
reports_cli.add_command(rebuild_command, "refresh")


@reports_cli.command("annual")
@click.option("--unit", "unit_id", type=int, help="单位编号（默认顶级单位）。")
@click.option("--year", type=int, help="年度（默认今年）。")
def annual_command(unit_id, year):
    """Print the annual figures as the sentences a 法治政府建设年度报告 quotes."""
    unit = _unit(unit_id)
    year = year or to_local(utcnow()).year
    for line in annual_module.sentences(annual_module.annual_figures(unit, year)):
        click.echo(line)


@reports_cli.command("shufa-export")
@click.option("--unit", "unit_id", type=int, help="单位编号（默认顶级单位）。")
@click.option("--year", type=int, help="年度（默认今年）。")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="输出的 .xlsx 文件。")
def shufa_export_command(unit_id, year, out):
    """Write every 述法对象's 学法情况 of the subtree to one workbook (as the batch export on the site)."""
    unit = _unit(unit_id)
    year = year or to_local(utcnow()).year
    written = write_workbook(out, shufa.batch_filler(unit, year))
    click.echo(f"已导出到 {out}（{written} 行）。")
