"""The law library: browse, read by article, look up a citation, search; upload and review for organisers."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ...common.forms import ButtonForm
from ...common.auth import MANAGERS, roles_required
from ...bank.models import Question
from ...common.errors import ServiceError, put_on_form
from ...common.lawtext import parse_article_ref
from ...extensions import db
from .. import library, materials, services
from ..forms import LawEditForm, LawUploadForm
from ..models import LAW_CATEGORIES, Law, LawArticle, LawVersion
from ..settings import setting
from .common import page_size, parse_date_or_404

laws_bp = Blueprint("laws", __name__, url_prefix="/laws")


def _law_or_404(law_id):
    law = db.session.get(Law, law_id)
    if law is None or not law.versions:
        abort(404)
    return law


def _version_or_404(law, version_date):
    on = parse_date_or_404(version_date)
    version = next((v for v in law.versions if v.version_date == on), None)
    if version is None:
        abort(404)
    return version


def article_url(article, version=None, clause=None, **kwargs):
    version = version or article.version
    url = url_for("laws.article", law_id=version.law_id, version_date=version.version_date.isoformat(),
                  ref=article.label, **kwargs)
    return url + (f"#k{clause}" if clause else "")


laws_bp.add_app_template_global(article_url, "law_article_url")


def _study_context(kind, target):
    """Data the page's study timer needs (study.js reads it from data attributes)."""
    progress = services.progress_for(current_user, kind, target)
    return {"study_kind": kind, "study_target": target,
            "study_progress": services.progress_payload(kind, target, progress),
            "study_beat": setting("STUDY_BEAT_SECONDS"), "study_idle": setting("STUDY_IDLE_SECONDS")}


# ---------------------------------------------------------------- browsing

@laws_bp.route("/")
@login_required
def index():
    category = request.args.get("category")
    stmt = (sa.select(Law, LawVersion).join(LawVersion, sa.and_(LawVersion.law_id == Law.id,
                                                                LawVersion.is_current.is_(True))))
    if category in LAW_CATEGORIES:
        stmt = stmt.where(Law.category == category)
    search = (request.args.get("q") or "").strip()
    if search:
        stmt = stmt.where(sa.or_(Law.title.contains(search, autoescape=True),
                                 Law.short_title.contains(search, autoescape=True)))
    rows = db.session.execute(stmt.order_by(Law.category, Law.title)).all()
    counts = dict(db.session.execute(
        sa.select(LawArticle.version_id, sa.func.count()).where(LawArticle.version_id.in_([v.id for _, v in rows]))
        .group_by(LawArticle.version_id)).all()) if rows else {}
    version_counts = dict(db.session.execute(sa.select(LawVersion.law_id, sa.func.count())
                                             .group_by(LawVersion.law_id)).all())
    return render_template("laws/index.html", rows=rows, counts=counts, version_counts=version_counts,
                           categories=LAW_CATEGORIES, category=category, search=search)


@laws_bp.route("/<int:law_id>")
@login_required
def law(law_id):
    law = _law_or_404(law_id)
    version = law.current_version or law.versions[0]
    return redirect(url_for("laws.version", law_id=law.id, version_date=version.version_date.isoformat()))


@laws_bp.route("/<int:law_id>/v/<version_date>")
@login_required
def version(law_id, version_date):
    law = _law_or_404(law_id)
    version = _version_or_404(law, version_date)
    headings = library.headings_of(version)
    total = library.article_count(version)
    parts = library.divisions(headings) if total > setting("LAW_PAGE_ARTICLES") else []
    part = None
    if len(parts) > 1:
        wanted = request.args.get("part", type=int)
        part = next((p for p in parts if p.id == wanted), parts[0])
        start, end = library.division_range(parts, part)
        articles = library.articles_of(version, start, end)
        shown = [h for h in headings if (start is None or h.position >= start) and (end is None or h.position < end)]
    else:
        parts = []
        articles = library.articles_of(version)
        shown = headings
    items = sorted([("h", h.position, h) for h in shown if h.kind != "附件"] +
                   [("a", a.position, a) for a in articles], key=lambda item: (item[1], item[0] != "h"))
    toc_links = {h.id: (url_for("laws.version", law_id=law.id, version_date=version.version_date.isoformat(),
                                part=library.division_of(parts, h.position).id) if parts else "") + "#" + h.anchor
                 for h in headings}
    first_part = not parts or part is parts[0]
    last_part = not parts or part is parts[-1]
    return render_template("laws/version.html", law=law, version=version, headings=headings, items=items,
                           toc_links=toc_links, parts=parts, part=part, total=total, first_part=first_part,
                           last_part=last_part, newer=_newer_current(law, version),
                           **_study_context("law", version))


