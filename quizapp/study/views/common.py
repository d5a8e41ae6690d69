"""What the study pages share: navigation entries and small request helpers."""
from datetime import date

from flask import abort, current_app, request

from ...common.auth import EVERYONE, MANAGERS, READERS
from ...common.templating import register_nav
from ..services import current_year


register_nav("materials.index", "学习园地", EVERYONE, order=20, group="学习")
register_nav("laws.index", "法规库", EVERYONE, order=21, group="学习")
register_nav("study.me", "我的学习", EVERYONE, order=22, group="我的")
register_nav("study.people", "学习情况", READERS, order=60, group="统计")
register_nav("offline.index", "线下学法活动", READERS, order=61, group="管理")
register_nav("laws.manage", "法规库管理", MANAGERS, order=62, group="管理")
register_nav("materials.manage", "学习资料管理", MANAGERS, order=63, group="管理")


def year_arg(name="year"):
    """The year asked for in the query string, or this year; absurd years are a 404."""
    year = request.args.get(name, type=int) or current_year()
    if not 2000 <= year <= 2100:
        abort(404)
    return year


def parse_date_or_404(text):
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        abort(404)


def page_size():
    return current_app.config.get("PAGE_SIZE", 20)
