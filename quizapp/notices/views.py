"""消息: a person's notices, unread first in attention, each marked read when opened or all at once."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..common.auth import EVERYONE
from ..common.forms import ButtonForm
from ..common.templating import register_nav
from ..extensions import db
from . import services

notices_bp = Blueprint("notices", __name__, url_prefix="/messages")


@notices_bp.app_context_processor
def unread_for_menu():
    """Unread 消息 of the signed-in person, for the menu and the phone bar (asked only where a page shows it).

    Registered by this package, not by common/, which stays below every domain."""
    def unread_notices():
        if not getattr(current_user, "is_authenticated", False):
            return 0
        from .services import unread_count

        return unread_count(current_user)
    return {"unread_notices": unread_notices}
register_nav("notices.index", "消息", EVERYONE, order=24, group="我的")


@notices_bp.route("/")
@login_required
def index():
    unread_only = request.args.get("show") == "unread"
    page = db.paginate(services.mine_stmt(current_user, unread_only=unread_only), per_page=20, error_out=False)
    return render_template("notices/index.html", page=page, unread_only=unread_only,
                           unread=services.unread_count(current_user), button=ButtonForm())


@notices_bp.route("/<int:notice_id>", methods=["POST"])
@login_required
def read(notice_id):
    """Mark one notice read (opening it on the page); the page shows it in full either way."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.mark_read(current_user, services.get_mine(current_user, notice_id))
    db.session.commit()
    return redirect(url_for("notices.index") + f"#notice-{notice_id}")


@notices_bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    if not ButtonForm().validate_on_submit():
        abort(400)
    count = services.mark_all_read(current_user)
    db.session.commit()
    flash(f"已将 {count} 条消息标为已读。" if count else "没有未读消息。", "success")
    return redirect(url_for("notices.index"))
