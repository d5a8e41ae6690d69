"""Organisers' pages: create an exam, set its paper, publish, follow the roster, export, overrides, edit lock."""
import io
from datetime import timedelta

import openpyxl
import sqlalchemy as sa

from factories import START
from quizapp.audit.models import AuditEntry
from quizapp.exams import papers, sitting
from quizapp.exams.models import Exam, ExamOverride
from quizapp.extensions import db


def _exam_form(tree, **changes):
    data = {"title": "2026年11月学法考试", "kind": "monthly", "period": "2026-11", "unit_id": tree["jia"].id,
            "audience_ids": [tree["jia"].id], "open_at": "2026-11-10T09:00", "close_at": "2026-11-30T20:00",
            "time_limit": "60", "required": "y", "full_marks": "100", "pass_mark": "60",
            "bands": "优秀 90；良好 80；合格 60", "multi_scoring": "partial", "attempts_allowed": "2",
            "counting": "best", "unseen_first": "y", "makeup_attempts": "1", "shuffle_questions": "y",
            "shuffle_options": "y", "review_policy": "after_close", "description": "请认真作答"}
    data.update(changes)
    return data


def test_organiser_sets_up_and_publishes_through_the_pages(client, f, tree, clock, app):
    """Can an organiser create an exam, apply the monthly template, see the shortfall, fill it, and publish?"""
    f.user("zz1", tree["jia"], role="organiser")
    client.login("zz1")
    assert "新建考试" in client.get("/manage/exams/new").get_data(as_text=True)
    bad = client.post("/manage/exams/new", _exam_form(tree, close_at="2026-11-01T08:00", period="11月"))
    body = bad.get_data(as_text=True)
    assert "截止时间必须晚于开始时间" in body and "考试期次应写作" in body
    created = client.post("/manage/exams/new", _exam_form(tree))
    assert created.status_code == 302
    exam = db.session.scalar(sa.select(Exam))
    assert exam.open_at == START and exam.multi_scoring == "partial" and exam.status == "draft"
    variant = exam.variants[0]
    f.questions(30, qtype="single")
    f.questions(12, qtype="multiple")
    f.questions(10, qtype="judge")
    applied = client.post(f"/manage/exams/{exam.id}/paper/variants/{variant.id}/template", {"template": "monthly"},
                          follow_redirects=True)
    text = applied.get_data(as_text=True)
    assert "已套用模板" in text and "判断题 15 道" in text and "只有 10 道" in text
    refused = client.post(f"/manage/exams/{exam.id}/publish", {}, follow_redirects=True).get_data(as_text=True)
    assert "还差 5 道" in refused
    f.questions(5, qtype="judge")
    published = client.post(f"/manage/exams/{exam.id}/publish", {}, follow_redirects=True).get_data(as_text=True)
    assert "考试已发布" in published
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).status == "published"
    rule = client.post(f"/manage/exams/{exam.id}/paper/variants/{variant.id}/rules",
                       {"qtype": "single", "count": "500", "bank_id": "0"}, follow_redirects=True)
    assert "题量应在 1 到 200 之间" in rule.get_data(as_text=True)


