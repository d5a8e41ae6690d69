"""Use cases for units and accounts. Services flush; the caller commits once."""
import functools
import re
import secrets

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit.services import diff, record
from ..common.auth import ROLES
from ..common.clock import utcnow
from ..common.errors import ServiceError
from ..common.text import is_single_line, single_line_message
from ..extensions import db
from .models import CATEGORIES, RANKS, UNIT_KINDS, Unit, User
from .scope import unit_visible

LOGIN_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
MIN_PASSWORD_LENGTH = 8


@functools.cache
def _dummy_hash():
    """Compared against when a login name is unknown, so both failures cost the same time.

    Made on first use, not at import: hashing costs ~0.3 s of start-up in every process.
    """
    return generate_password_hash("not-a-real-password")

# Initial passwords are read off paper and typed on phones by people who rarely type Latin letters: lower
# case only (no shift key), no look-alikes (i l o q g u v 0 1 9 6), letters then digits (one keyboard switch).
TEMP_LETTERS = "abcdefhjkmnprstwxyz"
TEMP_DIGITS = "234578"


# ---------------------------------------------------------------- passwords

def password_problems(login, password):
    problems = []
    if len(password or "") < MIN_PASSWORD_LENGTH:
        problems.append(("new_password", f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。"))
    if password and login and password.strip().lower() == login.strip().lower():
        problems.append(("new_password", "密码不能与登录名相同。"))
    return problems


def set_password(user, password, *, must_change):
    problems = password_problems(user.login, password)
    if problems:
        raise ServiceError(problems)
    user.password_hash = generate_password_hash(password)
    user.must_change_password = must_change


def temporary_password():
    """Five letters and four digits, e.g. ``hkrtw4827`` (about 31 bits; it must be changed at first sign-in, and
    sign-in attempts are throttled)."""
    return ("".join(secrets.choice(TEMP_LETTERS) for _ in range(5))
            + "".join(secrets.choice(TEMP_DIGITS) for _ in range(4)))


def authenticate(login, password):
    """The active user with this login and password, or None (same cost either way)."""
    login = (login or "").strip()
    user = db.session.scalar(sa.select(User).where(User.login == login)) if login else None
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    if not user.active:
        return None
    return user


def user_by_login(login):
    """The account (active or not) with this login, or None: whom a failed sign-in was aimed at."""
    login = (login or "").strip()
    return db.session.scalar(sa.select(User).where(User.login == login)) if login else None


def load_user(user_id):
    """The person a session names ("id:version", see ``User.get_id``), or None when the version is stale."""
    try:
        ident, version = (int(part) for part in str(user_id).split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, ident)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def note_sign_in(user):
    user.last_login_at = utcnow()


def end_other_sessions(user):
    """Invalidate every session of this user (the caller re-logs the current one if needed)."""
    user.session_version = (user.session_version or 1) + 1


def change_password(user, old_password, new_password):
    if not check_password_hash(user.password_hash, old_password or ""):
        raise ServiceError([("old_password", "原密码不正确。")])
    if old_password == new_password:
        raise ServiceError([("new_password", "新密码不能与原密码相同。")])
    set_password(user, new_password, must_change=False)
    end_other_sessions(user)
    record(user, "user.change_password", "user", user.id, user.login)
    db.session.flush()


def reset_password(actor, user):
    """Give the user a temporary password that must be changed at next sign-in."""
    password = temporary_password()
    user.password_hash = generate_password_hash(password)
    user.must_change_password = True
    end_other_sessions(user)
    record(actor, "user.reset_password", "user", user.id, f"{user.name}（{user.login}）")
    db.session.flush()
    return password


# ---------------------------------------------------------------- units

def _check_unit_name(name):
    name = (name or "").strip()
    if not name:
        raise ServiceError([("name", "请填写单位名称。")])
    if len(name) > 100:
        raise ServiceError([("name", "单位名称不能超过 100 个字符。")])
    if "/" in name:
        raise ServiceError([("name", "单位名称不能包含“/”。")])
    if not is_single_line(name):
        raise ServiceError([("name", single_line_message("单位名称"))])
    return name


def _sibling_exists(parent_id, name, exclude_id=None):
    stmt = sa.select(Unit.id).where(Unit.name == name)
    stmt = stmt.where(Unit.parent_id.is_(None) if parent_id is None else Unit.parent_id == parent_id)
    if exclude_id is not None:
        stmt = stmt.where(Unit.id != exclude_id)
    return db.session.scalar(stmt) is not None


def _require_manage(actor, unit):
    if actor.role not in ("organiser", "admin") or not unit_visible(actor, unit):
        raise ServiceError("您无权管理该单位。")


def create_unit(actor, name, parent=None, kind="other", *, audit_log=True):
    name = _check_unit_name(name)
    if kind not in UNIT_KINDS:
        raise ServiceError([("kind", "未知的单位类型。")])
    if parent is None and actor is not None and actor.role != "admin":
        raise ServiceError([("parent_id", "只有系统管理员可以创建顶级单位。")])
    if parent is not None and actor is not None:
        _require_manage(actor, parent)
    if _sibling_exists(parent.id if parent else None, name):
        raise ServiceError([("name", f"同一上级单位下已有名为“{name}”的单位。")])
    unit = Unit(name=name, kind=kind, parent=parent, depth=(parent.depth + 1) if parent else 0,
                path=f"tmp-{secrets.token_hex(8)}")
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.flush()
    if audit_log:
        record(actor, "unit.create", "unit", unit.id, unit_full_name(unit))
    return unit


def update_unit(actor, unit, name, kind):
    _require_manage(actor, unit)
    name = _check_unit_name(name)
    if kind not in UNIT_KINDS:
        raise ServiceError([("kind", "未知的单位类型。")])
    if _sibling_exists(unit.parent_id, name, exclude_id=unit.id):
        raise ServiceError([("name", f"同一上级单位下已有名为“{name}”的单位。")])
    changes = diff({"name": unit.name, "kind": unit.kind}, {"name": name, "kind": kind})
    unit.name, unit.kind = name, kind
    if changes:
        record(actor, "unit.rename", "unit", unit.id, unit_full_name(unit), changes=changes)
    db.session.flush()


def move_unit(actor, unit, new_parent):
    """Move a unit with its whole subtree under ``new_parent`` in one set-based update."""
    _require_manage(actor, unit)
    _require_manage(actor, new_parent)
    if actor.role != "admin" and unit.id == actor.unit_id:
        raise ServiceError([("parent_id", "不能移动您本人所在的单位。")])
    if new_parent.path.startswith(unit.path):
        raise ServiceError([("parent_id", "不能把单位移动到它自己或它的下级单位之下。")])
    if new_parent.id == unit.parent_id:
        return
    if _sibling_exists(new_parent.id, unit.name):
        raise ServiceError([("parent_id", f"目标单位下已有名为“{unit.name}”的单位。")])
    old_path, old_parent_label = unit.path, unit_full_name(unit.parent) if unit.parent else ""
    new_path = f"{new_parent.path}{unit.id}/"
    depth_shift = new_parent.depth + 1 - unit.depth
    db.session.execute(
        sa.update(Unit)
        .where(Unit.path.startswith(old_path))
        .values(
            path=sa.literal(new_path) + sa.func.substr(Unit.path, len(old_path) + 1),
            depth=Unit.depth + depth_shift,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(sa.update(Unit).where(Unit.id == unit.id).values(parent_id=new_parent.id))
    db.session.expire_all()
    record(actor, "unit.move", "unit", unit.id, unit.name,
           changes={"parent": [old_parent_label, unit_full_name(new_parent)]})
    db.session.flush()


def delete_unit(actor, unit):
    _require_manage(actor, unit)
    if actor.role != "admin" and unit.id == actor.unit_id:
        raise ServiceError("不能删除您本人所在的单位。")
    if db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(Unit.parent_id == unit.id)):
        raise ServiceError("该单位还有下级单位，不能删除。请先移走或删除下级单位。")
    if db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.unit_id == unit.id)):
        raise ServiceError("该单位还有人员（包括已停用的），不能删除。请先把人员调到其他单位。")
    label = unit_full_name(unit)
    db.session.delete(unit)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise ServiceError("该单位已被题库、考试或其他记录使用，不能删除。") from None
    record(actor, "unit.delete", "unit", unit.id, label)
    db.session.flush()


def unit_full_name(unit):
    """"示范县/嘎木乡/乡政府": the path of names from the root."""
    if unit is None:
        return ""
    ids = unit.ancestor_ids()
    names = dict(db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())
    return "/".join(names.get(i, "?") for i in ids)


def find_unit_by_full_name(full_name):
    """The unit whose name path is ``full_name`` ("县/乡/村"), or None."""
    parts = [p.strip() for p in re.split(r"[/／\\]", full_name or "") if p.strip()]
    parent_id = None
    unit = None
    for part in parts:
        stmt = sa.select(Unit).where(Unit.name == part)
        stmt = stmt.where(Unit.parent_id.is_(None) if parent_id is None else Unit.parent_id == parent_id)
        unit = db.session.scalar(stmt)
        if unit is None:
            return None
        parent_id = unit.id
    return unit


def unit_choices(viewer):
    """(id, "县/乡/村") for every unit the viewer may manage, in tree order."""
    from .scope import units_in_scope

    units = db.session.scalars(units_in_scope(viewer)).all()
    names = dict(db.session.execute(
        sa.select(Unit.id, Unit.name).where(Unit.id.in_({i for u in units for i in u.ancestor_ids()}))
    ).all()) if units else {}
    labelled = [(u.id, "/".join(names.get(i, "?") for i in u.ancestor_ids())) for u in units]
    return sorted(labelled, key=lambda pair: pair[1])


# ---------------------------------------------------------------- people

USER_FIELDS = ("name", "login", "unit_id", "title", "rank", "category", "shufa", "role", "phone")


def allowed_roles(actor):
    if actor is None or actor.role == "admin":
        return set(ROLES)
    return {"cadre", "leader", "organiser"}


def user_problems(actor, values, existing=None):
    """Every problem with a person's fields, as (field, message) pairs."""
    problems = []
    name = (values.get("name") or "").strip()
    login = (values.get("login") or "").strip()
    if not name:
        problems.append(("name", "请填写姓名。"))
    elif len(name) > 50:
        problems.append(("name", "姓名不能超过 50 个字符。"))
    if not login:
        problems.append(("login", "请填写登录名（工号或手机号）。"))
    elif not LOGIN_RE.match(login):
        problems.append(("login", "登录名只能使用字母、数字和 _ . @ -，长度 2–64。"))
    else:
        clash = db.session.scalar(sa.select(User.id).where(User.login == login))
        if clash is not None and (existing is None or clash != existing.id):
            problems.append(("login", f"登录名“{login}”已被占用。"))
    if values.get("rank") not in RANKS:
        problems.append(("rank", "未知的职级。"))
    if values.get("category") not in CATEGORIES:
        problems.append(("category", "未知的人员类别。"))
    if values.get("role") not in ROLES:
        problems.append(("role", "未知的角色。"))
    elif values.get("role") not in allowed_roles(actor):
        problems.append(("role", "您无权设置该角色。"))
    unit = db.session.get(Unit, values.get("unit_id")) if values.get("unit_id") else None
    if unit is None:
        problems.append(("unit_id", "请选择单位。"))
    elif actor is not None and not unit_visible(actor, unit):
        problems.append(("unit_id", "您无权在该单位下管理人员。"))
    if len(values.get("title") or "") > 100:
        problems.append(("title", "职务不能超过 100 个字符。"))
    if len(values.get("phone") or "") > 20:
        problems.append(("phone", "联系电话不能超过 20 个字符。"))
    for field, label in (("name", "姓名"), ("login", "登录名"), ("title", "职务"), ("phone", "联系电话")):
        if not is_single_line(values.get(field)):
            problems.append((field, single_line_message(label)))
    return problems


def _clean(values):
    cleaned = {key: values.get(key) for key in USER_FIELDS}
    for key in ("name", "login", "title", "phone"):
        cleaned[key] = (cleaned[key] or "").strip()
    cleaned["shufa"] = bool(cleaned["shufa"])
    cleaned["unit_id"] = int(cleaned["unit_id"]) if cleaned["unit_id"] else None
    return cleaned


def issue_temporary():
    """A temporary password and its hash (the hash is the slow part: ~0.2 s of scrypt)."""
    password = temporary_password()
    return password, generate_password_hash(password)


def create_user(actor, values, password=None, *, audit_log=True, temporary=None):
    """Create a person; without a password they get a temporary one to change at first sign-in.

    ``audit_log=False`` when the caller writes one audit-log entry for a whole batch (the import);
    ``temporary`` is an ``issue_temporary()`` pair made beforehand (a large import hashes outside its transaction).

    Returns (user, temporary password or None).
    """
    values = _clean(values)
    problems = user_problems(actor, values)
    if password is not None:
        problems += password_problems(values["login"], password)
    if problems:
        raise ServiceError(problems)
    user = User(**values)
    temp = None
    if password is None:
        temp, user.password_hash = temporary or issue_temporary()
        user.must_change_password = True
    else:
        user.password_hash = generate_password_hash(password)
        user.must_change_password = False
    db.session.add(user)
    db.session.flush()
    if audit_log:
        record(actor, "user.create", "user", user.id, f"{user.name}（{user.login}）")
    return user, temp


def update_user(actor, user, values):
    values = _clean(values)
    if actor.id == user.id and values["role"] != user.role:
        raise ServiceError([("role", "不能修改自己的角色。")])
    problems = user_problems(actor, values, existing=user)
    if problems:
        raise ServiceError(problems)
    before = {key: getattr(user, key) for key in USER_FIELDS}
    changes = diff(before, values)
    for key, value in values.items():
        setattr(user, key, value)
    if "login" in changes or "role" in changes:
        end_other_sessions(user)
    if changes:
        record(actor, "user.update", "user", user.id, f"{user.name}（{user.login}）", changes=changes)
    db.session.flush()
    return changes


def set_active(actor, user, active):
    if actor.id == user.id:
        raise ServiceError("不能停用自己的账号。")
    if user.active == active:
        return
    user.active = active
    user.deactivated_at = None if active else utcnow()
    if not active:
        end_other_sessions(user)
    record(actor, "user.activate" if active else "user.deactivate", "user", user.id,
           f"{user.name}（{user.login}）")
    db.session.flush()
