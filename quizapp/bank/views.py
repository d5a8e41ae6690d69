"""Organiser pages: banks, questions, categories, import (upload → preview → apply), export and history."""
from datetime import datetime
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_login import current_user

from ..common.forms import ButtonForm
from ..accounts.scope import get_unit_or_404
from ..common.auth import MANAGERS, roles_required
from ..common import uploads
from ..common.errors import ServiceError, put_on_form
from ..common.spreadsheets import SpreadsheetError, write_xlsx, xlsx_download
from ..common.templating import register_nav
from ..extensions import db
from .. import jobs
from . import background, importer, qtypes, services
from .forms import (BankForm, ImportApplyForm, ImportForm, PasteForm, QuestionForm, QuestionStatusForm, VariantGroupForm,
                    type_code_form)
from .models import Bank, ImportRecord, Question
from .qtypes import LETTERS

bank_bp = Blueprint("bank", __name__, url_prefix="/banks")
register_nav("bank.index", "题库管理", ("organiser", "admin"), order=30, group="管理")

manager_required = roles_required(*MANAGERS)
UPLOAD_PURPOSE = "bank"
PREVIEW_PROBLEMS_SHOWN = 1000


# ---------------------------------------------------------------- banks

@bank_bp.route("/")
@manager_required
def index():
    banks = db.session.scalars(services.visible_banks(current_user)
                               .order_by(Bank.unit_id.is_not(None), Bank.unit_id, Bank.name)).all()
    counts = services.bank_counts([bank.id for bank in banks])
    return render_template("bank/index.html", banks=banks, counts=counts, types=qtypes.TYPE_LABELS,
                           manageable={bank.id for bank in banks if services.can_manage(current_user, bank)})


def _bank_form(bank=None):
    form = BankForm(obj=bank)
    form.unit_id.choices = services.unit_choices(current_user)
    return form


@bank_bp.route("/new", methods=["GET", "POST"])
@manager_required
def create():
    form = _bank_form()
    if request.method == "GET":
        form.unit_id.data = current_user.unit_id
    if form.validate_on_submit():
        unit = get_unit_or_404(current_user, form.unit_id.data) if form.unit_id.data else None
        try:
            bank = services.create_bank(current_user, form.name.data, unit, form.description.data)
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash(f"已新建题库“{bank.name}”。可以逐题录入，也可以批量导入。", "success")
            return redirect(url_for("bank.questions", bank_id=bank.id))
    return render_template("bank/bank_form.html", form=form, title="新建题库")


@bank_bp.route("/<int:bank_id>/edit", methods=["GET", "POST"])
@manager_required
def edit(bank_id):
    bank = services.get_bank_or_404(current_user, bank_id, manage=True)
    form = _bank_form(bank)
    del form.unit_id
    if form.validate_on_submit():
        try:
            services.update_bank(current_user, bank, form.name.data, form.description.data)
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("题库信息已保存。", "success")
            return redirect(url_for("bank.questions", bank_id=bank.id))
    return render_template("bank/bank_form.html", form=form, title=f"修改题库：{bank.name}", bank=bank)


# ---------------------------------------------------------------- questions

