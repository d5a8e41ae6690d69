"""`flask exams …`: the cron job that collects attempts left open, over the same services the pages use."""
import json

import click
from flask.cli import AppGroup

from ..common.clock import utcnow
from ..extensions import db
from .results import release_reviews
from .sitting import close_overdue

exams_cli = AppGroup("exams", help="在线考试维护命令。")


@exams_cli.command("close-overdue")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
def close_overdue_command(as_json):
    """Submit every attempt past its deadline (and grace) with its saved answers; open reviews that are due.

    Idempotent and safe to run from cron on several servers at once: each attempt is closed by a
    conditional update and committed on its own, so a second runner skips it.
    """
    now = utcnow()
    closed = close_overdue(now, after_each=db.session.commit)
    db.session.commit()
    released = release_reviews(now)
    db.session.commit()
    if as_json:
        click.echo(json.dumps({"closed": closed, "reviews_released": released}, ensure_ascii=False))
    else:
        click.echo(f"已收卷 {closed} 份超时答卷；已向错题本记录 {released} 份答卷。")
