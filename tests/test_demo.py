"""Demo data: idempotent, modelled on a township, every demo account signs in; the README's directions."""
import re
from pathlib import Path

import sqlalchemy as sa

from quizapp.accounts.models import Unit, User
from quizapp.demo import DEMO_ACCOUNTS
from quizapp.extensions import db


def _counts():
    return (db.session.scalar(sa.select(sa.func.count()).select_from(Unit)),
            db.session.scalar(sa.select(sa.func.count()).select_from(User)))


def test_demo_is_idempotent_and_township_shaped(runner, app):
    """Does running `flask demo` twice change nothing, and does it build the township as described?"""
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    counts = _counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and _counts() == counts
    units, people = counts
    assert units >= 14 and 55 <= people <= 80
    categories = set(db.session.scalars(sa.select(User.category).distinct()))
    assert {"leading", "general", "village", "legal_aide"} <= categories
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.shufa.is_(True))) >= 3
    names = set(db.session.scalars(sa.select(Unit.name)))
    assert {"嘎木乡", "乡党委", "乡政府", "派出所", "中心学校", "卫生院"} <= names
    assert len([n for n in names if n.endswith("村两委")]) >= 5


def test_every_demo_account_signs_in_and_sees_home(runner, make_client):
    """Can each demo account (admin, organiser, leader, cadre) sign in with the README password?"""
    runner.invoke(args=["demo"])
    for login, password, name, *_rest in DEMO_ACCOUNTS:
        client = make_client()
        assert client.login(login, password).status_code == 302, login
        page = client.get("/").get_data(as_text=True)
        assert name in page


def test_demo_refused_in_production(runner, app):
    """Is demo data kept out of a production database unless forced?"""
    app.config["PRODUCTION"] = True
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0 and "生产模式" in result.output


def test_create_admin(runner, app):
    """Does `flask create-admin` make an admin who can sign in?"""
    result = runner.invoke(args=["create-admin", "--login", "root01", "--name", "管理员", "--unit", "某县",
                                 "--password", "Str0ng!pass"])
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(sa.select(User).where(User.login == "root01"))
    assert admin.role == "admin" and not admin.must_change_password


def test_readme_says_how_to_reach_the_demo_and_how_long_tests_take():
    """Does the README say that bin/demo honours PORT and HOST (and does bin/demo pass them to flask run), and
    how long the suite takes and how to run it on two workers (issue 14, finding 10)?"""
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    demo = (root / "bin" / "demo").read_text(encoding="utf-8")
    assert "`bin/demo` honours `PORT` and `HOST`" in readme
    assert '--host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"' in demo
    assert "bin/test -n 2" in readme
    assert re.search(r"takes \d+ minutes with `-n 2`", readme)
