"""Report pages: the leaders' dashboard and its drill-downs, rankings, 未完成名单, 述法 sheets, annual figures,
学习档案, the 说明 page and the settings. Every table can be downloaded as .xlsx with ``?format=xlsx``.

Each handler reads its arguments, asks the query modules, and renders (or exports). Reads are reads: a
page never closes overdue attempts nor rebuilds the roll-up (writes keep the figures current, cron and jobs
do the rest — see reports/rollup.py). The only writes are the export audit entries, “立即更新” and the settings.

Long (~840 lines) because it is one blueprint with many thin handlers (each page and its .xlsx twin);
the logic lives in queries.py, rollup.py, shufa.py and annual.py.
"""
from __future__ import annotations

import heapq

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import jobs
from ..accounts.models import CATEGORIES as PERSON_CATEGORIES
from ..accounts.models import Unit, User
from ..accounts.scope import get_unit_or_404, get_user_or_404, units_in_scope
from ..accounts.services import unit_full_name
from ..common.auth import ADMINS, LEARNERS, READERS, roles_required
from ..common.clock import to_local, utcnow
from ..common.errors import ServiceError, put_on_form
from ..common.forms import ButtonForm
from ..common.spreadsheets import SheetSpec, xlsx_download
from ..common.templating import register_nav
from ..common.urls import public_base, safe_next
from ..extensions import db, limiter
from ..notices import services as notice_services
from ..study.models import CATEGORIES as STUDY_CATEGORIES
from ..study.models import OFFLINE_KINDS
from ..study.services import minutes_per_hour
from . import annual as annual_module
from . import archive as archive_module
from . import background  # noqa: F401  (registers the reports' job handlers)
from . import figures, queries, rollup, services, shufa
from .figures import Figures
from .forms import RefreshForm, SettingsForm, ShufaTextForm
from .models import CADRE_RANKINGS
from .periods import KINDS as PERIOD_KINDS
from .periods import Period, choices as period_choices

reports_bp = Blueprint("reports", __name__, url_prefix="/reports")

leaders_required = roles_required(*READERS)

register_nav("reports.me", "学法档案", LEARNERS, order=23, group="我的")
register_nav("reports.dashboard", "统计报表", READERS, order=50, group="统计")
register_nav("reports.shufa_index", "述法材料", READERS, order=51, group="统计")
register_nav("reports.annual", "年度学法数据", READERS, order=52, group="统计")
register_nav("reports.about", "报表说明", READERS, order=53, group="统计")

UNIT_COLUMNS = [  # (key, label) of the sub-unit table; every key is a Figures attribute and a sort key
    ("people", "在册人数"), ("exam_due", "应参考"), ("exam_sat", "参考"), ("participation", "参考率"),
    ("exam_passed", "合格"), ("pass_rate", "合格率"), ("excellent_rate", "优秀率"), ("average", "平均分"),
    ("hours_per_person", "人均学时"), ("material_rate", "必修资料完成率"), ("completion_rate", "完成率"),
]
RATE_KEYS = {"participation", "pass_rate", "excellent_rate", "material_rate", "completion_rate"}
PAGE_SIZE = 50
VILLAGES_SHOWN = 100
MIN_REFRESH_SECONDS = 60


# ================================================================ helpers

@reports_bp.app_template_filter("figure")
def figure_filter(value, key=None):
    """A figure for display: rates with %, None as —, 12.0 as 12."""
    if value is None:
        return "—"
    text = shufa.fmt(value)
    return f"{text}%" if key in RATE_KEYS else text


def _today():
    return to_local(utcnow()).date()


def _period_arg() -> Period:
    text = request.args.get("period")
    if not text:
        kind = request.args.get("kind")
        return Period.containing(utcnow(), kind if kind in PERIOD_KINDS else "month")
    period = Period.parse(text)
    if period is None:
        abort(404)
    return period


def _year_arg() -> int:
    year = request.args.get("year", type=int) or _today().year
    if not 2000 <= year <= 2100:
        abort(404)
    return year


def _unit_arg(unit_id=None) -> Unit:
    unit_id = unit_id or request.args.get("unit", type=int)
    if unit_id:
        return get_unit_or_404(current_user, unit_id)
    return services.default_root(current_user)


def _wants_xlsx():
    return request.args.get("format") == "xlsx"


def _page_arg():
    return max(1, request.args.get("page", 1, type=int))


def _sort_args(allowed, default, default_desc=True):
    sort = request.args.get("sort", default)
    if sort not in allowed:
        sort = default
    direction = request.args.get("dir")
    descending = default_desc if direction not in ("asc", "desc") else direction == "desc"
    return sort, descending


def _breadcrumbs(unit: Unit):
    """Ancestors of ``unit`` the viewer may open (their own root and below), top first."""
    ids = unit.ancestor_ids()
    units = {u.id: u for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_(ids)))}
    root = services.default_root(current_user)
    return [units[i] for i in ids if i in units and (current_user.role == "admin" or units[i].is_within(root))]


PICKER_DEPTH = 2


