"""Exam pages for cadres and organisers, the JSON endpoints the exam page talks to, and certificate checks.

Each handler: form -> service -> one commit -> response.
"""
from __future__ import annotations


import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.models import CATEGORIES, RANKS, User
from ..accounts.scope import get_unit_or_404
from ..accounts.services import unit_choices
from ..common.auth import LEARNERS, MANAGERS, roles_required
from ..common.forms import ButtonForm
from ..bank.models import Bank, Question
from ..bank.qtypes import LETTERS, REGISTRY, TYPE_LABELS
from ..common.clock import as_utc, local_to_utc, to_local, utcnow
from ..common.errors import ServiceError, put_on_form
from ..common.spreadsheets import write_xlsx, xlsx_download
from ..common.templating import register_nav
from ..extensions import db, limiter
from . import grading, queries, services
from .forms import (ExamForm, FixedQuestionsForm, KeyCorrectionForm, LockedExamForm, OverrideForm,
                    RuleForm, StartForm, SubmitAttemptForm, TemplateForm, VariantForm, answer_page_form)
from .models import (COUNTING, MULTI_SCORING, PAPER_MODES, Attempt, AttemptItem, Exam, ExamOverride, ExamResult,
                     PaperQuestion, PaperRule, PaperVariant)

exams_bp = Blueprint("exams", __name__, url_prefix="/exams")
manage_bp = Blueprint("exam_admin", __name__, url_prefix="/manage/exams")
api_bp = Blueprint("exam_api", __name__, url_prefix="/api/exams")
verify_bp = Blueprint("verify", __name__, url_prefix="/verify")

register_nav("exams.index", "在线考试", LEARNERS, order=30)
register_nav("exams.results", "成绩查询", LEARNERS, order=31)
register_nav("exam_admin.index", "考试管理", MANAGERS, order=60)

examinee_required = roles_required(*LEARNERS)
manager_required = roles_required(*MANAGERS)


@exams_bp.app_template_filter("score")
def score_filter(value):
    return grading.format_score(value)


@exams_bp.app_template_filter("duration")
def duration_filter(value):
    return grading.format_duration(value)


def _page_size():
    return int(current_app.config.get("EXAM_QUESTIONS_PER_PAGE", 10))


def _iso(value):
    """An aware datetime as ISO 8601 UTC with a Z, which every browser parses."""
    return as_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else None


# ================================================================ cadres

@exams_bp.route("/")
@examinee_required
def index():
    now = utcnow()
    services.touch_user(current_user, now)
    db.session.commit()
    grouped = queries.my_exams(current_user, now)
    return render_template("exams/index.html", grouped=grouped, now=now)


@exams_bp.route("/results")
@examinee_required
def results():
    now = utcnow()
    services.touch_user(current_user, now)
    db.session.commit()
    rows = queries.my_results(current_user)
    years = sorted({exam.year for exam, _ in rows} | {to_local(now).year}, reverse=True)
    certificates = {year: services.certificate_status(current_user, year) for year in years}
    return render_template("exams/results.html", rows=rows, certificates=certificates)


def _exam_for_examinee(exam_id):
    exam = db.session.get(Exam, exam_id)
    if exam is None or exam.status != "published" or not services.in_audience(exam, current_user):
        abort(404)
    return exam


@exams_bp.route("/<int:exam_id>")
@examinee_required
def show(exam_id):
    exam = _exam_for_examinee(exam_id)
    now = utcnow()
    services.touch_user(current_user, now)
    db.session.commit()
    info = services.load_standing(exam, current_user, now)
    variant = services.choose_variant(exam, current_user)
    attempts = db.session.scalars(sa.select(Attempt).where(Attempt.exam_id == exam.id,
                                                           Attempt.user_id == current_user.id)
                                  .order_by(Attempt.attempt_no)).all()
    override = db.session.scalar(sa.select(ExamOverride).where(ExamOverride.exam_id == exam.id,
                                                               ExamOverride.user_id == current_user.id))
    return render_template("exams/show.html", exam=exam, info=info, variant=variant, attempts=attempts,
                           override=override, form=StartForm(), sections=_sections(variant),
                           multi_label=MULTI_SCORING[exam.multi_scoring], counting_label=COUNTING[exam.counting])


