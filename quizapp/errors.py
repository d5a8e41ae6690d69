"""Error pages in Chinese, JSON for /api, and a rollback on every failure."""
from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
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
}


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

    @app.errorhandler(HTTPException)
    def http_error(error):
        db.session.rollback()
        if error.code == 429:
            return render_error(429, getattr(error, "description", None) or MESSAGES[429])
        return render_error(error.code or 500, MESSAGES.get(error.code))