def _unit_picker():
    """Units for the picker, as (id, indented name): the viewer's root and two levels below it (one query).

    Deeper units are reached by drilling down, which keeps the page small at province scale.
    """
    root = services.default_root(current_user)
    # Plain columns, not Unit objects: a province's picker holds some 1,600 units (112 ms as objects).
    units = db.session.execute(units_in_scope(current_user).with_only_columns(Unit.id, Unit.name, Unit.depth)
                               .where(Unit.path.startswith(root.path), Unit.depth <= root.depth + PICKER_DEPTH)
                               .order_by(Unit.path)).all()
    return [(uid, "　" * (depth - root.depth) + name) for uid, name, depth in units]


def _children_with_flags(root: Unit):
    """Direct sub-units of ``root`` and which of them have sub-units of their own (two queries)."""
    children = db.session.scalars(sa.select(Unit).where(Unit.parent_id == root.id)
                                  .order_by(Unit.sort_order, Unit.name)).all()
    parents = set(db.session.scalars(sa.select(Unit.parent_id).where(Unit.parent_id.in_([c.id for c in children]))
                                     .distinct())) if children else set()
    return children, parents


def _common_context(root, **extra):
    return {"root": root, "trail": _breadcrumbs(root), "units": _unit_picker(), **extra}


# ================================================================ dashboard

@reports_bp.route("/")
@leaders_required
def dashboard():
    return _dashboard(_unit_arg())


@reports_bp.route("/units/<int:unit_id>")
@leaders_required
def unit(unit_id):
    return _dashboard(get_unit_or_404(current_user, unit_id))


def _sub_unit_rows(root, period):
    children, parents = _children_with_flags(root)
    buckets = rollup.figures_by_bucket(root, period, 1)
    per_hour = minutes_per_hour()
    rows = [{"unit": c, "label": c.name, "figures": buckets.get(c.id, Figures(minutes_per_hour=per_hour)),
             "has_children": c.id in parents, "own": False} for c in children]
    own = buckets.get(root.id)
    if own is not None and (own.people or own.exam_due or own.seconds):
        rows.append({"unit": root, "label": f"{root.name}（本级）", "figures": own, "has_children": False,
                     "own": True})
    total = sum((r["figures"] for r in rows), Figures(minutes_per_hour=per_hour))
    return rows, total


def _sorted_rows(rows, sort, descending):
    keys = dict(UNIT_COLUMNS)
    if sort not in keys:
        return rows
    present = [r for r in rows if getattr(r["figures"], sort) is not None]
    absent = [r for r in rows if getattr(r["figures"], sort) is None]
    present.sort(key=lambda r: getattr(r["figures"], sort), reverse=descending)
    return present + absent


def _changes(now: Figures, before: Figures):
    """Change from the previous period per headline figure (percentage points for rates)."""
    out = {}
    for key in ("people", "exam_sat", "participation", "pass_rate", "excellent_rate", "average",
                "hours_per_person", "completion_rate", "material_rate"):
        a, b = getattr(now, key), getattr(before, key)
        out[key] = round(a - b, 1) if a is not None and b is not None else None
    return out


def _progress(period: Period, today):
    """For a period still running: days gone, days in all and days left; None once it has ended (or not begun)."""
    if not period.start_date <= today <= period.last_date:
        return None
    days = (period.last_date - period.start_date).days + 1
    gone = (today - period.start_date).days + 1
    return {"days": days, "gone": gone, "left": days - gone, "percent": round(100 * gone / days)}


def _dashboard(root: Unit):
    period = _period_arg()
    exams = figures.period_exams(root.path, period)
    requirements = figures.requirements_for(period)
    rows, total = _sub_unit_rows(root, period)
    sort, descending = _sort_args(dict(UNIT_COLUMNS), "", True)
    if sort:
        rows = _sorted_rows(rows, sort, descending)
    today = _today()
    last_month = 12 if period.year < today.year else max(period.months[1], today.month)
    trend = rollup.trend(root, period.year, min(12, last_month))
    before = period.previous()
    if before.kind == "month" and before.year == period.year and before.index <= len(trend):
        previous = trend[before.index - 1]["figures"]  # the trend has summed it already (every compared column)
    else:
        previous = rollup.total(root, before)
    distribution = rollup.distribution(total)
    if _wants_xlsx():
        return _dashboard_export(root, period, rows, total, trend, distribution)
    chart = {
        "units": {"labels": [r["label"] for r in rows],
                  "completion": [r["figures"].completion_rate for r in rows],
                  "pass": [r["figures"].pass_rate for r in rows]},
        "trend": {"labels": [t["label"] for t in trend],
                  "participation": [t["figures"].participation for t in trend],
                  "pass": [t["figures"].pass_rate for t in trend],
                  "average": [t["figures"].average for t in trend],
                  "hours": [t["figures"].hours_per_person for t in trend]},
        "distribution": {"labels": [d["label"] for d in distribution], "counts": [d["count"] for d in distribution]},
    }
    progress = _progress(period, today)
    # A period still running is not compared with a finished one: its rates can only look worse.
    changes = _changes(total, previous)
    if progress is not None:
        changes = dict.fromkeys(changes)
    return render_template(
        "reports/dashboard.html", **_common_context(root), period=period, previous_period=period.previous(),
        exams=exams, requirements=requirements, rows=rows, total=total, previous=previous, progress=progress,
        updated_at=rollup.freshness(period.year), changes=changes, trend=trend,
        distribution=distribution, chart=chart, columns=UNIT_COLUMNS, rate_keys=RATE_KEYS, sort=sort,
        descending=descending, periods=period_choices(today), period_kinds=PERIOD_KINDS)


