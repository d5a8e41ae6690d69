"""Static files: content-hashed URLs cached for a year, everything else revalidated; gzip for text and pages;
the chart library only on pages with charts."""
import gzip
import re

from quizapp.common.assets import content_hash


def test_static_urls_carry_the_content_hash_and_are_immutable(client, f, tree):
    """Does every page link app.css with its content hash, served with far-future immutable caching, while the
    bare URL is revalidated (no stale file after a deploy)?"""
    f.user("gb1", tree["v1"])
    client.login("gb1")
    page = client.get("/").get_data(as_text=True)
    digest = content_hash("css/app.css")
    assert f'/static/css/app.css?v={digest}"' in page
    hashed = client.get(f"/static/css/app.css?v={digest}")
    assert hashed.status_code == 200 and "immutable" in hashed.headers["Cache-Control"]
    assert "max-age=31536000" in hashed.headers["Cache-Control"]
    bare = client.get("/static/css/app.css")
    assert bare.headers["Cache-Control"] == "no-cache" and bare.headers["ETag"]
    assert client.get("/static/css/app.css", headers={"If-None-Match": bare.headers["ETag"]}).status_code == 304
    stale = client.get("/static/css/app.css?v=000000000000")
    assert stale.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/css/../../config.py").status_code == 404


def test_text_is_sent_gzipped_when_asked(client, f, tree):
    """Are the chart library and the HTML pages gzipped for a browser that accepts it, and plain otherwise?"""
    path = f"/static/vendor/echarts/echarts.min.js?v={content_hash('vendor/echarts/echarts.min.js')}"
    packed = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    plain = client.get(path)
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data) / 2
    f.user("gb1", tree["v1"])
    client.login("gb1")
    home = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert home.headers["Content-Encoding"] == "gzip" and "您好" in gzip.decompress(home.data).decode()


def test_chart_library_only_on_chart_pages(client, f, tree):
    """Is ECharts (1 MB) loaded only by the dashboard, not by the other report pages or 首页?"""
    f.user("ld1", tree["jia"], role="leader")
    client.login("ld1")
    assert "echarts" in client.get("/reports/").get_data(as_text=True)
    for path in ("/", "/reports/annual", "/reports/shufa", f"/reports/units/{tree['jia'].id}/unfinished",
                 "/reports/about", "/messages/"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script[^>]+echarts", html), path
