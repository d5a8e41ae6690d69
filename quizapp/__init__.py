"""quizapp: 干部学法用法 training and quiz system."""
import os

from flask import Flask


def create_app(config=None):
    """Build the app; ``config`` (a mapping) overrides values from the environment."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)

    from .config import check, from_environment

    app.config.from_mapping(from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)
    check(app.config)

    register_extensions(app)
    register_database_events(app)
    register_blueprints(app)
    register_cli(app)
    register_template_helpers(app)
    from . import jobs

    jobs.init_app(app)
    register_security_headers(app)
    from .errors import register_error_handlers

    register_error_handlers(app)
    register_arrival_stamp(app)
    register_question_visibility(app)
    return app


def register_question_visibility(app):
    """Practice asks the exams which questions not to reveal (exams build on practice, so it cannot import them)."""
    from .exams.access import question_ids_hidden_from

    app.extensions["quizapp.hidden_questions"] = question_ids_hidden_from


def register_arrival_stamp(app):
    """Outermost layer, so exam deadlines are judged by when a request arrived, not when it was processed."""
    from .common.arrival import ArrivalStamp

    app.wsgi_app = ArrivalStamp(app, app.wsgi_app)


def register_extensions(app):
    from . import models  # noqa: F401  (the whole schema, for Alembic and relationships)
    from .extensions import csrf, db, limiter, login_manager

    if app.config.get("PROXY_FIX"):
        from .common.proxies import TrustedProxies

        app.wsgi_app = TrustedProxies(app.wsgi_app, app.config["TRUSTED_PROXIES"])
    db.init_app(app)
    if not os.environ.get("QUIZAPP_SERVE_ONLY"):
        # Flask-Migrate brings Alembic (~9 MB in every process); only `flask db`, tests and tools need it, so
        # the gunicorn workers (gunicorn.conf.py sets QUIZAPP_SERVE_ONLY) go without.
        from flask_migrate import Migrate

        Migrate(app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"),
                render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    # Limits live on the few routes decorated with them, and each decorator checks its own. Flask-Limiter's
    # global before_request would only make every request (the answer save above all) look for limits that
    # no other route has. (With RATELIMIT_ENABLED off it registers none.)
    checks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in checks:
        checks.remove(limiter._check_request_limit)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    # Not "strong": cadres on mobile networks change address mid-exam.
    login_manager.session_protection = "basic"

    from .accounts.services import load_user

    login_manager.user_loader(load_user)


def register_database_events(app):
    from .common.database import configure_engine_events

    configure_engine_events(app)
    from .reports.upkeep import listen

    listen()  # report figures follow every write in its own transaction


def register_blueprints(app):
    from .accounts.views.auth import auth_bp
    from .accounts.views.units import units_bp
    from .accounts.views.users import users_bp
    from .audit.views import audit_bp
    from .bank.views import bank_bp
    from .engage.case_views import cases_bp
    from .engage.contest_views import contests_bp
    from .engage.legal_aide_views import legal_aide_bp
    from .engage.points_views import points_bp
    from .engage.views import engage_bp
    from .exams.views.api import api_bp as exam_api_bp
    from .exams.views.manage import manage_bp as exam_manage_bp
    from .exams.views.taking import exams_bp
    from .exams.views.verify import verify_bp
    from .main.views import main_bp
    from .notices.views import notices_bp
    from .practice.views import practice_bp
    from .reports.views import reports_bp
    from .study.views import all_blueprints as study_blueprints

    for blueprint in (main_bp, auth_bp, units_bp, users_bp, audit_bp, bank_bp, practice_bp,
                      exams_bp, exam_manage_bp, exam_api_bp, verify_bp, *study_blueprints(), reports_bp,
                      notices_bp, engage_bp, cases_bp, legal_aide_bp, contests_bp, points_bp):
        app.register_blueprint(blueprint)


def register_cli(app):
    from .accounts.cli import create_admin_command, users_cli
    from .bank.cli import bank_cli
    from .demo import demo_command
    from .engage.cli import cases_cli
    from .exams.cli import exams_cli
    from .reports.cli import reports_cli
    from .study.cli import laws_cli, materials_cli

    for command in (users_cli, create_admin_command, demo_command, bank_cli, exams_cli, laws_cli, materials_cli,
                    reports_cli, cases_cli):
        app.cli.add_command(command)


def register_template_helpers(app):
    from .common import assets, templating

    templating.init_app(app)
    assets.init_app(app)


def register_security_headers(app):
    from flask import request, session

    from .common.paging import refuse_out_of_range_page

    app.before_request(refuse_out_of_range_page)

    from .audit.hooks import record_export

    app.after_request(record_export)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'",
        )
        if "_user_id" in session and request.endpoint != "static" and "Cache-Control" not in response.headers:
            # Pages, JSON and files for a signed-in person show personal data or answers: a shared
            # township PC must not show them from its cache or the back button after sign-out. A view
            # that chose its own caching (a study material's PDF, the same for everyone) keeps it.
            response.headers["Cache-Control"] = "no-store"
        if app.config.get("SESSION_COOKIE_SECURE") and app.config.get("HSTS_MAX_AGE"):
            response.headers.setdefault("Strict-Transport-Security", f"max-age={app.config['HSTS_MAX_AGE']}")
        return response
