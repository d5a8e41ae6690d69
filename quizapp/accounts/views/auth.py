"""Sign-in, sign-out and password changes (blueprint ``auth``)."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ...common.errors import ServiceError, put_on_form
from ...common.forms import ButtonForm
from ...common.urls import safe_next
from ...extensions import db, limiter
from .. import services
from ..forms import ChangePasswordForm, LoginForm

auth_bp = Blueprint("auth", __name__)

LOGIN_FAILED = "登录名或密码不正确。"
THROTTLED = "登录失败次数过多，请 15 分钟后再试。如忘记密码，请联系本单位管理员重置。"


@auth_bp.before_app_request
def force_password_change():
    """Accounts made in bulk or by reset change their password before anything else."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in ("auth.change_password", "auth.logout", "static", "main.healthz")):
        if request.path.startswith("/api/"):
            abort(403)
        return redirect(url_for("auth.change_password"))
    return None


def _login_failed(response):
    return response.status_code != 302


def _login_key():
    # The limiter asks for its key before the view (and its form) runs, so it reads the raw field.
    return "login:" + (request.form.get("login") or "").strip().lower()


@auth_bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=_login_failed, error_message=THROTTLED)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=_login_key, deduct_when=_login_failed, error_message=THROTTLED)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is None:
            form.form_errors.append(LOGIN_FAILED)
        else:
            target = safe_next(form.next.data, url_for("main.home"))
            session.clear()  # a fresh session at sign-in (no fixation)
            services.note_sign_in(user)
            db.session.commit()
            login_user(user)
            session.permanent = True
            return redirect(target)
    return render_template("accounts/login.html", form=form)


@auth_bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = ButtonForm()
    if form.validate_on_submit():
        services.end_other_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@auth_bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.old_password.data, form.new_password.data)
        except ServiceError as error:
            db.session.rollback()
            put_on_form(form, error)
        else:
            db.session.commit()
            login_user(current_user)  # this session carries the new version; others end
            flash("密码已修改。其他设备上的登录已失效。", "success")
            return redirect(url_for("main.home"))
    return render_template("accounts/password.html", form=form, forced=current_user.must_change_password)
