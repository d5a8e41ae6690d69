"""Sign-in, sign-out and password changes (blueprint ``auth``)."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ...common.errors import ServiceError, put_on_form
from ...common.forms import ButtonForm
from ...common.urls import safe_next
from ...audit.services import record
from ...extensions import db
from .. import services, throttle
from ..forms import ChangePasswordForm, LoginForm

auth_bp = Blueprint("auth", __name__)

LOGIN_FAILED = "登录名或密码不正确。"
THROTTLED = {
    "account": "该账号登录失败次数过多，请 {minutes} 分钟后再试。如忘记密码，请联系本单位管理员重置。",
    "address": "本网络登录失败次数过多（涉及多个账号），请 {minutes} 分钟后再试；在本机登录过的账号不受影响。",
}


@auth_bp.before_app_request
def force_password_change():
    """Accounts made in bulk or by reset change their password before anything else."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in ("auth.change_password", "auth.logout", "static", "main.healthz")):
        if request.path.startswith("/api/"):
            abort(403)
        return redirect(url_for("auth.change_password"))
    return None


def _typed_login(form):
    """The login as typed, made safe to keep in the audit log (one line, bounded)."""
    return "".join(ch for ch in (form.login.data or "").strip() if ch.isprintable())[:64]


@auth_bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        login_name, address = _typed_login(form), request.remote_addr
        device = request.cookies.get(throttle.DEVICE_COOKIE)
        verdict = throttle.check(login_name, address, device)
        if not verdict.allowed:
            if throttle.first_refusal(verdict, login_name, address):
                target = services.user_by_login(login_name)
                record(None, "auth.throttled", "user", getattr(target, "id", None), login_name,
                       summary="账号登录延迟中" if verdict.reason == "account" else "该地址多个账号登录失败")
                db.session.commit()
            minutes = max(1, -(-verdict.wait_seconds // 60))
            form.form_errors.append(THROTTLED[verdict.reason].format(minutes=minutes))
            return render_template("accounts/login.html", form=form), 429
        user = services.authenticate(form.login.data, form.password.data)
        if user is None:
            throttle.failed(login_name, address, device)
            target = services.user_by_login(login_name)
            record(None, "auth.failure", "user", getattr(target, "id", None), login_name,
                   summary="登录失败" if target else "登录失败（无此登录名）")
            db.session.commit()
            form.form_errors.append(LOGIN_FAILED)
        else:
            throttle.succeeded(login_name, device)
            target = safe_next(form.next.data, url_for("main.home"))
            session.clear()  # a fresh session at sign-in (no fixation)
            services.note_sign_in(user)
            record(user, "auth.login", "user", user.id, user.login)
            if user.must_change_password:
                record(user, "auth.forced_change", "user", user.id, user.login, summary="须先修改初始或重置的密码")
            db.session.commit()
            login_user(user)
            session.permanent = True
            response = redirect(target)
            response.set_cookie(throttle.DEVICE_COOKIE, throttle.remember_device(device, login_name),
                                max_age=throttle.DEVICE_COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
                                secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
            return response
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