def _sections(variant):
    """[(type label, count, points each)] for 题型及分值."""
    if variant is None:
        return []
    counts = {}
    if variant.mode == "blueprint":
        for rule in variant.rules:
            counts[rule.qtype] = counts.get(rule.qtype, 0) + rule.count
    else:
        for item in variant.fixed:
            counts[item.question.qtype] = counts.get(item.question.qtype, 0) + 1
    return [(TYPE_LABELS[q], counts[q], (variant.points or {}).get(q, 0)) for q in REGISTRY if q in counts]


@exams_bp.route("/<int:exam_id>/start", methods=["POST"])
@examinee_required
def start(exam_id):
    exam = _exam_for_examinee(exam_id)
    form = StartForm()
    if not form.validate_on_submit():
        flash("请先勾选“我已阅读考试须知”，再开始考试。", "warning")
        return redirect(url_for("exams.show", exam_id=exam.id))
    try:
        attempt, _created = services.start_attempt(exam, current_user)
    except ServiceError as error:
        db.session.rollback()
        for message in error.messages:
            flash(message, "error")
        return redirect(url_for("exams.show", exam_id=exam.id))
    db.session.commit()
    return redirect(url_for("exams.take", attempt_id=attempt.id))


def _own_attempt_or_404(attempt_id):
    attempt = services.get_attempt_for(current_user, attempt_id)
    if attempt is None:
        abort(404)
    return attempt


