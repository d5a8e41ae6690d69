"""securitykit: a small world for the adversarial suite: two townships, and one of everything belonging to 乙乡.

Every 乙乡 object carries ``label`` in its name, title or stem, so a response that leaks one to someone of
甲乡 shows it. With ``label`` set to an XSS-and-formula payload, the same world checks escaping everywhere.
"""
import io
from datetime import date

import openpyxl

import sqlalchemy as sa

from quizapp.exams.models import ExamOverride, PaperQuestion, PaperRule
from quizapp.extensions import db
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
    item = db.session.scalar(sa.select(PaperQuestion.id))
    override = db.session.scalar(sa.select(ExamOverride.id))
    ids = {
        "unit_id": unit.id, "user_id": victim.id, "bank_id": bank.id, "question_id": question.id,
        "exam_id": exam.id, "attempt_id": attempt.id, "variant_id": variant.id, "rule_id": rule.id if rule else 0,
        "item_id": item or 999999, "override_id": override or 999999, "record_id": 999999,
        "material_id": material.id, "requirement_id": requirement.id, "entry_id": mistake.id if mistake else 999999,
        "practice.session_id": practice.id, "offline.session_id": session.id,
    }
    return {"people": people, "ids": ids, "victim": victim, "exam": exam, "bank": bank, "unit": unit,
            "questions": questions, "session": session, "material": material}


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
    """What a person would read in the response: the text, or every cell of a workbook."""
    data = response.get_data()
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
