"""The law library: importing texts (upload page, CLI, the reference files), versions, reading, lookup."""
import io
from datetime import date

import docx
import pytest
from lawfiles import LAWS_DIR
import sqlalchemy as sa

from quizapp.common.errors import ServiceError
from quizapp.extensions import db
from quizapp.study import library
from quizapp.study.models import Law, LawArticle, LawHeading, LawSource, LawVersion
from study_helpers import law_text

SHARED_LAWS = LAWS_DIR


def _current(law_title="中华人民共和国示范法"):
    db.session.expire_all()
    law = db.session.scalar(sa.select(Law).where(Law.title == law_title))
    return law, law.current_version


# ---------------------------------------------------------------- importing

def test_import_stores_structure_dates_and_history(import_law):
    """Are title, short title, version date, in-force date, history, headings and articles stored?"""
    outcome = import_law()
    assert outcome.status == "created" and outcome.became_current and outcome.articles == 4
    law, version = _current()
    assert (law.short_title, law.lookup_key, law.category) == ("示范法", "示范法", "法律法规")
    assert version.version_date == date(2020, 1, 1) and version.effective_date == date(2020, 3, 1)
    assert "第一次会议通过" in version.history
    labels = db.session.scalars(sa.select(LawHeading.label).where(LawHeading.version_id == version.id)
                                .order_by(LawHeading.position)).all()
    assert labels == ["第一章 总则", "第二章 附则"]
    second = library.get_article(version, 2)
    assert second.label == "第二条" and second.paragraphs == ["公民在法律面前一律平等。", "国家尊重和保障人权。"]
    assert second.headings == ["第一章 总则"] and second.anchor == "a2"


def test_reimporting_the_same_file_changes_nothing(import_law):
    """Does importing the same file twice leave one version with one source?"""
    import_law()
    again = import_law()
    assert again.status == "unchanged"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LawSource)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LawArticle)) == 4


def test_newer_version_becomes_current_and_old_one_stays(import_law):
    """Does a revised text add a version, become current, and keep the old version readable?"""
    import_law()
    newer = import_law(law_text(amended="2024年6月1日", articles={1: "新的第一条。", 2: "修改后的第二条。", 3: "本法自公布之日起施行。"}),
                       "示范法2024.txt")
    assert newer.status == "created" and newer.became_current
    law, current = _current()
    assert current.version_date == date(2024, 6, 1)
    assert [v.version_date for v in law.versions] == [date(2024, 6, 1), date(2020, 1, 1)]
    assert library.get_article(law.versions[1], 4) is not None


def test_uploading_an_older_version_keeps_the_current_one(import_law):
    """Is an older text added as history without displacing the current version?"""
    import_law(law_text(amended="2024年6月1日"), "新.txt")
    older = import_law(law_text(), "旧.txt")
    assert older.status == "created" and not older.became_current
    assert _current()[1].version_date == date(2024, 6, 1)


def test_version_not_yet_in_force_is_not_current(import_law, clock):
    """Is a revision adopted but not yet in force kept beside the current version, not in its place?"""
    import_law()
    future = {1: "新法第一条。", 2: "本法自2027年1月1日起施行。"}
    outcome = import_law(law_text(amended="2026年4月1日", articles=future), "新.txt")
    assert not outcome.became_current
    law, current = _current()
    assert current.version_date == date(2020, 1, 1)
    assert library.pending_effective(law) is None


def test_parts_of_one_version_merge_and_a_corrected_part_replaces(import_law):
    """Do two files of one version (articles 1–2 and 3–4) make one version, and a corrected file replace its part?"""
    import_law(law_text(articles={1: "甲。", 2: "乙。"}), "上.txt")
    second = import_law(law_text(articles={3: "丙。", 4: "丁。"}), "下.txt")
    assert second.status == "added"
    _, version = _current()
    assert library.article_count(version) == 4 and len(version.sources) == 2
    fixed = import_law(law_text(articles={3: "丙（更正）。", 4: "丁。"}), "下（更正）.txt")
    assert fixed.status == "replaced"
    db.session.expire_all()
    assert library.get_article(version, 3).text == "丙（更正）。"
    assert library.article_count(version) == 4
    assert sorted(s.filename for s in version.sources) == ["上.txt", "下（更正）.txt"]


