"""Redirect targets that never leave the site, and the site's public address."""
from urllib.parse import urlsplit

from flask import current_app, request, url_for


def public_base() -> str:
    """The configured PUBLIC_BASE_URL, else the address this request came in on (no trailing slash)."""
    return (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")


def public_url(endpoint: str, **values) -> str:
    """An absolute address at PUBLIC_BASE_URL (printed on paper, so never the host a proxy happened to pass)."""
    return public_base() + url_for(endpoint, **values)


def safe_next(target, default):
    """``target`` if it is a path on this site, else ``default``.

    Refuses absolute URLs, scheme-relative ``//host`` and backslash tricks.
    """
    if not target or not isinstance(target, str):
        return default
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    if any(ord(ch) < 32 for ch in target):
        return default
    return target
