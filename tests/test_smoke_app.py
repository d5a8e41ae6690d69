"""The app starts, serves its health check and its sign-in page."""


def test_healthz_reports_database(client):
    """Does /healthz answer JSON saying the database is reachable?"""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "reachable"}


def test_login_page_is_chinese(client):
    """Is the sign-in page served in Chinese?"""
    page = client.get("/login").get_data(as_text=True)
    assert "登录名" in page and 'lang="zh-CN"' in page



def test_database_connection_settings(app):
    """Is SQLite in WAL mode with foreign keys, a busy timeout and a small page cache per connection, and
    PostgreSQL reached through psycopg 3 without JIT compilation, also after a rolled-back transaction?"""
    import sqlalchemy as sa

    from quizapp.common.database import SQLITE_CACHE_KB
    from quizapp.extensions import db

    with db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(sa.text("PRAGMA busy_timeout")).scalar() >= 5000
            assert connection.execute(sa.text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KB
        else:
            assert db.engine.dialect.name == "postgresql" and db.engine.dialect.driver == "psycopg"
            assert connection.execute(sa.text("SHOW jit")).scalar() == "off"
            connection.rollback()
            assert connection.execute(sa.text("SHOW jit")).scalar() == "off"


def test_search_boxes_keep_what_was_searched(client, f, tree):
    """Does every searchable list show the searched text back in its box (the view hands it to the page)?"""
    f.user("org01", tree["jia"], role="organiser")
    client.login("org01")
    jia = tree["jia"].id
    marker = "查找词<x>"
    for url in ("/laws/", "/laws/search", "/materials/", "/materials/manage", "/study/people", "/users/",
                f"/reports/units/{jia}/people", f"/reports/units/{jia}/unfinished"):
        response = client.get(url, query_string={"q": marker})
        assert response.status_code == 200, url
        assert 'value="查找词&lt;x&gt;"' in response.get_data(as_text=True), url