def test_parse_error_is_refused_with_its_line(import_law):
    """Is a text whose numbering jumps refused with the line and the problem, in Chinese, storing nothing?"""
    bad = law_text(articles={1: "甲。", 2: "乙。", 5: "戊。"})
    with pytest.raises(ServiceError) as error:
        import_law(bad, "坏.txt")
    message = error.value.messages[0]
    assert "第 13 行" in message and "条文编号不连续" in message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Law)) == 0


@pytest.mark.parametrize("filename, data, expected", [
    ("示范法.pdf", b"%PDF-1.4", "只支持"),
    ("空.txt", b"", "文件是空的"),
    ("乱码.txt", b"\x00\x01\x02\xff" * 20, "第 1 行"),
])
def test_unreadable_files_are_refused(import_law, filename, data, expected):
    """Are wrong file types, empty files and binary junk refused with a Chinese message?"""
    with pytest.raises(ServiceError) as error:
        import_law(data, filename)
    assert expected in error.value.messages[0]


def test_version_date_can_be_given_when_the_text_has_none(import_law):
    """A text without a dated history: is it refused unless the uploader gives the version date?"""
    undated = "中华人民共和国无日期法\n\n第一条　甲。\n\n第二条　乙。\n".encode()
    with pytest.raises(ServiceError) as error:
        import_law(undated, "无日期.txt")
    assert "版本日期" in error.value.messages[0]
    db.session.rollback()
    outcome = import_law(undated, "无日期.txt", version_date=date(2019, 1, 1))
    assert outcome.version.version_date == date(2019, 1, 1)


def test_docx_is_imported(import_law):
    """Is a .docx download parsed like the text (one paragraph per line)?"""
    document = docx.Document()
    for line in law_text().decode().split("\n"):
        if line:
            document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    outcome = import_law(buffer.getvalue(), "示范法.docx")
    assert outcome.articles == 4 and outcome.version.effective_date == date(2020, 3, 1)


# ---------------------------------------------------------------- upload page and CLI

