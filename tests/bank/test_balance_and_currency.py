"""Key balance of a bank (figures, bounds, deterministic rebalancing) and citation currency: questions and
study-note links citing a version not in force on a date fail the audit, and note links must be pinned and
open an article that holds the figures the note states."""
import datetime as dt
import json

import pytest

from bankfiles import make_csv, row
from quizapp.bank import balance, citation_audit
from quizapp.bank.qtypes import LETTERS
from quizapp.bank.rows import COLUMNS

OLD = """# 中华人民共和国示例法

2010年1月1日 第十一届全国人民代表大会常务委员会第十次会议通过

<!-- INFO END -->

第一条 为了示例，制定本法。

第二条 委员会每届任期三年。
"""
NEW = """# 中华人民共和国示例法

2010年1月1日 第十一届全国人民代表大会常务委员会第十次会议通过

2025年6月27日 第十四届全国人民代表大会常务委员会第十六次会议修订

施行日期：2026年1月1日

<!-- INFO END -->

第一条 为了示例，制定本法。

第二条 群众自治组织依法开展工作。

第三条 委员会每届任期五年。
"""
REPEALER = """# 中华人民共和国新法典

2026年3月12日 第十四届全国人民代表大会第四次会议通过

施行日期：2026年8月15日

<!-- INFO END -->

第一条 本法自2026年8月15日起施行。《中华人民共和国旧环境法》同时废止。
"""


@pytest.fixture
def laws(tmp_path):
    folder = tmp_path / "laws"
    folder.mkdir()
    (folder / "示例法(2010-01-01).md").write_text(OLD, encoding="utf-8")
    (folder / "示例法(2025-06-27).md").write_text(NEW, encoding="utf-8")
    (folder / "新法典(2026-03-12).md").write_text(REPEALER, encoding="utf-8")
    (folder / "旧环境法(2014-04-24).md").write_text(OLD.replace("示例法", "旧环境法"), encoding="utf-8")
    return folder


@pytest.mark.parametrize("law, version, on, status, reason", [
    ("示例法", "2025-06-27", "2026-12-01", "pass", ""),
    ("示例法", "2010-01-01", "2026-12-01", "fail", citation_audit.SUPERSEDED),
    ("示例法", "2010-01-01", "2025-12-31", "pass", ""),  # the revision is adopted but not yet in force
    ("示例法", "2025-06-27", "2025-12-31", "fail", citation_audit.NOT_YET_IN_FORCE),
    ("旧环境法", "2014-04-24", "2026-12-01", "fail", citation_audit.REPEALED),
    ("旧环境法", "2014-04-24", "2026-08-14", "pass", ""),
    ("没有文本的法", "2020-01-01", "2026-12-01", "unchecked", citation_audit.LAW_NOT_AVAILABLE),
])
def test_a_citation_is_current_only_for_the_version_in_force(laws, law, version, on, status, reason):
    """Is the cited version judged by the 施行日期 of the texts held and by repeals written in other laws?"""
    index = citation_audit.build_index(laws)
    result = citation_audit.check_in_force(f"《中华人民共和国{law}》", version, index, dt.date.fromisoformat(on))
    assert (result.status, result.reason) == (status, reason), result.detail


def test_note_links_must_be_pinned_and_open_the_article_they_mean(laws):
    """Is an unpinned link refused, a pinned link to a superseded version failed, and a link whose article lacks
    the figure the sentence states (the old 第二条 after renumbering) caught?"""
    index = citation_audit.build_index(laws)
    note = "\n".join([
        "每届任期五年（[第三条](law:中华人民共和国示例法@2025-06-27#第三条)）。",
        "每届任期五年（[第二条](law:中华人民共和国示例法@2025-06-27#第二条)）。",
        "每届任期三年（[第二条](law:中华人民共和国示例法@2010-01-01#第二条)）。",
        "见[第二条](law:中华人民共和国示例法#第二条)。",
    ])
    results = citation_audit.audit_note("note.md", note, index, dt.date(2026, 12, 1))
    failed = {(ident, r.check, r.reason) for ident, r in results if r.status == "fail"}
    assert failed == {("note.md:2", "figure_in_article", citation_audit.ARTICLE_WRONG),
                      ("note.md:3", "version_in_force", citation_audit.SUPERSEDED),
                      ("note.md:4", "link_pinned", citation_audit.UNPINNED)}
    assert all(r.status == "pass" for ident, r in results if ident == "note.md:1")