@bank_bp.route("/<int:bank_id>/")
@manager_required
def questions(bank_id):
    bank = services.get_bank_or_404(current_user, bank_id)
    stmt = services.filtered_questions(bank, request.args).order_by(Question.id)
    page = db.paginate(stmt, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("bank/questions.html", bank=bank, page=page, options=services.filter_options(bank),
                           counts=services.bank_counts([bank.id])[bank.id],
                           manage=services.can_manage(current_user, bank), group_form=VariantGroupForm(formdata=None))


@bank_bp.route("/<int:bank_id>/variant-group", methods=["POST"])
@manager_required
def variant_group(bank_id):
    """Ticked questions into one 变式组: a paper or practice session then takes at most one of them."""
    bank = services.get_bank_or_404(current_user, bank_id)
    if not services.can_manage(current_user, bank):
        abort(403)
    form = VariantGroupForm()
    if form.validate_on_submit():
        try:
            changed = services.set_variant_group(current_user, bank, form.question_ids.data, form.group.data)
        except ServiceError as error:
            db.session.rollback()
            flash("；".join(error.messages), "error")
        else:
            db.session.commit()
            flash(f"已调整 {changed} 道试题的变式组。", "success")
    else:
        flash("请求无效，请刷新页面后重试。", "error")
    return redirect(url_for("bank.questions", bank_id=bank.id))


@bank_bp.route("/<int:bank_id>/categories")
@manager_required
def categories(bank_id):
    bank = services.get_bank_or_404(current_user, bank_id)
    return render_template("bank/categories.html", bank=bank, tree=services.category_tree(bank))


@bank_bp.route("/<int:bank_id>/export.xlsx")
@manager_required
def export(bank_id):
    bank = services.get_bank_or_404(current_user, bank_id)
    args = request.args.to_dict()
    args.setdefault("status", "all")
    items = db.session.scalars(services.filtered_questions(bank, args).order_by(Question.id)).all()
    filtered = any(args.get(key) for key in ("q", "type", "category", "difficulty", "law", "import")) \
        or args["status"] != "all"
    items = services.with_whole_cases(items)
    return xlsx_download(services.export_bytes(items), f"{bank.name}{'（筛选）' if filtered else ''}.xlsx")


@bank_bp.route("/<int:bank_id>/export.docx")
@manager_required
def export_docx(bank_id):
    """The active questions as a Word document in the text-import layout, for organisers who print papers."""
    bank = services.get_bank_or_404(current_user, bank_id)
    items = db.session.scalars(sa.select(Question).where(Question.bank_id == bank.id, Question.status == "active")
                               .order_by(Question.id)).all()
    return _docx_download(services.export_docx_bytes(items, title=bank.name), f"{bank.name}.docx")


@bank_bp.route("/template.docx")
@manager_required
def template_docx():
    return _docx_download(services.template_docx_bytes(), "试题导入模板.docx")


def _docx_download(content: bytes, filename: str):
    from urllib.parse import quote

    from flask import Response

    from .textbank import DOCX_MIME

    return Response(content, mimetype=DOCX_MIME, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}", "Cache-Control": "no-store"})


@bank_bp.route("/template.xlsx")
@manager_required
def template():
    return xlsx_download(services.template_bytes(), "试题导入模板.xlsx")


def _question_form(question=None):
    """The form, filled with the question's cells as an export would write them."""
    return QuestionForm(data=services.question_record(question) if question is not None else None)


def _form_values(form):
    return {key: getattr(form, key).data for key in services.QUESTION_FIELDS}


@bank_bp.route("/<int:bank_id>/questions/new", methods=["GET", "POST"])
@manager_required
def create_question(bank_id):
    bank = services.get_bank_or_404(current_user, bank_id, manage=True)
    form = _question_form()
    if form.validate_on_submit():
        try:
            question = services.create_question(current_user, bank, _form_values(form))
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("试题已保存。", "success")
            return redirect(url_for("bank.question", question_id=question.id))
    return render_template("bank/question_form.html", form=form, bank=bank, letters=LETTERS, title="新建试题")


@bank_bp.route("/questions/<int:question_id>")
@manager_required
def question(question_id):
    item = services.get_question_or_404(current_user, question_id)
    return render_template("bank/question.html", question=item, bank=item.bank, button=ButtonForm(),
                           manage=services.can_manage(current_user, item.bank), law_url=_law_url(item))


def _law_url(item):
    """The law library's page for the cited article (its own domain serves /laws/lookup)."""
    if not (item.law_name and item.law_article):
        return None
    return request.script_root + "/laws/lookup?" + urlencode({"law": item.law_title, "article": item.law_article})


@bank_bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@manager_required
def edit_question(question_id):
    item = services.get_question_or_404(current_user, question_id, manage=True)
    form = QuestionForm() if request.method == "POST" else _question_form(item)
    if form.validate_on_submit():
        try:
            changed = services.update_question(current_user, item, _form_values(form))
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            flash("试题已保存（版本 {}）。".format(item.revision) if changed else "没有修改任何内容。", "success")
            return redirect(url_for("bank.question", question_id=item.id))
    return render_template("bank/question_form.html", form=form, bank=item.bank, letters=LETTERS, question=item,
                           title=f"修改试题（编号 {item.id}）")


@bank_bp.route("/questions/<int:question_id>/status", methods=["POST"])
@manager_required
def set_status(question_id):
    item = services.get_question_or_404(current_user, question_id, manage=True)
    form = QuestionStatusForm()
    if not form.validate_on_submit():
        abort(400)
    status = form.status.data
    try:
        services.set_question_status(current_user, item, status)
    except ServiceError as error:
        db.session.rollback()
        for message in error.messages:
            flash(message, "error")
    else:
        db.session.commit()
        flash("试题已停用，不再用于新的考试；已有的考试记录不受影响。" if status == "retired" else "试题已恢复使用。", "success")
    return redirect(url_for("bank.question", question_id=item.id))


# ---------------------------------------------------------------- import

def _wants_json():
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


@bank_bp.route("/<int:bank_id>/import", methods=["GET", "POST"])
@manager_required
def import_upload(bank_id):
    bank = services.get_bank_or_404(current_user, bank_id, manage=True)
    form = ImportForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        filename = uploads.clean_filename(form.file.data.filename)
        try:
            preview = importer.preview_import(data, bank, filename, max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
                                              read_cache=background.read_cache())
        except SpreadsheetError as error:
            form.file.errors = [str(error)]
        else:
            staged = uploads.stage(current_user, UPLOAD_PURPOSE, filename, data,
                                   {"bank_id": bank.id, "preview": _snapshot(preview)})
            db.session.commit()
            target = url_for("bank.import_preview", bank_id=bank.id, token=staged.token)
            return jsonify(redirect=target) if _wants_json() else redirect(target, code=303)
    if request.method == "POST" and _wants_json():
        messages = [m for errors in form.errors.values() for m in errors] or ["上传失败，请重试。"]
        return jsonify(errors=messages), 422
    return render_template("bank/import.html", form=form, bank=bank,
                           max_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024), max_rows=importer.MAX_ROWS)