def test_paper_page_variant_and_rule_forms(client, make_exam, f, tree, clock):
    """Can an organiser add a 法律明白人 paper, see an unfillable rule refused with the shortfall, and not add a 2nd default?"""
    exam = make_exam(publish=False, owner=tree["jia"])
    f.user("zz1", tree["jia"], role="organiser")
    client.login("zz1")
    page = client.get(f"/manage/exams/{exam.id}/paper").get_data(as_text=True)
    assert "这套试卷可以组卷" in page
    added = client.post(f"/manage/exams/{exam.id}/paper/variants",
                        {"name": "法律明白人卷", "mode": "blueprint", "match_categories": ["legal_aide"],
                         "points_judge": "20"}, follow_redirects=True)
    assert "法律明白人卷" in added.get_data(as_text=True)
    exam = db.session.get(Exam, exam.id)
    db.session.refresh(exam)
    light = exam.variants[1]
    f.questions(5, qtype="judge", category="民法典/婚姻家庭")
    response = client.post(f"/manage/exams/{exam.id}/paper/variants/{light.id}/rules",
                           {"qtype": "judge", "count": "6", "bank_id": "0", "category": "民法典"},
                           follow_redirects=True).get_data(as_text=True)
    assert "第 1 条规则（判断题 6 道，分类“民法典”）无法满足：符合条件的题目只有 5 道" in response
    ok = client.post(f"/manage/exams/{exam.id}/paper/variants/{light.id}/rules",
                     {"qtype": "judge", "count": "5", "bank_id": "0", "category": "民法典"}, follow_redirects=True)
    assert "这套试卷可以组卷" in ok.get_data(as_text=True)
    duplicate = client.post(f"/manage/exams/{exam.id}/paper/variants",
                            {"name": "又一个默认卷", "mode": "blueprint"}, follow_redirects=True)
    assert "已有默认试卷" in duplicate.get_data(as_text=True)


def test_fixed_paper_picker(client, make_exam, f, tree, clock):
    """Does the fixed-paper picker find questions by text and add the chosen ones, in order, to a usable paper?"""
    exam = make_exam(publish=False, owner=tree["jia"])
    f.user("zz1", tree["jia"], role="organiser")
    client.login("zz1")
    variant = exam.variants[0]
    client.post(f"/manage/exams/{exam.id}/paper/variants/{variant.id}",
                {"name": "固定卷", "mode": "fixed", "points_single": "50"})
    target = f.question(qtype="single", stem="村民委员会每届任期几年（ ）。")
    other = f.question(qtype="single", stem="宪法日是哪一天（ ）。")
    found = client.get(f"/manage/exams/{exam.id}/paper?variant={variant.id}&search=1&q=村民委员会").get_data(as_text=True)
    assert "村民委员会每届任期" in found and "宪法日" not in found
    client.post(f"/manage/exams/{exam.id}/paper/variants/{variant.id}/questions",
                {"question_ids": [target.id, other.id]})
    db.session.expire_all()
    variant = db.session.get(Exam, exam.id).variants[0]
    assert [i.question_id for i in variant.fixed] == [target.id, other.id]
    assert papers.variant_problems(variant.exam, variant) == []


def test_roster_export_and_absent_list(client, make_exam, f, tree, clock):
    """Do the roster and the .xlsx show each cadre's status, with 未参考 listed and formulas made inert?"""
    exam = make_exam(owner=tree["jia"])
    done = f.user("gb1", tree["v1"], name="=HYPERLINK(\"x\")")
    f.user("gb2", tree["v2"], name="未考人")
    attempt, _ = sitting.start_attempt(exam, done)
    db.session.commit()
    sitting.note_page_leave(done, attempt.id, 2)
    sitting.submit_attempt(attempt)
    db.session.commit()
    f.user("zz1", tree["county"], role="organiser")  # at the county: manages 甲乡's exam, does not sit it
    client.login("zz1")
    roster = client.get(f"/manage/exams/{exam.id}/roster").get_data(as_text=True)
    assert "未考人" in roster and "未参考" in roster and "已交卷" in roster
    absent = client.get(f"/manage/exams/{exam.id}/roster?status=absent").get_data(as_text=True)
    assert "未考人" in absent and "HYPERLINK" not in absent
    overview = client.get(f"/manage/exams/{exam.id}").get_data(as_text=True)
    assert "参考率" in overview
    export = client.get(f"/manage/exams/{exam.id}/roster.xlsx")
    assert export.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(export.data))
    rows = list(book["成绩"].values)
    assert rows[0][:6] == ("单位", "姓名", "登录名", "人员类别", "职级", "状态")
    names = {row[1]: row for row in rows[1:]}
    assert "'=HYPERLINK(\"x\")" in names
    assert names["'=HYPERLINK(\"x\")"][5] == "已交卷" and names["'=HYPERLINK(\"x\")"][11] == 2
    assert [row[1] for row in list(book["未参考名单"].values)[1:]] == ["未考人"]


