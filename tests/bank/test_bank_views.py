"""Organiser pages: banks, questions, the upload → preview → apply import, export, and who may reach what."""
import io

import pytest
import sqlalchemy as sa

from bankfiles import GOOD_ROWS, make_xlsx, row
from quizapp.bank import importer, services
from quizapp.bank.models import Bank, ImportRecord, Question
from quizapp.bank.rows import COLUMNS
from quizapp.common.uploads import StagedUpload
from quizapp.extensions import db


def upload(client, bank, data, name="题库.xlsx", **headers):
    return client.post(f"/banks/{bank.id}/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers=headers)


def token_of(response):
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[1]


def fill(bank, rows=GOOD_ROWS):
    importer.apply_import(None, bank, importer.preview_import(make_xlsx({"题库": [COLUMNS] + rows}), bank, "x.xlsx"))
    db.session.commit()


def questions_in(bank):
    return db.session.scalars(sa.select(Question).where(Question.bank_id == bank.id).order_by(Question.id)).all()


# ---------------------------------------------------------------- import through the pages

def test_upload_preview_apply_valid_rows(client, org, jia_bank):
    """Can an organiser upload a file with a bad row, read the preview, choose to import the valid rows and find them?"""
    client.login("org_jia")
    data = make_xlsx({"题库": [COLUMNS] + GOOD_ROWS + [row(stem=""), row(answer="Z")]}, merge_title="2025年度题库")
    response = upload(client, jia_bank, data)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "有错误的行（2 行" in page and "题干为空" in page and "答案“Z”无法识别" in page
    assert "干部答题时看到的样子" in page and "禁毒工作实行" in page
    assert 'checked' not in page.split('name="choice"')[1][:80]  # no default choice
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0  # preview wrote nothing
    response = client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token_of(response), "choice": "valid_only"})
    assert response.status_code == 302
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已导入 3 道试题" in report and "只导入无误的行" in report
    assert len(questions_in(jia_bank)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StagedUpload)) == 0
    listing = client.get(f"/banks/{jia_bank.id}/").get_data(as_text=True)
    assert "禁毒工作实行" in listing and "每年12月4日为国家宪法日" in listing


def test_apply_without_a_choice_imports_nothing(client, org, jia_bank):
    """With rejected rows and no choice made, is the organiser asked to choose and nothing written?"""
    client.login("org_jia")
    response = upload(client, jia_bank, make_xlsx({"题库": [COLUMNS, GOOD_ROWS[0], row(stem="")]}))
    response = client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token_of(response)})
    assert response.status_code == 422
    assert "请选择“只导入无误的行”或“先修改文件”" in response.get_data(as_text=True)
    assert questions_in(jia_bank) == []


def test_fix_first_discards_the_upload(client, org, jia_bank):
    """Does choosing 先修改文件 import nothing and drop the staged file?"""
    client.login("org_jia")
    response = upload(client, jia_bank, make_xlsx({"题库": [COLUMNS, GOOD_ROWS[0], row(stem="")]}))
    response = client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token_of(response), "choice": "fix_first"},
                           follow_redirects=True)
    assert "本次没有导入任何试题" in response.get_data(as_text=True)
    assert questions_in(jia_bank) == [] and db.session.scalar(sa.select(sa.func.count()).select_from(StagedUpload)) == 0


def test_clean_file_imports_with_one_confirmation(client, org, jia_bank):
    """Without rejected rows, is there a plain 确认导入 button that imports everything?"""
    client.login("org_jia")
    response = upload(client, jia_bank, make_xlsx({"题库": [COLUMNS] + GOOD_ROWS}))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "确认导入 3 道试题" in page and 'name="choice"' not in page
    client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token_of(response)})
    assert len(questions_in(jia_bank)) == 3


def test_reupload_is_pointed_out(client, org, jia_bank):
    """Does uploading a file already imported into this bank say so on the preview?"""
    client.login("org_jia")
    data = make_xlsx({"题库": [COLUMNS] + GOOD_ROWS})
    client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token_of(upload(client, jia_bank, data))})
    page = client.get(upload(client, jia_bank, data, "again.xlsx").headers["Location"]).get_data(as_text=True)
    assert "已于" in page and "由 卓玛 导入本题库" in page and "全部与已有试题重复" in page


