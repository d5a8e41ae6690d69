"""Jinja filters and globals shared by every page."""
from urllib.parse import urlencode

from flask import current_app, request
from flask_login import current_user

from .clock import format_date_cn, format_datetime, to_local, zone_label

# (order, endpoint, label, roles, group, setting) — the navigation each role sees; other domains add
# their entries through register_nav so this module does not import them. An entry with a setting shows
# only where that configuration value is true (a feature a deployment may switch off).
NAV_ITEMS = []
# The menu's groups in the order users read them; "" is the ungrouped 首页 at the top.
NAV_GROUPS = ("", "学习", "考试", "管理", "统计", "我的")
# An entry registered without a group falls in by its order: 20s 学习, 30s-40s 考试, 50s 统计, later 管理.
_GROUP_BY_ORDER = ((20, ""), (30, "学习"), (50, "考试"), (60, "统计"))


def register_nav(endpoint, label, roles, order=100, group=None, setting=None):
    if group is None:
        group = next((name for below, name in _GROUP_BY_ORDER if order < below), "管理")
    if group not in NAV_GROUPS:
        raise ValueError(f"unknown navigation group {group!r}")
    NAV_ITEMS.append((order, endpoint, label, tuple(roles), group, setting))
    NAV_ITEMS.sort(key=lambda item: item[0])


def nav_for(user):
    """[(endpoint, label)] this person may open, in menu order."""
    return [(endpoint, label) for _, items in nav_groups_for(user) for endpoint, label in items]


def nav_groups_for(user):
    """[(group, [(endpoint, label)])] for this person's role, empty groups left out."""
    if not getattr(user, "is_authenticated", False):
        return []
    groups = {name: [] for name in NAV_GROUPS}
    for _, endpoint, label, roles, group, setting in NAV_ITEMS:
        if user.role in roles and (setting is None or current_app.config.get(setting)):
            groups[group].append((endpoint, label))
    return [(name, items) for name, items in groups.items() if items]


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
        return {"nav_groups": nav_groups_for(current_user)}