@exams_bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@examinee_required
def take(attempt_id):
    attempt = _own_attempt_or_404(attempt_id)
    now = utcnow()
    if services.finalise_if_overdue(attempt, now):
        db.session.commit()
        if attempt.submit_kind in ("overdue", "timeout") and request.method == "POST":
            flash("考试时间已到，系统已按截止时保存的答案自动收卷。", "warning")
        return redirect(url_for("exams.result", attempt_id=attempt.id))
    items = attempt.items
    size = _page_size()
    pages = max(1, (len(items) + size - 1) // size)
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    shown = items[(page - 1) * size: page * size]
    form = answer_page_form(shown)
    if form.validate_on_submit():
        answers = {item.position: "".join(getattr(form, f"q{item.position}").data or "") for item in shown}
        marks = {item.position for item in shown if getattr(form, f"m{item.position}").data}
        try:
            services.save_page(current_user, attempt, answers, marks, now)
        except services.AttemptClosed as error:
            db.session.commit()
            flash(error.messages[0], "error")
            return redirect(url_for("exams.result", attempt_id=attempt.id))
        except ServiceError as error:
            db.session.rollback()
            for message in error.messages:
                flash(message, "error")
            return redirect(url_for("exams.take", attempt_id=attempt.id, page=page))
        db.session.commit()
        if form.finish.data:
            return redirect(url_for("exams.confirm_submit", attempt_id=attempt.id))
        if form.goto.data:
            target = form.goto.data
        else:
            target = page - 1 if form.previous.data else page + 1 if form.next.data else page
        flash(f"第 {page} 页答案已保存。", "success")
        return redirect(url_for("exams.take", attempt_id=attempt.id, page=min(max(target, 1), pages)))
    remaining = max(0, int((attempt.deadline - now).total_seconds()))
    return render_template("exams/take.html", attempt=attempt, exam=attempt.exam, items=items, shown=shown,
                           form=form, page=page, pages=pages, size=size, remaining=remaining,
                           type_labels=TYPE_LABELS, letters=LETTERS)


@exams_bp.route("/attempts/<int:attempt_id>/submit", methods=["GET", "POST"])
@examinee_required
def confirm_submit(attempt_id):
    attempt = _own_attempt_or_404(attempt_id)
    now = utcnow()
    if services.finalise_if_overdue(attempt, now):
        db.session.commit()
        return redirect(url_for("exams.result", attempt_id=attempt.id))
    form = SubmitAttemptForm()
    if form.validate_on_submit():
        services.submit_attempt(attempt, now)
        db.session.commit()
        return redirect(url_for("exams.result", attempt_id=attempt.id))
    unanswered = [i.position for i in attempt.items if not i.response]
    marked = [i.position for i in attempt.items if i.marked]
    return render_template("exams/submit.html", attempt=attempt, exam=attempt.exam, form=form,
                           unanswered=unanswered, marked=marked, size=_page_size())


@exams_bp.route("/attempts/<int:attempt_id>/result")
@examinee_required
def result(attempt_id):
    attempt = _own_attempt_or_404(attempt_id)
    now = utcnow()
    if not services.finalise_if_overdue(attempt, now):
        return redirect(url_for("exams.take", attempt_id=attempt.id))
    services.release_reviews(now, exam_id=attempt.exam_id, user_id=current_user.id)
    db.session.commit()
    exam = attempt.exam
    visible = services.review_visible(exam, now)
    exam_result = db.session.scalar(sa.select(ExamResult).where(ExamResult.exam_id == exam.id,
                                                                ExamResult.user_id == current_user.id))
    info = services.load_standing(exam, current_user, now)
    return render_template("exams/result.html", attempt=attempt, exam=exam, visible=visible,
                           opens=services.review_opens_at(exam), exam_result=exam_result, info=info,
                           items=attempt.items if visible else [], type_labels=TYPE_LABELS, letters=LETTERS)


@exams_bp.route("/certificates/<int:year>")
@examinee_required
def certificate(year):
    status = services.certificate_status(current_user, year)
    if not status.eligible:
        return render_template("exams/certificate_pending.html", status=status, year=year)
    issued = services.issue_certificate(current_user, year)
    db.session.commit()
    verify_url = url_for("verify.show", code=issued.code, _external=True)
    return render_template("exams/certificate.html", certificate=issued, verify_url=verify_url)


# ================================================================ public certificate check

@verify_bp.route("/")
@limiter.limit("30 per minute")
def lookup():
    code = request.args.get("code", "")
    if code:
        normalised = services.normalise_code(code)
        if normalised:
            return redirect(url_for("verify.show", code=normalised))
        return render_template("exams/verify.html", certificate=None, searched=True, code=code)
    return render_template("exams/verify.html", certificate=None, searched=False, code="")


@verify_bp.route("/<code>")
@limiter.limit("30 per minute")
def show(code):
    certificate, valid = services.verify_certificate(code)
    return render_template("exams/verify.html", certificate=certificate, valid=valid, searched=True, code=code), \
        (200 if certificate else 404)


# ================================================================ JSON endpoints

def _json_error(message, status, **extra):
    return jsonify(error=message, status=status, **extra), status


def _attempt_state(attempt, now):
    exam = attempt.exam
    items = attempt.items
    return {
        "attempt": {
            "id": attempt.id, "exam_id": exam.id, "title": exam.title, "status": attempt.status,
            "attempt_no": attempt.attempt_no, "is_makeup": attempt.is_makeup,
            "started_at": _iso(attempt.started_at), "deadline": _iso(attempt.deadline), "server_now": _iso(now),
            "grace_seconds": services.grace_seconds(), "time_limit": exam.time_limit,
            "count": len(items), "answered": sum(1 for i in items if i.response), "page_leaves": attempt.page_leaves,
        },
        "items": [{"position": i.position, "qtype": i.qtype, "type_label": TYPE_LABELS[i.qtype], "points": i.points,
                   "stem": i.stem, "options": list(i.options or []), "response": i.response, "seq": i.seq,
                   "marked": i.marked} for i in items],
        "urls": {
            "state": url_for("exam_api.state", attempt_id=attempt.id),
            "answers": url_for("exam_api.answers", attempt_id=attempt.id),
            "submit": url_for("exam_api.submit", attempt_id=attempt.id),
            "leave": url_for("exam_api.leave", attempt_id=attempt.id),
            "result": url_for("exams.result", attempt_id=attempt.id),
            "page": url_for("exams.take", attempt_id=attempt.id),
        },
    }


def _json_body():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400)
    return body


def _answers_from(body):
    answers = body.get("answers")
    if answers is None and "position" in body:
        answers = [body]
    if not isinstance(answers, list) or len(answers) > 500:
        abort(400)
    cleaned = []
    for answer in answers:
        if not isinstance(answer, dict):
            abort(400)
        try:
            position, seq = int(answer["position"]), int(answer["seq"])
        except (KeyError, TypeError, ValueError):
            abort(400)
        response = answer.get("response", "")
        if isinstance(response, list):
            response = "".join(str(r) for r in response)
        if not isinstance(response, str) or len(response) > 20 or seq < 1 or seq > 2**31 - 1:
            abort(400)
        marked = answer.get("marked")
        cleaned.append({"position": position, "seq": seq, "response": response,
                        "marked": bool(marked) if marked is not None else None})
    return cleaned