def _figure_cells(f: Figures):
    return [getattr(f, key) for key, _ in UNIT_COLUMNS]


def _dashboard_export(root, period, rows, total, trend, distribution):
    header = ["单位"] + [label + ("%" if key in RATE_KEYS else "") for key, label in UNIT_COLUMNS]
    widths = [30] + [10] * len(UNIT_COLUMNS)
    title = f"{unit_full_name(root)} {period.label} 学法考试情况"
    sheets = [
        SheetSpec("下级单位", header, [[r["label"], *_figure_cells(r["figures"])] for r in rows]
                  + [["合计", *_figure_cells(total)]], widths, title),
        SheetSpec("月度趋势", ["月份", "在册人数", "应参考", "参考", "参考率%", "合格率%", "平均分", "人均学时"],
                  [[t["label"], t["figures"].people, t["figures"].exam_due, t["figures"].exam_sat,
                    t["figures"].participation, t["figures"].pass_rate, t["figures"].average,
                    t["figures"].hours_per_person] for t in trend], [8, 10, 10, 10, 10, 10, 10, 10]),
        SheetSpec("成绩分布", ["分数段", "人次"], [[d["label"], d["count"]] for d in distribution], [12, 10]),
    ]
    return xlsx_download(sheets, f"{root.name}-{period.key}-统计报表.xlsx")


# ================================================================ people of a unit

@reports_bp.route("/units/<int:unit_id>/people")
@leaders_required
def people(unit_id):
    root = get_unit_or_404(current_user, unit_id)
    period = _period_arg()
    sort, descending = _sort_args(queries.PEOPLE_SORTS, "unit", False)
    search = (request.args.get("q") or "").strip()[:50]
    stmt = queries.people_stmt(root, period, search=search, sort=sort, descending=descending)
    if _wants_xlsx():
        services.record_export(current_user, "人员学法考试情况", root, period.label)
        db.session.commit()
        return _people_export(root, period, stmt)
    known = None
    if not search:  # the roll-up knows how many: 在册 people plus those with something to show who are not
        totals = rollup.total(root, period)
        known = totals.people + totals.outsiders
    parts = (queries.figure_parts(root, period, sort, search=search, descending=descending)
             if sort in queries.FIGURE_SORTS else None)
    page = queries.paginate(stmt, _page_arg(), PAGE_SIZE, known, key=User.id, parts=parts)
    rows = [queries.PersonRow.of(r) for r in page.items]
    return render_template("reports/people.html", **_common_context(root), period=period, page=page, rows=rows,
                           names=queries.unit_names(r.unit for r in rows), sort=sort, descending=descending,
                           search=search, sorts=queries.PEOPLE_SORTS, per_hour=minutes_per_hour(),
                           periods=period_choices(_today()), period_kinds=PERIOD_KINDS)


PEOPLE_HEADER = ["单位", "姓名", "职务", "人员类别", "应参考", "参考", "合格", "平均分", "学时", "必修资料（完成/应完成）",
                 "是否完成", "在册"]


def _person_cells(p: queries.PersonRow, names, per_hour):
    return [names.get(p.unit.id, p.unit.name), p.user.name, p.user.title, p.user.category_label, p.exam_due,
            p.exam_sat, p.exam_passed, p.average, round(p.seconds / 60.0 / per_hour, 1),
            f"{p.mat_done}/{p.mat_due}", ("是" if p.complete else "否") if p.obliged else "—",
            "是" if p.in_pop else "否"]


def _streamed_people(root, stmt, per_hour, extra=None):
    """Rows of a people statement straight from the cursor, with the subtree's unit names loaded once."""
    names = queries.subtree_names(root)
    for row in db.session.execute(stmt.execution_options(yield_per=1000)):
        person = queries.PersonRow.of(row)
        cells = _person_cells(person, names, per_hour)
        yield ([person.rank] + cells) if extra == "rank" else cells


def _people_export(root, period, stmt):
    per_hour = minutes_per_hour()
    title = f"{unit_full_name(root)} {period.label} 人员学法考试情况"
    return xlsx_download([
        SheetSpec("人员", PEOPLE_HEADER, _streamed_people(root, stmt, per_hour),
                  [30, 10, 16, 12, 8, 8, 8, 8, 8, 14, 8, 6], title)], f"{root.name}-{period.key}-人员.xlsx")


# ================================================================ rankings

def place_labels(ranked):
    """(label, unit, figures) with ties shown as 并列第N; when every ranked unit ties, no ranking at all.

    Returns (rows, undecided): ``undecided`` is true when nothing distinguishes the units (e.g. all at 0 %).
    """
    places = [place for place, _, _ in ranked if place is not None]
    undecided = len(places) > 1 and len(set(places)) == 1
    counts = {place: places.count(place) for place in places}
    rows = []
    for place, unit, f in ranked:
        if place is None or undecided:
            label = "—"
        else:
            label = f"并列第{place}" if counts[place] > 1 else f"第{place}"
        rows.append((label, unit, f))
    return rows, undecided


