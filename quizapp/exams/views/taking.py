"""The ``exams`` blueprint: a cadre's exams and results, the exam page, the no-JavaScript answer pages,
submitting, the result page and the yearly certificate.

Reads never write: an attempt whose time is up but that is not yet collected is shown as
"时间已到，系统正在收卷" (with a button that collects it), and is collected by the next write.
"""
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ...bank.qtypes import LETTERS, REGISTRY, TYPE_LABELS
from ...bank.units import RULE_KINDS
from ...common.arrival import arrived_at
from ...common.auth import LEARNERS
from ...common.clock import to_local, utcnow
from ...common.errors import ServiceError
from ...common.forms import ButtonForm
from ...common.pdf import qr_svg_data_uri
from ...common.urls import public_url
from ...common.templating import register_nav
from ...extensions import db
from .. import certificates, grading, queries, sitting
from ..forms import StartForm, SubmitAttemptForm, answer_page_form
from ..models import COUNTING, MULTI_SCORING, Attempt, ExamOverride, ExamResult
from ..papers import choose_variant
from ..results import review_opens_at, review_visible
from .api import attempt_state
from .lookups import exam_for_examinee, examinee_required, mark_browser, own_attempt

exams_bp = Blueprint("exams", __name__, url_prefix="/exams")

register_nav("exams.index", "在线考试", LEARNERS, order=30, group="考试")
register_nav("exams.results", "成绩查询", LEARNERS, order=31, group="考试")


@exams_bp.app_template_filter("score")
def score_filter(value):
    return grading.format_score(value)


@exams_bp.app_template_filter("duration")
def duration_filter(value):
    return grading.format_duration(value)


def _page_size():
    return int(current_app.config.get("EXAM_QUESTIONS_PER_PAGE", 10))


@exams_bp.route("/")
@examinee_required
def index():
    now = utcnow()
    grouped = queries.my_exams(current_user, now)
    return render_template("exams/index.html", grouped=grouped, sections=queries.SECTION_LABELS, now=now)


@exams_bp.route("/results")
@examinee_required
def results():
    now = utcnow()
    rows = queries.my_results(current_user)
    collecting = queries.my_collecting(current_user, now)
    years = sorted({exam.year for exam, _ in rows} | {to_local(now).year}, reverse=True)
    statuses = {year: certificates.certificate_status(current_user, year) for year in years}
    return render_template("exams/results.html", rows=rows, collecting=collecting,
                           collecting_exams={exam.id for exam, _ in collecting}, certificates=statuses)


@exams_bp.route("/<int:exam_id>")
@examinee_required
def show(exam_id):
    exam = exam_for_examinee(exam_id)
    now = utcnow()
    info = sitting.load_standing(exam, current_user, now)
    variant = choose_variant(exam, current_user)
    attempts = db.session.scalars(sa.select(Attempt).where(Attempt.exam_id == exam.id,
                                                           Attempt.user_id == current_user.id)
                                  .order_by(Attempt.attempt_no)).all()
    override = db.session.scalar(sa.select(ExamOverride).where(ExamOverride.exam_id == exam.id,
                                                               ExamOverride.user_id == current_user.id))
    return render_template("exams/show.html", exam=exam, info=info, variant=variant, attempts=attempts,
                           override=override, form=StartForm(), collect_form=SubmitAttemptForm(), now=now,
                           sections=_sections(variant), multi_label=MULTI_SCORING[exam.multi_scoring],
                           counting_label=COUNTING[exam.counting])


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
    return [(RULE_KINDS[q], counts[q], (variant.points or {}).get(q, 0)) for q in RULE_KINDS if q in counts]


@exams_bp.route("/<int:exam_id>/start", methods=["POST"])
@examinee_required
def start(exam_id):
    exam = exam_for_examinee(exam_id)
    form = StartForm()
    if not form.validate_on_submit():
        flash("请先勾选“我已阅读考试须知”，再开始考试。", "warning")
        return redirect(url_for("exams.show", exam_id=exam.id))
    try:
        attempt, _created = sitting.start_attempt(exam, current_user)
    except ServiceError as error:
        db.session.rollback()
        for message in error.messages:
            flash(message, "error")
        return redirect(url_for("exams.show", exam_id=exam.id))
    mark_browser(attempt.id, started=True)
    db.session.commit()
    return redirect(url_for("exams.take", attempt_id=attempt.id))


