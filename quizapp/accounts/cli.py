"""Command-line account tools over the same services the pages use."""
import json
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from ..common.errors import ServiceError
from ..common.spreadsheets import RowProblem, SpreadsheetError
from ..extensions import db
from . import importer, services
from .models import Unit

users_cli = AppGroup("users", help="管理人员账号。")


@users_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="只预检，不写入。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@click.option("--create-units", is_flag=True, help="自动创建不存在的单位。")
def import_users(path, dry_run, as_json, create_units):
    """Import accounts from an .xlsx/.xls/.csv file (all rows or none)."""
    with open(path, "rb") as handle:
        data = handle.read()
    result = {"file": path, "total": 0, "accepted": 0, "created": 0, "missing_units": [], "rejected": []}
    try:
        plan = importer.plan_import(None, data, create_units=create_units)
    except SpreadsheetError as error:
        result["error"] = str(error)
        _emit(result, as_json)
        sys.exit(2)
    result.update(total=plan.total, accepted=len(plan.rows), missing_units=plan.missing_units,
                  rejected=[p.as_dict() for p in plan.problems])
    if plan.problems:
        _emit(result, as_json)
        sys.exit(1)
    if not dry_run:
        try:
            created = importer.apply_import(None, plan, filename=path)
        except ServiceError as error:
            db.session.rollback()
            result["error"] = str(error)
            _emit(result, as_json)
            sys.exit(1)
        db.session.commit()
        result["created"] = len(created)
        result["passwords"] = [{"login": u.login, "name": u.name, "password": p} for u, p in created]
    _emit(result, as_json)


def _emit(result, as_json):
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    if result.get("error"):
        click.echo(f"错误：{result['error']}", err=True)
    click.echo(f"数据行 {result['total']}，可导入 {result['accepted']}，错误 {len(result['rejected'])}。")
    for problem in result["rejected"]:
        click.echo(f"  {RowProblem(**problem)}")
    if result["missing_units"]:
        click.echo("将新建单位：" + "；".join(result["missing_units"]))
    for item in result.get("passwords", []):
        click.echo(f"  {item['login']}\t{item['name']}\t初始密码 {item['password']}")
    if result.get("created"):
        click.echo(f"已导入 {result['created']} 个账号。首次登录须修改密码。")


@users_cli.command("unlock")
@click.argument("login", required=False)
@click.option("--address", help="解除该 IP 地址的登录限制（多个账号登录失败）。")
def unlock_command(login, address):
    """解除账号（或 IP 地址）的登录限制（计数须在共享的 RATELIMIT_STORAGE_URI 中，如 Redis）。"""
    from ..audit.services import record
    from . import throttle

    if not login and not address:
        raise click.UsageError("请给出登录名或 --address。")
    if login:
        throttle.unlock_account(login)
        click.echo(f"已解除账号 {login} 的登录限制。")
    if address:
        throttle.unlock_address(address)
        click.echo(f"已解除地址 {address} 的登录限制。")
    record(None, "auth.unlock", "user" if login else "address", None, login or address,
           summary=f"命令行解除登录限制：{' '.join(filter(None, [login, address]))}")
    db.session.commit()


@click.command("create-admin")
@click.option("--login", prompt="登录名")
@click.option("--name", prompt="姓名")
@click.option("--unit", "unit_name", default="", help="顶级单位名称（不存在则新建）。")
@click.password_option("--password", prompt="密码", confirmation_prompt="再次输入密码")
def create_admin_command(login, name, unit_name, password):
    """Create a system administrator (and a top unit when there is none)."""
    unit = None
    if unit_name:
        unit = services.find_unit_by_full_name(unit_name)
    if unit is None:
        unit = db.session.scalar(sa.select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    try:
        if unit is None:
            unit = services.create_unit(None, unit_name or "本级", None, "county")
        user, _ = services.create_user(None, {"name": name, "login": login, "unit_id": unit.id, "role": "admin",
                                              "rank": "none", "category": "other"}, password=password)
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException("；".join(error.messages)) from None
    db.session.commit()
    click.echo(f"已创建管理员 {user.login}（{unit.name}）。")

