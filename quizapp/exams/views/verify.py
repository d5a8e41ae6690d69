"""The ``verify`` blueprint: anyone may check a 合格证书 code (rate-limited; shows name, unit, year, exams)."""
from flask import Blueprint, redirect, render_template, request, url_for

from ...extensions import limiter
from ..certificates import normalise_code, verify_certificate

verify_bp = Blueprint("verify", __name__, url_prefix="/verify")


@verify_bp.route("/")
@limiter.limit("30 per minute")
def lookup():
    code = request.args.get("code", "")
    if code:
        normalised = normalise_code(code)
        if normalised:
            return redirect(url_for("verify.show", code=normalised))
        return render_template("exams/verify.html", certificate=None, searched=True, code=code)
    return render_template("exams/verify.html", certificate=None, searched=False, code="")


@verify_bp.route("/<code>", endpoint="show")
@limiter.limit("30 per minute")
def check_code(code):
    certificate, valid = verify_certificate(code)
    return render_template("exams/verify.html", certificate=certificate, valid=valid, searched=True, code=code), \
        (200 if certificate else 404)