def _newer_current(law, version):
    current = law.current_version
    return current if current is not None and current.id != version.id else None


@laws_bp.route("/<int:law_id>/v/<version_date>/a/<ref>")
@login_required
def article(law_id, version_date, ref):
    law = _law_or_404(law_id)
    version = _version_or_404(law, version_date)
    return _article_page(law, version, ref)


@laws_bp.route("/<int:law_id>/a/<ref>")
@login_required
def current_article(law_id, ref):
    """The article in the current version: the address that follows the law as it changes."""
    law = _law_or_404(law_id)
    return _article_page(law, law.current_version or law.versions[0], ref)


def _article_page(law, version, ref):
    parsed = parse_article_ref(ref)
    if parsed is None:
        abort(404)
    number, suffix, clause = parsed
    article = library.get_article(version, number, suffix)
    if article is None:
        abort(404)
    before, after = library.neighbours(article)
    headings = library.headings_of(version)
    total = library.article_count(version)
    parts = library.divisions(headings) if total > setting("LAW_PAGE_ARTICLES") else []
    full_url = url_for("laws.version", law_id=law.id, version_date=version.version_date.isoformat(),
                       part=library.division_of(parts, article.position).id if len(parts) > 1 else None)
    return render_template("laws/article.html", law=law, version=version, article=article, clause=clause,
                           clauses=library.clauses(article), before=before, after=after,
                           others=library.other_versions_of_article(article), full_url=full_url + "#" + article.anchor,
                           newer=_newer_current(law, version), **_study_context("law", version))


@laws_bp.route("/<int:law_id>/v/<version_date>/jump")
@login_required
def jump(law_id, version_date):
    """Go to 第三十三条 (or 33) in this version."""
    law = _law_or_404(law_id)
    version = _version_or_404(law, version_date)
    to = (request.args.get("to") or "").strip()
    found = library.lookup(law.title, to, version.version_date) if to else None
    if found is None or found.article is None or found.version.id != version.id:
        flash(found.problem if found is not None and found.problem else "请输入条文序号，如“第三十三条”或“33”。",
              "warning")
        return redirect(url_for("laws.version", law_id=law.id, version_date=version_date))
    return redirect(article_url(found.article, version, found.clause))


@laws_bp.route("/lookup")
@login_required
def lookup():
    """Resolve a citation (?law=《…》&article=第X条&version=YYYY-MM-DD) to its article page."""
    on = None
    if request.args.get("version"):
        on = parse_date_or_404(request.args["version"])
    found = library.lookup(request.args.get("law", ""), request.args.get("article", ""), on)
    if found.article is not None:
        return redirect(article_url(found.article, found.version, found.clause))
    if found.version is not None and not found.problem:
        return redirect(url_for("laws.version", law_id=found.law.id,
                                version_date=found.version.version_date.isoformat()))
    return render_template("laws/not_found.html", found=found), 404


@laws_bp.route("/search")
@login_required
def search():
    search = (request.args.get("q") or "").strip()
    law_id = request.args.get("law", type=int)
    history = request.args.get("history") == "1"
    stmt = library.search_statement(search, law_id=law_id, include_history=history)
    page = db.paginate(stmt, per_page=page_size(), error_out=False) if stmt is not None else None
    terms = library.search_terms(search)
    shortcut = _citation_shortcut(search)
    laws = db.session.execute(sa.select(Law.id, Law.title).order_by(Law.title)).all()
    return render_template("laws/search.html", search=search, page=page, terms=terms, snippet=library.snippet,
                           laws=laws, law_id=law_id, history=history, shortcut=shortcut)


def _citation_shortcut(search):
    """When the search reads as "宪法 第三十三条" (or "宪法 33"), offer the article itself."""
    parts = search.split()
    if len(parts) != 2:
        return None
    found = library.lookup(parts[0], parts[1])
    return found if found.article is not None else None