def test_refused_file_shows_the_reason_on_the_form(client, org, jia_bank):
    """Is a file that is not a spreadsheet refused on the upload form (and as JSON for the progress script)?"""
    client.login("org_jia")
    response = upload(client, jia_bank, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "photo.xlsx")
    assert response.status_code == 200 and "不是有效的表格文件" in response.get_data(as_text=True)
    response = upload(client, jia_bank, b"", "empty.csv", **{"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 422 and response.get_json()["errors"]
    response = upload(client, jia_bank, make_xlsx({"题库": [COLUMNS] + GOOD_ROWS}), **{"X-Requested-With": "XMLHttpRequest"})
    assert response.get_json()["redirect"].startswith(f"/banks/{jia_bank.id}/import/")


def test_error_during_apply_writes_nothing(client, org, jia_bank, monkeypatch):
    """When the database refuses mid-apply, does the page say so and leave the bank and import history empty?"""
    client.login("org_jia")
    response = upload(client, jia_bank, make_xlsx({"题库": [COLUMNS] + GOOD_ROWS}))

    def collide(chunk, constant):
        raise sa.exc.IntegrityError("INSERT", {}, Exception("uq_questions_bank_fingerprint"))

    monkeypatch.setattr(importer, "_insert_chunk", collide)
    response = client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token_of(response)}, follow_redirects=True)
    assert "未导入任何试题" in response.get_data(as_text=True)
    assert questions_in(jia_bank) == [] and db.session.scalar(sa.select(sa.func.count()).select_from(ImportRecord)) == 0


def test_error_report_and_history(client, org, jia_bank):
    """Can the organiser download the error report and see the import in the history with its counts?"""
    client.login("org_jia")
    response = upload(client, jia_bank, make_xlsx({"题库": [COLUMNS, GOOD_ROWS[0], row(stem="")]}), "县模板.xlsx")
    token = token_of(response)
    report = client.get(f"/banks/{jia_bank.id}/import/{token}/errors.xlsx")
    assert report.status_code == 200 and report.data.startswith(b"PK")
    client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token, "choice": "valid_only"})
    history = client.get(f"/banks/{jia_bank.id}/imports").get_data(as_text=True)
    assert "县模板.xlsx" in history and "卓玛" in history
    record = db.session.scalar(sa.select(ImportRecord))
    listing = client.get(f"/banks/{jia_bank.id}/?import={record.id}&status=all").get_data(as_text=True)
    assert GOOD_ROWS[0][1][:10] in listing


# ---------------------------------------------------------------- banks, questions

def test_bank_list_counts_by_type_and_category(client, org, jia_bank, system_bank):
    """Does the banks list show per-type counts, top categories and the read-only system bank?"""
    fill(jia_bank)
    client.login("org_jia")
    page = client.get("/banks/").get_data(as_text=True)
    assert "甲乡自建题库" in page and "系统题库" in page and "社会治理</a> 1" in page
    counts = services.bank_counts([jia_bank.id])[jia_bank.id]
    assert counts.by_type == {"single": 1, "multiple": 1, "judge": 1} and counts.active == 3


def test_create_and_rename_bank(client, org, tree):
    """Can an organiser create a bank for their township and rename it; is a duplicate name refused?"""
    client.login("org_jia")
    client.post("/banks/new", data={"name": "嘎木乡月考题库", "unit_id": tree["jia"].id, "description": ""})
    bank = db.session.scalar(sa.select(Bank).where(Bank.name == "嘎木乡月考题库"))
    assert bank.unit_id == tree["jia"].id
    response = client.post("/banks/new", data={"name": "嘎木乡月考题库", "unit_id": tree["jia"].id})
    assert "已有名为“嘎木乡月考题库”的题库" in response.get_data(as_text=True)
    client.post("/banks/new", data={"name": "越权题库", "unit_id": tree["yi"].id})  # not among the choices
    assert db.session.scalar(sa.select(Bank).where(Bank.name == "越权题库")) is None
    client.post(f"/banks/{bank.id}/edit", data={"name": "嘎木乡题库", "description": "每月考试用"})
    db.session.refresh(bank)
    assert bank.name == "嘎木乡题库" and bank.description == "每月考试用"


def test_question_filters_and_paging(client, org, jia_bank, app):
    """Do search, type, category (with sub-categories), difficulty, law and status filters narrow the list, with paging?"""
    app.config["PAGE_SIZE"] = 2
    fill(jia_bank, GOOD_ROWS + [row(stem="宪法修改由谁提议（ ）", 分类="宪法/宪法修改", 法律依据="《中华人民共和国宪法》",
                                    难度="难")])
    client.login("org_jia")

    def listed(query):
        text = client.get(f"/banks/{jia_bank.id}/?{query}").get_data(as_text=True)
        return {q.stem for q in questions_in(jia_bank) if q.stem[:12] in text}

    stems = [q.stem for q in questions_in(jia_bank)]
    assert listed("q=禁毒") == {stems[1]}
    assert listed("type=judge") == {stems[2]}
    assert listed("category=宪法") == {stems[2], stems[3]}
    assert listed("difficulty=hard") == {stems[3]}
    assert listed("law=《中华人民共和国禁毒法》") == {stems[1]}
    assert listed("q=%25") == set()  # a literal % is searched for, not a wildcard
    assert "第 1 / 2 页" in client.get(f"/banks/{jia_bank.id}/").get_data(as_text=True)
    services.set_question_status(None, questions_in(jia_bank)[0], "retired")
    db.session.commit()
    assert listed("status=retired") == {stems[0]}


def test_category_browser(client, org, jia_bank):
    """Does the category page show the paths as a tree with counts that include sub-categories?"""
    fill(jia_bank, GOOD_ROWS + [row(stem="另一题（ ）", 分类="宪法/国家机构")])
    client.login("org_jia")
    tree = services.category_tree(jia_bank)
    assert tree.children["宪法"].count == 2 and tree.children["宪法"].children["国家机构"].count == 1
    page = client.get(f"/banks/{jia_bank.id}/categories").get_data(as_text=True)
    assert "国家机构" in page and "未分类" in page


def test_new_question_is_validated_like_an_import(client, org, jia_bank):
    """Does the question form apply the import's rules and then save a valid question?"""
    client.login("org_jia")
    form = {"qtype": "multiple", "stem": "乡镇人民政府的职权包括（ ）。", "opt_A": "执行本级人大决议", "opt_B": "管理本行政区域内的行政工作",
            "opt_C": "", "opt_D": "制定法律", "answer": "A", "difficulty": "medium"}
    page = client.post(f"/banks/{jia_bank.id}/questions/new", data=form).get_data(as_text=True)
    assert "选项C为空" in page and "多选题至少要有两个正确答案" in page
    form.update(opt_C="保护公民的合法权益", answer="A、B、C", law="《中华人民共和国地方各级人民代表大会和地方各级人民政府组织法》",
                article="第七十六条", version="2022-03-11", tags="乡镇;职权")
    response = client.post(f"/banks/{jia_bank.id}/questions/new", data=form)
    assert response.status_code == 302
    question = questions_in(jia_bank)[0]
    assert question.answer == "ABC" and question.tags == ["乡镇", "职权"] and question.created_by_id == org.id
    again = client.post(f"/banks/{jia_bank.id}/questions/new", data=form).get_data(as_text=True)
    assert "题库中已有相同的试题" in again


def test_edit_bumps_revision_and_is_audited(client, org, jia_bank):
    """Does an edit save with the same validation, raise the revision and keep the audit trail?"""
    fill(jia_bank)
    question = questions_in(jia_bank)[2]
    client.login("org_jia")
    page = client.get(f"/banks/questions/{question.id}/edit").get_data(as_text=True)
    assert 'value="正确"' in page
    data = services.question_record(question) | {"answer": "错", "explanation": "国家宪法日是12月4日。"}
    bad = client.post(f"/banks/questions/{question.id}/edit", data=data | {"difficulty": "x"})
    assert bad.status_code == 200
    client.post(f"/banks/questions/{question.id}/edit", data=data)
    db.session.refresh(question)
    assert question.answer == "B" and question.revision == 2
    from quizapp.audit.models import AuditEntry

    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "question.update"))
    assert entry.changes["answer"] == ["A", "B"]