@reports_bp.route("/units/<int:unit_id>/rankings")
@leaders_required
def rankings(unit_id):
    root = get_unit_or_404(current_user, unit_id)
    period = _period_arg()
    metric = request.args.get("metric", "completion_rate")
    if metric not in queries.UNIT_METRICS:
        metric = "completion_rate"
    by = request.args.get("by", "average")
    if by not in queries.RANK_METRICS:
        by = "average"
    max_level = db.session.scalar(sa.select(sa.func.max(Unit.depth)).where(Unit.path.startswith(root.path))) or 0
    levels = list(range(1, max(1, max_level - root.depth) + 1))
    level = request.args.get("level", 1, type=int)
    if level not in levels:
        level = 1
    buckets = rollup.figures_by_bucket(root, period, level)
    level_units = db.session.scalars(sa.select(Unit).where(Unit.path.startswith(root.path),
                                                           Unit.depth == root.depth + level)).all()
    per_hour = minutes_per_hour()
    ranked_units, undecided = place_labels(queries.unit_ranking(
        [(u, buckets.get(u.id, Figures(minutes_per_hour=per_hour))) for u in level_units], metric))
    unit_names = queries.unit_names(level_units)
    people_stmt = queries.ranking_people(root, period, by)
    if _wants_xlsx():
        services.record_export(current_user, "排名", root, period.label)
        db.session.commit()
        header = ["名次", "单位"] + [label + ("%" if key in RATE_KEYS else "") for key, label in UNIT_COLUMNS]
        return xlsx_download([
            SheetSpec("单位排名", header, [[place, unit_names.get(u.id, u.name), *_figure_cells(f)]
                                        for place, u, f in ranked_units], [6, 30] + [10] * len(UNIT_COLUMNS),
                      f"{period.label} 单位排名（按{queries.UNIT_METRICS[metric]}）"),
            SheetSpec("个人排名", ["名次"] + PEOPLE_HEADER, _streamed_people(root, people_stmt, per_hour, extra="rank"),
                      [6, 30, 10, 16, 12, 8, 8, 8, 8, 8, 14, 8, 6],
                      f"{period.label} 个人排名（按{queries.RANK_METRICS[by]}）")], f"{root.name}-{period.key}-排名.xlsx")
    page = queries.ranking_page(root, period, by, _page_arg(), PAGE_SIZE)  # from an index, not ranking everyone
    people_rows = [queries.PersonRow.of(r) for r in page.items]
    return render_template("reports/rankings.html", **_common_context(root), period=period, metric=metric, by=by,
                           level=level, levels=levels, ranked_units=ranked_units, unit_names=unit_names, page=page,
                           undecided=undecided,
                           people_rows=people_rows, names=queries.unit_names(r.unit for r in people_rows),
                           unit_metrics=queries.UNIT_METRICS, rank_metrics=queries.RANK_METRICS,
                           columns=UNIT_COLUMNS, rate_keys=RATE_KEYS, per_hour=per_hour,
                           periods=period_choices(_today()), period_kinds=PERIOD_KINDS)


# ================================================================ 未完成名单

UNFINISHED_HEADER = ["单位", "姓名", "职务", "联系电话", "未完成（项）", "未完成事项", "已提醒（次）"]
REMINDER_KIND = "reminder"


def _item_text(item, now):
    """One unfinished item as a reminder names it: 考试“3月测试”：未参考（截止2026-03-31 18:00）."""
    marks = "“”" if item.kind == "exam" else "《》"
    deadline = f"（截止{item.deadline}）" if item.deadline else ""
    return f"{item.kind_label}{marks[0]}{item.title}{marks[1]}：{item.status(now)}{deadline}"


def _unfinished_people(root, period, people, kind, names, now):
    """One line per person: (row, cells, item texts). Items are read live for these people."""
    ids = [row[0].id for row in people]
    items = queries.unfinished_items(root, period, ids, kind)
    reminded = notice_services.counts_by_user(ids, kind=REMINDER_KIND, topic=period.key)
    for row in people:
        user, unit = row[0], row[1]
        texts = [_item_text(item, now) for item in items.get(user.id) or []]
        cells = [names.get(unit.id, unit.name), user.name, user.title, user.phone, len(texts),
                 "；".join(texts) or "（数据更新后已完成）", reminded.get(user.id, 0)]
        yield row, cells, texts


def _unfinished_batches(root, period, stmt, kind, now, size=500):
    """Every person of the 未完成名单 a batch at a time (bounded memory for a county's list)."""
    names, batch = queries.subtree_names(root), []
    for row in db.session.execute(stmt.execution_options(yield_per=size)):
        batch.append(row)
        if len(batch) == size:
            yield list(_unfinished_people(root, period, batch, kind, names, now))
            batch = []
    if batch:
        yield list(_unfinished_people(root, period, batch, kind, names, now))


