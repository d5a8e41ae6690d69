"""securitykit: a small world for the adversarial suite: two townships, and one of everything belonging to 乙乡.

Every 乙乡 object carries ``label`` in its name, title or stem, so a response that leaks one to someone of
甲乡 shows it. With ``label`` set to an XSS-and-formula payload, the same world checks escaping everywhere.
"""
import io
import zipfile
from datetime import date

import openpyxl

import sqlalchemy as sa

from quizapp.common.clock import utcnow
from quizapp.engage import cases as case_services
from quizapp.engage import contest as contest_services
from quizapp.engage import daily as daily_services
from quizapp.engage.models import DailySet
from quizapp.exams.models import ExamOverride, PaperQuestion, PaperRule
from quizapp.extensions import db
from quizapp.notices import services as notice_services
from quizapp.notices.models import Notice
from quizapp.practice import services as practice_services
from quizapp.practice.models import MistakeEntry
from quizapp.study import materials
from quizapp.study import offline as offline_services
from quizapp.study.models import MaterialRequirement

MARKER = "乙乡机密"


def build_world(f, tree, label):
    """Objects of 乙乡 named with ``label``, and 甲乡 people to attack them; returns ids by route argument."""
    people = {
        "cadre": f.user("gb01", tree["v1"]),
        "organiser": f.user("org01", tree["jia"], role="organiser"),
        "leader": f.user("ld01", tree["jia"], role="leader"),
    }
    org_yi = f.user("org03", tree["yi"], role="organiser", name=f"{label}组织员")
    victim = f.user("gb03", tree["v3"], name=f"{label}张三", title=f"{label}职务", shufa=True)
    unit = f.unit(f"{label}村", tree["yi"], kind="village")
    bank = f.bank(f"{label}题库", tree["yi"])
    questions = f.questions(3, bank=bank, stem=None, explanation=f"{label}解析")
    question = f.question(bank, stem=f"{label}题干（ ）。")
    f.questions(1, bank=bank, qtype="multiple")
    f.questions(1, bank=bank, qtype="judge")
    exam = f.exam(org_yi, owner=tree["yi"], audience=[tree["yi"]], bank=bank, title=f"{label}考试",
                  review_policy="immediate")
    attempt = f.sit(exam, victim, correct=2)
    variant = exam.variants[0]
    rule = db.session.scalar(sa.select(PaperRule).where(PaperRule.variant_id == variant.id))
    # 每日一练: the victim's set of today, over questions outside the exam's paper (an open exam hides its own) and
    # made before the practice below has the victim see every question.
    extra = f.questions(2, bank=bank, stem=None, explanation=f"{label}每日解析")
    # Made as start_today makes it, less its choosing: choose_questions fails since the merge (see the report).
    now = utcnow()
    day = daily_services.local_day(now)
    daily_session = daily_services.new_practice_session(
        victim, [q.id for q in extra], f"{daily_services.LABEL} {day.isoformat()}", {"daily": day.isoformat()}, now)
    daily_set = DailySet(user_id=victim.id, day=day, session_id=daily_session.id, created_at=now)
    db.session.add(daily_set)
    db.session.commit()
    practice, _ = practice_services.start_session(victim)
    for seq in range(practice.total):
        wrong = "B" if practice_services.question_at(practice, seq).qtype == "judge" else "D"
        practice_services.submit_answer(victim, practice, seq, wrong)
    db.session.commit()
    mistake = db.session.scalar(sa.select(MistakeEntry).where(MistakeEntry.user_id == victim.id))
    session = offline_services.create_session(org_yi, {
        "kind": "法治讲堂", "topic": f"{label}讲座", "category": "宪法", "held_on": date(2026, 3, 15),
        "minutes": 90, "unit_id": tree["yi"].id, "speaker": f"{label}主讲", "location": "", "public_count": 0,
        "notes": f"{label}备注"})
    offline_services.add_attendees(org_yi, session, [victim.id])
    material = materials.create_material(org_yi, materials.MaterialInput(
        title=f"{label}资料", category="宪法", body=f"{label}正文", minutes=10, unit_id=tree["yi"].id,
        audience_unit_ids=[tree["yi"].id], audience_categories=[]), max_pdf_bytes=1024)
    materials.set_published(org_yi, material, True)
    materials.add_requirement(org_yi, material, 2026, tree["yi"], date(2026, 12, 31))
    db.session.commit()
    requirement = db.session.scalar(sa.select(MaterialRequirement).where(
        MaterialRequirement.material_id == material.id))
    # 以案释法: a case of 乙乡's own (not a shipped one, which everyone reads by design).
    case = case_services.create_case(org_yi, case_services.CaseInput(
        title=f"{label}案例", facts=f"{label}案情", issue=f"{label}争议焦点", analysis=f"{label}分析",
        basis=f"{label}依据 [第一条](law:中华人民共和国宪法@2018-03-11#第一条)"))
    # 知识竞赛: 乙乡's contest, with the victim (whose name carries the label) playing it.
    now = utcnow()
    contest = contest_services.create_contest(org_yi, title=f"{label}竞赛", bank_id=bank.id, count=3, seconds=20,
                                              now=now)
    contest_services.join(victim, contest.join_code, now)
    # 消息: a notice to the victim.
    notice_services.send(org_yi, [(victim.id, f"{label}提醒正文")], kind="reminder", topic="2026",
                         title=f"{label}督办提醒", scope_label=f"{label}名单", target=tree["yi"])
    # A background job the victim asked for (its page and file are theirs only); a plain row, not run here.
    from quizapp.jobs import Job
    job = Job(kind="reports.shufa_batch", user_id=victim.id, title=f"{label}述法材料", params={}, status="queued")
    db.session.add(job)
    db.session.commit()
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == victim.id))
    item = db.session.scalar(sa.select(PaperQuestion.id))
    override = db.session.scalar(sa.select(ExamOverride.id))
    ids = {
        "unit_id": unit.id, "user_id": victim.id, "bank_id": bank.id, "question_id": question.id,
        "exam_id": exam.id, "attempt_id": attempt.id, "variant_id": variant.id, "rule_id": rule.id if rule else 0,
        "item_id": item or 999999, "override_id": override or 999999, "record_id": 999999,
        "material_id": material.id, "requirement_id": requirement.id, "entry_id": mistake.id if mistake else 999999,
        "practice.session_id": practice.id, "offline.session_id": session.id,
        "case_id": case.id, "contest_id": contest.id, "set_id": daily_set.id, "notice_id": notice.id,
        "job_id": job.id,
        "contests.action": "next",  # <any(next, reveal, finish)>: the step that would change the contest
    }
    return {"people": people, "ids": ids, "victim": victim, "exam": exam, "bank": bank, "unit": unit,
            "questions": questions, "session": session, "material": material, "case": case, "contest": contest,
            "daily_set": daily_set, "notice": notice}


