"""The reports domain's own table: its settings. Every figure is read from other domains' tables."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.clock import utcnow
from ..common.types import UTCDateTime
from ..extensions import db

# Who sees personal rankings. The default keeps them to leaders and organisers;
# a cadre then sees only their own place in their own unit.
CADRE_RANKINGS = {
    "own": "干部只看到本人在本单位的名次（默认）",
    "unit": "干部可查看本单位的个人排名",
    "none": "不向干部显示任何个人排名",
}
DEFAULTS = {"cadre_rankings": "own"}


class ReportSetting(db.Model):
    """One reports setting (key and value), changed by an administrator and kept in the audit log."""

    __tablename__ = "report_settings"

    key: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(200))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self):
        return f"<ReportSetting {self.key}={self.value}>"


# ---------------------------------------------------------------- the yearly roll-up
#
# Per person and per unit, the summed facts of every month, quarter and the
# whole year ("slots" 1–12, 13–16 and 17), rebuilt for one year at a time by
# reports.rollup.refresh from exam_results, study_progress and study_credits.
# Pages read these few thousand unit rows instead of millions of raw rows.

SLOT_QUARTER = 12  # slot of quarter q is 12 + q
SLOT_YEAR = 17
FACT_COLUMNS = ("exam_due", "exam_sat", "exam_passed", "exam_excellent", "exam_makeup", "score_sum", "score_n",
                "bin0", "bin1", "bin2", "bin3", "bin4", "mat_due", "mat_done", "seconds", "online_seconds",
                "offline_seconds", "online_months", "sessions", "unmet")


class _Facts:
    """The summed facts a roll-up row carries (their definitions are in reports.figures)."""

    exam_due: Mapped[int] = mapped_column(default=0, server_default="0")
    exam_sat: Mapped[int] = mapped_column(default=0, server_default="0")
    exam_passed: Mapped[int] = mapped_column(default=0, server_default="0")
    exam_excellent: Mapped[int] = mapped_column(default=0, server_default="0")
    exam_makeup: Mapped[int] = mapped_column(default=0, server_default="0")
    score_sum: Mapped[float] = mapped_column(sa.Float, default=0, server_default="0")  # 百分制 scores added up
    score_n: Mapped[int] = mapped_column(default=0, server_default="0")
    bin0: Mapped[int] = mapped_column(default=0, server_default="0")  # scores below 60
    bin1: Mapped[int] = mapped_column(default=0, server_default="0")  # 60–69
    bin2: Mapped[int] = mapped_column(default=0, server_default="0")  # 70–79
    bin3: Mapped[int] = mapped_column(default=0, server_default="0")  # 80–89
    bin4: Mapped[int] = mapped_column(default=0, server_default="0")  # 90–100
    mat_due: Mapped[int] = mapped_column(default=0, server_default="0")
    mat_done: Mapped[int] = mapped_column(default=0, server_default="0")
    seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    online_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    offline_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    online_months: Mapped[int] = mapped_column(default=0, server_default="0")
    sessions: Mapped[int] = mapped_column(default=0, server_default="0")  # offline sessions attended
    unmet: Mapped[int] = mapped_column(default=0, server_default="0")  # obligations not (yet) met


class PersonStat(_Facts, db.Model):
    """One person's facts in one slot of a year (only people with an obligation or study time have a row)."""

    __tablename__ = "report_person_stats"

    year: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    slot: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    # No foreign key: rows are derived and rebuilt wholesale, and a million key checks would double the rebuild.
    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)

    def __repr__(self):
        return f"<PersonStat {self.year}/{self.slot} user={self.user_id}>"


class UnitStat(_Facts, db.Model):
    """The facts of the people placed directly in one unit, in one slot of a year (subtrees add these up)."""

    __tablename__ = "report_unit_stats"

    year: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    slot: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    people: Mapped[int] = mapped_column(default=0, server_default="0")  # 在册 in the slot's period
    persons: Mapped[int] = mapped_column(default=0, server_default="0")  # people with a row in this slot
    obliged: Mapped[int] = mapped_column(default=0, server_default="0")  # people with an obligation
    complete: Mapped[int] = mapped_column(default=0, server_default="0")  # … who met every one
    online_people: Mapped[int] = mapped_column(default=0, server_default="0")
    outsiders: Mapped[int] = mapped_column(default=0, server_default="0")  # with a row but not 在册 in the slot
    # The annual figures' person counts, so that a province's 年度学法数据 adds up unit rows, not a million people.
    # 在册 people by 人员类别 (one column per code of accounts.models.CATEGORIES), and 述法对象:
    cat_leading: Mapped[int] = mapped_column(default=0, server_default="0")
    cat_general: Mapped[int] = mapped_column(default=0, server_default="0")
    cat_village: Mapped[int] = mapped_column(default=0, server_default="0")
    cat_legal_aide: Mapped[int] = mapped_column(default=0, server_default="0")
    cat_other: Mapped[int] = mapped_column(default=0, server_default="0")
    shufa_people: Mapped[int] = mapped_column(default=0, server_default="0")
    shufa_untargeted: Mapped[int] = mapped_column(default=0, server_default="0")  # … whose category has no 学时 target
    # … and what those 在册 述法对象 and 法律明白人 achieved (from their person rows):
    shufa_sat_all: Mapped[int] = mapped_column(default=0, server_default="0")  # sat every required exam
    shufa_passed_all: Mapped[int] = mapped_column(default=0, server_default="0")  # passed every one
    shufa_hours_met: Mapped[int] = mapped_column(default=0, server_default="0")  # reached a 学时 target above 0
    aides_trained: Mapped[int] = mapped_column(default=0, server_default="0")  # 法律明白人 with at least 1 学时
    scored: Mapped[int] = mapped_column(default=0, server_default="0")  # people with a score (ranked by 平均分)
    studied: Mapped[int] = mapped_column(default=0, server_default="0")  # 在册 people with study time (by 学时)
    # A unit's people together can study more than 2^31 seconds in a year.
    seconds: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    online_seconds: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    offline_seconds: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")

    def __repr__(self):
        return f"<UnitStat {self.year}/{self.slot} unit={self.unit_id}>"


class Refresh(db.Model):
    """When a year's roll-up was last rebuilt, and how long it took."""

    __tablename__ = "report_refreshes"

    year: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int] = mapped_column(default=0, server_default="0")
    person_rows: Mapped[int] = mapped_column(default=0, server_default="0")

    def __repr__(self):
        return f"<Refresh {self.year} at {self.computed_at}>"


class ShufaText(db.Model):
    """A leader's own wording of one person's 学法情况 paragraph for one year, used instead of the generated one."""

    __tablename__ = "shufa_texts"
    __table_args__ = (sa.UniqueConstraint("user_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    text: Mapped[str] = mapped_column(sa.Text)
    edited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    edited_by = relationship("User", foreign_keys=[edited_by_id])

    def __repr__(self):
        return f"<ShufaText user={self.user_id} {self.year}>"
