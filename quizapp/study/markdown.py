"""Markdown of study materials to safe HTML.

markdown-it renders with raw HTML switched off; links are limited to http(s)
and the internal ``law:`` scheme, which becomes a link to the law library's
lookup; nh3 then removes anything outside a short allow-list of tags and
attributes, so script, event handlers, style and foreign URL schemes never
reach the page even if the renderer let something through.
"""
from urllib.parse import unquote, urlencode

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from ..common.lawtext import parse_law_target

ALLOWED_TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre",
                "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"colspan", "rowspan"},
                      "td": {"colspan", "rowspan"}}
LINK_SCHEMES = ("http://", "https://", "law:")


def _validate_link(url: str) -> bool:
    """Only http(s) and law: links survive; markdown-it leaves a refused link as plain text."""
    return url.strip().lower().startswith(LINK_SCHEMES)


def law_link(target: str) -> str:
    """``law:中华人民共和国宪法@2018-03-11#第三十三条`` → ``/laws/lookup?law=…&article=…&version=…``.

    A pinned link opens the version the note was written against, so a later revision never re-targets
    it (the article page says when a newer version exists); an unpinned one follows the current version.
    """
    parsed = parse_law_target(target)
    if parsed is None:  # a pin that is not a date: open the law's current text rather than guess
        name = unquote(target[len("law:"):]).partition("#")[0].partition("@")[0]
        return "/laws/lookup?" + urlencode({"law": name.strip()})
    query = {"law": parsed.law}
    if parsed.article:
        query["article"] = parsed.article
    if parsed.version:
        query["version"] = parsed.version.isoformat()
    return "/laws/lookup?" + urlencode(query)


def _make_renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").enable("strikethrough")
    md.disable("image")  # no pictures fetched from other hosts
    md.validateLink = _validate_link

    def link_open(renderer, tokens, idx, options, env):
        token = tokens[idx]
        href = token.attrGet("href") or ""
        if href.lower().startswith("law:"):
            token.attrSet("href", law_link(href))
            token.attrSet("class", "law-link")
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md


_MD = _make_renderer()


def clean_html(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https"},
                     allowed_classes={"a": {"law-link"}},
                     link_rel="noopener noreferrer nofollow", strip_comments=True)


def render_markdown(text: str) -> Markup:
    """Safe HTML for a material's Markdown body.

    The one place a Markup is built from stored text: the HTML has been
    through ``clean_html`` (nh3), which is what makes marking it safe correct.
    """
    return Markup(clean_html(_MD.render(text or "")))