def test_retire_and_restore(client, org, jia_bank):
    """Can a question be retired (kept, not deleted) and restored?"""
    fill(jia_bank)
    question = questions_in(jia_bank)[0]
    client.login("org_jia")
    client.post(f"/banks/questions/{question.id}/status", data={"status": "retired"})
    db.session.refresh(question)
    assert question.status == "retired"
    assert "已停用" in client.get(f"/banks/questions/{question.id}").get_data(as_text=True)
    client.post(f"/banks/questions/{question.id}/status", data={"status": "active"})
    db.session.refresh(question)
    assert question.status == "active"


def test_question_page_links_to_the_law(client, org, jia_bank):
    """Does a question with law and article offer 查看法条 pointing at the law library's lookup?"""
    fill(jia_bank)
    client.login("org_jia")
    with_law, without = questions_in(jia_bank)[1], questions_in(jia_bank)[0]
    page = client.get(f"/banks/questions/{with_law.id}").get_data(as_text=True)
    assert "查看法条" in page
    assert "/laws/lookup?law=%E4%B8%AD%E5%8D%8E%E4%BA%BA%E6%B0%91%E5%85%B1%E5%92%8C%E5%9B%BD%E7%A6%81%E6%AF%92%E6%B3%95" \
           "&amp;article=%E7%AC%AC%E5%9B%9B%E6%9D%A1" in page
    assert "查看法条" not in client.get(f"/banks/questions/{without.id}").get_data(as_text=True)


def test_imported_text_is_escaped_everywhere(client, org, jia_bank):
    """Is a 题干 or option of <script>…</script> shown as text on the list, question page and preview?"""
    evil = "<script>alert(1)</script>（ ）"
    client.login("org_jia")
    data = make_xlsx({"题库": [COLUMNS, row(stem=evil, options=("<b>甲</b>", "乙"), 解析="<img src=x onerror=alert(1)>")]})
    response = upload(client, jia_bank, data)
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token_of(response)})
    question = questions_in(jia_bank)[0]
    for page in (preview, client.get(f"/banks/{jia_bank.id}/").get_data(as_text=True),
                 client.get(f"/banks/questions/{question.id}").get_data(as_text=True)):
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<b>甲</b>" not in page and "<img src=x" not in page


def test_export_and_template_downloads(client, org, jia_bank):
    """Do the bank export, a filtered export and the template download as .xlsx files that read back?"""
    fill(jia_bank)
    client.login("org_jia")
    full = client.get(f"/banks/{jia_bank.id}/export.xlsx")
    assert full.status_code == 200 and full.mimetype.endswith("spreadsheetml.sheet")
    assert len(importer.read_questions(full.data).accepted) == 3
    judge_only = client.get(f"/banks/{jia_bank.id}/export.xlsx?type=judge")
    assert [i.values["qtype"] for i in importer.read_questions(judge_only.data).accepted] == ["judge"]
    template = client.get("/banks/template.xlsx")
    assert template.status_code == 200 and b"xl/worksheets" in template.data


# ---------------------------------------------------------------- scope

