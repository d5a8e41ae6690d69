"""The unit tree: create, rename, move with subtree, delete only when empty, and scope."""
import pytest
import sqlalchemy as sa

from quizapp.accounts import services
from quizapp.accounts.models import Unit
from quizapp.accounts.scope import subtree_unit_ids
from quizapp.audit.models import AuditEntry
from quizapp.common.errors import ServiceError
from quizapp.extensions import db


def _unit(name):
    db.session.expire_all()
    return db.session.scalar(sa.select(Unit).where(Unit.name == name))


def test_create_rename_and_audit(client, f, tree):
    """Can an organiser add a sub-unit and rename it, with both changes in the audit log?"""
    f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    response = client.post("/units/new", {"name": "四村两委", "kind": "village", "parent_id": tree["jia"].id})
    assert response.status_code == 302
    unit = _unit("四村两委")
    assert unit.path == f"{tree['jia'].path}{unit.id}/" and unit.depth == 2
    client.post(f"/units/{unit.id}/edit", {"name": "四村“两委”", "kind": "village"})
    assert _unit("四村“两委”") is not None
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["unit.create", "unit.rename"]
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.changes == {"name": ["四村两委", "四村“两委”"]}


def test_duplicate_sibling_name_refused(client, f, tree):
    """Is a second unit with the same name under one parent refused in Chinese?"""
    f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    page = client.post("/units/new", {"name": "一村两委", "kind": "village", "parent_id": tree["jia"].id})
    assert "已有名为“一村两委”的单位" in page.get_data(as_text=True)


def test_move_carries_the_subtree(client, f, tree):
    """Does moving a unit move its whole subtree (paths and depths) in one go?"""
    group = f.unit("一组", tree["v1"])
    f.user("gb01", group)
    client.login("admin01")
    assert client.post(f"/units/{tree['v1'].id}/move", {"parent_id": tree["yi"].id}).status_code == 302
    v1, group = _unit("一村两委"), _unit("一组")
    assert v1.parent_id == tree["yi"].id
    assert v1.path == f"{tree['yi'].path}{v1.id}/" and group.path == f"{v1.path}{group.id}/"
    assert group.depth == 3
    under_yi = set(db.session.scalars(subtree_unit_ids(tree["yi"].path)))
    assert {v1.id, group.id} <= under_yi
    assert group.id not in set(db.session.scalars(subtree_unit_ids(tree["jia"].path)))


def test_cannot_move_into_own_subtree(client, f, tree):
    """Is a unit's own subtree left out of its move page's choices, so a post naming one changes nothing?"""
    client.login("admin01")
    offered = client.get(f"/units/{tree['jia'].id}/move").get_data(as_text=True)
    assert "乙乡" in offered and "一村两委" not in offered
    page = client.post(f"/units/{tree['jia'].id}/move", {"parent_id": tree["v1"].id}).get_data(as_text=True)
    assert _unit("甲乡").parent_id == tree["county"].id
    assert "不是有效的选择" in page


def test_move_service_refuses_cycle(f, tree):
    """Does the service itself refuse a cycle, whatever the form offers (an admin, so no other rule applies)?"""
    with pytest.raises(ServiceError, match="不能把单位移动到它自己或它的下级单位之下"):
        services.move_unit(tree["admin"], tree["jia"], tree["v1"])
    with pytest.raises(ServiceError, match="不能把单位移动到它自己或它的下级单位之下"):
        services.move_unit(tree["admin"], tree["jia"], tree["jia"])


def test_delete_only_empty_units(client, f, tree):
    """Are units with children or people kept, and an empty unit deleted?"""
    f.user("gb01", tree["v2"])
    client.login("admin01")
    client.post(f"/units/{tree['jia'].id}/delete")
    client.post(f"/units/{tree['v2'].id}/delete")
    assert _unit("甲乡") is not None and _unit("二村两委") is not None
    client.post(f"/units/{tree['v3'].id}/delete")
    assert _unit("三村两委") is None
    page = client.get("/units/").get_data(as_text=True)
    assert "三村两委" not in page


def test_deactivated_people_still_block_deletion(client, f, tree):
    """Is a unit whose only person is deactivated still kept (records must not lose their unit)?"""
    f.user("gb01", tree["v3"], active=False)
    client.login("admin01")
    response = client.post(f"/units/{tree['v3'].id}/delete", follow_redirects=True)
    assert "还有人员" in response.get_data(as_text=True)