PASTED_NAME = "粘贴的文本.txt"


@bank_bp.route("/<int:bank_id>/import/paste", methods=["GET", "POST"])
@manager_required
def import_paste(bank_id):
    """Pasted text (from a PDF or a web page) goes through the same preview and apply as an uploaded file."""
    bank = services.get_bank_or_404(current_user, bank_id, manage=True)
    form = PasteForm()
    if form.validate_on_submit():
        data = form.text.data.encode("utf-8")
        try:
            preview = importer.preview_import(data, bank, PASTED_NAME, max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
                                              read_cache=background.read_cache())
        except SpreadsheetError as error:
            form.text.errors = [str(error)]
        else:
            staged = uploads.stage(current_user, UPLOAD_PURPOSE, PASTED_NAME, data,
                                   {"bank_id": bank.id, "preview": _snapshot(preview)})
            db.session.commit()
            return redirect(url_for("bank.import_preview", bank_id=bank.id, token=staged.token), code=303)
    return render_template("bank/import_paste.html", form=form, bank=bank), 422 if form.errors else 200


def _question_view(values):
    """A question's values as the preview's sample renders them (the same names as Question's properties)."""
    qtype = qtypes.get(values["qtype"])
    version = values.get("law_version")
    citation = values["law_name"] + values["law_article"]
    if version:
        citation += f"（{version.isoformat()}版）"
    return {"qtype": qtype.code, "type_label": qtype.label, "fixed_options": qtype.has_fixed_options,
            "stem": values["stem"], "options": values["options"],
            "answer_label": qtype.answer_label(values["answer"], values["options"]),
            "explanation": values["explanation"], "citation": citation, "category": values["category"],
            "case_id": values.get("case_id", ""), "case_text": values.get("case_text", ""),
            "variant_group": values.get("variant_group", "")}