def test_overrides_page_records_reason(client, make_exam, f, tree, clock):
    """Does the 特殊安排 page require a reason, save time and attempts with it audited, and refuse an unknown login?"""
    exam = make_exam(owner=tree["jia"])
    f.user("gb1", tree["v1"], name="李明")
    f.user("zz1", tree["jia"], role="organiser")
    client.login("zz1")
    missing = client.post(f"/manage/exams/{exam.id}/overrides", {"login": "gb1", "extra_minutes": "20", "reason": ""})
    assert "请填写原因" in missing.get_data(as_text=True)
    saved = client.post(f"/manage/exams/{exam.id}/overrides", {"login": "gb1", "extra_minutes": "20",
                                                               "extra_attempts": "1", "reason": "下乡开会"},
                        follow_redirects=True)
    assert "已为李明保存特殊安排" in saved.get_data(as_text=True) and "下乡开会" in saved.get_data(as_text=True)
    override = db.session.scalar(sa.select(ExamOverride))
    assert (override.extra_minutes, override.extra_attempts) == (20, 1)
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "exam.override")).summary.endswith("下乡开会")
    unknown = client.post(f"/manage/exams/{exam.id}/overrides", {"login": "nobody", "reason": "x"})
    assert "找不到该登录名" in unknown.get_data(as_text=True)


def test_edit_page_locks_after_start(client, make_exam, f, tree, clock):
    """Once someone has started, does the edit page offer only the close time, with the reason shown?"""
    exam = make_exam(owner=tree["jia"])
    f.user("zz1", tree["jia"], role="organiser")
    client.login("zz1")
    assert "考试时长" in client.get(f"/manage/exams/{exam.id}/edit").get_data(as_text=True)
    sitting.start_attempt(exam, f.user("gb1", tree["v1"]))
    db.session.commit()
    page = client.get(f"/manage/exams/{exam.id}/edit").get_data(as_text=True)
    assert "已有 1 人次开始作答" in page and "考试时长" not in page
    saved = client.post(f"/manage/exams/{exam.id}/edit", {"close_at": "2026-12-05T20:00", "description": "延期"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).close_at == START + timedelta(days=25, hours=11)
    overview = client.get(f"/manage/exams/{exam.id}").get_data(as_text=True)
    assert "已锁定" in overview


def test_my_exams_groups(client, make_exam, f, tree, clock):
    """Does 我的考试 sort exams into 进行中, 待参加, 未通过（可补考）, 已通过 and 未参加, with windows, attempts
    and days left?"""
    make_exam(title="待考的")
    make_exam(title="下周的", open_at=START + timedelta(days=7), close_at=START + timedelta(days=9))
    make_exam(title="错过的", open_at=START - timedelta(days=9), close_at=START - timedelta(days=2))
    going = make_exam(title="正在考的")
    failed = make_exam(title="没考过的", attempts_allowed=2)
    passed = make_exam(title="考过的", pass_mark=0)
    cadre = f.user("gb1", tree["v1"])
    sitting.start_attempt(going, cadre)
    for exam in (failed, passed):
        attempt, _ = sitting.start_attempt(exam, cadre)
        db.session.commit()
        sitting.submit_attempt(attempt)
        db.session.commit()
    client.login("gb1")
    page = client.get("/exams/").get_data(as_text=True)
    sections = {state: page.split(f'id="{state}"')[1].split("</section>")[0]
                for state in ("in_progress", "pending", "retry", "passed", "absent")}
    assert "正在考的" in sections["in_progress"] and "继续答题" in sections["in_progress"]
    assert "待考的" in sections["pending"] and "下周的" in sections["pending"] and "考试将于" in sections["pending"]
    assert "还剩 2 天" in sections["pending"]
    assert "没考过的" in sections["retry"] and "再考一次" in sections["retry"] and "剩余 1 次" in sections["retry"]
    assert "还剩 2 天" in sections["retry"] and "未通过（可补考）" in sections["retry"]
    assert "考过的" in sections["passed"] and "没考过的" not in sections["passed"]
    assert "错过的" in sections["absent"] and "未参加" in sections["absent"]