def test_audit_fails_superseded_citations_as_of_a_date(runner, laws, tmp_path):
    """Does `bank audit --as-of` exit 1 naming the question and note that cite a superseded version?"""
    banks, notes = tmp_path / "banks", tmp_path / "materials"
    banks.mkdir()
    notes.mkdir()
    current = row(stem="委员会每届任期（ ）年。", options=("三", "四", "五"), answer="C", 法律依据="《中华人民共和国示例法》",
                  条款="第三条", 法规版本="2025-06-27")
    (banks / "shili.csv").write_bytes(make_csv([COLUMNS, current]))
    (notes / "shili.md").write_text("---\ntitle: 示例\n---\n每届任期五年（[第三条](law:中华人民共和国示例法@2025-06-27#第三条)）。\n",
                                    encoding="utf-8")
    args = ["bank", "audit", "--laws", str(laws), "--dir", str(banks), "--notes", str(notes), "--as-of", "2026-12-01"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    stale = row(stem="依照示例法，委员会每届任期（ ）年。", options=("三", "四", "五"), answer="A", 法律依据="《中华人民共和国示例法》",
                条款="第二条", 法规版本="2010-01-01")
    (banks / "shili.csv").write_bytes(make_csv([COLUMNS, current, stale]))
    (notes / "old.md").write_text("每届任期三年（[第二条](law:中华人民共和国示例法@2010-01-01#第二条)）。\n", encoding="utf-8")
    result = runner.invoke(args=args + ["--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [f["ident"] for f in report["currency"]["failed"]] == ["shili.csv:3"]
    assert [f["ident"] for f in report["notes"]["failed"]] == ["old.md:1"]


def _single(stem, key, options=("甲", "乙乙", "丙", "丁")):
    return {"qtype": "single", "stem": stem, "options": list(options), "answer": key}


def test_balance_figures_and_bounds():
    """Does a bank whose 单选 keys are mostly A fail, and an even one pass, to the nearest whole question?"""
    skewed = [_single(f"题{i}", "A") for i in range(12)]
    assert any("答案为 A 的占 100%" in p for p in balance.measure("偏", skewed).problems)
    even = [_single(f"题{i}", "ABCD"[i % 4]) for i in range(13)]  # 4 of 13 is 31 %: as close as 13 allows
    figures = balance.measure("匀", even)
    assert figures.key_letters["A"] == pytest.approx(4 / 13, abs=1e-3)
    assert not [p for p in figures.problems if "答案为" in p]


def test_longest_option_giving_the_key_away_is_counted():
    """Is a bank where the unique longest option is the key in most 单选 failed?"""
    questions = [_single(f"题{i}", "B", ("甲", "很长很长的正确答案", "丙", "丁")) for i in range(12)]
    figures = balance.measure("长", questions)
    assert figures.longest_is_key == 1.0 and any("最长选项恰为答案" in p for p in figures.problems)


def test_rebalancing_spreads_keys_keeps_answers_and_is_idempotent():
    """Does rebalancing put each 单选 letter at 25 %, spread 多选 wrong options, keep every key's text, leave
    "以上都对" questions alone, and change nothing the second time?"""
    questions = [_single(f"第{i}题（ ）。", "A", (f"对{i}", f"错{i}甲", f"错{i}乙", f"错{i}丙")) for i in range(20)]
    questions += [{"qtype": "multiple", "stem": f"多{i}（ ）。", "options": [f"a{i}", f"b{i}", f"c{i}", f"d{i}"],
                   "answer": "ABC"} for i in range(20)]
    positional = {"qtype": "single", "stem": "哪项对（ ）。", "options": ["甲", "乙", "丙", "以上都对"], "answer": "D"}
    questions.append(positional)
    results = balance.rebalance(questions)
    assert results[-1] is None
    after = [dict(q, options=r[0], answer=r[1]) if r else q for q, r in zip(questions, results)]
    for before, now in zip(questions, after):
        assert sorted(now["options"]) == sorted(before["options"])
        assert {now["options"][LETTERS.index(c)] for c in now["answer"]} == \
               {before["options"][LETTERS.index(c)] for c in before["answer"]}
    figures = balance.measure("调", after[:-1])
    assert figures.key_letters == {"A": 0.25, "B": 0.25, "C": 0.25, "D": 0.25}
    assert figures.wrong_positions[4] == {"A": 0.25, "B": 0.25, "C": 0.25, "D": 0.25}
    assert all(r is None for r in balance.rebalance(after))


def test_rebalance_file_rewrites_only_options_and_key(tmp_path):
    """Does the CSV rebalancer rewrite option and answer cells only, and leave the file alone the second time?"""
    rows = [COLUMNS] + [row(stem=f"第{i}题（ ）。", options=(f"对{i}", f"错{i}甲", f"错{i}乙", f"错{i}丙"), answer="A",
                            解析=f"解析{i}") for i in range(8)]
    path = tmp_path / "b.csv"
    path.write_bytes(make_csv(rows))
    assert balance.rebalance_file(path) > 0
    text = path.read_text(encoding="utf-8")
    assert all(f"解析{i}" in text for i in range(8))
    assert balance.rebalance_file(path) == 0 and path.read_text(encoding="utf-8") == text


def test_pinning_uses_the_version_the_note_names_and_is_idempotent(laws):
    """Is an unpinned link pinned to the version the sources header names (else the one in force), and is
    running it again a no-op?"""
    index = citation_audit.build_index(laws)
    note = ("---\ntitle: 示例\nsources: 《中华人民共和国示例法》（2010年1月1日通过）\n---\n"
            "任期三年（[第二条](law:中华人民共和国示例法#第二条)）。见[第一条](law:中华人民共和国新法典#第一条)。"
            "[外](law:中华人民共和国不存在法#第一条)\n")
    pinned, left = citation_audit.pin_links(note, index, dt.date(2026, 12, 1))
    assert "law:中华人民共和国示例法@2010-01-01#第二条" in pinned
    assert "law:中华人民共和国新法典@2026-03-12#第一条" in pinned
    assert left == ["law:中华人民共和国不存在法#第一条"]
    assert citation_audit.pin_links(pinned, index, dt.date(2026, 12, 1))[0] == pinned
