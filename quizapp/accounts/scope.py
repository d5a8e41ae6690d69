"""Who may see what: a leader or organiser sees their unit and below; a cadre, themself."""
import sqlalchemy as sa
from ..common.errors import Forbidden, NotFound
from ..extensions import db
from .models import Unit, User


def scope_path(viewer):
    """The path prefix a viewer may see, or None for an admin (everything)."""
    if viewer.role == "admin":
        return None
    return viewer.unit.path


def default_root(viewer) -> Unit:
    """Where a viewer's unit pages start: their own unit; an administrator, the top of the tree when there is one."""
    if viewer.role == "admin":
        tops = db.session.scalars(sa.select(Unit).where(Unit.parent_id.is_(None)).limit(2)).all()
        if len(tops) == 1:
            return tops[0]
    return viewer.unit


def subtree_unit_ids(path):
    """A select of unit ids at or below ``path`` (uses the path prefix index)."""
    return sa.select(Unit.id).where(Unit.path.startswith(path))


def units_in_scope(viewer):
    stmt = sa.select(Unit)
    path = scope_path(viewer)
    if viewer.role == "cadre":
        return stmt.where(Unit.id == viewer.unit_id)
    if path is not None:
        stmt = stmt.where(Unit.path.startswith(path))
    return stmt


def users_in_scope(viewer, under: Unit | None = None):
    """People the viewer may see, optionally limited to the subtree of ``under``."""
    stmt = sa.select(User)
    if viewer.role == "cadre":
        return stmt.where(User.id == viewer.id)
    path = scope_path(viewer)
    if under is not None:
        path = under.path
    if path is not None:
        stmt = stmt.where(User.unit_id.in_(subtree_unit_ids(path)))
    return stmt


def unit_visible(viewer, unit: Unit) -> bool:
    if viewer.role == "admin":
        return True
    if viewer.role == "cadre":
        return unit.id == viewer.unit_id
    return unit.is_within(viewer.unit)


def user_visible(viewer, person: User) -> bool:
    if viewer.role == "cadre":
        return person.id == viewer.id
    return unit_visible(viewer, person.unit)


def get_unit_or_404(viewer, unit_id) -> Unit:
    """The unit, or NotFound / Forbidden (both shown as 404)."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound
    if not unit_visible(viewer, unit):
        raise Forbidden
    return unit


def get_user_or_404(viewer, user_id) -> User:
    """The person, or NotFound / Forbidden (both shown as 404)."""
    person = db.session.get(User, user_id)
    if person is None:
        raise NotFound
    if not user_visible(viewer, person):
        raise Forbidden
    return person
