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
    return app


def register_extensions(app):
    from . import models  # noqa: F401  (the whole schema, for Alembic and relationships)
    from .extensions import csrf, db, limiter, login_manager, migrate

    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
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
    from .exams.views.api import api_bp as exam_api_bp
    from .exams.views.manage import manage_bp as exam_manage_bp
    from .exams.views.taking import exams_bp
    from .exams.views.verify import verify_bp
    from .main.views import main_bp
    from .practice.views import practice_bp
    from .reports.views import reports_bp
    from .study.views import all_blueprints as study_blueprints

    for blueprint in (main_bp, auth_bp, units_bp, users_bp, audit_bp, bank_bp, practice_bp,
                      exams_bp, exam_manage_bp, exam_api_bp, verify_bp, *study_blueprints(), reports_bp):
        app.register_blueprint(blueprint)


def register_cli(app):
    from .accounts.cli import create_admin_command, users_cli
    from .bank.cli import bank_cli
    from .demo import demo_command
    from .exams.cli import exams_cli
    from .reports.cli import reports_cli
    from .study.cli import laws_cli, materials_cli

    for command in (users_cli, create_admin_command, demo_command, bank_cli, exams_cli, laws_cli, materials_cli,
                    reports_cli):
        app.cli.add_command(command)


def register_template_helpers(app):
    from .common import templating

    templating.init_app(app)


def register_security_headers(app):
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
        return response
