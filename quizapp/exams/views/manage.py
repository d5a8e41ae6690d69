"""The ``exam_admin`` blueprint: organisers set up exams and papers, follow the roster, export results, make
per-person arrangements, read item statistics and correct keys.

One blueprint, so one module (close to 600 lines because of the many short paper-editing handlers). Reads
never write: attempts whose time is up but that are not yet collected are counted and labelled as such
("待收卷") until the sweep or a write collects them.
"""
import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...accounts.models import CATEGORIES, RANKS, User
from ...accounts.scope import get_unit_or_404, scope_path
from ...accounts.services import unit_choices
from ...bank.models import Bank, Question
from ...bank.qtypes import LETTERS, REGISTRY, TYPE_LABELS
from ...bank.units import RULE_KINDS
from ...common.auth import MANAGERS, roles_required
from ...common.clock import local_to_utc, to_local, utcnow
from ...common.errors import ServiceError, put_on_form
from ...common.forms import ButtonForm
from ...common.spreadsheets import write_xlsx, xlsx_download
from ...common.templating import register_nav
from ...extensions import db
from .. import access, certificates, grading, papers, queries, setup
from ..forms import (CertificateSettingsForm, ExamForm, FixedQuestionsForm, KeyCorrectionForm, LockedExamForm, OverrideForm, RuleForm,
                     TemplateForm, VariantForm)
from ..models import (COUNTING, MULTI_SCORING, PAPER_MODES, Attempt, AttemptItem, Exam, ExamOverride, PaperQuestion,
                      PaperRule, PaperVariant)
from ..results import exam_closed, review_opens_at
from ..sitting import collection_over, collection_time, events_of, submit_attempt, time_up
from .lookups import managed_exam, manager_required

manage_bp = Blueprint("exam_admin", __name__, url_prefix="/manage/exams")

register_nav("exam_admin.index", "考试管理", MANAGERS, order=60, group="管理")
register_nav("exam_admin.certificate_settings", "证书设置", ("admin",), order=64, group="管理")


# ---------------------------------------------------------------- exams

@manage_bp.route("/", endpoint="index")
@manager_required
def exam_list():
    stmt = access.managed_exams_stmt(current_user)
    period = (request.args.get("period") or "").strip()
    if period:
        stmt = stmt.where(Exam.period.startswith(period, autoescape=True))
    page = db.paginate(stmt.order_by(Exam.open_at.desc(), Exam.id.desc()), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)
    return render_template("exams/manage/index.html", page=page, period=period, now=utcnow(),
                           manageable=lambda e: access.manageable(current_user, e))


def _exam_form_choices(form):
    choices = unit_choices(current_user)
    form.unit_id.choices = choices
    form.audience_ids.choices = choices


def _utc(value):
    return local_to_utc(value) if value else None


def _exam_values(form):
    """The form's values for the setup service (the bands as typed: the service parses and checks them)."""
    values = {key: getattr(form, key).data for key in setup.EXAM_FIELDS if hasattr(form, key)}
    for key in ("open_at", "close_at", "makeup_open_at", "makeup_close_at"):
        values[key] = _utc(values[key])
    values["audience_ids"] = list(form.audience_ids.data or [])
    values["categories"] = list(form.categories.data or [])
    values["bands"] = form.bands.data or ""
    return values


def _local(value):
    return to_local(value).replace(tzinfo=None) if value else None


@manage_bp.route("/new", methods=["GET", "POST"])
@manager_required
def create():
    form = ExamForm()
    _exam_form_choices(form)
    if request.method == "GET":
        form.unit_id.data = current_user.unit_id
        form.audience_ids.data = [current_user.unit_id]
        local_now = to_local(utcnow())
        form.period.data = f"{local_now.year}-{local_now.month:02d}"
    if form.validate_on_submit():
        try:
            exam = setup.create_exam(current_user, _exam_values(form))
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("考试已创建（草稿）。请设置试卷，然后发布。", "success")
            return redirect(url_for("exam_admin.paper", exam_id=exam.id))
    return render_template("exams/manage/form.html", form=form, title="新建考试", exam=None)


