"""Error pages in Chinese, JSON for /api, and a rollback on every failure."""
import logging

from flask import current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from .audit.hooks import record_denied
from .common.errors import Forbidden, NotFound
from .extensions import db

MESSAGES = {
    400: "请求有误。",
    403: "您无权访问该页面。",
    404: "页面不存在，或您无权查看。",
    405: "不支持该请求方式。",
    413: "上传的文件太大。",
    429: "操作过于频繁，请稍后再试。",
    500: "服务器出错了，请稍后再试。我们已记录该问题。",
    503: "数据库暂时不可用（可能正在重启），请稍后重试。已作答的答案保存在本机，恢复后会自动发送。",
}

database_log = logging.getLogger("quizapp.database")


def database_unavailable(error):
    """A database that is down, restarting or locked: 503 with Retry-After, one log line, no traceback."""
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:
        pass  # the connection is gone; the pool replaces it (pool_pre_ping) on the next request
    orig = getattr(error, "orig", None) or error
    reason = (str(orig).strip().splitlines() or [type(orig).__name__])[0][:200]
    database_log.warning("database unavailable: %s %s: %s: %s", request.method, request.path,
                         type(orig).__name__, reason)
    retry_after = str(current_app.config.get("RETRY_AFTER_SECONDS", 5))
    if wants_json():
        response = jsonify(error=MESSAGES[503], status=503, retry=True)
    else:
        response = current_app.make_response(render_template("errors/503.html", message=MESSAGES[503],
                                                             retry_after=retry_after))
    response.status_code = 503
    response.headers["Retry-After"] = retry_after
    response.headers["Cache-Control"] = "no-store"
    return response


def is_unavailable(error) -> bool:
    """Errors that mean "the database cannot be reached right now" rather than a bug in a query."""
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return True
    return isinstance(error, sa_exc.DBAPIError) and bool(error.connection_invalidated)


def wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(code, message=None):
    message = message or MESSAGES.get(code, "出错了。")
    if wants_json():
        return jsonify(error=message, status=code), code
    return render_template("errors/error.html", code=code, message=message), code


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        db.session.rollback()
        return render_error(400, "页面已过期或请求来源无法验证，请刷新页面后重试。")

    @app.errorhandler(NotFound)
    def not_found(error):
        """Missing and not-yours look the same (404), so ids cannot be probed; not-yours is audited."""
        db.session.rollback()
        if isinstance(error, Forbidden):
            try:
                record_denied()
            except Exception:  # the refusal must stand even when the log cannot be written
                db.session.rollback()
                app.logger.exception("could not record a denied access")
        return render_error(404)

    @app.errorhandler(sa_exc.DBAPIError)
    def database_error(error):
        if is_unavailable(error):
            return database_unavailable(error)
        raise error  # a real bug: the usual 500 with its traceback in the log

    @app.errorhandler(HTTPException)
    def http_error(error):
        db.session.rollback()
        if error.code == 429:
            return render_error(429, getattr(error, "description", None) or MESSAGES[429])
        return render_error(error.code or 500, MESSAGES.get(error.code))
