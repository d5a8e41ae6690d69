"""The curriculum that ships with quizapp: enough trustworthy questions, and materials whose article links resolve."""
import csv
import html
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawfiles import LAWS_DIR
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
    """At least 600 questions, 150 on the Constitution and 习近平法治思想, all three types and difficulties?"""
    rows = list(_rows())
    assert len(rows) >= 600
    core = [r for stem, r in rows if stem in ("xianfa", "xi_fazhi_sixiang")]
    assert len(core) >= 150
    types = {t: sum(1 for _, r in rows if r["题型"] == t) for t in TYPES}
    assert all(count >= 0.2 * len(rows) for count in types.values()), types
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