@manage_bp.route("/<int:exam_id>")
@manager_required
def overview(exam_id):
    exam = managed_exam(exam_id)
    now = utcnow()
    figures = queries.exam_figures(exam, scope_path(current_user), now)
    return render_template("exams/manage/overview.html", exam=exam, figures=figures, now=now,
                           can_manage=access.manageable(current_user, exam),
                           lock_reason=access.lock_reason(exam), problems=papers.paper_problems(exam),
                           closed=exam_closed(exam, now), button=ButtonForm(),
                           review_opens=review_opens_at(exam), totals=papers.variant_total,
                           counts=papers.variant_question_count,
                           multi_label=MULTI_SCORING[exam.multi_scoring], counting_label=COUNTING[exam.counting],
                           bands=setup.format_bands(exam.bands))


@manage_bp.route("/<int:exam_id>/edit", methods=["GET", "POST"])
@manager_required
def edit(exam_id):
    exam = managed_exam(exam_id, write=True)
    reason = access.lock_reason(exam)
    if reason:
        form = LockedExamForm()
        if request.method == "GET":
            form.close_at.data = _local(exam.close_at)
            form.makeup_close_at.data = _local(exam.makeup_close_at)
            form.description.data = exam.description
        if form.validate_on_submit():
            values = {"close_at": _utc(form.close_at.data), "description": form.description.data or ""}
            if exam.makeup_enabled:
                values["makeup_close_at"] = _utc(form.makeup_close_at.data)
            try:
                setup.update_exam(current_user, exam, values)
            except ServiceError as error:
                db.session.rollback()
                put_on_form(form, error)
            else:
                db.session.commit()
                flash("已保存。", "success")
                return redirect(url_for("exam_admin.overview", exam_id=exam.id))
        return render_template("exams/manage/locked_form.html", form=form, exam=exam, reason=reason)
    form = ExamForm(obj=exam)
    _exam_form_choices(form)
    if request.method == "GET":
        for key in ("open_at", "close_at", "makeup_open_at", "makeup_close_at"):
            getattr(form, key).data = _local(getattr(exam, key))
        form.audience_ids.data = [u.id for u in exam.audience_units]
        form.categories.data = exam.categories
        form.bands.data = setup.format_bands(exam.bands)
    if form.validate_on_submit():
        try:
            setup.update_exam(current_user, exam, _exam_values(form))
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("考试设置已保存。", "success")
            return redirect(url_for("exam_admin.overview", exam_id=exam.id))
    return render_template("exams/manage/form.html", form=form, title=f"修改考试：{exam.title}", exam=exam)


@manage_bp.route("/<int:exam_id>/<any(publish, unpublish, delete):action>", methods=["POST"])
@manager_required
def lifecycle(exam_id, action):
    exam = managed_exam(exam_id, write=True)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        {"publish": setup.publish, "unpublish": setup.unpublish, "delete": setup.delete_exam}[action](
            current_user, exam)
    except ServiceError as error:
        db.session.rollback()
        for message in error.messages:
            flash(message, "error")
        return redirect(url_for("exam_admin.overview", exam_id=exam_id))
    db.session.commit()
    if action == "delete":
        flash("考试已删除。", "success")
        return redirect(url_for("exam_admin.index"))
    flash("考试已发布，参考人员现在可以在“在线考试”中看到它。" if action == "publish" else "考试已撤回为草稿。", "success")
    return redirect(url_for("exam_admin.overview", exam_id=exam_id))


# ---------------------------------------------------------------- papers

def _variant_or_404(exam, variant_id):
    variant = db.session.get(PaperVariant, variant_id)
    if variant is None or variant.exam_id != exam.id:
        abort(404)
    return variant


def _variant_form(variant=None):
    form = VariantForm(obj=variant)
    if variant is not None and request.method == "GET":
        for qtype in RULE_KINDS:
            getattr(form, f"points_{qtype}").data = (variant.points or {}).get(qtype)
    return form


def _rule_form(exam):
    form = RuleForm()
    banks = db.session.scalars(papers.usable_banks_stmt(exam).order_by(Bank.unit_id.is_not(None), Bank.name)).all()
    form.bank_id.choices = [(0, "所有可用题库")] + [(b.id, b.name + ("" if b.unit_id is None else "（本单位）"))
                                                    for b in banks]
    return form