def _snapshot(preview: importer.ImportPreview) -> dict:
    """What the preview page shows, kept with the staged file so the page can be reloaded without re-reading."""
    snapshot = preview.report()
    snapshot["sample"] = [dict(_question_view(item.values), sheet=item.sheet, row=item.row)
                          for item in preview.sample()]
    snapshot["previous"] = [{"at": record.imported_at.isoformat(), "by": record.imported_by.name
                             if record.imported_by else "系统", "accepted": record.accepted}
                            for record in preview.previous]
    return snapshot


def _staged_or_none(bank, token):
    staged = uploads.fetch(current_user, UPLOAD_PURPOSE, token)
    if staged is None or (staged.options or {}).get("bank_id") != bank.id:
        return None
    return staged


@bank_bp.route("/<int:bank_id>/import/<token>")
@manager_required
def import_preview(bank_id, token):
    bank = services.get_bank_or_404(current_user, bank_id, manage=True)
    staged = _staged_or_none(bank, token)
    if staged is None:
        flash("预检结果已失效，请重新上传文件。", "error")
        return redirect(url_for("bank.import_upload", bank_id=bank.id))
    return _render_preview(bank, staged, ImportApplyForm(token=staged.token))


def _render_preview(bank, staged, form, status=200, codes_form=None):
    snapshot = staged.options["preview"]
    previous = [dict(item, at=datetime.fromisoformat(item["at"])) for item in snapshot.get("previous", [])]
    codes = snapshot.get("type_codes_found") or []
    if codes and codes_form is None:
        codes_form = type_code_form(codes, snapshot.get("type_codes"))(token=staged.token, formdata=None)
    return render_template("bank/import_preview.html", bank=bank, staged=staged, p=snapshot, form=form,
                           previous=previous, shown=PREVIEW_PROBLEMS_SHOWN, types=qtypes.TYPE_LABELS,
                           codes_form=codes_form, codes=codes), status


@bank_bp.route("/<int:bank_id>/import/<token>/type-codes", methods=["POST"])
@manager_required
def import_type_codes(bank_id, token):
    """The organiser says what each numeric 题型 code means; the file is checked again with that mapping."""
    bank = services.get_bank_or_404(current_user, bank_id, manage=True)
    staged = _staged_or_none(bank, token)
    if staged is None:
        abort(404)
    codes = staged.options["preview"].get("type_codes_found") or []
    form = type_code_form(codes)()
    if not form.validate_on_submit() or form.token.data != staged.token:
        return _render_preview(bank, staged, ImportApplyForm(token=staged.token), status=422, codes_form=form)
    mapping = {code: form[f"code_{code}"].data for code in codes}
    try:
        preview = importer.preview_import(staged.data, bank, staged.filename, type_codes=mapping,
                                          read_cache=background.read_cache())
    except SpreadsheetError as error:
        flash(str(error), "error")
        return redirect(url_for("bank.import_upload", bank_id=bank.id))
    staged.options = {**staged.options, "type_codes": mapping, "preview": _snapshot(preview)}
    db.session.commit()
    return redirect(url_for("bank.import_preview", bank_id=bank.id, token=staged.token), code=303)


@bank_bp.route("/<int:bank_id>/import/<token>/errors.xlsx")
@manager_required
def import_errors(bank_id, token):
    bank = services.get_bank_or_404(current_user, bank_id, manage=True)
    staged = _staged_or_none(bank, token)
    if staged is None:
        abort(404)
    return xlsx_download(_problems_xlsx(staged.options["preview"]), f"错误报告-{staged.filename}.xlsx")


def _problems_xlsx(report):
    rows = [["工作表", "行号", "栏目", "问题"]]
    rows += [[p["sheet"], p["row"], p["column"], p["message"]] for p in report.get("problems", [])]
    rows += [[d["sheet"], d["row"], "题干", d["message"] + "（未导入）"] for d in report.get("duplicates", [])]
    return write_xlsx({"错误与重复": rows}, column_widths={"错误与重复": [14, 8, 12, 80]})


