"""The menu is grouped by role: 学习 / 考试 / 管理 / 统计 / 我的, 退出 and 修改密码 on every page."""
import pytest

from quizapp.common.templating import nav_groups_for, register_nav


def _groups(f, tree, role):
    user = f.user(f"nav_{role}", tree["jia"], role=role)
    return {group: [label for _, label in items] for group, items in nav_groups_for(user)}


def test_cadre_sees_only_learning_groups(f, tree):
    """Does a cadre's menu hold 学习, 考试 and 我的, and nothing of 管理 or 统计?"""
    groups = _groups(f, tree, "cadre")
    assert list(groups) == ["", "学习", "考试", "我的"]
    assert {"在线考试", "错题本"} <= set(groups["考试"]) and "学法档案" in groups["我的"]


def test_organiser_sees_management_apart_from_own_study(f, tree):
    """Are an organiser's management pages under 管理 and the figures under 统计, not mixed with their own study?"""
    groups = _groups(f, tree, "organiser")
    assert {"单位管理", "人员管理", "题库管理", "考试管理"} <= set(groups["管理"])
    assert "统计报表" in groups["统计"] and "单位管理" not in groups["学习"]


def test_unknown_group_is_refused():
    """Is a typo in a group name refused at start-up rather than silently adding a menu heading?"""
    with pytest.raises(ValueError, match="navigation group"):
        register_nav("main.home", "首页", ("cadre",), group="学 习")


def test_every_page_has_sign_out_and_password_outside_the_menu(client, f, tree):
    """Do 退出 and 修改密码 sit in the header, outside the menu that may need scrolling?"""
    f.user("gb1", tree["v1"])
    client.login("gb1")
    page = client.get("/mine").get_data(as_text=True)
    header = page.split('<div class="whoami">')[1].split("</div>")[0]
    assert "修改密码" in header and "退出" in header
    assert 'class="bottombar"' in page
