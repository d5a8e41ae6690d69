"""知识竞赛 pages: the organiser's list and form, the projector screen, phones joining and answering.

Screens and phones poll small JSON states about once a second rather than holding a connection open
(Server-Sent Events or WebSockets): the production setup is gunicorn with a few sync workers, where each
open stream would hold a whole worker, so 200 phones could never be served; short polls are cheap
requests any worker answers, and every page also works by plain reloads without JavaScript.
"""
import io

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..common.auth import LEARNERS, MANAGERS, roles_required
from ..common.clock import utcnow
from ..common.errors import ServiceError, put_on_form
from ..common.templating import register_nav
from ..extensions import db, limiter
from ..practice.forms import AnswerForm
from . import contest as contests
from .forms import ContestForm, JoinForm, StepForm
from .models import Contest

contests_bp = Blueprint("contests", __name__, url_prefix="/contests")

register_nav("contests.index", "知识竞赛", LEARNERS + ("admin",), order=37)


def _contest_or_404(contest_id) -> Contest:
    found = contests.get_contest(contest_id)
    if found is None:
        abort(404)
    return found


def _runnable_or_404(contest_id) -> Contest:
    found = _contest_or_404(contest_id)
    if not contests.can_run(current_user, found):
        abort(404)
    return found


def _player_or_404(contest_id) -> Contest:
    found = _contest_or_404(contest_id)
    if not contests.is_player(current_user, found):
        abort(404)
    return found


@contests_bp.route("/")
@roles_required(*LEARNERS, "admin")
def index():
    """Joining by code for everyone; the organiser's contests below."""
    mine = []
    if current_user.role in MANAGERS:
        mine = [c for c in db.session.scalars(db.select(Contest).order_by(Contest.created_at.desc()).limit(50))
                if contests.can_run(current_user, c)]
    form = JoinForm(formdata=None, code=request.args.get("code", ""))
    return render_template("engage/contests/index.html", form=form, mine=mine,
                           can_create=current_user.role in MANAGERS)


@contests_bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new():
    form = ContestForm()
    form.bank_id.choices = [(str(b.id), b.name) for b in contests.usable_banks(current_user)]
    if form.validate_on_submit():
        try:
            found = contests.create_contest(current_user, title=form.title.data, bank_id=form.bank_id.data,
                                            count=form.count.data, seconds=form.seconds.data, now=utcnow())
        except ServiceError as error:
            put_on_form(form, error)
        else:
            db.session.commit()
            return redirect(url_for("contests.screen", contest_id=found.id))
    return render_template("engage/contests/form.html", form=form)


# ---------------------------------------------------------------- the projector

@contests_bp.route("/<int:contest_id>/screen")
@roles_required(*MANAGERS)
def screen(contest_id):
    found = _runnable_or_404(contest_id)
    join_url = url_for("contests.index", code=found.join_code, _external=True)
    return render_template("engage/contests/screen.html", contest=found, join_url=join_url,
                           state=contests.screen_state(found, utcnow()), form=StepForm())


@contests_bp.route("/<int:contest_id>/screen.json")
@roles_required(*MANAGERS)
def screen_json(contest_id):
    found = _runnable_or_404(contest_id)
    return jsonify(contests.screen_state(found, utcnow()))


@contests_bp.route("/<int:contest_id>/qr.svg")
@roles_required(*MANAGERS)
def qr(contest_id):
    """The join link as a QR code, drawn here (no outside service on the township's LAN)."""
    import segno  # here, not at start-up: only this page draws with it

    found = _runnable_or_404(contest_id)
    out = io.BytesIO()
    segno.make(url_for("contests.index", code=found.join_code, _external=True), error="m").save(
        out, kind="svg", scale=10, border=2)
    return Response(out.getvalue(), mimetype="image/svg+xml")


@contests_bp.route("/<int:contest_id>/<any(next, reveal, finish):action>", methods=["POST"])
@roles_required(*MANAGERS)
def step(contest_id, action):
    found = _runnable_or_404(contest_id)
    form = StepForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        expected = int(form.expected.data)
    except (TypeError, ValueError):
        abort(400)
    now = utcnow()
    try:
        if action == "next":
            contests.next_question(found, expected, now)
        elif action == "reveal":
            contests.reveal(found, expected, now)
        else:
            contests.finish(current_user, found, now)
    except ServiceError as error:
        db.session.rollback()
        flash(error.messages[0], "warning")
    else:
        db.session.commit()
    if action == "finish":
        return redirect(url_for("contests.results", contest_id=contest_id))
    return redirect(url_for("contests.screen", contest_id=contest_id))


@contests_bp.route("/<int:contest_id>/results")
@roles_required(*LEARNERS, "admin")
def results(contest_id):
    """The full leaderboard, by person and by unit: for the organiser and the players."""
    found = _contest_or_404(contest_id)
    if not (contests.can_run(current_user, found) or contests.is_player(current_user, found)):
        abort(404)
    return render_template("engage/contests/results.html", contest=found,
                           board=contests.leaderboard(found, limit=None), units=contests.unit_board(found))


# ---------------------------------------------------------------- phones

@contests_bp.route("/join", methods=["POST"])
@roles_required(*LEARNERS)
@limiter.limit("20 per minute", key_func=lambda: f"contest-join:{current_user.id}")
def join():
    """Join by the six-digit code; throttled per person so codes cannot be tried one after another."""
    form = JoinForm()
    if form.validate_on_submit():
        try:
            found = contests.join(current_user, form.code.data, utcnow())
        except ServiceError as error:
            put_on_form(form, error)
        else:
            db.session.commit()
            return redirect(url_for("contests.play", contest_id=found.id))
    return render_template("engage/contests/index.html", form=form, mine=[], can_create=False)


@contests_bp.route("/<int:contest_id>/play")
@roles_required(*LEARNERS)
def play(contest_id):
    found = _player_or_404(contest_id)
    form = AnswerForm(formdata=None)
    form.seq.data = str(found.current)
    return render_template("engage/contests/play.html", contest=found, form=form,
                           state=contests.phone_state(current_user, found, utcnow()))


@contests_bp.route("/<int:contest_id>/play.json")
@roles_required(*LEARNERS)
def play_json(contest_id):
    found = _player_or_404(contest_id)
    return jsonify(contests.phone_state(current_user, found, utcnow()))


@contests_bp.route("/<int:contest_id>/answer", methods=["POST"])
@roles_required(*LEARNERS)
def answer(contest_id):
    """One answer from a phone (form post, by fetch or by hand); JSON back to fetch, a redirect otherwise.

    The service refuses a non-player (404 through NotFound), so the hot path asks that once.
    """
    found = _contest_or_404(contest_id)
    form = AnswerForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        position = int(form.seq.data)
    except (TypeError, ValueError):
        abort(400)
    if not form.validate_on_submit():
        message = "请选择答案。" if form.csrf_token.data else "页面已过期，请刷新。"
        return (jsonify(stored=False, message=message), 400) if wants_json else redirect(
            url_for("contests.play", contest_id=contest_id))
    try:
        stored, _ = contests.answer(current_user, found, position, form.response.data, utcnow())
    except ServiceError as error:
        db.session.rollback()
        if wants_json:
            return jsonify(stored=False, message=error.messages[0]), 409
        flash(error.messages[0], "warning")
    else:
        db.session.commit()
        if wants_json:
            return jsonify(stored=True, position=stored.position, response=stored.response)
    return redirect(url_for("contests.play", contest_id=contest_id))
