"""One rules table for exam settings: every row reports its own message on its own field, all problems come at
once, and the page shows exactly the service's messages."""
import re
from datetime import timedelta

import pytest
from factories import START

from quizapp.common.errors import ServiceError
from quizapp.exams import setup
from quizapp.exams.setting_rules import RULES


def _values(tree, **changes):
    values = {
        "title": "2026年11月学法考试", "kind": "monthly", "period": "2026-11", "description": "",
        "unit_id": tree["jia"].id, "audience_ids": [tree["jia"].id], "open_at": START,
        "close_at": START + timedelta(days=2), "time_limit": 60, "required": True, "categories": [],
        "audience_shufa_only": False, "full_marks": 100, "pass_mark": 60,
        "bands": [["优秀", 90], ["良好", 80], ["合格", 60]], "multi_scoring": "all", "attempts_allowed": 1,
        "counting": "best", "unseen_first": True, "makeup_enabled": False, "makeup_open_at": None,
        "makeup_close_at": None, "makeup_attempts": 1, "shuffle_questions": True, "shuffle_options": True,
        "review_policy": "after_close",
    }
    values.update(changes)
    return values


MAKEUP = {"makeup_enabled": True, "makeup_open_at": START + timedelta(days=3),
          "makeup_close_at": START + timedelta(days=4)}
CASES = [
    ({"title": " "}, "title", "请填写考试名称。"),
    ({"title": "考" * 201}, "title", "考试名称不能超过 200 个字符。"),
    ({"title": "十一月\n考试"}, "title", "考试名称不能包含换行、制表符等控制字符。"),
    ({"kind": "weekly"}, "kind", "请选择考试类型。"),
    ({"period": "2026/11"}, "period", "考试期次应写作“2026-11”（月度）或“2026”（年度）。"),
    ({"description": "说" * 2001}, "description", "考试说明不能超过 2000 个字符。"),
    ({"unit_id": None}, "unit_id", "请选择组织单位。"),
    ({"unit_id": "yi", "audience_ids": ["yi"]}, "unit_id", "您无权以该单位名义组织考试。"),
    ({"audience_ids": []}, "audience_ids", "请至少选择一个参考单位。"),
    ({"audience_ids": ["jia", "v3"]}, "audience_ids", "参考单位必须在组织单位之下：三村两委。"),
    ({"open_at": None}, "open_at", "请填写开始时间。"),
    ({"close_at": None}, "close_at", "请填写截止时间。"),
    ({"close_at": START}, "close_at", "截止时间必须晚于开始时间。"),
    ({"time_limit": 0}, "time_limit", "考试时长应在 1 到 600 分钟之间。"),
    ({"time_limit": None}, "time_limit", "考试时长应在 1 到 600 分钟之间。"),
    ({"full_marks": 0}, "full_marks", "满分应在 1 到 1000 之间。"),
    ({"pass_mark": 120, "bands": []}, "pass_mark", "及格线应在 0 到满分之间。"),
    ({"bands": [["优秀", 90], ["优秀", 80]]}, "bands", "等次名称不能重复。"),
    ({"bands": [["优秀", 120]]}, "bands", "等次分数线应在 0 到满分之间。"),
    ({"bands": [["合格", 50]]}, "bands", "最低等次的分数线不能低于及格线。"),
    ({"multi_scoring": "some"}, "multi_scoring", "请选择多选题计分方式。"),
    ({"counting": "average"}, "counting", "请选择成绩计取方式。"),
    ({"review_policy": "never"}, "review_policy", "请选择查看答案的方式。"),
    ({"attempts_allowed": 21}, "attempts_allowed", "考试次数应在 1 到 20 之间。"),
    ({**MAKEUP, "makeup_open_at": None}, "makeup_open_at", "开启补考时须填写补考开始和截止时间。"),
    ({**MAKEUP, "makeup_close_at": START + timedelta(days=3)}, "makeup_close_at", "补考截止时间必须晚于补考开始时间。"),
    ({**MAKEUP, "makeup_open_at": START + timedelta(days=1)}, "makeup_open_at", "补考应在正式考试截止之后开始。"),
    ({**MAKEUP, "makeup_attempts": 0}, "makeup_attempts", "补考次数应在 1 到 10 之间。"),
    ({"categories": ["alien"]}, "categories", "未知的人员类别。"),
]


