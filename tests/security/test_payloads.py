"""XSS and formula payloads in every user-entered field, checked on every page and export that shows them."""
import io

import openpyxl
import pytest

from securitykit import MARKER, PROBE_QUERY, build_world, methods, route_url, rules

SCRIPT = "<img src=x onerror=alert(1)>"
PAYLOAD = "=1+2" + SCRIPT  # a formula to a spreadsheet, markup to a browser


@pytest.fixture
def hostile_world(f, tree):
    return build_world(f, tree, PAYLOAD)


def _formula_cells(data):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [f"{sheet.title}!{cell.coordinate}={cell.value!r}" for sheet in book.worksheets
            for row in sheet.iter_rows() for cell in row
            if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")))]


def test_payloads_are_inert_on_every_page_and_export(app, make_client, hostile_world):
    """With markup-and-formula names, titles, stems and notes everywhere, does every page an administrator opens
    escape them, and every workbook keep them as text?"""
    admin = make_client()
    assert admin.login("admin01").status_code == 302
    probe = PROBE_QUERY.format(**hostile_world["ids"])
    problems, seen_pages, seen_books = [], 0, 0
    for rule in rules(app):
        if "GET" not in methods(rule) or rule.endpoint == "static":
            continue
        url = route_url(app, rule, hostile_world["ids"])
        for query in ("", "?" + probe, "?" + probe + "&format=xlsx"):
            response = admin.get(url + query)
            response.close()
            if response.status_code != 200:
                continue
            data = response.get_data()
            if data[:2] == b"PK" and "wordprocessingml" in response.mimetype:
                continue  # a Word export has no formulas; test_routes reads its text for leaks
            if data[:2] == b"PK":
                seen_books += 1
                problems += [f"{url}{query}: formula {cell}" for cell in _formula_cells(data)]
            elif response.mimetype == "text/html":
                seen_pages += 1
                if SCRIPT in data.decode("utf-8", "replace"):
                    problems.append(f"{url}{query}: markup not escaped")
    assert problems == []
    assert seen_pages > 40 and seen_books >= 6  # the walk did reach the pages and exports


def test_the_walk_would_see_a_leak(make_client, f, tree):
    """Does the marker show up where it is allowed (an administrator's view), so its absence means something?"""
    world = build_world(f, tree, MARKER)
    admin = make_client()
    admin.login("admin01")
    assert MARKER in admin.get(f"/users/{world['victim'].id}").get_data(as_text=True)
    book = openpyxl.load_workbook(io.BytesIO(admin.get("/users/export.xlsx").data))
    assert any(MARKER in str(cell) for row in book.active.iter_rows(values_only=True) for cell in row)
