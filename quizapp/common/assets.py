"""Static files served light: content-hashed URLs cached for a year (``immutable``), gzip for text, and gzip
for the HTML pages themselves.

``url_for('static', filename=...)`` gets ``?v=<hash of the file's content>`` added everywhere, so a changed file
has a new URL and an unchanged one is never asked for again. A request without the current hash (an old page,
a typed URL) is served with ``no-cache`` and an ETag instead, so nobody keeps a stale file.
"""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os

from flask import Response, abort, current_app, request
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
MIN_GZIP_BYTES = 1024

_files: dict[str, tuple[float, int, str, bytes, bytes | None]] = {}


def _load(path: str):
    """(mtime, size, hash, bytes, gzip bytes or None) of a static file, read once per change."""
    stat = os.stat(path)
    cached = _files.get(path)
    if cached and cached[0] == stat.st_mtime and cached[1] == stat.st_size:
        return cached
    with open(path, "rb") as handle:
        data = handle.read()
    digest = hashlib.sha256(data).hexdigest()[:12]
    packed = gzip.compress(data, 9, mtime=0) if len(data) >= MIN_GZIP_BYTES else None
    entry = (stat.st_mtime, stat.st_size, digest, data, packed)
    _files[path] = entry
    return entry


def _path(filename: str) -> str | None:
    path = safe_join(current_app.static_folder, filename)
    return path if path and os.path.isfile(path) else None


def content_hash(filename: str) -> str | None:
    path = _path(filename)
    return _load(path)[2] if path else None


def _wants_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def _compressible(mimetype: str | None) -> bool:
    return bool(mimetype) and mimetype.startswith(COMPRESSIBLE)


def serve_static(filename):
    path = _path(filename)
    if path is None:
        abort(404)
    _, _, digest, data, packed = _load(path)
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    charset = "; charset=utf-8" if mimetype.startswith("text/") or mimetype.endswith("javascript") else ""
    response = Response(status=200, headers={"Content-Type": mimetype + charset})
    if request.args.get("v") == digest:
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept-Encoding")
    if packed is not None and _compressible(mimetype) and _wants_gzip():
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag(digest + "-gz")
        response.set_data(packed)
    else:
        response.set_etag(digest)
        response.set_data(data)
    return response.make_conditional(request)


def _compress_page(response):
    """gzip an HTML or JSON response built in memory (not files, streams or already-encoded bodies)."""
    if (response.direct_passthrough or response.is_streamed or response.status_code != 200
            or "Content-Encoding" in response.headers or not _compressible(response.mimetype)
            or request.endpoint == "static" or not _wants_gzip()):
        return response
    data = response.get_data()
    if len(data) < MIN_GZIP_BYTES:
        return response
    response.set_data(gzip.compress(data, 6))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def init_app(app):
    app.view_functions["static"] = serve_static

    @app.url_defaults
    def hashed_static_urls(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = content_hash(values["filename"])
            if digest:
                values["v"] = digest

    app.after_request(_compress_page)
