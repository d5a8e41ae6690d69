"""法规更新待复核: questions citing an older version are listed when a newer version arrives."""
from datetime import date

import pytest

from quizapp.extensions import db
from quizapp.study import library
from study_helpers import law_text

REVISED = {1: "为了规范示范工作，制定本法。", 2: "公民在法律面前一律平等，不受歧视。", 3: "县级人民政府负责示范工作。",
           4: "本法自公布之日起施行。"}


@pytest.fixture
def revised(import_law):
    """The 2020 text first, then the 2024 revision."""
    import_law()
    return lambda: import_law(law_text(amended="2024年6月1日", articles=REVISED), "示范法2024.txt")


def test_nothing_to_review_with_one_version(import_law, citing, f, people):
    """With only the version the questions cite, is there nothing to review?"""
    import_law()
    citing(f.bank())
    assert library.review_queue(people["organiser"]) == []


def test_newer_version_lists_questions_citing_the_old_one(revised, citing, f, people, tree):
    """After the revision, are the questions citing 2020 (however the name is written) listed, and not others?"""
    bank = f.bank(unit=tree["jia"])
    old = [citing(bank), citing(bank, law_name="示范法", law_article="第三条"),
           citing(bank, law_name="中华人民共和国示范法", law_version=None)]
    citing(bank, law_name="《中华人民共和国草原法》")  # another law
    citing(bank, status="retired")
    outcome = revised()
    assert outcome.to_review == 3
    queue = library.review_queue(people["organiser"])
    assert [(item["law"].short_title, item["count"], item["newest"]) for item in queue] == \
        [("示范法", 3, date(2024, 6, 1))]
    listed = {q.id for q in db.session.scalars(library.review_statement(people["organiser"], queue[0]["law"]))}
    assert listed == {q.id for q in old}


def test_review_page_shows_old_and_new_text_side_by_side(revised, citing, f, people, tree, client):
    """Does the review page show the cited article in the old and in the new version?"""
    citing(f.bank(unit=tree["jia"]))
    law = revised().law
    client.login("zz01")
    page = client.get(f"/laws/review/{law.id}").get_data(as_text=True)
    assert "公民在法律面前一律平等。" in page and "公民在法律面前一律平等，不受歧视。" in page
    assert "第二条（2020-01-01）" in page and "第二条（2024-06-01）" in page
    assert "法规更新待复核" in client.get("/laws/manage").get_data(as_text=True)


def test_confirming_moves_the_citation_to_the_new_version(revised, citing, f, people, tree, client):
    """Does 确认仍适用 make the question cite the new version, taking it off the list?"""
    question = citing(f.bank(unit=tree["jia"]))
    law = revised().law
    client.login("zz01")
    assert client.post(f"/laws/review/{law.id}/questions/{question.id}/confirm").status_code == 302
    db.session.expire_all()
    assert question.law_version == date(2024, 6, 1)
    assert library.review_queue(people["organiser"]) == []


def test_organisers_review_only_their_banks(revised, citing, f, people, tree, client):
    """Does an organiser see their subtree's and system questions, and confirm only those they may edit?"""
    mine = citing(f.bank(unit=tree["jia"]))
    system = citing(f.bank())
    theirs = citing(f.bank(unit=tree["yi"]))
    law = revised().law
    listed = {q.id for q in db.session.scalars(library.review_statement(people["organiser"], law))}
    assert listed == {mine.id, system.id}
    client.login("zz01")
    page = client.get(f"/laws/review/{law.id}").get_data(as_text=True)
    assert page.count("确认仍适用（改为引用新版本）") == 1 and "由其管理员复核" in page
    assert client.post(f"/laws/review/{law.id}/questions/{system.id}/confirm").status_code == 404
    assert client.post(f"/laws/review/{law.id}/questions/{theirs.id}/confirm").status_code == 404
    client.post("/logout")
    client.login("gb01")
    assert client.get("/laws/review").status_code == 404


def test_lookup_links_of_the_bank_resolve(revised, people, client):
    """Does the question page's 查看法条 link (law name with 《》 and 条款) land on the article?"""
    revised()
    client.login("gb01")
    response = client.get("/laws/lookup?law=%E3%80%8A%E4%B8%AD%E5%8D%8E%E4%BA%BA%E6%B0%91%E5%85%B1%E5%92%8C%E5%9B%BD"
                          "%E7%A4%BA%E8%8C%83%E6%B3%95%E3%80%8B&article=%E7%AC%AC%E4%BA%8C%E6%9D%A1")
    assert response.status_code == 302 and "/v/2024-06-01/a/" in response.location


def test_study_notes_citing_the_old_version_are_listed_too(revised, make_material, people, client):
    """After the revision, is a note whose link is pinned to 2020 (or unpinned) listed with its links, while
    a note pinned to the new version is not?"""
    stale = make_material(None, "旧版学习笔记", body="平等（[第二条](law:中华人民共和国示范法@2020-01-01#第二条)）。")
    loose = make_material(None, "未注明版本的笔记", body="见[第三条](law:中华人民共和国示范法#第三条)。")
    make_material(None, "新版学习笔记", body="见[第二条](law:中华人民共和国示范法@2024-06-01#第二条)。")
    make_material(None, "别的法", body="见[第二条](law:中华人民共和国草原法@2020-01-01#第二条)。")
    outcome = revised()
    assert outcome.to_review == 2
    notes = library.stale_materials(outcome.law)
    assert [(m.id, [(link.label, link.cited) for link in links]) for m, links in notes] == [
        (stale.id, [("第二条", date(2020, 1, 1))]), (loose.id, [("第三条", None)])]
    assert [(item["count"], item["notes"]) for item in library.review_queue(people["organiser"])] == [(0, 2)]
    client.login("zz01")
    page = client.get(f"/laws/review/{outcome.law.id}").get_data(as_text=True)
    assert "旧版学习笔记" in page and "未注明版本的笔记" in page and "新版学习笔记" not in page