def _reminder_body(user, period, texts, site):
    lines = "\n".join(f"{i}. {text}" for i, text in enumerate(texts, 1))
    return (f"{user.name}同志：您在{period.label}还有{len(texts)}项学法任务未完成：\n{lines}\n"
            f"请在截止前登录 {site} 完成。")


def _sms_text(user, period, texts, site):
    """One SMS: short, no line breaks, the items named."""
    return (f"{user.name}同志，您{period.label}尚有{len(texts)}项学法任务未完成：{'；'.join(texts)}。"
            f"请尽快登录{site}完成。")


def _unfinished_args():
    period = _period_arg()
    kind = request.values.get("kind", "")
    if kind not in queries.UNFINISHED_KINDS:
        kind = ""
    search = (request.values.get("q") or "").strip()[:50]
    return period, kind, search


@reports_bp.route("/units/<int:unit_id>/unfinished")
@leaders_required
def unfinished(unit_id):
    root = get_unit_or_404(current_user, unit_id)
    period, kind, search = _unfinished_args()
    stmt = queries.unfinished_stmt(root, period, kind=kind, search=search)
    now = utcnow()
    if _wants_xlsx():
        services.record_export(current_user, "未完成名单", root, period.label)
        db.session.commit()

        def rows():
            for batch in _unfinished_batches(root, period, stmt, kind, now):
                for _, cells, _ in batch:
                    yield cells

        return xlsx_download([
            SheetSpec("未完成名单", UNFINISHED_HEADER, rows(), [30, 10, 16, 14, 10, 80, 10],
                      f"{unit_full_name(root)} {period.label} 未完成名单（每人一行）")],
            f"{root.name}-{period.key}-未完成名单.xlsx")
    known = rollup.total(root, period).incomplete if not search and not kind else None
    page = queries.paginate(stmt, _page_arg(), PAGE_SIZE, known)
    names = queries.unit_names(r[1] for r in page.items)
    lines = list(_unfinished_people(root, period, page.items, kind, names, now))
    return render_template("reports/unfinished.html", **_common_context(root), period=period, page=page,
                           lines=lines, kind=kind, kinds=queries.UNFINISHED_KINDS, search=search,
                           updated_at=rollup.freshness(period.year), button=ButtonForm(),
                           periods=period_choices(_today()), period_kinds=PERIOD_KINDS)


@reports_bp.route("/units/<int:unit_id>/unfinished/remind", methods=["POST"])
@leaders_required
def remind(unit_id):
    """一键提醒: an in-app 督办提醒 to everyone on the list (all pages, as filtered), counted and audited."""
    root = get_unit_or_404(current_user, unit_id)
    period, kind, search = _unfinished_args()
    if not ButtonForm().validate_on_submit():
        abort(400)
    stmt = queries.unfinished_stmt(root, period, kind=kind, search=search)
    site, now = public_base(), utcnow()
    messages = [(row[0].id, _reminder_body(row[0], period, texts, site))
                for batch in _unfinished_batches(root, period, stmt, kind, now) for row, _, texts in batch if texts]
    count = notice_services.send(current_user, messages, kind=REMINDER_KIND, topic=period.key,
                                 title=f"{period.label}学法任务督办提醒",
                                 scope_label=f"{unit_full_name(root)} {period.label} 未完成名单", target=root)
    db.session.commit()
    flash(f"已向 {count} 人发送督办提醒，他们登录后在首页和“消息”中可以看到。" if count else "名单中没有需要提醒的人员。",
          "success")
    return redirect(url_for("reports.unfinished", unit_id=root.id, period=period.key, kind=kind or None,
                            q=search or None))


@reports_bp.route("/units/<int:unit_id>/unfinished/sms.xlsx")
@leaders_required
def sms_list(unit_id):
    """短信名单 for the township's own SMS tool: name, phone and a ready text; people without a phone apart."""
    root = get_unit_or_404(current_user, unit_id)
    period, kind, search = _unfinished_args()
    stmt = queries.unfinished_stmt(root, period, kind=kind, search=search)
    site, now = public_base(), utcnow()
    with_phone, without = [], []
    for batch in _unfinished_batches(root, period, stmt, kind, now):
        for row, cells, texts in batch:
            if not texts:
                continue
            user = row[0]
            if user.phone:
                with_phone.append([user.name, user.phone, _sms_text(user, period, texts, site), cells[0]])
            else:
                without.append([cells[0], user.name, user.login])
    services.record_export(current_user, "督办短信名单", root, f"{period.label}，{len(with_phone)} 人")
    db.session.commit()
    return xlsx_download([
        SheetSpec("短信名单", ["姓名", "手机号", "短信内容", "单位"], with_phone, [10, 14, 100, 30],
                  f"{unit_full_name(root)} {period.label} 督办短信名单"),
        SheetSpec("无手机号", ["单位", "姓名", "登录名"], without, [30, 10, 14]),
    ], f"{root.name}-{period.key}-督办短信名单.xlsx")


# ================================================================ 学习档案

@reports_bp.route("/me")
@roles_required(*LEARNERS)
def me():
    return _archive(current_user)


@reports_bp.route("/people/<int:user_id>")
@roles_required(*LEARNERS, *ADMINS)
def person(user_id):
    """A person's 学习档案: a cadre only their own (others are a 404), leaders anyone in their subtree."""
    return _archive(get_user_or_404(current_user, user_id))


