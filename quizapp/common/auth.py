"""Who may use a view: the four roles, the groups views and queries ask about, and the decorator.

Roles and their groups are defined here once; models, services, views and
navigation all import them from here.
"""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

ROLES = {"cadre": "干部", "leader": "领导", "organiser": "组织者", "admin": "管理员"}

EVERYONE = tuple(ROLES)
# People who study, practise and sit exams (admins run the system and are not examined).
LEARNERS = ("cadre", "leader", "organiser")
# People who read the figures and records of a subtree of units; a cadre sees only themself.
READERS = ("leader", "organiser", "admin")
# People who manage units, accounts, banks, materials and exams in their subtree.
MANAGERS = ("organiser", "admin")
ADMINS = ("admin",)


def roles_required(*roles):
    """Only these roles may use the view; others get 404 (the page is not theirs to know of)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator
