"""述法 sheets: the year of one 述法对象, ranks, the generated paragraph, the batch."""
import io
import re
from datetime import date

import openpyxl
import pytest

from quizapp.reports import rollup, shufa
from quizapp.reports.queries import Rank

from reportkit import shufa_batch, at


@pytest.fixture
def year(world, tree):
    """Two monthly exams; a 述法对象 who studied, attended a session and passed both; colleagues to rank against."""
    p = {
        "head": world.person("phead", tree["jia"], name="王乡长", title="乡长", shufa=True, category="leading"),
        "deputy": world.person("pdeputy", tree["jia"], name="李副乡长", shufa=True, category="leading"),
        "clerk": world.person("pclerk", tree["jia"], name="赵干事"),
        "other": world.person("pother", tree["v3"], name="孙书记", shufa=True),
    }
    march, april = world.exam("2026-03", title="3月测试"), world.exam("2026-04", title="4月测试")
    for person, scores in ((p["head"], (90, 80)), (p["deputy"], (100, 50)), (p["clerk"], (100, 90)),
                           (p["other"], (70, None))):
        world.sit(march, person, scores[0])
        if scores[1] is not None:
            world.sit(april, person, scores[1])
    world.credit(p["head"], 900, at(2026, 3, 3), category="习近平法治思想")
    world.credit(p["head"], 450, at(2026, 4, 3), category="宪法")
    world.credit(p["head"], 450, at(2026, 4, 5), category="民法典/物权", source="practice")
    world.offline(tree["jia"], [p["head"], p["deputy"]], kind="集中学法", topic="学习《行政复议法》",
                  held_on=date(2026, 4, 16), minutes=90)
    material = world.material("宪法学习读本", due=date(2026, 4, 30))
    world.complete(p["head"], material, when=at(2026, 4, 10))
    world.clock.set(at(2026, 5, 6))
    return p


def test_sheet_figures(world, tree, year):
    """学时 by category, materials, sessions, every required exam with score and band, average, ranks."""
    rollup.refresh(2026)
    sheet = shufa.sheet_for(tree["county"], year["head"], 2026)
    # The 集中学法 session (90 minutes of 宪法) adds 2 学时 to 宪法; practice on 民法典 counts as 法律法规.
    assert sheet.credit_rows == [("习近平法治思想", 20.0), ("宪法", 12.0), ("法律法规", 10.0)]
    assert sheet.total_hours == 42.0 and sheet.target_hours == 40 and sheet.reached_target
    assert sheet.materials == [("宪法学习读本", date(2026, 4, 30), True, 1800)]
    assert [(d, k, t) for d, k, t, _ in sheet.sessions] == [(date(2026, 4, 16), "集中学法", "学习《行政复议法》")]
    assert [(line.exam.title, line.score, line.band, line.status) for line in sheet.exams] == [
        ("3月测试", 90.0, "优秀", "合格"), ("4月测试", 80.0, "良好", "合格")]
    assert sheet.average == 85.0 and sheet.all_passed
    # Unit 甲乡 by average: clerk 95, head 85, deputy 75.
    assert sheet.unit_rank == Rank(2, 3)
    # 述法对象 of the county by average: head 85, deputy 75, other 70.
    assert sheet.shufa_rank == Rank(1, 3)


def test_paragraph_for_a_complete_year(world, tree, year):
    """The paragraph names the hours by category, the target, materials, sessions, exams and ranks."""
    rollup.refresh(2026)
    text = shufa.sheet_for(tree["county"], year["head"], 2026).paragraph
    assert text == ("王乡长同志2026年度认真落实领导干部学法制度，全年累计学法42学时（其中习近平法治思想20学时、宪法12学时、"
                    "法律法规10学时），达到年度40学时的目标要求，完成必修学习资料1项（共1项），参加集中学法等线下学法活动1次。"
                    "参加年度必考学法考试2次，平均成绩85分，全部合格；在本单位排名第2位（共3人），在示范县述法对象中排名第1位（共3人）。")


def test_paragraph_for_gaps(world, tree, year):
    """Missing hours, an absent exam and a failed one are said plainly."""
    rollup.refresh(2026)
    deputy = shufa.sheet_for(tree["county"], year["deputy"], 2026).paragraph
    assert "距年度40学时的目标尚差38学时" in deputy
    assert "其中1次合格、1次未合格（含未参考）" in deputy
    other = shufa.sheet_for(tree["county"], year["other"], 2026).paragraph
    assert "应参加年度必考学法考试2次，实际参加1次，平均成绩70分" in other
    assert "完成必修学习资料0项（共1项）" in other


def test_paragraph_names_what_is_missing_without_praise(world, tree, year):
    """Does a partly completed year drop the praise and name the failed, missed and unread items?"""
    rollup.refresh(2026)
    deputy = shufa.sheet_for(tree["county"], year["deputy"], 2026).paragraph
    assert deputy.startswith("李副乡长同志2026年度参加学法学习") and "认真落实" not in deputy
    assert "“4月测试”未合格" in deputy and "尚未完成《宪法学习读本》" in deputy
    other = shufa.sheet_for(tree["county"], year["other"], 2026).paragraph
    assert "认真落实" not in other and "未参加“4月测试”" in other


def test_paragraph_never_praises_over_zeros(world, tree, year):
    """Does a 述法对象 with no hours, no material and no exam get a plain statement, not 认真落实…学法0学时?"""
    idle = world.person("pidle", tree["jia"], name="扎西多吉", shufa=True, category="leading")
    rollup.refresh(2026)
    text = shufa.sheet_for(tree["county"], idle, 2026).paragraph
    assert "认真落实" not in text and "全年累计学法0学时" not in text
    assert text == ("扎西多吉同志2026年度在本系统尚无学法记录，学时为0（年度目标40学时），必修学习资料《宪法学习读本》未完成，"
                    "应参加的2次年度必考学法考试（“3月测试”、“4月测试”）均未参加。")


def test_rank_among_shufa_of_the_chosen_scope(world, tree, year):
    """Ranked among the 述法对象 of 甲乡 only (head 85, deputy 75), the deputy is second of two."""
    rollup.refresh(2026)
    assert shufa.sheet_for(tree["jia"], year["head"], 2026).shufa_rank == Rank(1, 2)
    sheet = shufa.sheet_for(tree["jia"], year["deputy"], 2026)
    assert sheet.shufa_rank == Rank(2, 2) and sheet.scope_name == "甲乡"


def test_sheet_page_is_printable(client, tree, year):
    """The sheet page has a print button, the A4 print styles, and figures matching the table."""
    client.login("admin01")
    html = client.get(f"/reports/shufa/{year['head'].id}?year=2026").get_data(as_text=True)
    assert "领导干部学法情况（2026年度）" in html and "data-print" in html and 'class="printable"' in html
    assert 'data-figure="hours">42<' in html and 'data-figure="average">85<' in html
    assert "第2名（共3人）" in html and "第1名（共3人）" in html
    assert re.search(r'id="shufa-paragraph">王乡长同志', html)
    with client.get("/static/css/app.css") as response:
        assert "@page { size: A4" in response.get_data(as_text=True)


def test_index_lists_shufa_of_scope(client, tree, year):
    """The 述法材料 page lists the 述法对象 of the chosen unit with their figures."""
    client.login("admin01")
    html = client.get(f"/reports/shufa?year=2026&unit={tree['jia'].id}").get_data(as_text=True)
    assert "王乡长" in html and "李副乡长" in html and "孙书记" not in html and "赵干事" not in html