# Filters a page might take from the query string: an outsider aims them at 乙乡 too.
PROBE_QUERY = "unit={unit_id}&user={user_id}&exam={exam_id}&bank={bank_id}&root={unit_id}"
# Routes whose arguments are not objects: fixed harmless values.
PLAIN_ARGS = {"token": "x", "seq": 0, "year": 2026, "figure": "hours", "code": "ABCD-EFGH", "ref": "1",
              "version_date": "2020-01-01", "action": "delete", "filename": "css/app.css",
              "law_id": 999999, "version_id": 999999}


def rules(app):
    """Every route of the app (new ones included: nothing is listed by hand here)."""
    return [rule for rule in app.url_map.iter_rules()]


def route_url(app, rule, ids):
    """The route's URL with the world's ids (per blueprint first: practice and offline both say session_id)."""
    values = {}
    for arg in rule.arguments:
        key = f"{rule.endpoint.split('.')[0]}.{arg}"
        if key in ids:
            values[arg] = ids[key]
        elif arg in ids:
            values[arg] = ids[arg]
        elif arg in PLAIN_ARGS:
            values[arg] = PLAIN_ARGS[arg]
        else:
            raise AssertionError(f"no value for <{arg}> of {rule.endpoint}: add it to PLAIN_ARGS or the world")
    with app.test_request_context():
        return app.url_for(rule.endpoint, **values)


def methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def readable_text(response):
    """What a person would read in the response: the text, every cell of a workbook, or a Word document's XML."""
    data = response.get_data()
    if data[:2] == b"PK" and "word/document.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist():
        return zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8", "replace")
    if data[:2] == b"PK":
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    return data.decode("utf-8", "replace")


def send(client, method, url, *, csrf=True):
    if method == "GET":
        response = client.get(url)
    elif url.startswith("/api/"):
        response = client.post(url, json={}, csrf=csrf)
    else:
        response = client.post(url, {}, csrf=csrf)
    response.close()
    return response