def _version(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _tell_page_outcome(outcome, page):
    """Flash what a no-JavaScript post did: saved, kept a newer answer, or refused a late one."""
    if outcome.kept:
        flash("第 " + "、".join(map(str, outcome.kept)) + " 题的答案已在其他页面或设备上更新，保留了较新的答案，"
              "本页对这些题的修改未保存。请核对后再作答。", "warning")
    if outcome.late:
        flash("第 " + "、".join(map(str, outcome.late)) + " 题的作答晚于考试截止时间，未计入。", "error")
    if not outcome.kept and not outcome.late:
        flash(f"第 {page} 页答案已保存。", "success")


@exams_bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@examinee_required
def take(attempt_id):
    arrived = arrived_at()
    attempt = own_attempt(attempt_id)
    now = utcnow()
    if request.method == "POST" and sitting.finalise_if_overdue(attempt, now, actor=current_user):
        db.session.commit()
        if attempt.submit_kind in ("overdue", "timeout"):
            flash("考试时间已到，系统已按截止时保存的答案自动收卷。", "warning")
        return redirect(url_for("exams.result", attempt_id=attempt.id))
    if not sitting.accepts_answers(attempt, arrived if request.method == "POST" else now):
        if request.method == "POST":
            flash("考试时间已到，此后的作答不能再保存。系统将按截止时保存的答案收卷。", "warning")
        return redirect(url_for("exams.result", attempt_id=attempt.id))
    items = attempt.items
    size = _page_size()
    pages = max(1, (len(items) + size - 1) // size)
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    shown = items[(page - 1) * size: page * size]
    # The form is built only for a post: a page view renders its inputs straight from the items (below),
    # which was a third of the exam page's server time with WTForms building and drawing ~30 fields.
    form = answer_page_form(shown) if request.method == "POST" else None
    if form is not None and form.validate_on_submit():
        answers = {item.position: "".join(getattr(form, f"q{item.position}").data or "") for item in shown}
        marks = {item.position for item in shown if getattr(form, f"m{item.position}").data}
        versions = {item.position: _version(getattr(form, f"v{item.position}").data) for item in shown}
        mark_browser(attempt.id, now)
        try:
            outcome = sitting.save_page(current_user, attempt, answers, marks, versions, now, arrived)
        except sitting.AttemptClosed as error:
            db.session.commit()
            flash(error.messages[0], "error")
            return redirect(url_for("exams.result", attempt_id=attempt.id))
        except ServiceError as error:
            db.session.rollback()
            for message in error.messages:
                flash(message, "error")
            return redirect(url_for("exams.take", attempt_id=attempt.id, page=page))
        db.session.commit()
        _tell_page_outcome(outcome, page)
        if outcome.kept:
            return redirect(url_for("exams.take", attempt_id=attempt.id, page=page))
        if form.finish.data:
            return redirect(url_for("exams.confirm_submit", attempt_id=attempt.id))
        if form.goto.data:
            target = form.goto.data
        else:
            target = page - 1 if form.previous.data else page + 1 if form.next.data else page
        return redirect(url_for("exams.take", attempt_id=attempt.id, page=min(max(target, 1), pages)))
    remaining = max(0, int((attempt.deadline - now).total_seconds()))
    return render_template("exams/take.html", attempt=attempt, exam=attempt.exam, items=items,
                           rows=_page_rows(shown, form), page=page, pages=pages, size=size, remaining=remaining,
                           state=attempt_state(attempt, now),
                           type_labels=TYPE_LABELS, letters=LETTERS)


def _page_rows(shown, form):
    """(item, several, chosen letters, marked, version) for each question of the page: what the cadre posted
    when a post is shown again, otherwise what is stored."""
    rows = []
    for item in shown:
        several = REGISTRY[item.qtype].several
        if form is None:
            chosen, marked, version = item.response or "", item.marked, item.seq
        else:
            chosen = "".join(getattr(form, f"q{item.position}").data or "")
            marked = bool(getattr(form, f"m{item.position}").data)
            version = getattr(form, f"v{item.position}").data
        rows.append((item, several, chosen, marked, version))
    return rows


@exams_bp.route("/attempts/<int:attempt_id>/submit", methods=["GET", "POST"])
@examinee_required
def confirm_submit(attempt_id):
    """The confirmation page, and the submission; posted for an attempt whose time is up, it collects it."""
    arrived = arrived_at()
    attempt = own_attempt(attempt_id)
    now = utcnow()
    form = SubmitAttemptForm()
    if form.validate_on_submit():
        mark_browser(attempt.id, now)
        if not sitting.finalise_if_overdue(attempt, now, actor=current_user):
            sitting.submit_attempt(attempt, now, arrived=arrived, actor=current_user)
        db.session.commit()
        return redirect(url_for("exams.result", attempt_id=attempt.id))
    if not sitting.accepts_answers(attempt, now):
        return redirect(url_for("exams.result", attempt_id=attempt.id))
    unanswered = [i.position for i in attempt.items if not i.response]
    marked = [i.position for i in attempt.items if i.marked]
    return render_template("exams/submit.html", attempt=attempt, exam=attempt.exam, form=form,
                           unanswered=unanswered, marked=marked, size=_page_size())


@exams_bp.route("/attempts/<int:attempt_id>/result")
@examinee_required
def result(attempt_id):
    attempt = own_attempt(attempt_id)
    now = utcnow()
    if attempt.status == "open" and not sitting.time_up(attempt, now):
        return redirect(url_for("exams.take", attempt_id=attempt.id))
    exam = attempt.exam
    collecting = attempt.status == "open"  # time up, not yet collected: no score to show yet
    visible = not collecting and review_visible(exam, now)
    exam_result = db.session.scalar(sa.select(ExamResult).where(ExamResult.exam_id == exam.id,
                                                                ExamResult.user_id == current_user.id))
    info = sitting.load_standing(exam, current_user, now)
    return render_template("exams/result.html", attempt=attempt, exam=exam, visible=visible, collecting=collecting,
                           collect_form=SubmitAttemptForm(), opens=review_opens_at(exam), exam_result=exam_result,
                           info=info, items=attempt.items if visible else [], type_labels=TYPE_LABELS,
                           letters=LETTERS)


@exams_bp.route("/certificates/<int:year>", methods=["GET", "POST"])
@examinee_required
def certificate(year):
    """The year's certificate; it is issued (or brought up to date) by the page's button, never by viewing."""
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            certificates.issue_certificate(current_user, year)
        except ServiceError as error:
            db.session.rollback()
            for message in error.messages:
                flash(message, "error")
        else:
            db.session.commit()
        return redirect(url_for("exams.certificate", year=year))
    status = certificates.certificate_status(current_user, year)
    issued = certificates.find_certificate(current_user, year)
    if issued is None:
        return render_template("exams/certificate_pending.html", status=status, year=year, form=form)
    verify_url = public_url("verify.show", code=issued.code)
    return render_template("exams/certificate.html", certificate=issued, verify_url=verify_url, form=form,
                           outdated=status.needs_issue(issued), qr=qr_svg_data_uri(verify_url),
                           issuer=certificates.issuer_name(issued), has_seal=certificates.seal_png() is not None)


@exams_bp.route("/certificates/<int:year>.pdf")
@examinee_required
def certificate_pdf(year):
    """The issued certificate as an A4 PDF (issuing unit, seal, QR code to the public verify page)."""
    issued = certificates.find_certificate(current_user, year)
    if issued is None:
        abort(404)
    data = certificates.certificate_pdf(issued, public_url("verify.show", code=issued.code))
    name = quote(f"{issued.year}年度学法考试合格证书-{issued.name}.pdf")
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}", "Cache-Control": "no-store"})


@exams_bp.route("/certificates/seal.png")
@login_required
def certificate_seal():
    seal = certificates.seal_png()
    if seal is None:
        abort(404)
    return Response(seal, mimetype="image/png", headers={"Cache-Control": "private, max-age=300"})
