"""以案释法 pages: the case library, a case, practising its questions, and organisers' own cases."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..common.auth import EVERYONE, LEARNERS, MANAGERS, roles_required
from ..common.clock import utcnow
from ..common.errors import ServiceError, put_on_form
from ..common.forms import ButtonForm
from ..common.templating import register_nav
from ..extensions import db
from ..study.markdown import render_markdown
from ..study.materials import material_visible
from . import cases
from .forms import CaseForm

cases_bp = Blueprint("cases", __name__, url_prefix="/cases")

register_nav("cases.index", "以案释法", EVERYONE, order=36)


def _case_or_404(case_id):
    found = cases.get_case(current_user, case_id)
    if found is None:
        abort(404)
    return found


@cases_bp.route("/")
@roles_required(*EVERYONE)
def index():
    q = request.args.get("q", "").strip()[:50]
    page = db.paginate(cases.search(cases.visible_cases(current_user), q), per_page=20, error_out=False)
    return render_template("engage/cases/index.html", page=page, q=q,
                           can_add=current_user.role in MANAGERS)


@cases_bp.route("/<int:case_id>")
@roles_required(*EVERYONE)
def show(case_id):
    found = _case_or_404(case_id)
    sections = [(heading, render_markdown(getattr(found, name))) for heading, name in cases.SECTIONS.items()]
    material = found.material
    return render_template(
        "engage/cases/show.html", case=found, sections=sections, questions=cases.case_questions(found),
        material=material if material is not None and material_visible(current_user, material) else None,
        manage_material=material if material is not None and current_user.role in MANAGERS else None,
        can_edit=cases.can_manage(current_user, found), can_practise=current_user.role in LEARNERS,
        button_form=ButtonForm())


@cases_bp.route("/<int:case_id>/practice", methods=["POST"])
@roles_required(*LEARNERS)
def practise(case_id):
    found = _case_or_404(case_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        session = cases.start_practice(current_user, found, utcnow())
    except ServiceError as error:
        flash(error.messages[0], "warning")
        return redirect(url_for("cases.show", case_id=found.id))
    db.session.commit()
    return redirect(url_for("practice.show", session_id=session.id))


def _input(form) -> tuple[cases.CaseInput, list]:
    ids, problems = cases.parse_question_ids(form.question_ids.data)
    tags = [t.strip() for t in (form.tags.data or "").replace("；", ";").split(";") if t.strip()]
    return cases.CaseInput(title=form.title.data or "", facts=form.facts.data or "", issue=form.issue.data or "",
                           analysis=form.analysis.data or "", basis=form.basis.data or "",
                           laws=form.laws.data or "", tags=tags, question_ids=ids), problems


@cases_bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new():
    form = CaseForm()
    if form.validate_on_submit():
        value, problems = _input(form)
        try:
            found = cases.create_case(current_user, value, problems)
        except ServiceError as error:
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("案例已保存，并已作为“典型案例”学习资料发布。", "success")
            return redirect(url_for("cases.show", case_id=found.id))
    return render_template("engage/cases/form.html", form=form, case=None)


@cases_bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(case_id):
    found = _case_or_404(case_id)
    if not cases.can_manage(current_user, found):
        abort(404)
    form = CaseForm(obj=found)
    if request.method == "GET":
        form.tags.data = ";".join(found.tags or [])
        form.question_ids.data = " ".join(str(i) for i in found.question_ids or [])
    if form.validate_on_submit():
        value, problems = _input(form)
        try:
            cases.update_case(current_user, found, value, problems)
        except ServiceError as error:
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("案例已更新。", "success")
            return redirect(url_for("cases.show", case_id=found.id))
    return render_template("engage/cases/form.html", form=form, case=found)
