"""`flask bank …`: import with its JSON report and exit codes, export, the shipped banks and the citation audit."""
import json
from pathlib import Path

import sqlalchemy as sa

from bankfiles import GOOD_ROWS, make_csv, make_xlsx, row
from quizapp.bank import services
from quizapp.bank.models import Bank, ImportRecord, Question
from quizapp.bank.rows import COLUMNS
from quizapp.extensions import db

SHIPPED = Path(__file__).resolve().parents[2] / "question_bank" / "banks"


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_import_json_shape_and_bank_creation(runner, tmp_path):
    """Does `bank import --json` print exactly file/accepted/duplicates/rejected and create a missing system bank?"""
    path = write(tmp_path, "q.xlsx", make_xlsx({"题库": [COLUMNS] + GOOD_ROWS + [GOOD_ROWS[0]]}))
    result = runner.invoke(args=["bank", "import", path, "--bank", "县题库", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"file": path, "accepted": 3, "duplicates": 1, "rejected": []}
    bank = db.session.scalar(sa.select(Bank).where(Bank.name == "县题库"))
    assert bank.unit_id is None and count(Question, Question.bank_id == bank.id) == 3
    again = runner.invoke(args=["bank", "import", path, "--bank", "县题库", "--json"])
    assert json.loads(again.stdout)["duplicates"] == 4 and again.exit_code == 1  # nothing new: not a success


def test_rejected_rows_exit_1_and_import_nothing(runner, tmp_path):
    """With bad rows, does the import list them, exit 1 and write nothing, unless --valid-only is given?"""
    path = write(tmp_path, "q.csv", make_csv([COLUMNS, GOOD_ROWS[0], row(stem="")]))
    result = runner.invoke(args=["bank", "import", path, "--bank", "县题库", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["rejected"] == [{"sheet": "CSV", "row": 3, "column": "题干", "message": "题干为空"}]
    assert count(Question) == 0
    result = runner.invoke(args=["bank", "import", path, "--bank", "县题库", "--valid-only"])
    assert result.exit_code == 0 and "已导入 1 道试题" in result.output
    assert count(Question) == 1 and count(ImportRecord) == 1


def test_refused_file_exits_2(runner, tmp_path):
    """Is a file that is not a spreadsheet refused as a whole with exit status 2 and the JSON shape?"""
    path = write(tmp_path, "fake.xlsx", b"PK\x03\x04 not really a zip")
    result = runner.invoke(args=["bank", "import", path, "--bank", "县题库", "--json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["accepted"] == 0 and "已损坏" in report["rejected"][0]["message"]
    assert count(Bank) == 0


def test_dry_run_writes_nothing(runner, tmp_path):
    """Does --dry-run report and leave the database untouched (not even the bank)?"""
    path = write(tmp_path, "q.xlsx", make_xlsx({"题库": [COLUMNS] + GOOD_ROWS}))
    result = runner.invoke(args=["bank", "import", path, "--bank", "新题库", "--dry-run"])
    assert result.exit_code == 0 and "可导入 3" in result.output
    assert count(Bank) == 0 and count(Question) == 0


def test_export_round_trip(runner, tmp_path):
    """Does `bank export` write an .xlsx that imports back into another bank unchanged?"""
    runner.invoke(args=["bank", "import", write(tmp_path, "q.xlsx", make_xlsx({"题库": [COLUMNS] + GOOD_ROWS})),
                        "--bank", "甲"])
    out = tmp_path / "out.xlsx"
    result = runner.invoke(args=["bank", "export", "--bank", "甲", str(out)])
    assert result.exit_code == 0 and "已导出 3 道试题" in result.output
    back = runner.invoke(args=["bank", "import", str(out), "--bank", "乙", "--json"])
    assert json.loads(back.stdout)["accepted"] == 3
    fingerprints = {b: set(db.session.scalars(sa.select(Question.fingerprint).join(Bank).where(Bank.name == b)))
                    for b in ("甲", "乙")}
    assert fingerprints["甲"] == fingerprints["乙"]
    assert runner.invoke(args=["bank", "export", "--bank", "无此题库", str(out)]).exit_code != 0


def test_load_shipped_is_idempotent(runner, app, tmp_path):
    """Does load-shipped put each CSV into a system bank named for its subject, and a second run add nothing?"""
    (tmp_path / "jindu.csv").write_bytes(make_csv([COLUMNS] + GOOD_ROWS))
    (tmp_path / "some_new_law.csv").write_bytes(make_csv([COLUMNS, row(法律依据="《中华人民共和国示例法》")]))
    app.config["SHIPPED_BANKS_DIR"] = str(tmp_path)
    first = runner.invoke(args=["bank", "load-shipped"])
    assert first.exit_code == 0, first.output
    names = set(db.session.scalars(sa.select(Bank.name).where(Bank.unit_id.is_(None))))
    assert names == {"禁毒法", "示例法"} and count(Question) == 4
    second = runner.invoke(args=["bank", "load-shipped"])
    assert "新增试题 0 道" in second.output and count(Question) == 4
    (tmp_path / "jindu.csv").write_bytes(make_csv([COLUMNS] + GOOD_ROWS + [row(stem="新增一题（ ）")]))
    third = runner.invoke(args=["bank", "load-shipped"])
    assert "新增 1，重复 3" in third.output and count(Question) == 5


def test_load_shipped_reports_bad_rows(runner, app, tmp_path):
    """Does load-shipped load the valid rows of a file with a bad row, list the bad row and exit 1?"""
    (tmp_path / "jindu.csv").write_bytes(make_csv([COLUMNS, GOOD_ROWS[0], row(answer="")]))
    app.config["SHIPPED_BANKS_DIR"] = str(tmp_path)
    result = runner.invoke(args=["bank", "load-shipped"])
    assert result.exit_code == 1 and "第 3 行「答案」：答案为空" in result.output and count(Question) == 1


def test_shipped_banks_load_cleanly(app):
    """Do all shipped banks read through the importer with no rejected row and no duplicate?"""
    files = services.shipped_files(SHIPPED)
    assert files, "no shipped banks found"
    from quizapp.bank import importer

    total = 0
    for path in files:
        preview = importer.read_questions(path.read_bytes(), path.name)
        assert [str(p) for p in preview.problems] == [], path.name
        assert preview.duplicates == [], path.name
        assert path.stem in services.SHIPPED_BANK_NAMES, f"{path.name} has no bank name"
        total += len(preview.accepted)
    results = services.load_shipped(SHIPPED)
    db.session.commit()
    assert sum(r.added for r in results) == total
    assert sum(r.added for r in services.load_shipped(SHIPPED)) == 0


def test_demo_loads_the_shipped_banks(app):
    """Does the demo leave questions in system banks, and a second run add none?"""
    from quizapp.demo import load_demo

    summary = load_demo()
    db.session.commit()
    assert summary["questions_added"] > 0 and count(Question) == summary["questions_added"]
    assert load_demo()["questions_added"] == 0


LAW = """# 中华人民共和国示例法

2020年1月1日 第十三届全国人民代表大会常务委员会第十五次会议通过

<!-- INFO END -->

## 第一章 总则

第一条 为了示例，制定本法。

第二条 申请人应当在收到通知之日起六十日内提出申请。
"""


def test_audit_reads_shipped_csvs_through_the_importer(runner, tmp_path):
    """Does `bank audit` pass a correct citation and exit 1 on an article that does not exist?"""
    laws, banks = tmp_path / "laws", tmp_path / "banks"
    laws.mkdir()
    banks.mkdir()
    (laws / "示例法(2020-01-01).md").write_text(LAW, encoding="utf-8")
    good = row(stem="申请人应当在收到通知之日起（ ）内提出申请。", options=("三十日", "六十日", "九十日"), answer="B",
               法律依据="《中华人民共和国示例法》", 条款="第二条", 法规版本="2020-01-01")
    (banks / "shili.csv").write_bytes(make_csv([COLUMNS, good]))
    result = runner.invoke(args=["bank", "audit", "--laws", str(laws), "--dir", str(banks), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["questions"] == 1 and report["failures"] == [] and report["rejected_rows"] == []
    assert report["results"][0]["ident"] == "shili.csv:2"
    wrong = list(good)
    wrong[COLUMNS.index("条款")] = "第九条"
    wrong[COLUMNS.index("题干")] = "依照示例法，申请期限为（ ）。"
    (banks / "shili.csv").write_bytes(make_csv([COLUMNS, good, wrong]))
    result = runner.invoke(args=["bank", "audit", "--laws", str(laws), "--dir", str(banks)])
    assert result.exit_code == 1 and "shili.csv:3" in result.output
