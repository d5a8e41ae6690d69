"""模拟练习 and 错题本 pages: one question per page, works without JavaScript."""
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..common.auth import LEARNERS, roles_required
from ..common.forms import ButtonForm
from ..bank.qtypes import TYPE_LABELS
from ..common.errors import Forbidden, ServiceError, put_on_form
from ..common.templating import register_nav
from ..extensions import db
from . import services
from .forms import AnswerForm, RedoForm, StartForm
from .models import MISTAKE_STATUSES, SOURCES, PracticeSession

practice_bp = Blueprint("practice", __name__, url_prefix="/practice")

# Everyone who studies practises: cadres, and leaders and organisers too.
learner_required = roles_required(*LEARNERS)

register_nav("practice.index", "模拟练习", LEARNERS, order=40, group="考试")
register_nav("practice.mistakes", "错题本", LEARNERS, order=41, group="考试")


def law_lookup_url(question):
    """The law library's page for the question's legal basis (查看法条), or None without a law."""
    if not question.law_name:
        return None
    args = {"law": question.law_name}
    if question.law_article:
        args["article"] = question.law_article
    return "/laws/lookup?" + urlencode(args)


@practice_bp.context_processor
def practice_helpers():
    return {"law_lookup_url": law_lookup_url, "allows_several": services.allows_several,
            "type_labels": TYPE_LABELS}


def _session_or_404(session_id) -> PracticeSession:
    practice = services.get_session(current_user, session_id)
    if practice is None:
        if db.session.get(PracticeSession, session_id) is not None:
            raise Forbidden  # someone else's: 404 all the same, and audited
        abort(404)
    return practice


# ---------------------------------------------------------------- starting

def _start_form_choices(form, tree, laws):
    def walk(nodes, depth=0):
        for node in nodes:
            yield node["path"], "　" * depth + f"{node['name']}（{node['count']}）"
            yield from walk(node["children"], depth + 1)

    form.category.choices = [("", "全部分类"), *walk(tree)]
    form.law.choices = [("", "全部法律法规"), *((law, f"{law}（{n}）") for law, n in laws)]


def _render_index(form):
    tree = services.category_tree(current_user)
    laws = services.law_counts(current_user)
    _start_form_choices(form, tree, laws)
    context = {
        "form": form, "tree": tree, "laws": laws,
        "available": services.practisable_count(current_user),
        "unfinished": services.unfinished_sessions(current_user),
        "recent": db.session.scalars(services.sessions_of(current_user)
                                     .where(PracticeSession.finished_at.is_not(None)).limit(5)).all(),
        "totals": services.practice_totals(current_user),
        "mistakes": services.mistake_counts(current_user),
    }
    return render_template("practice/index.html", **context)


@practice_bp.route("/")
@learner_required
def index():
    # The tree and law lists link here with a choice filled in.
    form = StartForm(formdata=None, category=request.args.get("category", ""), law=request.args.get("law", ""))
    return _render_index(form)


@practice_bp.route("/start", methods=["POST"])
@learner_required
def start():
    form = StartForm()
    if form.validate_on_submit():
        try:
            practice, requested = services.start_session(
                current_user, category=form.category.data, law=form.law.data, qtype=form.qtype.data,
                count=form.count.data)
        except ServiceError as error:
            put_on_form(form, error)
        else:
            db.session.commit()
            if practice.total < requested:
                flash(f"符合条件的题目只有 {practice.total} 道，本次练习 {practice.total} 道。", "warning")
            return redirect(url_for("practice.show", session_id=practice.id))
    return _render_index(form)


# ---------------------------------------------------------------- answering

def _render_question(practice, form):
    question = services.question_at(practice, practice.position)
    if question is None:
        # The bank deleted the question outright: end here rather than strand the cadre.
        services.finish_session(practice)
        db.session.commit()
        flash("本次练习中的题目已被题库删除，练习已结束。", "warning")
        return redirect(url_for("practice.summary", session_id=practice.id))
    form.seq.data = str(practice.position)
    selected = set(form.response.data or [])
    question = services.shown_question(practice, practice.position, question)
    return render_template("practice/question.html", practice=practice, question=question, form=form,
                           selected=selected, finish_form=ButtonForm())


@practice_bp.route("/<int:session_id>")
@learner_required
def show(session_id):
    """The current question; a reload or another device resumes here."""
    practice = _session_or_404(session_id)
    if practice.finished:
        return redirect(url_for("practice.summary", session_id=practice.id))
    return _render_question(practice, AnswerForm(formdata=None))