def test_person_xlsx(client, tree, year):
    """One .xlsx per person with the overview, exams, sessions and materials."""
    client.login("admin01")
    response = client.get(f"/reports/shufa/{year['head'].id}?year=2026&format=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    assert [s.title for s in book.worksheets] == ["学法情况", "考试", "线下学法", "必修资料"]
    overview = {row[0].value: row[1].value for row in book["学法情况"].iter_rows(min_row=3)}
    assert overview["学时合计"] == 42 and overview["平均分"] == 85
    assert overview["学法情况（可直接粘贴）"].startswith("王乡长同志2026年度")
    exams = [[c.value for c in row] for row in book["考试"].iter_rows(min_row=2)]
    assert exams[0][2:7] == ["3月测试", "2026-03", 90, "优秀", "合格"]


def test_leader_edit_is_kept_exported_and_audited(client, tree, year, world):
    """Is a leader's wording kept for the page and both exports, audited, and can it go back to the generated one?"""
    import sqlalchemy as sa

    from quizapp.audit.models import AuditEntry
    from quizapp.extensions import db

    client.login("admin01")
    url = f"/reports/shufa/{year['head'].id}/text?year=2026&unit={tree['county'].id}"
    own = "王乡长同志2026年度带头学法，全年累计学法42学时，两次考试全部合格。"
    assert client.post(url, {"text": own, "save": "保存修改"}).status_code == 302
    html = client.get(f"/reports/shufa/{year['head'].id}?year=2026").get_data(as_text=True)
    assert f'id="shufa-paragraph">{own}<' in html and "导出Excel使用修改后的文字" in html
    response = client.get(f"/reports/shufa/{year['head'].id}?year=2026&format=xlsx")
    overview = {row[0].value: row[1].value for row in
                openpyxl.load_workbook(io.BytesIO(response.get_data()))["学法情况"].iter_rows(min_row=3)}
    assert overview["学法情况（可直接粘贴）"] == own
    batch = openpyxl.load_workbook(io.BytesIO(shufa_batch(client, "year=2026").get_data()))
    assert own in [row[-1].value for row in batch["述法对象汇总"].iter_rows()]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "reports.shufa_text"))
    assert entry.changes["学法情况"][1] == own and entry.changes["学法情况"][0].startswith("王乡长同志2026年度认真落实")

    client.post(url, {"text": own, "restore": "恢复系统生成"})
    html = client.get(f"/reports/shufa/{year['head'].id}?year=2026").get_data(as_text=True)
    assert 'id="shufa-paragraph">王乡长同志2026年度认真落实' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "reports.shufa_text")) == 2


def test_edit_refused_outside_scope_and_for_cadres(client, make_client, tree, year, world, f):
    """Can neither a cadre nor a leader of another township change a paragraph?"""
    f.user("yi_leader", tree["yi"], role="leader")
    f.user("gb9", tree["jia"])
    client.login("gb9")
    url = f"/reports/shufa/{year['head'].id}/text?year=2026"
    assert client.post(url, {"text": "改", "save": "保存修改"}).status_code in (403, 404)
    other = make_client()
    other.login("yi_leader")
    assert other.post(url, {"text": "改", "save": "保存修改"}).status_code == 404
    assert shufa.sheet_for(tree["county"], year["head"], 2026).edited is None


def test_batch_has_everyone_in_scope_once(client, tree, year, world):
    """The batch workbook has one summary row per 述法对象 of the scope, in unit order, with details."""
    client.login("admin01")
    response = shufa_batch(client, f"year=2026&unit={tree['county'].id}")
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    names = [row[1].value for row in book["述法对象汇总"].iter_rows(min_row=3)]
    assert names == ["王乡长", "李副乡长", "孙书记"] or sorted(names) == ["孙书记", "李副乡长", "王乡长"]
    assert len(names) == 3
    exam_lines = [row[1].value for row in book["考试明细"].iter_rows(min_row=2)]
    assert exam_lines.count("王乡长") == 2 and exam_lines.count("孙书记") == 2
    only_jia = shufa_batch(client, f"year=2026&unit={tree['jia'].id}")
    book = openpyxl.load_workbook(io.BytesIO(only_jia.get_data()))
    assert sorted(row[1].value for row in book["述法对象汇总"].iter_rows(min_row=3)) == ["李副乡长", "王乡长"]


def test_batches_cover_everyone(world, tree, year):
    """Built in batches, the export still covers every 述法对象 exactly once, in order."""
    rollup.refresh(2026)
    batches = list(shufa.iter_batches(tree["county"], 2026, batch_size=1))
    people = [sheet.person.name for batch in batches for sheet in batch]
    assert len(batches) == 3 and len(set(people)) == 3
