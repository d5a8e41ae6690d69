"""每日一练 pages (one question per page, works without JavaScript) and the 首页 card's data."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..common.auth import LEARNERS, roles_required
from ..common.errors import ServiceError, put_on_form
from ..common.forms import ButtonForm
from ..common.templating import register_nav
from ..extensions import db
from ..practice import services as practice
from ..practice.forms import AnswerForm
from ..practice.views import law_lookup_url
from . import daily

engage_bp = Blueprint("engage", __name__, url_prefix="/daily")
learner_required = roles_required(*LEARNERS)

register_nav("engage.daily", "每日一练", LEARNERS, order=39)


@engage_bp.app_context_processor
def home_card_helpers():
    """``daily_overview()`` for the 首页 card (engage/_home_card.html), computed only where it is shown."""
    return {"daily_overview": lambda: daily.overview(current_user), "daily_questions": daily.set_questions}


@engage_bp.context_processor
def page_helpers():
    return {"law_lookup_url": law_lookup_url, "allows_several": practice.allows_several}


def _set_or_404(set_id):
    found = daily.get_set(current_user, set_id)
    if found is None:
        abort(404)
    return found


@engage_bp.route("/", endpoint="daily")
@learner_required
def daily_index():
    """Today's set, the streak and the month's calendar."""
    return render_template("engage/daily.html", view=daily.overview(current_user), start_form=ButtonForm())


@engage_bp.route("/start", methods=["POST"])
@learner_required
def start():
    if not ButtonForm().validate_on_submit():
        flash("页面已过期，请重试。", "error")
        return redirect(url_for("engage.daily"))
    found = daily.start_today(current_user)
    if found is None:
        flash("目前没有可以练习的题目。", "warning")
        return redirect(url_for("engage.daily"))
    db.session.commit()
    return redirect(url_for("engage.show", set_id=found.id))


@engage_bp.route("/<int:set_id>")
@learner_required
def show(set_id):
    found = _set_or_404(set_id)
    session = found.session
    if session.finished:
        return redirect(url_for("engage.summary", set_id=found.id))
    question = practice.question_at(session, session.position)
    if question is None:
        practice.finish_session(session)
        db.session.commit()
        return redirect(url_for("engage.summary", set_id=found.id))
    form = AnswerForm(formdata=None)
    form.seq.data = str(session.position)
    question = practice.shown_question(session, session.position, question)  # the session's option order
    return render_template("engage/question.html", daily_set=found, session=session, question=question, form=form,
                           selected=set())


@engage_bp.route("/<int:set_id>/answer", methods=["POST"])
@learner_required
def answer(set_id):
    found = _set_or_404(set_id)
    form = AnswerForm()
    try:
        seq = int(form.seq.data)
    except (TypeError, ValueError):
        abort(400)
    if form.validate_on_submit():
        try:
            stored, _ = daily.answer(current_user, found, seq, form.response.data)
        except ServiceError as error:
            db.session.rollback()
            found = _set_or_404(set_id)
            if found.session.finished or seq != found.session.position:
                flash(error.messages[0], "warning")
                return redirect(url_for("engage.show", set_id=found.id))
            put_on_form(form, error)
        else:
            db.session.commit()
            return redirect(url_for("engage.feedback", set_id=found.id, seq=stored.seq))
    elif seq < found.session.position:
        return redirect(url_for("engage.feedback", set_id=found.id, seq=seq))
    session = found.session
    if session.finished or seq != session.position:
        return redirect(url_for("engage.show", set_id=found.id))
    question = practice.question_at(session, seq)
    if question is not None:  # options in the order this session shows them, as in 模拟练习
        question = practice.shown_question(session, seq, question)
    return render_template("engage/question.html", daily_set=found, session=session, question=question, form=form,
                           selected=set(form.response.data or []))


@engage_bp.route("/<int:set_id>/feedback/<int:seq>")
@learner_required
def feedback(set_id, seq):
    """Right or wrong, the key, 解析, the article link and when the question comes back."""
    found = _set_or_404(set_id)
    stored = practice.answer_at(found.session, seq)
    if stored is None:
        return redirect(url_for("engage.show", set_id=found.id))
    card = daily.card_for(current_user, stored.question_id)
    question = practice.shown_question(found.session, seq, stored.question)
    return render_template("engage/feedback.html", daily_set=found, session=found.session, answer=stored,
                           question=question, shown_key=question.shown(stored.answer_key),
                           shown_response=question.shown(stored.response), card=card)


@engage_bp.route("/<int:set_id>/summary")
@learner_required
def summary(set_id):
    found = _set_or_404(set_id)
    return render_template("engage/summary.html", daily_set=found, session=found.session,
                           answers=practice.session_answers(found.session), view=daily.overview(current_user))


@engage_bp.route("/schedule")
@learner_required
def schedule():
    """The 错题本's questions with the day each comes back (the scheduler's plan)."""
    return render_template("engage/schedule.html", rows=daily.schedule(current_user))