@api_bp.route("/<int:exam_id>/start", methods=["POST"])
@examinee_required
def api_start(exam_id):
    exam = _exam_for_examinee(exam_id)
    body = _json_body()
    if body.get("confirm") is not True:
        return _json_error("请先确认已阅读考试须知。", 400)
    try:
        attempt, created = services.start_attempt(exam, current_user)
    except ServiceError as error:
        db.session.rollback()
        return _json_error(error.messages[0], 409)
    db.session.commit()
    payload = {"attempt_id": attempt.id, "created": created,
               "state_url": url_for("exam_api.state", attempt_id=attempt.id),
               "page_url": url_for("exams.take", attempt_id=attempt.id)}
    return jsonify(payload), (201 if created else 200)


@api_bp.route("/attempts/<int:attempt_id>/state")
@examinee_required
def state(attempt_id):
    attempt = _own_attempt_or_404(attempt_id)
    now = utcnow()
    if services.finalise_if_overdue(attempt, now):
        db.session.commit()
    response = jsonify(_attempt_state(attempt, now))
    response.headers["Cache-Control"] = "no-store"
    return response


@api_bp.route("/attempts/<int:attempt_id>/answers", methods=["POST"])
@limiter.exempt  # the hottest endpoint; it has no limits, so skip the per-request limit lookup
@examinee_required
def answers(attempt_id):
    body = _json_body()
    answers_in = _answers_from(body)
    now = utcnow()
    try:
        results_out = services.save_answers(current_user, attempt_id, answers_in, now) if answers_in else []
    except LookupError:
        db.session.rollback()
        abort(404)
    except services.AttemptClosed as error:
        db.session.commit()
        return _json_error(error.messages[0], 409, closed=True,
                           result_url=url_for("exams.result", attempt_id=attempt_id))
    except ServiceError as error:
        db.session.rollback()
        return _json_error(error.messages[0], 400)
    db.session.commit()
    return jsonify(saved=results_out, server_now=_iso(now))


@api_bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@examinee_required
def submit(attempt_id):
    body = _json_body()
    pending = _answers_from(body) if body.get("answers") else []
    attempt = _own_attempt_or_404(attempt_id)
    now = utcnow()
    if pending and attempt.status == "open":
        try:
            services.save_answers(current_user, attempt.id, pending, now)
        except services.AttemptClosed:
            pass  # too late for these; the attempt is closed with what was saved in time
        except ServiceError as error:
            db.session.rollback()
            return _json_error(error.messages[0], 400)
    submitted = services.submit_attempt(attempt, now, kind="timeout" if body.get("timeout") else "manual") \
        if attempt.status == "open" else False
    db.session.commit()
    return jsonify(status=attempt.status, submitted=submitted, already=not submitted,
                   submit_kind=attempt.submit_kind, score=attempt.score, band=attempt.band, passed=attempt.passed,
                   result_url=url_for("exams.result", attempt_id=attempt.id))


@api_bp.route("/attempts/<int:attempt_id>/leave", methods=["POST"])
@examinee_required
def leave(attempt_id):
    body = _json_body()
    try:
        count = int(body.get("count", 1))
    except (TypeError, ValueError):
        abort(400)
    try:
        total = services.note_page_leave(current_user, attempt_id, count)
    except LookupError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    return jsonify(page_leaves=total)


# ================================================================ organisers

def _managed_or_404(exam_id, *, write=False):
    exam = db.session.get(Exam, exam_id)
    if exam is None:
        abort(404)
    allowed = services.manageable(current_user, exam) if write else services.visible_to_manager(current_user, exam)
    if not allowed:
        abort(404)
    return exam


def _scope_path():
    return None if current_user.role == "admin" else current_user.unit.path


@manage_bp.route("/")
@manager_required
def index():
    stmt = services.managed_exams_stmt(current_user)
    period = (request.args.get("period") or "").strip()
    if period:
        stmt = stmt.where(Exam.period.startswith(period, autoescape=True))
    page = db.paginate(stmt.order_by(Exam.open_at.desc(), Exam.id.desc()), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)
    return render_template("exams/manage/index.html", page=page, period=period, now=utcnow(),
                           manageable=lambda e: services.manageable(current_user, e))


def _exam_form_choices(form):
    choices = unit_choices(current_user)
    form.unit_id.choices = choices
    form.audience_ids.choices = choices


