"""法律明白人 pages: a member's learning path and certificate, and leaders' coverage per village."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from ..common.auth import LEARNERS, READERS, roles_required
from ..common.errors import ServiceError
from ..common.forms import ButtonForm
from ..common.templating import register_nav
from ..extensions import db
from . import legal_aide

legal_aide_bp = Blueprint("legal_aide", __name__, url_prefix="/legal-aides")

register_nav("legal_aide.coverage", "法律明白人", READERS, order=72)


@legal_aide_bp.route("/")
@roles_required(*LEARNERS)
def path():
    """The person's path: materials, cases and the qualifying exam, each with whether it is done."""
    return render_template("engage/legal_aide/path.html", in_track=legal_aide.in_track(current_user),
                           progress=legal_aide.progress(current_user), form=ButtonForm())


@legal_aide_bp.route("/certificate", methods=["POST"])
@roles_required(*LEARNERS)
def claim():
    if not ButtonForm().validate_on_submit():
        flash("页面已过期，请重试。", "error")
        return redirect(url_for("legal_aide.path"))
    try:
        legal_aide.issue_certificate(current_user)
    except ServiceError as error:
        flash(error.messages[0], "warning")
        return redirect(url_for("legal_aide.path"))
    db.session.commit()
    return redirect(url_for("legal_aide.certificate"))


@legal_aide_bp.route("/certificate")
@roles_required(*LEARNERS)
def certificate():
    found = legal_aide.progress(current_user).certificate
    if found is None:
        return redirect(url_for("legal_aide.path"))
    return render_template("engage/legal_aide/certificate.html", certificate=found)


@legal_aide_bp.route("/coverage")
@roles_required(*READERS)
def coverage():
    """Per village in the viewer's scope: certified 法律明白人 against the target, and who is missing."""
    rows = legal_aide.coverage(current_user)
    return render_template("engage/legal_aide/coverage.html", rows=rows,
                           met=sum(row.met for row in rows), required=rows[0].required if rows else 0)