@bank_bp.route("/<int:bank_id>/import/apply", methods=["POST"])
@manager_required
def import_apply(bank_id):
    bank = services.get_bank_or_404(current_user, bank_id, manage=True)
    form = ImportApplyForm()
    if not form.validate_on_submit():
        abort(400)
    staged = _staged_or_none(bank, form.token.data)
    if staged is None:
        flash("预检结果已失效，请重新上传文件。", "error")
        return redirect(url_for("bank.import_upload", bank_id=bank.id))
    if form.choice.data == "fix_first":
        uploads.discard(staged)
        db.session.commit()
        flash("本次没有导入任何试题。请按预检列出的问题修改文件后重新上传。", "info")
        return redirect(url_for("bank.import_upload", bank_id=bank.id))
    snapshot = staged.options["preview"]
    valid_only = form.choice.data == "valid_only"
    if snapshot.get("rejected_rows") and not valid_only:
        form.choice.errors = ["文件中有错误的行，请选择“只导入无误的行”或“先修改文件”。"]
        return _render_preview(bank, staged, form, status=422)
    if snapshot.get("total", 0) > current_app.config["IMPORT_JOB_ROWS"]:
        return _apply_as_job(bank, staged, valid_only)
    token = staged.token
    if not uploads.claim(staged):
        return _already_applied(bank)
    try:
        preview = importer.preview_import(staged.data, bank, staged.filename,
                                          type_codes=(staged.options or {}).get("type_codes"),
                                          read_cache=background.read_cache())
        import_record = importer.apply_import(current_user, bank, preview, valid_only=valid_only)
    except (ServiceError, SpreadsheetError, sa.exc.IntegrityError) as error:
        db.session.rollback()  # gives the staged file back, so the organiser can try again from the preview
        message = str(error) if not isinstance(error, sa.exc.IntegrityError) else "题库在此期间被修改，请重新预检后再导入。"
        flash(f"未导入任何试题：{message}", "error")
        return redirect(url_for("bank.import_preview", bank_id=bank.id, token=token))
    db.session.commit()
    flash(f"已导入 {import_record.accepted} 道试题。", "success")
    return redirect(url_for("bank.import_report", record_id=import_record.id))


def _apply_as_job(bank, staged, valid_only):
    """A large file: claim it for one job, which writes it all or nothing while the job page shows progress."""
    if not uploads.claim(staged, background.JOB_PURPOSE):
        return _already_applied(bank)
    job = jobs.submit("bank.import", current_user, {"upload_id": staged.id, "bank_id": bank.id,
                                                    "valid_only": valid_only},
                      title=f"导入试题：{staged.filename} → {bank.name}")
    db.session.commit()
    return redirect(url_for("jobs.show", job_id=job.id), code=303)


def _already_applied(bank):
    """The second click of a double click (or a reloaded form): the file is already being imported, or has been."""
    db.session.rollback()
    flash("这个文件已经提交导入，请勿重复提交；结果见导入记录。", "info")
    return redirect(url_for("bank.imports", bank_id=bank.id))


@bank_bp.route("/<int:bank_id>/imports")
@manager_required
def imports(bank_id):
    bank = services.get_bank_or_404(current_user, bank_id)
    records = db.session.scalars(sa.select(ImportRecord).where(ImportRecord.bank_id == bank.id)
                                 .order_by(ImportRecord.imported_at.desc(), ImportRecord.id.desc())).all()
    return render_template("bank/imports.html", bank=bank, records=records)


@bank_bp.route("/imports/<int:record_id>")
@manager_required
def import_report(record_id):
    import_record = db.session.get(ImportRecord, record_id)
    if import_record is None:
        abort(404)
    bank = services.get_bank_or_404(current_user, import_record.bank_id)
    return render_template("bank/import_report.html", bank=bank, r=import_record, report=import_record.report or {})


@bank_bp.route("/imports/<int:record_id>/report.xlsx")
@manager_required
def import_report_xlsx(record_id):
    import_record = db.session.get(ImportRecord, record_id)
    if import_record is None:
        abort(404)
    services.get_bank_or_404(current_user, import_record.bank_id)
    return xlsx_download(_problems_xlsx(import_record.report or {}), f"导入报告-{import_record.filename}.xlsx")