def _exam_values(form):
    values = {key: getattr(form, key).data for key in services.EXAM_FIELDS
              if key not in ("bands",) and hasattr(form, key)}
    for key in ("open_at", "close_at", "makeup_open_at", "makeup_close_at"):
        if key in values:
            values[key] = local_to_utc(values[key]) if values[key] else None
    values["audience_ids"] = list(form.audience_ids.data or [])
    values["categories"] = list(form.categories.data or [])
    values["bands"] = services.parse_bands(form.bands.data)
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
            exam = services.create_exam(current_user, _exam_values(form))
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
    exam = _managed_or_404(exam_id)
    now = utcnow()
    services.touch_exam(exam, now)
    db.session.commit()
    figures = queries.exam_figures(exam, _scope_path())
    return render_template("exams/manage/overview.html", exam=exam, figures=figures, now=now,
                           can_manage=services.manageable(current_user, exam),
                           lock_reason=services.lock_reason(exam), problems=services.paper_problems(exam),
                           closed=services.exam_closed(exam, now), button=ButtonForm(),
                           review_opens=services.review_opens_at(exam), totals=services.variant_total,
                           counts=services.variant_question_count,
                           multi_label=MULTI_SCORING[exam.multi_scoring], counting_label=COUNTING[exam.counting],
                           bands=services.format_bands(exam.bands))