def test_organiser_cannot_touch_other_township(client, f, tree):
    """Does an organiser of 甲乡 get 404 for every page of a unit in 乙乡?"""
    f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    other = tree["v3"].id
    assert client.get(f"/units/{other}/edit").status_code == 404
    assert client.get(f"/units/{other}/move").status_code == 404
    assert client.post(f"/units/{other}/delete").status_code == 404
    assert client.post(f"/units/{other}/edit", {"name": "x", "kind": "village"}).status_code == 404
    page = client.post("/units/new", {"name": "偷建", "kind": "organ", "parent_id": tree["yi"].id})
    assert _unit("偷建") is None and "不是有效的选择" in page.get_data(as_text=True)
    listing = client.get("/units/").get_data(as_text=True)
    assert "一村两委" in listing and "三村两委" not in listing and "乙乡" not in listing


@pytest.mark.parametrize("unit, target", [("jia", "yi"), ("jia", "county"), ("v1", "v3"), ("v1", "yi")])
def test_organiser_cannot_move_a_unit_out_of_their_scope(f, tree, unit, target):
    """Is an organiser of 甲乡 refused, by the scope rule, a new parent outside 甲乡 (for 甲乡 itself or a unit below)?"""
    organiser = f.user("org01", tree["jia"], role="organiser")
    with pytest.raises(ServiceError, match="您无权管理该单位"):
        services.move_unit(organiser, tree[unit], tree[target])
    db.session.rollback()
    assert _unit(tree[unit].name).parent_id == tree[unit].parent_id


def test_organiser_moves_units_within_their_scope(client, f, tree):
    """Can an organiser move a unit inside their scope, while the page offers no target outside it?"""
    f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    offered = client.get(f"/units/{tree['v1'].id}/move").get_data(as_text=True)
    assert "二村两委" in offered and "乙乡" not in offered and "三村两委" not in offered
    client.post(f"/units/{tree['v1'].id}/move", {"parent_id": tree["yi"].id})
    assert _unit("一村两委").parent_id == tree["jia"].id
    assert client.post(f"/units/{tree['v1'].id}/move", {"parent_id": tree["v2"].id}).status_code == 302
    assert _unit("一村两委").parent_id == tree["v2"].id


def test_organiser_cannot_move_their_own_unit(f, tree):
    """Is an organiser's own unit refused with that reason, checked before the cycle its subtree would make?"""
    organiser = f.user("org01", tree["jia"], role="organiser")
    with pytest.raises(ServiceError, match="不能移动您本人所在的单位"):
        services.move_unit(organiser, tree["jia"], tree["v1"])


def test_only_admins_create_top_level_units(client, f, tree):
    """Is an organiser refused a top-level unit, by the service and by the page, which offers no such choice?"""
    organiser = f.user("org01", tree["jia"], role="organiser")
    with pytest.raises(ServiceError, match="只有系统管理员可以创建顶级单位"):
        services.create_unit(organiser, "新县", None, "county")
    db.session.rollback()
    client.login("org01")
    assert "作为顶级单位" not in client.get("/units/new").get_data(as_text=True)
    page = client.post("/units/new", {"name": "新县", "kind": "county", "parent_id": 0}).get_data(as_text=True)
    assert _unit("新县") is None and "不是有效的选择" in page
    services.create_unit(tree["admin"], "邻县", None, "county")
    db.session.commit()
    assert _unit("邻县").parent_id is None


def test_leader_reads_tree_but_cannot_change_it(client, f, tree):
    """Can a leader see their unit tree but not create, edit or delete units?"""
    f.user("ld01", tree["jia"], role="leader")
    client.login("ld01")
    assert client.get("/units/").status_code == 200
    assert client.get("/units/new").status_code == 404
    assert client.post(f"/units/{tree['v1'].id}/delete").status_code == 404


def test_cadre_has_no_unit_pages(client, f, tree):
    """Does a cadre get 404 for the unit tree?"""
    f.user("gb01", tree["v1"])
    client.login("gb01")
    assert client.get("/units/").status_code == 404


def test_subtree_query_uses_the_path_index(app, f, tree):
    """Is "this unit and everything below it" one prefix match on the indexed path column?"""
    stmt = subtree_unit_ids(tree["jia"].path)
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    assert "LIKE" in sql.upper() and "units.path" in sql
    indexes = {ix.name for ix in Unit.__table__.indexes}
    assert "ix_units_path_prefix" in indexes
