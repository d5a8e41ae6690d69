"""Material Markdown is rendered and sanitised: no script, no event handlers, links only http(s) and law:."""
from html.parser import HTMLParser

import pytest

from quizapp.study.markdown import render_markdown


class Elements(HTMLParser):
    """Every element and attribute the browser would build from the HTML."""

    def __init__(self, html):
        super().__init__()
        self.elements = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


ALLOWED_HREF = ("http://", "https://", "/laws/lookup?")


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="https://example.org" onclick="steal()">x</a>',
    "<div onmouseover=alert(1)>悬停</div>",
    "[点我](javascript:alert(1))",
    "[点我](JaVaScRiPt:alert(1))",
    "[点我](java&#115;cript:alert(1))",
    "[点我](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[点我](vbscript:msgbox)",
    "[点我](/admin)",
    "<iframe src=https://example.org></iframe>",
    "<style>body{display:none}</style>",
    "![图](https://example.org/track.png)",
    "<svg onload=alert(1)>",
    "[x](law:宪法\"onclick=\"alert(1)#<script>)",
])
def test_dangerous_markup_is_removed(source):
    """Does the HTML hold no script, frame, style or image, no on* handler, and only http(s)/law links?"""
    elements = Elements(str(render_markdown(source))).elements
    for tag, attrs in elements:
        assert tag not in {"script", "img", "iframe", "style", "svg", "div", "object", "embed"}
        assert not [name for name in attrs if name.lower().startswith("on") or name.lower() == "style"]
        if "href" in attrs:
            assert attrs["href"].startswith(ALLOWED_HREF), attrs["href"]


def test_ordinary_markdown_survives():
    """Do headings, lists, bold, tables, quotes and http(s) links render?"""
    html = str(render_markdown("## 要点\n\n- **加粗**\n- 二\n\n> 引用\n\n| 甲 | 乙 |\n|---|---|\n| 1 | 2 |\n\n"
                               "[国家法律法规数据库](https://flk.npc.gov.cn)"))
    for fragment in ("<h2>要点</h2>", "<strong>加粗</strong>", "<blockquote>", "<table>", "<td>1</td>",
                     'href="https://flk.npc.gov.cn"', 'rel="noopener noreferrer nofollow"'):
        assert fragment in html


def test_law_links_point_to_the_library():
    """Does [第三十三条](law:中华人民共和国宪法#第三十三条) become a link to /laws/lookup?"""
    html = str(render_markdown("见[第三十三条](law:中华人民共和国宪法#第三十三条)。"))
    assert ('href="/laws/lookup?law=%E4%B8%AD%E5%8D%8E%E4%BA%BA%E6%B0%91%E5%85%B1%E5%92%8C%E5%9B%BD%E5%AE%AA%E6%B3%95'
            '&amp;article=%E7%AC%AC%E4%B8%89%E5%8D%81%E4%B8%89%E6%9D%A1"') in html
    assert 'class="law-link"' in html


def test_pinned_law_links_open_their_version():
    """Does law:名称@YYYY-MM-DD#第X条 keep its version in the lookup, so a later revision cannot re-target it?"""
    from urllib.parse import parse_qs, urlsplit

    from quizapp.study.markdown import law_link

    query = parse_qs(urlsplit(law_link("law:中华人民共和国村民委员会组织法@2025-10-28#第十四条")).query)
    assert query == {"law": ["中华人民共和国村民委员会组织法"], "article": ["第十四条"], "version": ["2025-10-28"]}
    assert "version" not in parse_qs(urlsplit(law_link("law:中华人民共和国宪法#第三十三条")).query)
    assert parse_qs(urlsplit(law_link("law:中华人民共和国宪法@昨天#第三十三条")).query) == {"law": ["中华人民共和国宪法"]}


def test_page_shows_sanitised_body(client, people, make_material):
    """Does the material page carry the sanitised HTML (not the raw script) to the browser?"""
    material = make_material(None, body="正文\n\n<script>alert('x')</script>\n\n[j](javascript:alert(1))")
    client.login("gb01")
    page = client.get(f"/materials/{material.id}").get_data(as_text=True)
    assert "<script>alert('x')</script>" not in page and "&lt;script&gt;" in page
    assert 'href="javascript' not in page
