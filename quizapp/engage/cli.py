"""`flask cases load`: the shipped 以案释法 cases, through the same service as the demo."""
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..extensions import db
from . import cases

cases_cli = AppGroup("cases", help="以案释法：加载随系统提供的案例。")


@cases_cli.command("load")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
def load_cases(directory):
    """Load or update the shipped cases (question_bank/cases by default); load the banks first for their questions."""
    folder = Path(directory) if directory else cases.default_cases_dir()
    summary = cases.load_case_files(folder)
    db.session.commit()
    click.echo(f"新增 {len(summary.created)} 个，更新 {len(summary.updated)} 个，"
               f"未变 {len(summary.unchanged)} 个，出错 {len(summary.errors)} 个。")
    for name, message in summary.errors:
        click.echo(f"  {name}：{message}", err=True)
    if summary.errors:
        sys.exit(1)
