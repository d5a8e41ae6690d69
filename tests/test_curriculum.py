"""The curriculum that ships with quizapp: enough trustworthy questions, and materials whose article links resolve."""
import csv
import html
import re
from urllib.parse import unquote
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawfiles import LAWS_DIR
from quizapp.bank.qtypes import REGISTRY
from quizapp.study import materials as material_service
from quizapp.study.models import Material

BANKS = Path(__file__).resolve().parent.parent / "question_bank" / "banks"
TYPES = {"单选", "多选", "判断"}


def _rows():
    for path in sorted(BANKS.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                yield path.stem, row


def test_shipped_counts_and_mix():
    """At least 600 questions, 150 on the Constitution and 习近平法治思想, the three classic types each a real
    share (案例分析 sub-questions and 不定项 come on top), every type one the registry knows, all difficulties?"""
    rows = list(_rows())
    assert len(rows) >= 600
    core = [r for stem, r in rows if stem in ("xianfa", "xi_fazhi_sixiang")]
    assert len(core) >= 150
    types = {t: sum(1 for _, r in rows if r["题型"] == t) for t in TYPES}
    assert all(count >= 0.1 * len(rows) for count in types.values()), types
    assert {r["题型"] for _, r in rows} <= {t.short_label for t in REGISTRY.values()}
    assert {r["难度"] for _, r in rows} == {"易", "中", "难"}


def test_every_question_names_its_basis_and_explains_it():
    """Does every shipped question cite a law or source with a version date, and carry a 解析?"""
    for stem, row in _rows():
        where = f"{stem}: {row['题干'][:30]}"
        assert row["法律依据"].strip(), where
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["法规版本"].strip()), where
        assert len(row["解析"].strip()) >= 10, where


def test_no_question_rests_on_the_superseded_public_order_text():
    """治安管理处罚法 was revised in 2025: nothing may cite the 2012 text's article numbers."""
    for stem, row in _rows():
        if "治安管理处罚法" in row["法律依据"]:
            assert row["法规版本"] >= "2025-06-27", f"{stem}: {row['题干'][:30]}"


@pytest.mark.skipif(not LAWS_DIR.is_dir(), reason=f"reference law texts not found in {LAWS_DIR}")
def test_every_material_renders_and_its_article_links_resolve(runner, client, f, tree):
    """With the official texts loaded, does each shipped material render, and does each 法条 link open an article?"""
    assert runner.invoke(args=["laws", "import", str(LAWS_DIR)]).exit_code == 0
    summary = material_service.load_material_files(material_service.default_materials_dir())
    assert summary.errors == []
    f.user("reader01", tree["v1"])
    client.login("reader01")
    from quizapp.extensions import db

    materials = db.session.scalars(sa.select(Material)).all()
    assert len(materials) >= 20
    links = set()
    for material in materials:
        page = client.get(f"/materials/{material.id}")
        assert page.status_code == 200, material.title
        text = page.get_data(as_text=True)
        assert html.escape(material.title) in text
        links |= {html.unescape(href) for href in re.findall(r'href="(/laws/lookup\?[^"]+)"', text)}
    assert len(links) >= 50
    broken = []
    for href in sorted(links):
        response = client.get(href)
        if response.status_code != 302 or "/a/" not in response.headers["Location"]:
            broken.append(href)
            continue
        if client.get(response.headers["Location"]).status_code != 200:
            broken.append(href)
    assert broken == []


@pytest.mark.skipif(not LAWS_DIR.is_dir(), reason=f"reference law texts not found in {LAWS_DIR}")
def test_every_note_link_opens_the_article_the_note_means(runner, client, f, tree):
    """With the official texts loaded, does each 法条 link of each shipped note and case open an article whose
    text holds the figures the note's sentence states (五年, 三至七人, 500元) — not merely some article?"""
    from urllib.parse import urlsplit

    from quizapp.bank.citation_audit import link_claims, missing_figures
    from quizapp.study.markdown import law_link

    assert runner.invoke(args=["laws", "import", str(LAWS_DIR)]).exit_code == 0
    f.user("reader02", tree["v1"])
    client.login("reader02")
    notes = sorted((BANKS.parent / "materials").glob("*.md")) + sorted((BANKS.parent / "cases").glob("*.md"))
    wrong, opened = [], 0
    for path in notes:
        for claim in link_claims(path.read_text(encoding="utf-8")):
            articles = []
            for raw, _ in claim.links:
                response = client.get(law_link(raw))
                location = response.headers.get("Location", "")
                match = re.search(r"/laws/(\d+)/v/([\d-]+)/a/([^/?#]+)", urlsplit(location).path)
                if response.status_code != 302 or match is None:
                    wrong.append((path.name, claim.line, raw, "does not open an article"))
                    continue
                assert client.get(location).status_code == 200
                opened += 1
                articles.append(_article_at(match))
            missing = missing_figures(claim, articles) if len(articles) == len(claim.links) else []
            if missing:
                wrong.append((path.name, claim.line, claim.links[0][0], f"figures {missing} not in the article"))
    assert opened >= 50
    assert wrong == []


def _article_at(match):
    """The LawArticle an article page address (/laws/<law>/v/<date>/a/<ref>) shows."""
    from datetime import date as date_

    from quizapp.common.lawtext import parse_article_ref
    from quizapp.extensions import db
    from quizapp.study import library
    from quizapp.study.models import Law

    law = db.session.get(Law, int(match.group(1)))
    version = library.version_by_date(law, date_.fromisoformat(match.group(2)))
    number, suffix, _ = parse_article_ref(unquote(match.group(3)))
    return library.get_article(version, number, suffix)
