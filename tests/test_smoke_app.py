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