def test_organiser_cannot_reach_another_units_bank(client, org, other_org, jia_bank, yi_bank):
    """Can the 乙乡 organiser neither list, open, export, import into nor edit 甲乡's bank (404 every time)?"""
    fill(jia_bank)
    question = questions_in(jia_bank)[0]
    client.login("org_yi")
    assert "甲乡自建题库" not in client.get("/banks/").get_data(as_text=True)
    for url in (f"/banks/{jia_bank.id}/", f"/banks/{jia_bank.id}/export.xlsx", f"/banks/{jia_bank.id}/categories",
                f"/banks/{jia_bank.id}/imports", f"/banks/{jia_bank.id}/import", f"/banks/{jia_bank.id}/edit",
                f"/banks/questions/{question.id}", f"/banks/questions/{question.id}/edit",
                f"/banks/{jia_bank.id}/questions/new", f"/banks/imports/{question.import_id}"):
        assert client.get(url).status_code == 404, url
    response = upload(client, jia_bank, make_xlsx({"题库": [COLUMNS] + GOOD_ROWS}))
    assert response.status_code == 404
    assert client.post(f"/banks/questions/{question.id}/status", data={"status": "retired"}).status_code == 404
    db.session.refresh(question)
    assert question.status == "active" and len(questions_in(jia_bank)) == 3


def test_staged_upload_belongs_to_its_bank_and_uploader(client, make_client, org, f, tree, jia_bank, yi_bank):
    """Can a staged file be applied only by its uploader and only to the bank it was checked against?"""
    client.login("org_jia")
    token = token_of(upload(client, jia_bank, make_xlsx({"题库": [COLUMNS] + GOOD_ROWS})))
    f.user("org_jia2", tree["jia"], role="organiser")
    colleague = make_client()
    colleague.login("org_jia2")
    response = colleague.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token}, follow_redirects=True)
    assert "预检结果已失效" in response.get_data(as_text=True)
    admin = make_client()
    admin.login("admin01")
    admin_response = admin.post(f"/banks/{yi_bank.id}/import/apply", data={"token": token}, follow_redirects=True)
    assert "预检结果已失效" in admin_response.get_data(as_text=True)
    assert questions_in(jia_bank) == [] and questions_in(yi_bank) == []


def test_system_banks_are_read_only_for_organisers(client, org, system_bank):
    """May an organiser see and export a system bank but not import into or edit it (404, as for exams they may only read)?"""
    fill(system_bank)
    client.login("org_jia")
    assert client.get(f"/banks/{system_bank.id}/").status_code == 200
    assert client.get(f"/banks/{system_bank.id}/export.xlsx").status_code == 200
    assert client.get(f"/banks/{system_bank.id}/import").status_code == 404
    assert client.get(f"/banks/{system_bank.id}/edit").status_code == 404
    question = questions_in(system_bank)[0]
    assert client.get(f"/banks/questions/{question.id}/edit").status_code == 404
    assert client.post("/banks/new", data={"name": "系统", "unit_id": 0}).status_code == 200
    assert db.session.scalar(sa.select(Bank).where(Bank.name == "系统")) is None


@pytest.mark.parametrize("role", ["cadre", "leader"])
def test_cadres_and_leaders_do_not_manage_banks(client, f, tree, jia_bank, role):
    """Do cadres and leaders get 404 on every bank page?"""
    f.user("someone", tree["jia"], role=role)
    client.login("someone")
    for url in ("/banks/", "/banks/new", "/banks/template.xlsx", f"/banks/{jia_bank.id}/"):
        assert client.get(url).status_code == 404


def test_admin_manages_everything(client, tree, jia_bank, yi_bank, system_bank):
    """Does an admin see every bank and may create a system bank?"""
    client.login("admin01")
    page = client.get("/banks/").get_data(as_text=True)
    assert all(name in page for name in ("甲乡自建题库", "乙乡题库", "宪法"))
    client.post("/banks/new", data={"name": "全县通用", "unit_id": 0})
    assert db.session.scalar(sa.select(Bank).where(Bank.name == "全县通用")).unit_id is None
    assert client.get(f"/banks/{jia_bank.id}/import").status_code == 200


def test_usable_banks_for_an_exam_unit(app, tree, jia_bank, yi_bank, system_bank):
    """Does an exam in 一村 see its township's bank and the system bank, not the other township's?"""
    usable = set(db.session.scalars(services.usable_bank_ids(tree["v1"])))
    assert usable == {jia_bank.id, system_bank.id}


