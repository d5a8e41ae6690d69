"""Full-text search across laws, on whichever database the suite runs on (FTS5 trigram or pg_trgm)."""
import pytest
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.study import library
from study_helpers import law_text

OTHER = {1: "为了保护草原，制定本法。", 2: "草原属于国家所有，由法律规定属于集体所有的除外。", 3: "禁止开垦草原。",
         4: "本法自2021年6月1日起施行。"}


@pytest.fixture
def laws(import_law):
    demo = import_law().version
    grass = import_law(law_text("中华人民共和国草原示范法", articles=OTHER), "草原.txt").version
    return {"demo": demo, "grass": grass}


def _found(query, **kwargs):
    stmt = library.search_statement(query, **kwargs)
    return [(a.version.law.short_title, a.label) for a in db.session.scalars(stmt)]


def test_long_term_finds_articles_in_every_law(laws):
    """Does a three-character term find every article containing it, across laws?"""
    assert _found("属于国家") == [("草原示范法", "第二条")]
    assert sorted(_found("本法自")) == [("示范法", "第四条"), ("草原示范法", "第四条")]


def test_short_terms_fall_back_to_like(laws):
    """Do one- and two-character terms (too short for trigrams) still find their articles?"""
    assert _found("开垦") == [("草原示范法", "第三条")]
    assert ("示范法", "第二条") in _found("人权")
    assert len(_found("法")) >= 6


def test_all_terms_must_match(laws):
    """Are several terms ANDed (a long and a short one together)?"""
    assert _found("草原 集体所有") == [("草原示范法", "第二条")]
    assert _found("草原 人权") == []


def test_search_limited_to_one_law(laws):
    """Does the law filter keep results to that law?"""
    assert _found("本法自", law_id=laws["grass"].law_id) == [("草原示范法", "第四条")]


@pytest.mark.parametrize("query", ['"', '""草原', "草原 OR 人权", "NEAR(草原", "*", "%", "_", "a_b%", "草原'--",
                                   "\\", "(((", "第一条 AND"])
def test_search_syntax_is_inert(laws, query):
    """Do quotes, FTS operators and LIKE wildcards search literally instead of failing or matching everything?"""
    found = _found(query)
    assert len(found) < 8


def test_wildcards_are_literal(laws):
    """Does % match only a literal percent sign, not everything?"""
    assert _found("%") == [] and _found("_") == []


def test_history_is_searched_only_when_asked(laws, import_law):
    """Are articles of superseded versions left out unless 含历史版本 is ticked?"""
    import_law(law_text(amended="2024年6月1日", articles={1: "新的规定。", 2: "本法自公布之日起施行。"}), "新.txt")
    assert _found("人权") == []
    assert _found("人权", include_history=True) == [("示范法", "第二条")]


def test_search_index_follows_changes(laws, import_law):
    """When a part is replaced, do old texts drop out of the search and new ones appear?"""
    import_law(law_text("中华人民共和国草原示范法", articles=OTHER | {3: "严禁开荒。"}), "草原更正.txt")
    assert _found("禁止开垦") == []
    assert _found("严禁开荒") == [("草原示范法", "第三条")]


def test_search_page_marks_matches_and_escapes(client, people, import_law):
    """Does the results page mark the term and escape markup in the article text?"""
    import_law(law_text(articles={1: "<b>粗体</b>示范条款内容。", 2: "乙。"}), "x.txt")
    client.login("gb01")
    page = client.get("/laws/search", query_string={"q": "示范条款"}).get_data(as_text=True)
    assert "<mark>示范条款</mark>" in page and "&lt;b&gt;粗体&lt;/b&gt;" in page and "<b>粗体</b>" not in page


def test_search_page_offers_the_cited_article(client, people, laws):
    """Does a query like "示范法 第二条" offer a direct link to that article?"""
    client.login("gb01")
    page = client.get("/laws/search", query_string={"q": "示范法 第二条"}).get_data(as_text=True)
    assert "直达" in page and "/a/%E7%AC%AC%E4%BA%8C%E6%9D%A1" in page


def test_snippet_segments():
    """Does the snippet cut a window around the first match and mark every term, case-insensitively?"""
    segments = library.snippet("甲乙丙丁 Law 戊己庚", ["law", "戊"], width=20)
    assert ("Law", True) in segments and ("戊", True) in segments
    assert "".join(piece for piece, _ in segments) == "甲乙丙丁 Law 戊己庚"


def test_index_exists(app):
    """Is the index the search relies on there (FTS5 trigram table on SQLite, pg_trgm GIN index on PostgreSQL)?"""
    if db.engine.dialect.name == "sqlite":
        names = db.session.scalars(sa.text("SELECT name FROM sqlite_master WHERE name = 'law_articles_fts'")).all()
    else:
        names = db.session.scalars(sa.text("SELECT indexname FROM pg_indexes WHERE indexname = "
                                           "'ix_law_articles_text_trgm'")).all()
    assert names