@practice_bp.route("/<int:session_id>/answer", methods=["POST"])
@learner_required
def answer(session_id):
    practice = _session_or_404(session_id)
    form = AnswerForm()
    try:
        seq = int(form.seq.data)
    except (TypeError, ValueError):
        abort(400)
    if form.validate_on_submit():
        try:
            stored, _ = services.submit_answer(current_user, practice, seq, form.response.data)
        except ServiceError as error:
            db.session.rollback()
            practice = _session_or_404(session_id)
            if practice.finished:
                flash(error.messages[0], "warning")
                return redirect(url_for("practice.summary", session_id=practice.id))
            if seq != practice.position:
                flash(error.messages[0], "warning")
                return redirect(url_for("practice.show", session_id=practice.id))
            put_on_form(form, error)
        else:
            db.session.commit()
            return redirect(url_for("practice.feedback", session_id=session_id, seq=stored.seq))
    elif seq < practice.position:
        # An earlier question submitted again from an old tab: show what was recorded.
        return redirect(url_for("practice.feedback", session_id=session_id, seq=seq))
    if practice.finished:
        return redirect(url_for("practice.summary", session_id=practice.id))
    if seq != practice.position:
        return redirect(url_for("practice.show", session_id=practice.id))
    return _render_question(practice, form)


@practice_bp.route("/<int:session_id>/feedback/<int:seq>")
@learner_required
def feedback(session_id, seq):
    """Right or wrong, the key, 解析 and the legal basis: only for a question already answered."""
    practice = _session_or_404(session_id)
    stored = services.answer_at(practice, seq)
    if stored is None:
        return redirect(url_for("practice.show", session_id=practice.id))
    entry = services.mistake_entry(current_user, stored.question_id)
    question = services.shown_question(practice, seq, stored.question)
    return render_template("practice/feedback.html", practice=practice, answer=stored, question=question,
                           shown_key=question.shown(stored.answer_key), shown_response=question.shown(stored.response),
                           entry=entry, finish_form=ButtonForm(),
                           concealed=bool(services.concealed(current_user, [stored.question_id])))


@practice_bp.route("/<int:session_id>/finish", methods=["POST"])
@learner_required
def finish(session_id):
    practice = _session_or_404(session_id)
    if ButtonForm().validate_on_submit():
        services.finish_session(practice)
        db.session.commit()
    return redirect(url_for("practice.summary", session_id=practice.id))


@practice_bp.route("/<int:session_id>/summary")
@learner_required
def summary(session_id):
    practice = _session_or_404(session_id)
    answers = services.session_answers(practice)
    unanswered = services.unanswered_questions(practice) if practice.finished else []
    return render_template("practice/summary.html", practice=practice, answers=answers, unanswered=unanswered,
                           finish_form=ButtonForm(), mistakes=services.mistake_counts(current_user),
                           concealed=services.concealed(current_user, [a.question_id for a in answers]))


@practice_bp.route("/history")
@learner_required
def history():
    page = db.paginate(services.sessions_of(current_user), per_page=20, error_out=False)
    return render_template("practice/history.html", page=page, totals=services.practice_totals(current_user))


# ---------------------------------------------------------------- the 错题本

def _mistake_filters():
    args = request.args
    status = args.get("status", "open")
    return {
        "status": status if status in MISTAKE_STATUSES else "open",
        "category": args.get("category", "").strip(),
        "law": args.get("law", "").strip(),
        "source": args.get("source", "") if args.get("source", "") in SOURCES else "",
    }


@practice_bp.route("/mistakes")
@learner_required
def mistakes():
    filters = _mistake_filters()
    page = db.paginate(services.mistakes_of(current_user, **filters), per_page=20, error_out=False)
    redo_form = RedoForm(formdata=None, category=filters["category"], law=filters["law"], source=filters["source"])
    return render_template("practice/mistakes.html", page=page, filters=filters,
                           counts=services.mistake_counts(current_user),
                           choices=services.mistake_filter_choices(current_user),
                           redo_form=redo_form, button_form=ButtonForm(), sources=SOURCES,
                           statuses=MISTAKE_STATUSES, hidden_count=services.hidden_mistake_count(current_user))


@practice_bp.route("/mistakes/redo", methods=["POST"])
@learner_required
def redo():
    form = RedoForm()
    back = url_for("practice.mistakes", category=form.category.data or None, law=form.law.data or None,
                   source=form.source.data or None)
    if not form.validate_on_submit():
        flash("页面已过期，请重试。", "error")
        return redirect(back)
    try:
        question_id = int(form.question_id.data) if form.question_id.data else None
    except ValueError:
        abort(400)
    try:
        practice = services.start_redo(current_user, category=form.category.data, law=form.law.data,
                                       source=form.source.data, question_id=question_id, count=form.count.data)
    except ServiceError as error:
        flash("；".join(error.messages), "error")
        return redirect(back)
    db.session.commit()
    return redirect(url_for("practice.show", session_id=practice.id))


@practice_bp.route("/mistakes/<int:entry_id>/remove", methods=["POST"])
@learner_required
def remove_mistake(entry_id):
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    entry = services.remove_mistake(current_user, entry_id)
    if entry is None:
        abort(404)
    db.session.commit()
    flash("已将该题移出错题本。再次答错时会重新加入。", "success")
    return redirect(url_for("practice.mistakes", **{k: v for k, v in request.args.items() if k != "page"}))
