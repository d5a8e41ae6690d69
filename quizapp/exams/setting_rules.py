"""The one table of rules an exam's settings obey: field, check, Chinese message.

The setup service checks every rule and reports every failure at once, as (field, message) pairs the
view puts on the form; the form only coerces types. So a message reads the same on the page and from
the service, and a new rule is one new row. Checks are pure over a mapping of the settings in which
the setup service has already resolved the units (``unit``, ``may_organise``, ``audience``) and
parsed the bands; a check is vacuously true when what it compares is missing, since a row of its
own reports the missing value.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..accounts.models import CATEGORIES
from ..common.text import is_single_line, single_line_message
from .models import COUNTING, KINDS, MULTI_SCORING, REVIEW_POLICIES

PERIOD_RE = re.compile(r"^(\d{4})(-(0[1-9]|1[0-2]))?$")
TITLE_MAX = 200
DESCRIPTION_MAX = 2000
TIME_LIMIT = (1, 600)  # minutes
FULL_MARKS_MAX = 1000
ATTEMPTS = (1, 20)
MAKEUP_ATTEMPTS = (1, 10)


@dataclass(frozen=True)
class Rule:
    """One rule: ``check(settings)`` is true when the settings obey it; otherwise ``message`` goes on ``field``.

    ``detail(settings)`` fills a ``{}`` in the message (e.g. the units that are out of place).
    """

    field: str
    message: str
    check: Callable[[Mapping], bool]
    detail: Callable[[Mapping], str] | None = None

    def problem(self, settings: Mapping) -> tuple[str, str] | None:
        if self.check(settings):
            return None
        return self.field, self.message.format(self.detail(settings)) if self.detail else self.message


def _text(settings, key):
    return (settings.get(key) or "").strip()


def _between(key, low, high):
    """The number is given and within [low, high]."""
    def check(settings):
        value = settings.get(key)
        return value is not None and low <= value <= high
    return check


def _after(later, earlier, *, strictly=True, only_if=None):
    """``later`` comes after ``earlier`` (vacuous when either is missing or ``only_if`` is false)."""
    def check(settings):
        if only_if and not settings.get(only_if):
            return True
        first, second = settings.get(earlier), settings.get(later)
        if first is None or second is None:
            return True
        return second > first if strictly else second >= first
    return check


def _one_of(key, choices):
    return lambda settings: settings.get(key) in choices


def _full(settings):
    return settings.get("full_marks") or 0


def _within_full(settings, value):
    """0 <= value <= full marks (any value from 0 up while the full marks are themselves missing)."""
    return value >= 0 and not (_full(settings) and value > _full(settings))


def _outside_units(settings):
    unit, audience = settings.get("unit"), settings.get("audience") or []
    if unit is None or any(u is None for u in audience):
        return []
    return [u.name for u in audience if not u.is_within(unit)]


def _band_lows(settings):
    return [low for _, low in settings.get("bands") or []]


def _makeup(check):
    """A 补考 rule: only checked when a 补考 round is on."""
    return lambda settings: not settings.get("makeup_enabled") or check(settings)


RULES: tuple[Rule, ...] = (
    Rule("title", "请填写考试名称。", lambda s: bool(_text(s, "title"))),
    Rule("title", f"考试名称不能超过 {TITLE_MAX} 个字符。", lambda s: len(_text(s, "title")) <= TITLE_MAX),
    Rule("title", single_line_message("考试名称"), lambda s: is_single_line(_text(s, "title"))),
    Rule("kind", "请选择考试类型。", _one_of("kind", KINDS)),
    Rule("period", "考试期次应写作“2026-11”（月度）或“2026”（年度）。",
         lambda s: bool(PERIOD_RE.match(_text(s, "period")))),
    Rule("description", f"考试说明不能超过 {DESCRIPTION_MAX} 个字符。",
         lambda s: len(s.get("description") or "") <= DESCRIPTION_MAX),
    Rule("unit_id", "请选择组织单位。", lambda s: s.get("unit") is not None),
    Rule("unit_id", "您无权以该单位名义组织考试。", lambda s: s.get("unit") is None or bool(s.get("may_organise"))),
    Rule("audience_ids", "请至少选择一个参考单位。",
         lambda s: bool(s.get("audience")) and all(u is not None for u in s["audience"])),
    Rule("audience_ids", "参考单位必须在组织单位之下：{}。", lambda s: not _outside_units(s),
         detail=lambda s: "、".join(_outside_units(s))),
    Rule("open_at", "请填写开始时间。", lambda s: s.get("open_at") is not None),
    Rule("close_at", "请填写截止时间。", lambda s: s.get("close_at") is not None),
    Rule("close_at", "截止时间必须晚于开始时间。", _after("close_at", "open_at")),
    Rule("time_limit", f"考试时长应在 {TIME_LIMIT[0]} 到 {TIME_LIMIT[1]} 分钟之间。", _between("time_limit", *TIME_LIMIT)),
    Rule("full_marks", f"满分应在 1 到 {FULL_MARKS_MAX} 之间。", lambda s: 0 < _full(s) <= FULL_MARKS_MAX),
    Rule("pass_mark", "及格线应在 0 到满分之间。",
         lambda s: s.get("pass_mark") is not None and _within_full(s, s["pass_mark"])),
    Rule("bands", "等次名称不能重复。",
         lambda s: len({label for label, _ in s.get("bands") or []}) == len(s.get("bands") or [])),
    Rule("bands", "等次分数线应在 0 到满分之间。", lambda s: all(_within_full(s, low) for low in _band_lows(s))),
    Rule("bands", "最低等次的分数线不能低于及格线。",
         lambda s: not _band_lows(s) or s.get("pass_mark") is None or min(_band_lows(s)) >= s["pass_mark"]),
    Rule("multi_scoring", "请选择多选题计分方式。", _one_of("multi_scoring", MULTI_SCORING)),
    Rule("counting", "请选择成绩计取方式。", _one_of("counting", COUNTING)),
    Rule("review_policy", "请选择查看答案的方式。", _one_of("review_policy", REVIEW_POLICIES)),
    Rule("attempts_allowed", f"考试次数应在 {ATTEMPTS[0]} 到 {ATTEMPTS[1]} 之间。", _between("attempts_allowed", *ATTEMPTS)),
    Rule("makeup_open_at", "开启补考时须填写补考开始和截止时间。",
         _makeup(lambda s: s.get("makeup_open_at") is not None and s.get("makeup_close_at") is not None)),
    Rule("makeup_close_at", "补考截止时间必须晚于补考开始时间。",
         _after("makeup_close_at", "makeup_open_at", only_if="makeup_enabled")),
    Rule("makeup_open_at", "补考应在正式考试截止之后开始。",
         _after("makeup_open_at", "close_at", strictly=False, only_if="makeup_enabled")),
    Rule("makeup_attempts", f"补考次数应在 {MAKEUP_ATTEMPTS[0]} 到 {MAKEUP_ATTEMPTS[1]} 之间。",
         _makeup(_between("makeup_attempts", *MAKEUP_ATTEMPTS))),
    Rule("categories", "未知的人员类别。", lambda s: all(c in CATEGORIES for c in s.get("categories") or [])),
)


def setting_problems(settings: Mapping) -> list[tuple[str, str]]:
    """Every rule the settings break, in table order, as (field, message)."""
    return [problem for rule in RULES if (problem := rule.problem(settings)) is not None]
