"""Jinja filters and globals shared by every page."""
from urllib.parse import urlencode

from flask import request
from flask_login import current_user

from .clock import format_date_cn, format_datetime, to_local, zone_label

# (endpoint, label, roles) — the navigation each role sees; other domains add
# their entries through register_nav so this module does not import them.
NAV_ITEMS = []


def register_nav(endpoint, label, roles, order=100):
    NAV_ITEMS.append((order, endpoint, label, tuple(roles)))
    NAV_ITEMS.sort(key=lambda item: item[0])


def nav_for(user):
    if not getattr(user, "is_authenticated", False):
        return []
    return [(endpoint, label) for _, endpoint, label, roles in NAV_ITEMS if user.role in roles]


def url_with(**changes):
    """The current URL with some query arguments replaced (for paging and sorting)."""
    args = request.args.to_dict(flat=True)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return request.path + ("?" + urlencode(args) if args else "")


def init_app(app):
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date_cn"] = format_date_cn
    app.jinja_env.filters["local"] = to_local
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["zone_label"] = zone_label

    @app.context_processor
    def navigation():
        return {"nav_items": nav_for(current_user)}
