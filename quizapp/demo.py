"""Demo data modelled on a real township's annual report (../shared/seed-report.txt).

``flask --app quizapp demo`` is idempotent: every object is looked up before
it is created, so running it twice changes nothing.
"""
from datetime import datetime

import click
import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from .accounts import services
from .accounts.models import Unit, User
from .common.clock import local_to_utc, to_local, utcnow
from .extensions import db

COUNTY = "示范县"
TOWNSHIP = "嘎木乡"
VILLAGES = ["嘎木村", "达日村", "拉加村", "扎西村", "曲桑村"]
ORGANS = [("乡党委", "organ"), ("乡政府", "organ"), ("派出所", "organ"), ("中心学校", "organ"), ("卫生院", "organ")]
OTHER_TOWNSHIP = "多秀乡"

# login, password, name, unit path under the county, title, rank, category, shufa, role
DEMO_ACCOUNTS = [
    ("admin", "Admin@2026", "系统管理员", "", "县司法局管理员", "none", "other", False, "admin"),
    ("zuzhi", "Zuzhi@2026", "卓玛", "嘎木乡", "乡党政办干部（学法组织员）", "fuke", "general", False, "organiser"),
    ("lingdao", "Lingdao@2026", "扎西多吉", "嘎木乡", "乡党委书记", "zhengke", "leading", True, "leader"),
    ("ganbu", "Ganbu@2026", "李明", "嘎木乡/乡政府", "乡政府干部", "fuke", "general", False, "cadre"),
]
DEMO_PASSWORD = "Demo@2026"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林罗高"
GIVEN = ["建国", "志强", "海燕", "晓梅", "德吉", "次仁", "卓嘎", "拉姆", "平措", "央金", "才让", "旦增",
         "永红", "春花", "明亮", "国庆", "桑珠", "措姆", "尼玛", "达瓦", "秀英", "文华", "丽娟", "伟"]


def _people():
    """About 60 cadres spread over the township's units, deterministic."""
    plan = [
        ("乡党委", "副书记", "fuke", "leading", True, 2), ("乡党委", "组织委员", "fuke", "general", False, 2),
        ("乡政府", "乡长", "zhengke", "leading", True, 1), ("乡政府", "副乡长", "fuke", "leading", True, 2),
        ("乡政府", "工作人员", "fuke", "general", False, 8), ("派出所", "所长", "fuke", "leading", True, 1),
        ("派出所", "民警", "fuke", "general", False, 4), ("中心学校", "校长", "fuke", "leading", False, 1),
        ("中心学校", "教师", "none", "general", False, 4), ("卫生院", "院长", "fuke", "leading", False, 1),
        ("卫生院", "医生", "none", "general", False, 3),
    ]
    for village in VILLAGES:
        unit = f"{village}两委"
        plan += [(unit, "党支部书记", "none", "village", False, 1), (unit, "村委会主任", "none", "village", False, 1),
                 (unit, "村委委员", "none", "village", False, 1), (unit, "法律明白人", "none", "legal_aide", False, 3)]
    people, n = [], 0
    for unit, title, rank, category, shufa, count in plan:
        for _ in range(count):
            name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]
            people.append((f"GM{n + 1:03d}", name, f"{TOWNSHIP}/{unit}", title, rank, category, shufa))
            n += 1
    return people


def _unit(name, parent, kind):
    stmt = sa.select(Unit).where(Unit.name == name)
    stmt = stmt.where(Unit.parent_id.is_(None) if parent is None else Unit.parent_id == parent.id)
    return db.session.scalar(stmt) or services.create_unit(None, name, parent, kind)


def load_units():
    county = _unit(COUNTY, None, "county")
    _unit("县司法局", county, "organ")
    township = _unit(TOWNSHIP, county, "township")
    for name, kind in ORGANS:
        _unit(name, township, kind)
    for village in VILLAGES:
        _unit(f"{village}两委", township, "village")
    other = _unit(OTHER_TOWNSHIP, county, "township")
    for village in ("多秀村", "岗日村"):
        _unit(f"{village}两委", other, "village")
    return county


_HASHES = {}


def _hash(password):
    """One scrypt hash per distinct demo password (hashing 60 accounts one by one takes seconds)."""
    if password not in _HASHES:
        _HASHES[password] = generate_password_hash(password)
    return _HASHES[password]


def _ensure_user(login, password, name, unit_path, title, rank, category, shufa, role):
    if db.session.scalar(sa.select(User.id).where(User.login == login)) is not None:
        return False
    unit = services.find_unit_by_full_name("/".join(p for p in (COUNTY, unit_path) if p))
    # On the books since the start of the year, so the demo's earlier months count them (reports leave out
    # people who joined after a period).
    joined = local_to_utc(datetime(to_local(utcnow()).year, 1, 1))
    user = User(created_at=joined, login=login, name=name, unit_id=unit.id, title=title, rank=rank,
                category=category, shufa=shufa,
                role=role, password_hash=_hash(password), must_change_password=False)
    db.session.add(user)
    return True


def load_accounts():
    created = 0
    for account in DEMO_ACCOUNTS:
        created += _ensure_user(*account)
    for login, name, unit_path, title, rank, category, shufa in _people():
        created += _ensure_user(login, DEMO_PASSWORD, name, unit_path, title, rank, category, shufa, "cadre")
    for n, unit in enumerate(("多秀乡/多秀村两委", "多秀乡/岗日村两委")):
        created += _ensure_user(f"DX{n + 1:03d}", DEMO_PASSWORD, f"多秀乡干部{n + 1}", unit, "村委会主任", "none",
                                "village", False, "cadre")
    db.session.flush()
    return created


def load_demo():
    """Load every domain's demo data; returns a short summary."""
    load_units()
    created = load_accounts()
    from .bank.services import load_shipped

    questions_added = sum(result.added for result in load_shipped())
    from .study.demo import load_demo as load_study_demo

    study = load_study_demo(TOWNSHIP)
    from .exams.demo import load_demo as load_exam_demo

    study.update(load_exam_demo(TOWNSHIP))
    from .engage.demo import load_demo as load_engage_demo

    study.update(load_engage_demo(TOWNSHIP))
    return {"accounts_created": created, "questions_added": questions_added, **study}


@click.command("demo")
@click.option("--force", is_flag=True, help="在生产模式下也加载演示数据。")
def demo_command(force):
    """Load the demo county, township, units and accounts (idempotent)."""
    if current_app.config.get("PRODUCTION") and not force:
        raise click.ClickException("生产模式下不加载演示数据（如确需加载，请加 --force）。")
    summary = load_demo()
    db.session.commit()
    click.echo(f"演示数据已就绪（本次新建账号 {summary['accounts_created']} 个，内置题库新增试题 {summary['questions_added']} 道）。")
    click.echo(summary.get("exam", ""))
    click.echo(summary.get("legal_aide", ""))
    for login, password, name, *_rest, role in DEMO_ACCOUNTS:
        click.echo(f"  {role:<10} 登录名 {login:<8} 密码 {password}  （{name}）")
    click.echo(f"  其他演示干部（GM001 起）密码均为 {DEMO_PASSWORD}")