def _resolve(tree, change):
    """Unit names in a case stand for the units of the test tree."""
    change = dict(change)
    if isinstance(change.get("unit_id"), str):
        change["unit_id"] = tree[change["unit_id"]].id
    if change.get("audience_ids"):
        change["audience_ids"] = [tree[u].id if isinstance(u, str) else u for u in change["audience_ids"]]
    return change


@pytest.mark.parametrize("change, field, message", CASES)
def test_each_rule_reports_its_message_on_its_field(f, tree, clock, change, field, message):
    """Is each broken setting refused with the table's message, on the field it concerns, and nothing else?"""
    organiser = f.user("zz1", tree["jia"], role="organiser")
    with pytest.raises(ServiceError) as refused:
        setup.create_exam(organiser, _values(tree, **_resolve(tree, change)))
    assert (field, message) in refused.value.problems
    others = [p for p in refused.value.problems if p[0] != field and p[0] != "audience_ids"]
    assert others == []


def test_every_row_of_the_table_is_exercised():
    """Does every rule of the table have a case above (so a new rule cannot go untested)?"""
    templates = {re.sub(r"\{\}", "", rule.message) for rule in RULES}
    covered = {message for _, _, message in CASES}
    assert all(any(template.rstrip("。") in message for message in covered) for template in templates), \
        templates - covered


def test_valid_settings_have_no_problem(f, tree, clock):
    organiser = f.user("zz1", tree["jia"], role="organiser")
    assert setup.exam_problems(organiser, _values(tree)) == []


def test_all_problems_are_reported_at_once(f, tree, clock):
    """With several settings wrong, does one refusal name every one of them?"""
    organiser = f.user("zz1", tree["jia"], role="organiser")
    with pytest.raises(ServiceError) as refused:
        setup.create_exam(organiser, _values(tree, title="", time_limit=0, attempts_allowed=30, pass_mark=200,
                                             bands="优秀很好"))
    fields = [field for field, _ in refused.value.problems]
    assert sorted(fields) == ["attempts_allowed", "bands", "pass_mark", "time_limit", "title"]
    assert any("等次“优秀很好”的格式不对" in m for m in refused.value.messages)


def _form(tree, **changes):
    data = {"title": "2026年11月学法考试", "kind": "monthly", "period": "2026-11", "unit_id": tree["jia"].id,
            "audience_ids": [tree["jia"].id], "open_at": "2026-11-10T09:00", "close_at": "2026-11-30T20:00",
            "time_limit": "60", "full_marks": "100", "pass_mark": "60", "bands": "优秀 90；良好 80；合格 60",
            "multi_scoring": "all", "attempts_allowed": "1", "counting": "best", "makeup_attempts": "1",
            "review_policy": "after_close"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_page_shows_the_services_messages_all_at_once(client, f, tree, clock):
    """Does the new-exam page show, for several bad settings at once, exactly the messages the service gives
    (required fields included), with no wording of the form's own?"""
    organiser = f.user("zz1", tree["jia"], role="organiser")
    client.login("zz1")
    page = client.post("/manage/exams/new", _form(tree, title="", time_limit="0", attempts_allowed="30",
                                                  pass_mark="200", close_at=None, period="11月",
                                                  makeup_enabled="y", makeup_attempts="0"))
    assert page.status_code == 200
    shown = set(re.findall(r'<small class="error">([^<]+)</small>', page.get_data(as_text=True)))
    service = setup.exam_problems(organiser, _values(
        tree, title="", time_limit=0, attempts_allowed=30, pass_mark=200, close_at=None, period="11月",
        makeup_enabled=True, makeup_attempts=0))
    assert shown == {message for _, message in service}
    assert {"请填写考试名称。", "请填写截止时间。", "考试时长应在 1 到 600 分钟之间。", "考试次数应在 1 到 20 之间。",
            "及格线应在 0 到满分之间。", "开启补考时须填写补考开始和截止时间。", "补考次数应在 1 到 10 之间。"} <= shown


def test_locked_edit_page_uses_the_same_messages(client, make_exam, f, tree, clock):
    """Once someone has started, does the close-time form report a missing close with the table's message?"""
    from quizapp.exams import sitting
    from quizapp.extensions import db

    exam = make_exam(owner=tree["jia"])
    sitting.start_attempt(exam, f.user("gb1", tree["v1"]))
    db.session.commit()
    f.user("zz1", tree["jia"], role="organiser")
    client.login("zz1")
    page = client.post(f"/manage/exams/{exam.id}/edit", {"description": "说" * 2001}).get_data(as_text=True)
    assert "请填写截止时间。" in page and "考试说明不能超过 2000 个字符。" in page