@manage_bp.route("/<int:exam_id>/edit", methods=["GET", "POST"])
@manager_required
def edit(exam_id):
    exam = _managed_or_404(exam_id, write=True)
    reason = services.lock_reason(exam)
    if reason:
        form = LockedExamForm()
        if request.method == "GET":
            form.close_at.data = _local(exam.close_at)
            form.makeup_close_at.data = _local(exam.makeup_close_at)
            form.description.data = exam.description
        if form.validate_on_submit():
            values = {"close_at": local_to_utc(form.close_at.data), "description": form.description.data or ""}
            if exam.makeup_enabled:
                values["makeup_close_at"] = local_to_utc(form.makeup_close_at.data) if form.makeup_close_at.data \
                    else None
            try:
                services.update_exam(current_user, exam, values)
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
        form.bands.data = services.format_bands(exam.bands)
    if form.validate_on_submit():
        try:
            services.update_exam(current_user, exam, _exam_values(form))
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
    exam = _managed_or_404(exam_id, write=True)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        {"publish": services.publish, "unpublish": services.unpublish, "delete": services.delete_exam}[action](
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
        for qtype in REGISTRY:
            getattr(form, f"points_{qtype}").data = (variant.points or {}).get(qtype)
    return form


def _rule_form(exam):
    form = RuleForm()
    banks = db.session.scalars(services.usable_banks_stmt(exam).order_by(Bank.unit_id.is_not(None), Bank.name)).all()
    form.bank_id.choices = [(0, "所有可用题库")] + [(b.id, b.name + ("" if b.unit_id is None else "（本单位）"))
                                                    for b in banks]
    return form


def _question_search(exam, variant):
    """Up to 50 usable active questions matching the picker's filters, not yet in the fixed paper."""
    q = (request.args.get("q") or "").strip()
    qtype = request.args.get("qtype") or ""
    stmt = sa.select(Question).where(Question.status == "active",
                                     Question.bank_id.in_(services.usable_banks_stmt(exam).with_only_columns(Bank.id)))
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
    exam = _managed_or_404(exam_id)
    variant_id = request.args.get("variant", type=int)
    current = _variant_or_404(exam, variant_id) if variant_id else exam.variants[0]
    templates = services.blueprint_templates()
    template_form = TemplateForm()
    template_form.template.choices = [(k, t.get("name", k)) for k, t in templates.items()]
    found = _question_search(exam, current) if current.mode == "fixed" and request.args.get("search") else []
    return render_template("exams/manage/paper.html", exam=exam, current=current,
                           can_edit=services.manageable(current_user, exam) and not services.lock_reason(exam),
                           lock_reason=services.lock_reason(exam), variant_form=_variant_form(current),
                           new_variant_form=VariantForm(formdata=None, name="", mode="blueprint"),
                           rule_form=_rule_form(exam), template_form=template_form, fixed_form=FixedQuestionsForm(),
                           found=found, button=ButtonForm(), problems=services.variant_problems(exam, current),
                           total=services.variant_total(current), count=services.variant_question_count(current),
                           type_labels=TYPE_LABELS, categories=CATEGORIES, ranks=RANKS, modes=PAPER_MODES,
                           describe=services.describe_rule)


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
    exam = _managed_or_404(exam_id, write=True)
    variant = _variant_or_404(exam, variant_id) if variant_id else None
    form = VariantForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return _paper_redirect(exam, variant)
    points = {qtype: getattr(form, f"points_{qtype}").data for qtype in REGISTRY}
    try:
        variant = services.save_variant(current_user, exam, variant, name=form.name.data, mode=form.mode.data,
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
    exam = _managed_or_404(exam_id, write=True)
    variant = _variant_or_404(exam, variant_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        services.delete_variant(current_user, exam, variant)
    except ServiceError as error:
        _flash_problems(error)
        return _paper_redirect(exam, variant)
    db.session.commit()
    flash("试卷已删除。", "success")
    return _paper_redirect(exam)


@manage_bp.route("/<int:exam_id>/paper/variants/<int:variant_id>/rules", methods=["POST"])
@manager_required
def add_rule(exam_id, variant_id):
    exam = _managed_or_404(exam_id, write=True)
    variant = _variant_or_404(exam, variant_id)
    form = _rule_form(exam)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return _paper_redirect(exam, variant)
    try:
        services.add_rule(current_user, exam, variant, qtype=form.qtype.data, count=form.count.data,
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
    exam = _managed_or_404(exam_id, write=True)
    rule = db.session.get(PaperRule, rule_id)
    if rule is None or rule.variant.exam_id != exam.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    variant = rule.variant
    try:
        services.delete_rule(current_user, exam, variant, rule)
    except ServiceError as error:
        _flash_problems(error)
        return _paper_redirect(exam, variant)
    db.session.commit()
    flash("规则已删除。", "success")
    return _paper_redirect(exam, variant)


@manage_bp.route("/<int:exam_id>/paper/variants/<int:variant_id>/template", methods=["POST"])
@manager_required
def apply_template(exam_id, variant_id):
    exam = _managed_or_404(exam_id, write=True)
    variant = _variant_or_404(exam, variant_id)
    templates = services.blueprint_templates()
    form = TemplateForm()
    form.template.choices = [(k, t.get("name", k)) for k, t in templates.items()]
    if not form.validate_on_submit():
        abort(400)
    try:
        problems = services.apply_template(current_user, exam, variant, templates[form.template.data])
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
    exam = _managed_or_404(exam_id, write=True)
    variant = _variant_or_404(exam, variant_id)
    form = FixedQuestionsForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        added = services.add_fixed_questions(current_user, exam, variant, form.question_ids.data)
    except ServiceError as error:
        _flash_problems(error)
        return _paper_redirect(exam, variant)
    db.session.commit()
    flash(f"已加入 {added} 道题目。", "success")
    return _paper_redirect(exam, variant)


@manage_bp.route("/<int:exam_id>/paper/questions/<int:item_id>/delete", methods=["POST"])
@manager_required
def remove_question(exam_id, item_id):
    exam = _managed_or_404(exam_id, write=True)
    item = db.session.get(PaperQuestion, item_id)
    if item is None or item.variant.exam_id != exam.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    variant = item.variant
    try:
        services.remove_fixed_question(current_user, exam, variant, item)
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
    exam = _managed_or_404(exam_id)
    services.touch_exam(exam)
    db.session.commit()
    filters = _roster_filters(exam)
    page = queries.paginate_rows(queries.roster_stmt(exam, _scope_path(), **filters),
                                 request.args.get("page", 1, type=int), 50)
    rows = queries.roster_rows(page.items)
    return render_template("exams/manage/roster.html", exam=exam, page=page, rows=rows, filters=filters,
                           statuses=queries.ROSTER_STATUSES, units=unit_choices(current_user),
                           figures=queries.exam_figures(exam, _scope_path()))


@manage_bp.route("/<int:exam_id>/roster.xlsx")
@manager_required
def export(exam_id):
    exam = _managed_or_404(exam_id)
    services.touch_exam(exam)
    db.session.commit()
    names = dict(unit_choices(current_user))
    rows = queries.export_rows(exam, _scope_path(), names)
    absent = [rows[0]] + [r for r in rows[1:] if r[5] == "未参考"]
    data = write_xlsx({"成绩": rows, "未参考名单": absent},
                      column_widths={"成绩": [30, 10, 14, 12, 10, 8, 8, 8, 8, 8, 10, 10, 8, 18, 6, 30],
                                     "未参考名单": [30, 10, 14, 12, 10, 8, 8, 8, 8, 8, 10, 10, 8, 18, 6, 30]})
    filename = f"{exam.title}-成绩.xlsx"
    return xlsx_download(data, filename)


@manage_bp.route("/<int:exam_id>/overrides", methods=["GET", "POST"])
@manager_required
def overrides(exam_id):
    exam = _managed_or_404(exam_id, write=True)
    form = OverrideForm()
    if request.method == "GET" and request.args.get("login"):
        form.login.data = request.args["login"]
    if form.validate_on_submit():
        person = db.session.scalar(sa.select(User).where(User.login == form.login.data.strip()))
        path = _scope_path()
        if person is None or (path and not person.unit.path.startswith(path)):
            form.login.errors = list(form.login.errors) + ["找不到该登录名的人员（或不在您的管理范围内）。"]
        else:
            try:
                services.save_override(current_user, exam, person, extra_minutes=form.extra_minutes.data or 0,
                                       close_at=local_to_utc(form.close_at.data) if form.close_at.data else None,
                                       extra_attempts=form.extra_attempts.data or 0, reason=form.reason.data)
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
    exam = _managed_or_404(exam_id, write=True)
    override = db.session.get(ExamOverride, override_id)
    if override is None or override.exam_id != exam.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.delete_override(current_user, exam, override)
    db.session.commit()
    flash("特殊安排已取消。", "success")
    return redirect(url_for("exam_admin.overrides", exam_id=exam.id))


@manage_bp.route("/<int:exam_id>/attempts/<int:attempt_id>")
@manager_required
def attempt_detail(exam_id, attempt_id):
    exam = _managed_or_404(exam_id)
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.exam_id != exam.id:
        abort(404)
    path = _scope_path()
    if path and not attempt.user.unit.path.startswith(path):
        abort(404)
    services.finalise_if_overdue(attempt)
    db.session.commit()
    others = db.session.scalars(sa.select(Attempt).where(Attempt.exam_id == exam.id,
                                                         Attempt.user_id == attempt.user_id)
                                .order_by(Attempt.attempt_no)).all()
    return render_template("exams/manage/attempt.html", exam=exam, attempt=attempt, others=others,
                           type_labels=TYPE_LABELS, letters=LETTERS)


# ---------------------------------------------------------------- statistics and regrades

@manage_bp.route("/<int:exam_id>/stats")
@manager_required
def stats(exam_id):
    exam = _managed_or_404(exam_id)
    now = utcnow()
    services.touch_exam(exam, now)
    db.session.commit()
    closed = services.exam_closed(exam, now)
    sitters, rows = queries.item_statistics(exam) if closed else (0, [])
    return render_template("exams/manage/stats.html", exam=exam, closed=closed, sitters=sitters, rows=rows,
                           group=grading.group_size(sitters), changes=services.key_changes(exam)
                           if services.manageable(current_user, exam) else [],
                           can_manage=services.manageable(current_user, exam), button=ButtonForm(),
                           key_form=KeyCorrectionForm(), letters=LETTERS)


@manage_bp.route("/<int:exam_id>/regrade", methods=["POST"])
@manager_required
def regrade(exam_id):
    exam = _managed_or_404(exam_id, write=True)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        rekeyed, changed = services.regrade(current_user, exam)
    except ServiceError as error:
        _flash_problems(error)
        return redirect(url_for("exam_admin.stats", exam_id=exam.id))
    db.session.commit()
    flash(f"已按题库当前答案重新评分：{rekeyed} 道题，{changed} 份答卷成绩有变化。", "success")
    return redirect(url_for("exam_admin.stats", exam_id=exam.id))


@manage_bp.route("/<int:exam_id>/correct-key", methods=["POST"])
@manager_required
def correct_key(exam_id):
    exam = _managed_or_404(exam_id, write=True)
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
    key = REGISTRY[question.qtype].normalise_response(form.key.data) if question.qtype != "judge" else \
        {"正确": "A", "错误": "B"}.get(form.key.data.strip(), REGISTRY["judge"].normalise_response(form.key.data))
    try:
        rekeyed, changed = services.regrade(current_user, exam, {question_id: key})
    except ServiceError as error:
        _flash_problems(error)
        return redirect(url_for("exam_admin.stats", exam_id=exam.id))
    db.session.commit()
    flash(f"已更正本场考试该题答案为 {key} 并重新评分：{changed} 份答卷成绩有变化。", "success")
    return redirect(url_for("exam_admin.stats", exam_id=exam.id))