def _question_search(exam, variant):
    """Up to 50 usable active questions matching the picker's filters, not yet in the fixed paper."""
    q = (request.args.get("q") or "").strip()
    qtype = request.args.get("qtype") or ""
    stmt = sa.select(Question).where(Question.status == "active",
                                     Question.bank_id.in_(papers.usable_banks_stmt(exam).with_only_columns(Bank.id)))
    if qtype in REGISTRY:
        stmt = stmt.where(Question.qtype == qtype)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(sa.or_(Question.stem.like(like), Question.category.like(like), Question.law_name.like(like)))
    present = [item.question_id for item in variant.fixed]
    if present:
        stmt = stmt.where(Question.id.not_in(present))
    return db.session.scalars(stmt.order_by(Question.id).limit(50)).all()


@manage_bp.route("/<int:exam_id>/paper")
@manager_required
def paper(exam_id):
    exam = managed_exam(exam_id)
    variant_id = request.args.get("variant", type=int)
    current = _variant_or_404(exam, variant_id) if variant_id else exam.variants[0]
    templates = papers.blueprint_templates()
    template_form = TemplateForm()
    template_form.template.choices = [(k, t.get("name", k)) for k, t in templates.items()]
    found = _question_search(exam, current) if current.mode == "fixed" and request.args.get("search") else []
    return render_template("exams/manage/paper.html", exam=exam, current=current,
                           can_edit=access.manageable(current_user, exam) and not access.lock_reason(exam),
                           lock_reason=access.lock_reason(exam), variant_form=_variant_form(current),
                           new_variant_form=VariantForm(formdata=None, name="", mode="blueprint"),
                           rule_form=_rule_form(exam), template_form=template_form, fixed_form=FixedQuestionsForm(),
                           found=found, button=ButtonForm(), problems=papers.variant_problems(exam, current),
                           total=papers.variant_total(current), count=papers.variant_question_count(current),
                           type_labels=TYPE_LABELS, rule_kinds=RULE_KINDS, categories=CATEGORIES, ranks=RANKS, modes=PAPER_MODES,
                           describe=papers.describe_rule)


def _paper_redirect(exam, variant=None):
    return redirect(url_for("exam_admin.paper", exam_id=exam.id, variant=variant.id if variant else None))


def _flash_problems(error):
    db.session.rollback()
    for message in error.messages:
        flash(message, "error")


@manage_bp.route("/<int:exam_id>/paper/variants", methods=["POST"])
@manage_bp.route("/<int:exam_id>/paper/variants/<int:variant_id>", methods=["POST"])
@manager_required
def save_variant(exam_id, variant_id=None):
    exam = managed_exam(exam_id, write=True)
    variant = _variant_or_404(exam, variant_id) if variant_id else None
    form = VariantForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return _paper_redirect(exam, variant)
    points = {qtype: getattr(form, f"points_{qtype}").data for qtype in RULE_KINDS}
    try:
        variant = papers.save_variant(current_user, exam, variant, name=form.name.data, mode=form.mode.data,
                                        categories=form.match_categories.data, ranks=form.match_ranks.data,
                                        points=points)
    except ServiceError as error:
        _flash_problems(error)
        return _paper_redirect(exam, variant)
    db.session.commit()
    flash("试卷设置已保存。", "success")
    return _paper_redirect(exam, variant)