# ---------------------------------------------------------------- managing

@laws_bp.route("/manage", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def manage():
    form = LawUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            outcome = library.import_law(current_user, upload.read(), upload.filename,
                                         version_date=form.version_date.data,
                                         max_bytes=setting("LAW_UPLOAD_MAX_BYTES"))
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash(outcome.message, "success")
            if outcome.to_review:
                return redirect(url_for("laws.review_law", law_id=outcome.law.id))
            return redirect(url_for("laws.manage"))
    laws = db.session.scalars(sa.select(Law).order_by(Law.category, Law.title)
                              .options(sa.orm.selectinload(Law.versions).selectinload(LawVersion.sources))).all()
    counts = dict(db.session.execute(sa.select(LawArticle.version_id, sa.func.count())
                                     .group_by(LawArticle.version_id)).all())
    pending = {law.id: library.pending_effective(law) for law in laws}
    return render_template("laws/manage.html", form=form, laws=laws, counts=counts, pending=pending,
                           queue=library.review_queue(current_user), button=ButtonForm(),
                           max_mb=setting("LAW_UPLOAD_MAX_BYTES") // (1024 * 1024))


@laws_bp.route("/<int:law_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit(law_id):
    law = _law_or_404(law_id)
    form = LawEditForm(obj=law)
    if form.validate_on_submit():
        try:
            library.update_law(current_user, law, form.short_title.data, form.category.data)
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("已保存。", "success")
            return redirect(url_for("laws.manage"))
    return render_template("laws/edit.html", form=form, law=law)


def _posted_version(version_id):
    if not ButtonForm().validate_on_submit():
        abort(400)
    version = db.session.get(LawVersion, version_id)
    if version is None:
        abort(404)
    return version


@laws_bp.route("/versions/<int:version_id>/current", methods=["POST"])
@roles_required("admin")
def make_current(version_id):
    version = _posted_version(version_id)
    library.set_current(current_user, version)
    db.session.commit()
    flash(f"已将《{version.law.title}》{version.version_date.isoformat()} 版设为现行版本。", "success")
    return redirect(url_for("laws.manage"))


@laws_bp.route("/versions/<int:version_id>/delete", methods=["POST"])
@roles_required("admin")
def delete_version(version_id):
    version = _posted_version(version_id)
    title, day = version.law.title, version.version_date.isoformat()
    library.delete_version(current_user, version)
    db.session.commit()
    flash(f"已删除《{title}》{day} 版。", "success")
    return redirect(url_for("laws.manage"))


# ---------------------------------------------------------------- 法规更新待复核

@laws_bp.route("/review")
@roles_required(*MANAGERS)
def review():
    return render_template("laws/review.html", queue=library.review_queue(current_user))


@laws_bp.route("/review/<int:law_id>")
@roles_required(*MANAGERS)
def review_law(law_id):
    law = _law_or_404(law_id)
    stmt = library.review_statement(current_user, law)
    page = db.paginate(stmt, per_page=page_size(), error_out=False) if stmt is not None else None
    questions = page.items if page else []
    return render_template("laws/review_law.html", law=law, page=page, newest=law.versions[0],
                           compare=library.compare_articles(law, questions), button=ButtonForm(),
                           can_confirm=lambda question: library.can_confirm(current_user, question),
                           notes=library.stale_materials(law),
                           can_edit_material=lambda material: materials.can_manage(current_user, material))


@laws_bp.route("/review/<int:law_id>/questions/<int:question_id>/confirm", methods=["POST"])
@roles_required(*MANAGERS)
def confirm(law_id, question_id):
    if not ButtonForm().validate_on_submit():
        abort(400)
    law = _law_or_404(law_id)
    question = db.session.get(Question, question_id)
    if question is None or getattr(library.find_law(question.law_name), "id", None) != law.id or \
            not library.can_confirm(current_user, question):
        abort(404)
    library.confirm_citation(current_user, question, law)
    db.session.commit()
    flash("已确认该题仍然适用，题目已改为引用新版本。", "success")
    return redirect(url_for("laws.review_law", law_id=law.id, page=request.args.get("page", type=int)))
