"""Report use cases that are not pure reading: settings, the scope a viewer starts from, lazy exam finalisation."""
from __future__ import annotations

import sqlalchemy as sa

from ..accounts.scope import default_root  # noqa: F401  (where reports start; the points pages start there too)
from ..audit.services import record
from ..common.auth import READERS
from ..common.clock import utcnow
from ..common.errors import ServiceError
from ..extensions import db
from .models import CADRE_RANKINGS, DEFAULTS, ReportSetting, ShufaText



def get_setting(key: str) -> str:
    row = db.session.get(ReportSetting, key)
    return row.value if row is not None else DEFAULTS[key]


def cadre_rankings() -> str:
    value = get_setting("cadre_rankings")
    return value if value in CADRE_RANKINGS else DEFAULTS["cadre_rankings"]


def set_cadre_rankings(actor, value: str):
    """Change who sees personal rankings (administrators only); recorded in the audit log."""
    if actor is None or actor.role != "admin":
        raise ServiceError("只有系统管理员可以修改报表设置。")
    if value not in CADRE_RANKINGS:
        raise ServiceError([("cadre_rankings", "请选择一种排名显示方式。")])
    before = cadre_rankings()
    row = db.session.get(ReportSetting, "cadre_rankings")
    if row is None:
        row = ReportSetting(key="cadre_rankings", value=value, updated_by_id=actor.id)
        db.session.add(row)
    else:
        row.value, row.updated_by_id = value, actor.id
    if before != value:
        record(actor, "reports.settings", "report_settings", None, "个人排名显示",
               changes={"个人排名显示": [CADRE_RANKINGS[before], CADRE_RANKINGS[value]]})
    db.session.flush()


def may_see_rank(viewer, person) -> bool:
    """Whether ``viewer`` may see ``person``'s place in their unit (leaders always; a cadre per the setting)."""
    if viewer.role in READERS:
        return True
    return viewer.id == person.id and cadre_rankings() in ("own", "unit")


def may_see_unit_ranking(viewer) -> bool:
    """Whether a cadre may see the whole personal ranking of their own unit."""
    return viewer.role in READERS or cadre_rankings() == "unit"


def finalise_overdue():
    """Close attempts left open past their deadline, so figures include them (the exam domain's lazy finalising)."""
    from ..exams.sitting import close_overdue

    return close_overdue(utcnow())


def record_export(actor, what: str, unit, detail: str = ""):
    """Exports of personal data are kept in the audit log: who took which list of whom."""
    record(actor, "reports.export", "unit", unit.id if unit is not None else None,
           unit.name if unit is not None else "", summary=f"{what}{('：' + detail) if detail else ''}")


SHUFA_TEXT_MAX = 2000


def save_shufa_text(actor, person, year: int, text: str, generated: str):
    """Keep a leader's wording of ``person``'s 学法情况 paragraph for ``year`` (audited); blank or unchanged
    text goes back to the generated paragraph. Returns the kept ShufaText, or None when none is kept."""
    text = (text or "").strip()
    if len(text) > SHUFA_TEXT_MAX:
        raise ServiceError([("text", f"学法情况不能超过{SHUFA_TEXT_MAX}字。")])
    row = db.session.scalar(sa.select(ShufaText).where(ShufaText.user_id == person.id, ShufaText.year == year))
    before = row.text if row is not None else generated
    label = f"{person.name} {year}年度"
    if not text or text == generated:
        if row is not None:
            db.session.delete(row)
            record(actor, "reports.shufa_text", "user", person.id, label, summary="述法学法情况恢复为系统生成",
                   changes={"学法情况": [before, generated]})
        db.session.flush()
        return None
    if row is None:
        row = ShufaText(user_id=person.id, year=year, text=text, edited_by_id=actor.id)
        db.session.add(row)
    else:
        row.text, row.edited_by_id = text, actor.id
    if before != text:
        record(actor, "reports.shufa_text", "user", person.id, label, summary="修改述法学法情况",
               changes={"学法情况": [before, text]})
    db.session.flush()
    return row
