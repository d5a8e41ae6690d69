"""不定项 and 案例分析 groups in the import layout, and variant groups: parsing, refusals, grading, round trip."""
import io
import zipfile

import pytest
import sqlalchemy as sa

from bankfiles import CASE_TEXT, case_rows, make_csv, make_xlsx, row
from quizapp.bank import importer, qtypes, services
from quizapp.bank.models import Question
from quizapp.bank.rows import COLUMNS, parse_record
from quizapp.extensions import db


def read(rows):
    return importer.read_questions(make_csv([COLUMNS] + rows), "cases.csv")


@pytest.mark.parametrize("text, key", [("B", "B"), ("ACD", "ACD"), ("a,c", "AC")])
def test_indefinite_takes_one_or_more_letters(text, key):
    """Does a 不定项 row accept a key of one letter as well as several?"""
    values, problems = parse_record({"qtype": "不定项", "stem": "下列说法正确的是（ ）。", "opt_A": "甲", "opt_B": "乙",
                                     "opt_C": "丙", "opt_D": "丁", "answer": text})
    assert problems == [] and values["qtype"] == "indefinite" and values["answer"] == key


@pytest.mark.parametrize("key, response, earned", [
    ("ACD", "ACD", 4.0),  # exactly the key
    ("ACD", "AC", 2.0),  # a correct subset: half
    ("ACD", "A", 2.0),
    ("ACD", "ABC", 0.0),  # any wrong option: nothing
    ("ACD", "ABCD", 0.0),
    ("ACD", "", 0.0),
    ("B", "B", 4.0),
    ("B", "AB", 0.0),
])
def test_indefinite_partial_credit(key, response, earned):
    """Is 不定项 scored full for the key, half for a correct subset and 0 with any wrong option, whatever the exam's 多选 rule?"""
    kind = qtypes.get("indefinite")
    assert kind.grade(key, response, 4, partial=False) == earned
    assert kind.grade(key, response, 4, partial=True) == earned


def test_registry_knows_how_each_type_answers_and_renders():
    """Does every type say whether it takes several letters, shuffles, may sit in a case, and name its fragment?"""
    several = {code for code, kind in qtypes.REGISTRY.items() if kind.several}
    assert several == {"multiple", "indefinite"}
    assert [code for code, kind in qtypes.REGISTRY.items() if not kind.shuffles_options] == ["judge"]
    assert [code for code, kind in qtypes.REGISTRY.items() if not kind.in_case_groups] == ["judge"]
    assert qtypes.get("indefinite").fragment == "_qtypes/indefinite.html"


def test_case_group_is_read_with_its_material_on_every_sub_question():
    """Are 2–5 consecutive rows with one 案例编号 accepted, each sub-question carrying the case text?"""
    preview = read(case_rows() + [row(stem="独立的一道题（ ）。")])
    assert not preview.problems
    cases = [item.values for item in preview.accepted if item.values["case_id"]]
    assert [v["case_id"] for v in cases] == ["CY-01"] * 3
    assert all(v["case_text"] == CASE_TEXT for v in cases)
    assert [v["qtype"] for v in cases] == ["single", "multiple", "indefinite"]
    assert preview.accepted[-1].values["case_id"] == "" and preview.accepted[-1].values["case_text"] == ""


def test_same_sub_question_under_two_cases_is_not_a_duplicate():
    """Is "本案中，……" under two different cases two questions, not a duplicate row?"""
    preview = read(case_rows("A-1") + case_rows("A-2", text="另一个案情：某乡政府对无证经营的小卖部作出罚款决定。"))
    assert not preview.problems and not preview.duplicates and len(preview.accepted) == 6


@pytest.mark.parametrize("rows, message", [
    (case_rows(count=1), "应为 2 到 5 道"),
    (case_rows(count=6), "应为 2 到 5 道"),
    (case_rows(text="")[:1] + case_rows(text="")[1:], "第一行应填写案例材料"),
    (case_rows(qtypes=("单选", "判断")), "案例分析的小题不能是判断题"),
    (case_rows()[:2] + [row(stem="插在中间的题（ ）。")] + case_rows()[2:], "应当连续排列"),
    ([row(stem="有材料没编号（ ）。", 案例材料="一段材料")], "没有填写案例编号"),
])
def test_bad_case_groups_are_refused_with_a_reason(rows, message):
    """Is a group of the wrong size, without material, with a 判断 or split up refused, naming why?"""
    preview = read(rows)
    assert any(message in problem.message for problem in preview.problems), [p.message for p in preview.problems]
    assert not any(item.values["case_id"] for item in preview.accepted)