def _archive(person):
    year = _year_arg()
    with_rank = services.may_see_rank(current_user, person)
    archive = archive_module.archive_for(person, year, with_rank=with_rank)
    ranking = []
    if current_user.role == "cadre" and services.cadre_rankings() == "unit" and person.id == current_user.id:
        ranking = archive_module.unit_ranking(person, year)
    if _wants_xlsx():
        if person.id != current_user.id:
            services.record_export(current_user, f"学习档案（{person.name}）", person.unit, str(year))
            db.session.commit()
        return _archive_export(archive)
    return render_template("reports/archive.html", archive=archive, sheet=archive.sheet, year=year,
                           years=list(range(_today().year, _today().year - 5, -1)), ranking=ranking,
                           own=person.id == current_user.id, months=list(range(1, 13)))


def _archive_export(archive):
    sheet = archive.sheet
    cats = archive.categories
    grid = [[c, *[archive.cell(c, m) for m in range(1, 13)], archive.category_total(c)] for c in cats]
    grid.append(["合计", *[archive.month_total(m) for m in range(1, 13)], sheet.total_hours])
    results = [[line.exam.title, line.exam.period, line.score, line.band, line.status,
                "是" if line.makeup else "", "必考"] for line in sheet.exams]
    results += [[exam.title, exam.period, score, result.band, "合格" if result.passed else "不合格",
                 "是" if result.is_makeup else "", "选考"] for exam, result, score in archive.other_results]
    title = f"{sheet.person.name} {sheet.year}年度学习档案（{sheet.unit_name}）"
    return xlsx_download([
        SheetSpec("学时", ["类别", *[f"{m}月" for m in range(1, 13)], "合计"], grid, [14] + [7] * 12 + [8], title),
        SheetSpec("考试成绩", ["考试", "期次", "成绩（百分制）", "等次", "结果", "补考", "性质"], results,
                  [36, 10, 12, 8, 8, 6, 6]),
        SheetSpec("必修资料", ["资料", "截止日期", "是否完成", "已学习（分钟）"],
                  [[t, d, done, s // 60] for t, d, done, s in sheet.materials], [40, 12, 8, 12]),
        SheetSpec("线下学法", ["日期", "类型", "主题", "学时"],
                  [[d, k, t, sheet.hours_of(m * 60)] for d, k, t, m in sheet.sessions], [12, 10, 40, 8]),
        SheetSpec("证书", ["年度", "证书编号", "颁发时间"],
                  [[c.year, c.code, c.issued_at] for c in archive.certificates], [8, 18, 18]),
    ], f"{sheet.person.name}-{sheet.year}-学习档案.xlsx")


# ================================================================ 述法 sheets

@reports_bp.route("/shufa")
@leaders_required
def shufa_index():
    root = _unit_arg()
    year = _year_arg()
    page = queries.paginate(shufa.shufa_people(root, year), _page_arg(), PAGE_SIZE)
    sheets = shufa.build_sheets(root, year, [(u, unit) for u, unit in page.items])
    return render_template("reports/shufa_index.html", **_common_context(root), year=year, page=page, sheets=sheets,
                           years=list(range(_today().year, _today().year - 5, -1)))


def _shufa_person(user_id):
    person = get_user_or_404(current_user, user_id)
    if not person.shufa:
        abort(404)
    return person


@reports_bp.route("/shufa/<int:user_id>")
@leaders_required
def shufa_sheet(user_id):
    person = _shufa_person(user_id)
    root = _unit_arg()
    if not person.unit.is_within(root):
        abort(404)
    year = _year_arg()
    sheet = shufa.sheet_for(root, person, year)
    if _wants_xlsx():
        services.record_export(current_user, f"述法学法情况（{person.name}）", person.unit, str(year))
        db.session.commit()
        return xlsx_download(_sheet_specs(sheet), f"{person.name}-{year}-述法学法情况.xlsx")
    form = ShufaTextForm(text=sheet.paragraph)
    return render_template("reports/shufa_sheet.html", **_common_context(root), sheet=sheet, year=year,
                           years=list(range(_today().year, _today().year - 5, -1)), now=utcnow(), form=form)


@reports_bp.route("/shufa/<int:user_id>/text", methods=["POST"])
@leaders_required
def shufa_text(user_id):
    """Keep the leader's wording of the paragraph (or go back to the generated one); exports then use it."""
    person = _shufa_person(user_id)
    root = _unit_arg()
    if not person.unit.is_within(root):
        abort(404)
    year = _year_arg()
    form = ShufaTextForm()
    if form.validate_on_submit():
        sheet = shufa.sheet_for(root, person, year)
        text = "" if form.restore.data else form.text.data
        try:
            kept = services.save_shufa_text(current_user, person, year, text, sheet.generated_paragraph)
        except ServiceError as error:
            db.session.rollback()
            flash("；".join(error.messages), "error")
        else:
            db.session.commit()
            flash("学法情况已保存，导出时使用修改后的文字。" if kept else "已恢复为系统生成的学法情况。", "success")
    return redirect(url_for("reports.shufa_sheet", user_id=person.id, year=year, unit=root.id) + "#shufa-paragraph")


def _sheet_specs(sheet):
    credit = dict(sheet.credit_rows)
    overview = [
        ["姓名", sheet.person.name], ["单位", sheet.unit_name], ["职务", sheet.person.title],
        ["年度", f"{sheet.year}年"], ["学时合计", sheet.total_hours], ["年度学时目标", sheet.target_hours],
        *[[f"其中：{c}", credit.get(c, 0.0)] for c in STUDY_CATEGORIES if c in credit],
        ["必修资料", f"完成{sheet.materials_done}项（共{len(sheet.materials)}项）"],
        ["线下学法活动", f"{len(sheet.sessions)}次"],
        ["必考考试", f"应参考{len(sheet.exams)}场，参考{len(sheet.sat_exams)}场，合格{sheet.passed_count}场"],
        ["平均分", sheet.average], ["全部合格", sheet.all_passed if sheet.exams else "无必考考试"],
        ["本单位排名", sheet.unit_rank.label if sheet.unit_rank else ""],
        [f"{sheet.scope_name}述法对象排名", sheet.shufa_rank.label if sheet.shufa_rank else ""],
        ["学法情况（可直接粘贴）", sheet.paragraph],
    ]
    return [
        SheetSpec("学法情况", ["项目", "内容"], overview, [22, 80],
                  f"领导干部学法情况（{sheet.year}年度）"),
        SheetSpec("考试", shufa.EXAM_HEADER, shufa.exam_rows(sheet), shufa.EXAM_WIDTHS),
        SheetSpec("线下学法", shufa.SESSION_HEADER, shufa.session_rows(sheet), shufa.SESSION_WIDTHS),
        SheetSpec("必修资料", shufa.MATERIAL_HEADER, shufa.material_rows(sheet), shufa.MATERIAL_WIDTHS),
    ]


@reports_bp.route("/shufa/export", methods=["POST"])
@leaders_required
def shufa_export():
    """Every 述法对象 of the subtree in one workbook, made by a background job; the job's page offers the file."""
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    root = _unit_arg()
    year = _year_arg()
    services.record_export(current_user, "述法对象学法情况（批量）", root, str(year))
    job = jobs.submit("reports.shufa_batch", current_user, {"unit_id": root.id, "year": year},
                      title=f"{root.name} {year}年度述法对象学法情况（批量导出）",
                      back_url=url_for("reports.shufa_index", unit=root.id, year=year))
    db.session.commit()
    return redirect(url_for("jobs.show", job_id=job.id))


# ================================================================ annual figures

@reports_bp.route("/annual")
@leaders_required
def annual():
    root = _unit_arg()
    year = _year_arg()
    data = annual_module.annual_figures(root, year)
    lines = annual_module.sentences(data)
    if _wants_xlsx():
        return xlsx_download([
            SheetSpec("年度学法数据", ["项目", "数值", "说明"], _annual_table(data), [30, 14, 50],
                      f"{unit_full_name(root)} {year}年度学法数据"),
            SheetSpec("可直接引用的表述", ["表述"], [[line] for line in lines], [120]),
            SheetSpec("法律明白人", ["行政村", "法律明白人", "已培训", f"达到每村{data.aide_target}名"],
                      [[v.name, n, t, t >= data.aide_target] for v, n, t in data.villages], [30, 12, 10, 14]),
        ], f"{root.name}-{year}-年度学法数据.xlsx")
    # Short of the target first; at province scale the page lists the first 100 and the export has them all.
    villages = heapq.nsmallest(VILLAGES_SHOWN, data.villages, key=lambda v: (v[2] >= data.aide_target, v[2], v[0].path))
    return render_template("reports/annual.html", **_common_context(root), year=year, data=data, lines=lines,
                           table=_annual_table(data, links=True), kinds=OFFLINE_KINDS, villages=villages,
                           years=list(range(_today().year, _today().year - 5, -1)))


def _annual_table(data, links=False):
    """(label, value, note[, record kind, extra args]) rows of the annual table."""
    e = data.exams
    pct = annual_module.pct
    rows = [
        ("在册干部（人）", data.people, "本年度在册（年内入职、年内停用者均计入）", "people", {}),
        ("述法对象（人）", data.shufa, "", "people", {"shufa": 1}),
        ("在线学法（人次）", data.online_person_months, f"按人按月计；{data.online_people}人参加在线学法", "online", {}),
        ("在线学法（学时）", data.online_hours, "学习资料、法规阅读、模拟练习", "online", {}),
        ("线下学法（学时）", data.offline_hours, "干部参加线下学法活动所得学时", "attendance", {}),
        ("干部人均学时", data.hours_per_person, "（在线 + 线下）÷ 在册干部", None, {}),
        ("干部参加线下学法（人次）", data.cadre_attendance, "本辖区干部参加各级组织的线下学法", "attendance", {}),
    ]
    for kind, v in data.sessions.items():
        rows.append((f"{kind}（场次）", v["sessions"], f"干部{v['cadres']}人次、群众{v['public']}人次，合计"
                     f"{v['cadres'] + v['public']}人次", "sessions", {"kind": kind}))
    totals = data.session_totals
    rows.append(("线下学法活动合计（场次）", totals["sessions"],
                 f"干部{totals['cadres']}人次、群众{totals['public']}人次", "sessions", {}))
    rows += [
        ("必考学法考试（次）", data.exam_count, "", "exams", {}),
        ("应参考（人次）", e.exam_due, "", "due", {}),
        ("参考（人次）", e.exam_sat, f"参考率 {pct(e.participation)}", "sat", {}),
        ("未参考（人次）", e.absent, "", "absent", {}),
        ("合格（人次）", e.exam_passed, f"合格率 {pct(e.pass_rate)}（补考合格计入）", "passed", {}),
        ("不合格（人次）", e.failed, "", "failed", {}),
        ("优秀（人次）", e.exam_excellent, f"优秀率 {pct(e.excellent_rate)}", "excellent", {}),
        ("平均分", e.average, "百分制，按各考试计分规则（最高分或最后一次）", "sat", {}),
    ]
    if data.optional_exams:
        rows.append(("专项（选考）测试（次）", data.optional_exams, f"参加{data.optional_sat}人次", None, {}))
    rows += [
        ("述法对象参加全部必考考试（人）", data.shufa_sat_all, f"覆盖率 {pct(data.shufa_coverage)}", "shufa", {}),
        ("述法对象全部合格（人）", data.shufa_passed_all, "", "shufa", {}),
        ("述法对象学时达标（人）", data.shufa_hours_met, "", "shufa", {}),
        ("行政村（个）", data.village_count, "", "aides", {}),
        ("法律明白人（名）", data.aides, "", "aides", {}),
        ("法律明白人已培训（名）", data.aides_trained, "全年学时不少于1学时", "aides", {}),
        (f"法律明白人达到每村{data.aide_target}名的行政村（个）", data.villages_met,
         f"未达标 {len(data.villages_short)} 个", "aides", {}),
    ]
    if links:
        return rows
    return [[label, value, note] for label, value, note, _, _ in rows]


@reports_bp.route("/annual/records/<figure>")
@leaders_required
def records(figure):
    record_set = annual_module.RECORDS.get(figure)
    if record_set is None:
        abort(404)
    root = _unit_arg()
    year = _year_arg()
    args = request.args.to_dict()
    stmt = record_set.build(root, year, args)
    ctx = {"names": {}, "per_hour": minutes_per_hour(), "year": year}
    if _wants_xlsx():
        services.record_export(current_user, record_set.label, root, str(year))
        db.session.commit()

        def rows():
            if stmt is None:
                return
            ctx["names"] = queries.subtree_names(root)
            for row in db.session.execute(stmt.execution_options(yield_per=1000)):
                yield record_set.row(row, ctx)

        return xlsx_download([
            SheetSpec(record_set.label, record_set.header, rows(), record_set.widths,
                      f"{unit_full_name(root)} {year}年 {record_set.label}"),
        ], f"{root.name}-{year}-{record_set.label}.xlsx")
    page = queries.paginate(stmt, _page_arg(), PAGE_SIZE) if stmt is not None else queries.Page([], 1, PAGE_SIZE, 0)
    units = [value for row in page.items for value in row if isinstance(value, Unit)]
    ctx["names"] = queries.unit_names(units)
    rows = [record_set.row(row, ctx) for row in page.items]
    return render_template("reports/records.html", **_common_context(root), year=year, figure=figure,
                           record_set=record_set, page=page, rows=rows, args=args)


# ================================================================ rebuilding the roll-up on request

@reports_bp.route("/refresh", methods=["POST"])
@leaders_required
@limiter.limit("20 per hour", key_func=lambda: f"reports-refresh:{current_user.id}")
def refresh():
    """“立即更新”: rebuild a year's roll-up now (unless it was rebuilt in the last minute)."""
    form = RefreshForm()
    target = safe_next(form.next.data, url_for("reports.dashboard"))
    if not form.validate_on_submit():
        abort(400)
    year = form.year.data
    job = jobs.submit("reports.rebuild", current_user, {"year": year, "if_older_than": MIN_REFRESH_SECONDS},
                      title=f"更新{year}年统计数据", back_url=target)
    db.session.commit()
    return redirect(url_for("jobs.show", job_id=job.id))


# ================================================================ 说明 and settings

@reports_bp.route("/about")
@roles_required(*LEARNERS, *ADMINS)
def about():
    return render_template("reports/about.html", per_hour=minutes_per_hour(),
                           aide_target=annual_module.legal_aide_target(), setting=services.cadre_rankings(),
                           setting_labels=CADRE_RANKINGS, score_bins=figures.SCORE_BINS,
                           categories=PERSON_CATEGORIES)


@reports_bp.route("/settings", methods=["GET", "POST"])
@roles_required("admin")
def settings():
    form = SettingsForm()
    if request.method == "GET":
        form.cadre_rankings.data = services.cadre_rankings()
    if form.validate_on_submit():
        try:
            services.set_cadre_rankings(current_user, form.cadre_rankings.data)
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("报表设置已保存。", "success")
            return redirect(url_for("reports.settings"))
    return render_template("reports/settings.html", form=form)