@manage_bp.route("/<int:exam_id>/paper/variants/<int:variant_id>/delete", methods=["POST"])
@manager_required
def delete_variant(exam_id, variant_id):
    exam = managed_exam(exam_id, write=True)
    variant = _variant_or_404(exam, variant_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        papers.delete_variant(current_user, exam, variant)
    except ServiceError as error:
        _flash_problems(error)
        return _paper_redirect(exam, variant)
    db.session.commit()
    flash("试卷已删除。", "success")
    return _paper_redirect(exam)


@manage_bp.route("/<int:exam_id>/paper/variants/<int:variant_id>/rules", methods=["POST"])
@manager_required
def add_rule(exam_id, variant_id):
    exam = managed_exam(exam_id, write=True)
    variant = _variant_or_404(exam, variant_id)
    form = _rule_form(exam)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return _paper_redirect(exam, variant)
    try:
        papers.add_rule(current_user, exam, variant, qtype=form.qtype.data, count=form.count.data,
                          bank_id=form.bank_id.data or None, category=form.category.data,
                          law_name=form.law_name.data, difficulty=form.difficulty.data)
    except ServiceError as error:
        _flash_problems(error)
        return _paper_redirect(exam, variant)
    db.session.commit()
    flash("抽题规则已添加。", "success")
    return _paper_redirect(exam, variant)


@manage_bp.route("/<int:exam_id>/paper/rules/<int:rule_id>/delete", methods=["POST"])
@manager_required
def delete_rule(exam_id, rule_id):
    exam = managed_exam(exam_id, write=True)
    rule = db.session.get(PaperRule, rule_id)
    if rule is None or rule.variant.exam_id != exam.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    variant = rule.variant
    try:
        papers.delete_rule(current_user, exam, variant, rule)
    except ServiceError as error:
        _flash_problems(error)
        return _paper_redirect(exam, variant)
    db.session.commit()
    flash("规则已删除。", "success")
    return _paper_redirect(exam, variant)


@manage_bp.route("/<int:exam_id>/paper/variants/<int:variant_id>/template", methods=["POST"])
@manager_required
def apply_template(exam_id, variant_id):
    exam = managed_exam(exam_id, write=True)
    variant = _variant_or_404(exam, variant_id)
    templates = papers.blueprint_templates()
    form = TemplateForm()
    form.template.choices = [(k, t.get("name", k)) for k, t in templates.items()]
    if not form.validate_on_submit():
        abort(400)
    try:
        problems = papers.apply_template(current_user, exam, variant, templates[form.template.data])
    except ServiceError as error:
        _flash_problems(error)
        return _paper_redirect(exam, variant)
    db.session.commit()
    flash("已套用模板。", "success")
    for message in problems:
        flash(message, "warning")
    return _paper_redirect(exam, variant)


@manage_bp.route("/<int:exam_id>/paper/variants/<int:variant_id>/questions", methods=["POST"])
@manager_required
def add_questions(exam_id, variant_id):
    exam = managed_exam(exam_id, write=True)
    variant = _variant_or_404(exam, variant_id)
    form = FixedQuestionsForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        added = papers.add_fixed_questions(current_user, exam, variant, form.question_ids.data)
    except ServiceError as error:
        _flash_problems(error)
        return _paper_redirect(exam, variant)
    db.session.commit()
    flash(f"已加入 {added} 道题目。", "success")
    return _paper_redirect(exam, variant)


@manage_bp.route("/<int:exam_id>/paper/questions/<int:item_id>/delete", methods=["POST"])
@manager_required
def remove_question(exam_id, item_id):
    exam = managed_exam(exam_id, write=True)
    item = db.session.get(PaperQuestion, item_id)
    if item is None or item.variant.exam_id != exam.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    variant = item.variant
    try:
        papers.remove_fixed_question(current_user, exam, variant, item)
    except ServiceError as error:
        _flash_problems(error)
        return _paper_redirect(exam, variant)
    db.session.commit()
    flash("已移除该题。", "success")
    return _paper_redirect(exam, variant)


# ---------------------------------------------------------------- roster, export, overrides

def _roster_filters(exam):
    unit = None
    unit_id = request.args.get("unit", type=int)
    if unit_id:
        unit = get_unit_or_404(current_user, unit_id)
    status = request.args.get("status", "")
    if status not in queries.ROSTER_STATUSES:
        status = ""
    return {"status": status, "unit": unit, "q": (request.args.get("q") or "").strip()}


@manage_bp.route("/<int:exam_id>/roster")
@manager_required
def roster(exam_id):
    exam = managed_exam(exam_id)
    now = utcnow()
    filters = _roster_filters(exam)
    page = queries.paginate_rows(queries.roster_stmt(exam, scope_path(current_user), **filters, now=now),
                                 request.args.get("page", 1, type=int), 50)
    rows = queries.roster_rows(page.items)
    return render_template("exams/manage/roster.html", exam=exam, page=page, rows=rows, filters=filters,
                           statuses=queries.ROSTER_STATUSES, units=unit_choices(current_user),
                           figures=queries.exam_figures(exam, scope_path(current_user), now))


@manage_bp.route("/<int:exam_id>/roster.xlsx")
@manager_required
def export(exam_id):
    exam = managed_exam(exam_id)
    names = dict(unit_choices(current_user))
    rows = queries.export_rows(exam, scope_path(current_user), names)
    absent = [rows[0]] + [r for r in rows[1:] if r[5] == "未参考"]
    data = write_xlsx({"成绩": rows, "未参考名单": absent},
                      column_widths={"成绩": [30, 10, 14, 12, 10, 8, 8, 8, 8, 8, 10, 10, 8, 18, 6, 30],
                                     "未参考名单": [30, 10, 14, 12, 10, 8, 8, 8, 8, 8, 10, 10, 8, 18, 6, 30]})
    filename = f"{exam.title}-成绩.xlsx"
    return xlsx_download(data, filename)


@manage_bp.route("/<int:exam_id>/overrides", methods=["GET", "POST"])
@manager_required
def overrides(exam_id):
    exam = managed_exam(exam_id, write=True)
    form = OverrideForm()
    if request.method == "GET" and request.args.get("login"):
        form.login.data = request.args["login"]
    if form.validate_on_submit():
        person = db.session.scalar(sa.select(User).where(User.login == form.login.data.strip()))
        path = scope_path(current_user)
        if person is None or (path and not person.unit.path.startswith(path)):
            form.login.errors = list(form.login.errors) + ["找不到该登录名的人员（或不在您的管理范围内）。"]
        else:
            try:
                setup.save_override(current_user, exam, person, extra_minutes=form.extra_minutes.data or 0,
                                    close_at=_utc(form.close_at.data), extra_attempts=form.extra_attempts.data or 0,
                                    reason=form.reason.data)
            except ServiceError as error:
                db.session.rollback()
                put_on_form(form, error)
            else:
                db.session.commit()
                flash(f"已为{person.name}保存特殊安排。", "success")
                return redirect(url_for("exam_admin.overrides", exam_id=exam.id))
    rows = db.session.scalars(sa.select(ExamOverride).where(ExamOverride.exam_id == exam.id)
                              .order_by(ExamOverride.updated_at.desc())).all()
    return render_template("exams/manage/overrides.html", exam=exam, form=form, rows=rows, button=ButtonForm())


@manage_bp.route("/<int:exam_id>/overrides/<int:override_id>/delete", methods=["POST"])
@manager_required
def delete_override(exam_id, override_id):
    exam = managed_exam(exam_id, write=True)
    override = db.session.get(ExamOverride, override_id)
    if override is None or override.exam_id != exam.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    setup.delete_override(current_user, exam, override)
    db.session.commit()
    flash("特殊安排已取消。", "success")
    return redirect(url_for("exam_admin.overrides", exam_id=exam.id))


def _attempt_in_scope(exam, attempt_id):
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.exam_id != exam.id:
        abort(404)
    path = scope_path(current_user)
    if path and not attempt.user.unit.path.startswith(path):
        abort(404)
    return attempt


@manage_bp.route("/<int:exam_id>/attempts/<int:attempt_id>/collect", methods=["POST"])
@manager_required
def collect_attempt(exam_id, attempt_id):
    """组织者收卷: close a time-up attempt once no answer given in time can still arrive (audited)."""
    exam = managed_exam(exam_id)
    attempt = _attempt_in_scope(exam, attempt_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    now = utcnow()
    if attempt.status != "open":
        flash("该答卷已交卷。", "info")
    elif not collection_over(attempt, now):
        flash(f"还不能收卷：截止后到 {to_local(collection_time(attempt)):%H:%M:%S} 前，截止前作答、稍晚送达的答案仍会被接收。",
              "warning")
    else:
        submit_attempt(attempt, now, kind="organiser", actor=current_user)
        db.session.commit()
        flash("已收卷，按截止前保存的答案计分。", "success")
    return redirect(url_for("exam_admin.attempt_detail", exam_id=exam.id, attempt_id=attempt.id))


@manage_bp.route("/<int:exam_id>/attempts/<int:attempt_id>")
@manager_required
def attempt_detail(exam_id, attempt_id):
    exam = managed_exam(exam_id)
    attempt = _attempt_in_scope(exam, attempt_id)
    others = db.session.scalars(sa.select(Attempt).where(Attempt.exam_id == exam.id,
                                                         Attempt.user_id == attempt.user_id)
                                .order_by(Attempt.attempt_no)).all()
    return render_template("exams/manage/attempt.html", exam=exam, attempt=attempt, others=others,
                           collecting=time_up(attempt, utcnow()), type_labels=TYPE_LABELS, letters=LETTERS,
                           events=events_of(attempt), button=ButtonForm())


# ---------------------------------------------------------------- statistics and regrades

@manage_bp.route("/<int:exam_id>/stats")
@manager_required
def stats(exam_id):
    exam = managed_exam(exam_id)
    now = utcnow()
    closed = exam_closed(exam, now)
    sitters, rows = queries.item_statistics(exam) if closed else (0, [])
    return render_template("exams/manage/stats.html", exam=exam, closed=closed, sitters=sitters, rows=rows,
                           collecting=queries.collecting_count(exam, now),
                           group=grading.group_size(sitters), changes=grading.key_changes(exam)
                           if access.manageable(current_user, exam) else [],
                           can_manage=access.manageable(current_user, exam), button=ButtonForm(),
                           key_form=KeyCorrectionForm(), letters=LETTERS)


@manage_bp.route("/<int:exam_id>/regrade", methods=["POST"])
@manager_required
def regrade(exam_id):
    exam = managed_exam(exam_id, write=True)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        rekeyed, changed = grading.regrade(current_user, exam)
    except ServiceError as error:
        _flash_problems(error)
        return redirect(url_for("exam_admin.stats", exam_id=exam.id))
    db.session.commit()
    flash(f"已按题库当前答案重新评分：{rekeyed} 道题，{changed} 份答卷成绩有变化。", "success")
    return redirect(url_for("exam_admin.stats", exam_id=exam.id))


@manage_bp.route("/<int:exam_id>/correct-key", methods=["POST"])
@manager_required
def correct_key(exam_id):
    exam = managed_exam(exam_id, write=True)
    form = KeyCorrectionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        question_id = int(form.question_id.data)
    except (TypeError, ValueError):
        abort(400)
    used = db.session.scalar(sa.select(AttemptItem.id).join(Attempt, Attempt.id == AttemptItem.attempt_id)
                             .where(Attempt.exam_id == exam.id, AttemptItem.question_id == question_id).limit(1))
    if used is None:
        abort(404)
    question = db.session.get(Question, question_id)
    qtype = REGISTRY[question.qtype]
    key = qtype.parse_key(form.key.data, question.options or [])
    if key is None:
        flash(f"无法识别答案“{form.key.data}”：{qtype.key_hint()}。", "error")
        return redirect(url_for("exam_admin.stats", exam_id=exam.id))
    try:
        _, changed = grading.regrade(current_user, exam, {question_id: key})
    except ServiceError as error:
        _flash_problems(error)
        return redirect(url_for("exam_admin.stats", exam_id=exam.id))
    db.session.commit()
    label = qtype.answer_label(key, question.options or [])
    flash(f"已更正本场考试该题答案为 {label} 并重新评分：{changed} 份答卷成绩有变化。", "success")
    return redirect(url_for("exam_admin.stats", exam_id=exam.id))


@manage_bp.route("/certificate-settings", methods=["GET", "POST"])
@roles_required("admin")
def certificate_settings():
    """发证单位 and 印章 on every certificate (page, print and PDF)."""
    setting = certificates.certificate_setting()
    form = CertificateSettingsForm()
    if request.method == "GET":
        form.issuer_name.data = setting.issuer_name if setting else ""
    if form.validate_on_submit():
        upload = form.seal.data.read() if form.seal.data else None
        try:
            certificates.update_certificate_setting(current_user, issuer=form.issuer_name.data, seal=upload,
                                                    remove_seal=form.remove_seal.data)
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("证书设置已保存。", "success")
            return redirect(url_for("exam_admin.certificate_settings"))
    return render_template("exams/certificate_settings.html", form=form, setting=setting)