def test_variant_group_is_stored(app, jia_bank):
    """Is the 变式组 column kept on the question?"""
    preview = read([row(stem="村委会每届任期（ ）年。", 变式组="cunweihui-renqi"), row(stem="村委会任期几年（ ）。")])
    importer.apply_import(None, jia_bank, preview)
    db.session.commit()
    groups = db.session.scalars(sa.select(Question.variant_group).where(Question.bank_id == jia_bank.id)
                                .order_by(Question.id)).all()
    assert groups == ["cunweihui-renqi", ""]


def test_case_groups_round_trip_through_export(app, jia_bank, yi_bank):
    """Does an exported bank with a case group import back to the same cases, material on the first row only?"""
    rows = case_rows("ZA-03") + [row(stem="独立题（ ）。", 变式组="za-1")]
    importer.apply_import(None, jia_bank, importer.preview_import(make_xlsx({"题库": [COLUMNS] + rows}), jia_bank))
    db.session.commit()
    original = db.session.scalars(sa.select(Question).where(Question.bank_id == jia_bank.id)
                                  .order_by(Question.id)).all()
    exported = services.export_bytes(original)
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        xml = "".join(archive.read(name).decode() for name in archive.namelist()
                      if name.startswith(("xl/worksheets/", "xl/sharedStrings")))
    assert xml.count(CASE_TEXT[:20]) == 1
    preview = importer.preview_import(exported, yi_bank, "export.xlsx")
    assert not preview.problems and not preview.duplicates
    fields = ("qtype", "stem", "answer", "case_id", "case_text", "variant_group", "fingerprint")
    assert [{k: item.values[k] for k in fields} for item in preview.accepted] == [
        {k: getattr(q, k) for k in fields} for q in original]


def test_editing_a_sub_question_keeps_it_in_its_case(app, jia_bank):
    """Does saving a sub-question through the form keep its case id and material?"""
    importer.apply_import(None, jia_bank, read(case_rows("KEEP-1")))
    db.session.commit()
    question = db.session.scalars(sa.select(Question).where(Question.case_id == "KEEP-1")).first()
    values = services.question_record(question)
    values["explanation"] = "改过的解析"
    values["variant_group"] = "keep-grp"
    assert services.update_question(None, question, values)
    assert (question.case_id, question.case_text, question.variant_group) == ("KEEP-1", CASE_TEXT, "keep-grp")


def test_organiser_groups_questions_on_the_bank_page(app, client, make_client, f, org, other_org, jia_bank, yi_bank):
    """Can an organiser tick questions on the bank page and put them in one 变式组, and is the same refused
    for another township's organiser and for a question of another bank?"""
    first, second = f.question(jia_bank), f.question(jia_bank)
    foreign = f.question(yi_bank)
    client.login("org_jia")
    page = client.get(f"/banks/{jia_bank.id}/").get_data(as_text=True)
    assert "设为同一变式组" in page and f'value="{first.id}"' in page
    response = client.post(f"/banks/{jia_bank.id}/variant-group",
                           {"question_ids": [str(first.id), str(second.id)], "group": "jia-renqi"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (first.variant_group, second.variant_group) == ("jia-renqi", "jia-renqi")
    client.post(f"/banks/{jia_bank.id}/variant-group", {"question_ids": [str(foreign.id)], "group": "x"})
    db.session.expire_all()
    assert foreign.variant_group == ""
    other = make_client()
    other.login("org_yi")
    assert other.post(f"/banks/{jia_bank.id}/variant-group",
                       {"question_ids": [str(first.id)], "group": ""}).status_code in (403, 404)
    db.session.expire_all()
    assert first.variant_group == "jia-renqi"


def test_a_filtered_export_keeps_cases_whole(app, client, f, org, jia_bank, yi_bank):
    """Does exporting only 不定项 bring the rest of each case along, so the file imports back?"""
    importer.apply_import(None, jia_bank, read(case_rows("WHOLE-1") + [row(stem="独立单选（ ）。")]))
    db.session.commit()
    client.login("org_jia")
    exported = client.get(f"/banks/{jia_bank.id}/export.xlsx?type=indefinite").data
    preview = importer.preview_import(exported, yi_bank, "filtered.xlsx")
    assert not preview.problems
    assert [item.values["case_id"] for item in preview.accepted] == ["WHOLE-1"] * 3