def test_upload_page_for_organisers(client, people, tree):
    """Can an organiser upload a law on the page, while a cadre cannot even see the page?"""
    client.login("gb01")
    assert client.get("/laws/manage").status_code == 404
    client.post("/logout")
    client.login("zz01")
    response = client.post("/laws/manage", data={"file": (io.BytesIO(law_text()), "示范法.txt")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert "已导入《中华人民共和国示范法》" in client.get("/laws/manage").get_data(as_text=True)


def test_upload_page_shows_the_parse_error_line(client, people):
    """Does the upload page show the parser's line-numbered error in Chinese?"""
    client.login("zz01")
    bad = law_text(articles={1: "甲。", 3: "丙。"})
    page = client.post("/laws/manage", data={"file": (io.BytesIO(bad), "坏.txt")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "第 11 行" in page and "条文编号不连续" in page


def test_upload_size_limit(client, people, app):
    """Is a file over the configured size refused?"""
    app.config["LAW_UPLOAD_MAX_BYTES"] = 100
    client.login("zz01")
    page = client.post("/laws/manage", data={"file": (io.BytesIO(law_text()), "示范法.txt")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "文件过大" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Law)) == 0


def test_cli_imports_files_and_reports_failures(runner, tmp_path):
    """Does `flask laws import` take files and folders, skip READMEs and report a bad file without stopping?"""
    (tmp_path / "README.md").write_text("# 说明\n")
    (tmp_path / "示范法.txt").write_bytes(law_text())
    (tmp_path / "坏.txt").write_bytes(law_text(articles={1: "甲。", 3: "丙。"}))
    result = runner.invoke(args=["laws", "import", str(tmp_path)])
    assert result.exit_code == 1
    assert "成功 1 个，失败 1 个" in result.output and "条文编号不连续" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Law)) == 1


@pytest.mark.skipif(not SHARED_LAWS.is_dir(), reason=f"reference law texts not found in {SHARED_LAWS}")
def test_cli_imports_every_reference_law(runner):
    """Does `flask laws import ../shared/laws` load every file, the 民法典 as one law from eight parts?"""
    files = [p for p in SHARED_LAWS.iterdir() if p.suffix == ".md" and p.name != "README.md"]
    result = runner.invoke(args=["laws", "import", str(SHARED_LAWS)])
    assert result.exit_code == 0, result.output
    assert f"成功 {len(files)} 个，失败 0 个" in result.output
    civil = db.session.scalar(sa.select(Law).where(Law.title == "中华人民共和国民法典"))
    version = civil.current_version
    assert len(version.sources) == 8 and library.article_count(version) == 1260
    numbers = db.session.scalars(sa.select(LawArticle.number).where(LawArticle.version_id == version.id)
                                 .order_by(LawArticle.number)).all()
    assert numbers == list(range(1, 1261))
    constitution = library.find_law("宪法")
    assert library.article_count(constitution.current_version) == 143
    assert constitution.current_version.preamble.startswith("中国是世界上历史最悠久的国家之一")
    again = runner.invoke(args=["laws", "import", str(SHARED_LAWS)])
    assert again.exit_code == 0 and again.output.count("未作改动") == len(files)


# ---------------------------------------------------------------- reading

def test_version_page_has_toc_text_and_timer(client, people, import_law):
    """Does a cadre see the table of contents, every article with its anchor, and the study timer?"""
    version = import_law().version
    client.login("gb01")
    page = client.get(f"/laws/{version.law_id}/v/2020-01-01").get_data(as_text=True)
    assert "目录" in page and "第一章 总则" in page and 'id="a2"' in page and "国家尊重和保障人权" in page
    assert 'data-study-kind="law"' in page and f'data-study-id="{version.id}"' in page
    assert client.get(f"/laws/{version.law_id}").status_code == 302
    assert client.get(f"/laws/{version.law_id}/v/1999-01-01").status_code == 404
    assert client.get(f"/laws/{version.law_id}/v/not-a-date").status_code == 404


@pytest.mark.parametrize("ref", ["第二条", "2", "第二条第二款", "%E7%AC%AC%E4%BA%8C%E6%9D%A1"])
def test_article_page_by_label_or_number(client, people, import_law, ref):
    """Is an article reachable by its label, its number, or a 款 of it, at a stable address?"""
    version = import_law().version
    client.login("gb01")
    page = client.get(f"/laws/{version.law_id}/v/2020-01-01/a/{ref}").get_data(as_text=True)
    assert "《中华人民共和国示范法》第二条" in page and "国家尊重和保障人权" in page
    assert "下一条：第三条" in page and "上一条：第一条" in page
    current = client.get(f"/laws/{version.law_id}/a/{ref}")
    assert current.status_code == 200


def test_clause_is_highlighted(client, people, import_law):
    """Does 第二条第二款 mark the second paragraph?"""
    version = import_law().version
    client.login("gb01")
    page = client.get(f"/laws/{version.law_id}/a/第二条第二款").get_data(as_text=True)
    assert 'class="para hit" id="k2"' in page


@pytest.mark.parametrize("to, expected", [("第三条", "第三条"), ("3", "第三条"), ("三", None), ("第九条", None)])
def test_jump_to_an_article(client, people, import_law, to, expected):
    """Does the jump box go to 第三条 or 3, and explain (in Chinese) when there is no such article?"""
    version = import_law().version
    client.login("gb01")
    response = client.get(f"/laws/{version.law_id}/v/2020-01-01/jump", query_string={"to": to})
    assert response.status_code == 302
    if expected:
        assert "/a/" in response.location
    else:
        page = client.get(response.location).get_data(as_text=True)
        assert "没有第九条" in page or "无法识别" in page


@pytest.mark.parametrize("name", ["《中华人民共和国示范法》", "中华人民共和国示范法", "示范法", "《示范法》", " 示范法 ",
                                  "中华人民共和国\u3000示范法"])
def test_lookup_normalises_the_name(client, people, import_law, name):
    """Does /laws/lookup find the law however the question wrote its name?"""
    import_law()
    client.login("gb01")
    response = client.get("/laws/lookup", query_string={"law": name, "article": "第二条"})
    assert response.status_code == 302 and "/a/%E7%AC%AC%E4%BA%8C%E6%9D%A1" in response.location


def test_lookup_full_width_digits_and_lists(client, people, import_law):
    """Are full-width numbers (２) and lists (第二条、第三条: the first) understood?"""
    version = import_law().version
    client.login("gb01")
    for article in ("２", "第二条、第三条", "第二条第二款"):
        response = client.get("/laws/lookup", query_string={"law": "示范法", "article": article})
        assert response.status_code == 302, article
        assert response.location.startswith(f"/laws/{version.law_id}/v/2020-01-01/a/")


def test_lookup_by_version(client, people, import_law):
    """Does ?version= pick that version (or the one in force then), and no version the current one?"""
    import_law()
    import_law(law_text(amended="2024年6月1日"), "新.txt")
    client.login("gb01")
    for version, expected in (("2020-01-01", "2020-01-01"), ("2022-05-05", "2020-01-01"), ("", "2024-06-01")):
        response = client.get("/laws/lookup", query_string={"law": "示范法", "article": "2", "version": version})
        assert f"/v/{expected}/" in response.location, version
    old = client.get("/laws/lookup", query_string={"law": "示范法", "article": "2", "version": "2020-01-01"})
    assert "这是历史版本中的条文" in client.get(old.location).get_data(as_text=True)


def test_lookup_not_found(client, people, import_law):
    """Does a citation of a law or article not in the library get a Chinese 404 page?"""
    import_law()
    client.login("gb01")
    page = client.get("/laws/lookup", query_string={"law": "《中华人民共和国无此法》", "article": "第一条"})
    assert page.status_code == 404 and "法规库中还没有《无此法》" in page.get_data(as_text=True)
    page = client.get("/laws/lookup", query_string={"law": "示范法", "article": "第九十九条"})
    assert page.status_code == 404 and "没有第九十九条" in page.get_data(as_text=True)


def test_long_law_is_read_by_division(client, people, import_law, app):
    """With more articles than a page holds, is the text shown one chapter at a time with a full TOC?"""
    app.config["LAW_PAGE_ARTICLES"] = 2
    version = import_law().version
    client.login("gb01")
    page = client.get(f"/laws/{version.law_id}/v/2020-01-01").get_data(as_text=True)
    assert 'id="a1"' in page and 'id="a4"' not in page and "下一部分：第二章 附则" in page
    heading = db.session.scalar(sa.select(LawHeading).where(LawHeading.label == "第二章 附则"))
    page = client.get(f"/laws/{version.law_id}/v/2020-01-01?part={heading.id}").get_data(as_text=True)
    assert 'id="a4"' in page and 'id="a1"' not in page
    article = client.get(f"/laws/{version.law_id}/a/4").get_data(as_text=True)
    assert f"part={heading.id}#a4" in article


def test_delete_version_and_set_current(client, people, import_law, tree):
    """Can an admin make an older version current and delete a version (the law goes with its last)?"""
    import_law()
    import_law(law_text(amended="2024年6月1日"), "新.txt")
    law, current = _current()
    old = law.versions[1]
    client.login("admin01")
    assert client.post(f"/laws/versions/{old.id}/current").status_code == 302
    assert _current()[1].id == old.id
    assert client.post(f"/laws/versions/{current.id}/delete").status_code == 302
    law, now = _current()
    assert now.id == old.id and len(law.versions) == 1
    client.post(f"/laws/versions/{old.id}/delete")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Law)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LawArticle)) == 0


def test_only_admins_delete_versions(client, people, import_law):
    """Is deleting a version or changing the current one an admin's act only?"""
    version = import_law().version
    client.login("zz01")
    assert client.post(f"/laws/versions/{version.id}/delete").status_code == 404
    assert db.session.get(LawVersion, version.id) is not None


def test_law_text_is_escaped(client, people, import_law):
    """Is markup inside an uploaded law text shown as text, never run?"""
    version = import_law(law_text(articles={1: "<script>alert(1)</script>甲。", 2: "乙。"}), "x.txt").version
    client.login("gb01")
    page = client.get(f"/laws/{version.law_id}/v/2020-01-01").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