def test_numeric_type_codes_are_confirmed_on_the_preview(client, org, jia_bank):
    """Issue 17.4: does the preview ask what each numeric 题型 code means (nothing preselected), and import by that answer?"""
    client.login("org_jia")
    data = make_xlsx({"题库": [COLUMNS, ["1", "根本法是（ ）。", "A. 宪法", "B. 法律", "", "", "", "", "", "", "A"],
                               ["3", "宪法是国家的根本法。", "", "", "", "", "", "", "", "", "正确"]]})
    response = upload(client, jia_bank, data)
    token = token_of(response)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "数字代码（1、3）" in page and 'name="code_1"' in page and \
        '<option selected value="">请选择' in page.split('name="code_1"')[1][:200]
    half = client.post(f"/banks/{jia_bank.id}/import/{token}/type-codes", data={"token": token, "code_1": "single"})
    assert half.status_code == 422 and not questions_in(jia_bank)
    done = client.post(f"/banks/{jia_bank.id}/import/{token}/type-codes",
                       data={"token": token, "code_1": "single", "code_3": "judge"})
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "当前对应：1 = 单选题，3 = 判断题" in page and "有错误的行（" not in page
    assert "去掉了选项字母的选项（2 个）" in page and "A. 宪法" in page
    client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token})
    assert [(q.qtype, q.options) for q in questions_in(jia_bank)] == [("single", ["宪法", "法律"]),
                                                                        ("judge", ["正确", "错误"])]


def test_type_codes_of_another_persons_upload_are_refused(client, make_client, org, other_org, jia_bank):
    """Can nobody but the uploader confirm type codes for a staged file?"""
    client.login("org_jia")
    data = make_xlsx({"题库": [COLUMNS, ["1", "根本法是（ ）。", "宪法", "法律", "", "", "", "", "", "", "A"]]})
    token = token_of(upload(client, jia_bank, data))
    other = make_client()
    other.login("org_yi")
    response = other.post(f"/banks/{jia_bank.id}/import/{token}/type-codes", data={"token": token, "code_1": "single"})
    assert response.status_code == 404


def test_paste_page_previews_and_imports_pasted_text(client, org, jia_bank):
    """Issue 17: does pasted text go through the same preview (counts per section, errors by number and line) and apply?"""
    client.login("org_jia")
    assert "粘贴试题" in client.get(f"/banks/{jia_bank.id}/import/paste").get_data(as_text=True)
    pasted = "一、单项选择题\n1. 根本法是（ A ）。\nA.宪法 B.法律\n2. 乙（ ）。\nA.一 B.二\n答案：C\n三、判断题\n1. 宪法是根本法。（√）"
    response = client.post(f"/banks/{jia_bank.id}/import/paste", data={"text": pasted})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "各部分识别到的试题" in page and "<td>一、单项选择题</td><td class=\"num\">2</td>" in page
    assert "第 6 行" in page and "答案 C 不在已填写的选项中" in page
    client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token_of(response), "choice": "valid_only"})
    assert [(q.qtype, q.answer) for q in questions_in(jia_bank)] == [("single", "A"), ("judge", "A")]
    empty = client.post(f"/banks/{jia_bank.id}/import/paste", data={"text": "没有编号的文字"})
    assert empty.status_code == 422 and "没有找到编号的试题" in empty.get_data(as_text=True)


def test_word_upload_export_and_template(client, org, jia_bank):
    """Can a .docx be uploaded on the import page, the bank exported to .docx, and the Word template downloaded?"""
    from bankfiles import ALL_LAYOUTS, make_docx

    client.login("org_jia")
    response = upload(client, jia_bank, make_docx(ALL_LAYOUTS), "题库.docx")
    assert response.status_code == 303
    client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token_of(response)})
    assert len(questions_in(jia_bank)) == 15
    exported = client.get(f"/banks/{jia_bank.id}/export.docx")
    assert exported.status_code == 200 and exported.mimetype.endswith("wordprocessingml.document")
    assert len(importer.read_questions(exported.data, "x.docx").accepted) == 15
    template = client.get("/banks/template.docx")
    assert template.status_code == 200 and len(importer.read_questions(template.data, "t.docx").accepted) == 3
