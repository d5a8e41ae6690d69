"""Drawing a paper with 案例分析 cases and variant groups, against the plain id draw it replaced.

Run:  .venv/bin/python benchmarks/bench_curriculum.py [--draws N] [--database URL]

Builds a scratch SQLite bank of 1,300 questions (a third of the 单选 in
variant groups of three, 40 cases of three sub-questions) through the
importer, then in the same run times N draws of the monthly paper with cases
(20 单选, 6 多选, 4 不定项, 10 判断, 2 cases: ``papers.draw_questions``, the
code a cadre's 开始考试 runs) and, as the baseline, N draws of the same rule
counts the way papers were drawn before: one id query per rule and a shuffle.
The ratio is the price of never splitting a case and never taking two
questions of one variant group. Best of 3 rounds.
"""
from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 3


def _bank_csv(rng) -> bytes:
    from quizapp.bank.rows import COLUMNS

    rows = [COLUMNS]

    def add(qtype, stem, options, answer, group="", case_id="", case_text=""):
        rows.append([qtype, stem, *options, *[""] * (8 - len(options)), answer, "解析内容", "中", "宪法/总纲",
                     "《中华人民共和国宪法》", "第二条", "2018-03-11", "", case_id, case_text, group])

    for i in range(600):
        group = f"bench-v{i // 3}" if i < 200 else ""
        add("单选", f"第{i}道单选题（ ）。", [f"单{i}{m}" for m in "甲乙丙丁"], rng.choice("ABCD"), group)
    for i in range(200):
        add("多选", f"第{i}道多选题（ ）。", [f"多{i}{m}" for m in "甲乙丙丁"], "AB")
    for i in range(100):
        add("不定项", f"第{i}道不定项题（ ）。", [f"定{i}{m}" for m in "甲乙丙丁"], rng.choice(["A", "BC", "ACD"]))
    for i in range(280):
        add("判断", f"第{i}道判断题。", [], rng.choice(["正确", "错误"]))
    for c in range(40):
        for k in range(3):
            add("单选" if k != 2 else "不定项", f"本案中，第{c}号案例第{k}小题（ ）。", [f"案{c}{k}{m}" for m in "甲乙丙丁"],
                "A", case_id=f"B-{c}", case_text=f"第{c}号案例的材料：某乡政府接到村民关于草场边界的信访。" if k == 0 else "")
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    return text.getvalue().encode("utf-8")


def _prepare(url):
    from flask_migrate import upgrade

    from quizapp import create_app
    from quizapp.accounts import services as accounts
    from quizapp.bank import importer
    from quizapp.bank.services import find_or_create_system_bank
    from quizapp.exams import papers, setup
    from quizapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key-0123456789"})
    context = app.app_context()
    context.push()
    upgrade(directory=str(ROOT / "migrations"), revision="heads")
    county = accounts.create_unit(None, "基准县", None, "county")
    township = accounts.create_unit(None, "基准乡", county, "township")
    from quizapp.accounts.models import User

    admin = User(login="benchadmin", name="管理员", unit_id=county.id, role="admin", password_hash="!",
                 must_change_password=False)  # never signs in: the exam's author only
    db.session.add(admin)
    db.session.flush()
    bank, _ = find_or_create_system_bank("基准题库")
    preview = importer.read_questions(_bank_csv(random.Random(2026)), "bench.csv")
    assert not preview.problems, preview.problems[:3]
    importer.apply_import(None, bank, preview)
    db.session.commit()
    template = papers.blueprint_templates()["monthly_case"]
    from datetime import timedelta

    from quizapp.common.clock import utcnow

    now = utcnow()
    exam = setup.create_exam(admin, {
        "title": "基准考试", "kind": "monthly", "period": "2026-12", "description": "", "unit_id": township.id,
        "audience_ids": [township.id], "open_at": now - timedelta(hours=1), "close_at": now + timedelta(days=1),
        "time_limit": 60, "required": True, "categories": [], "audience_shufa_only": False, "full_marks": 100,
        "pass_mark": 60, "bands": [], "multi_scoring": "all", "attempts_allowed": 1, "counting": "best",
        "unseen_first": False, "makeup_enabled": False, "makeup_open_at": None, "makeup_close_at": None,
        "makeup_attempts": 1, "shuffle_questions": True, "shuffle_options": True, "review_policy": "after_close"})
    problems = papers.apply_template(admin, exam, exam.variants[0], template)
    assert not problems, problems
    db.session.commit()
    return app, context, exam


def _time(fn, draws):
    best = None
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for n in range(draws):
            fn(random.Random(n))
        elapsed = (time.perf_counter() - start) / draws
        best = elapsed if best is None else min(best, elapsed)
    return best


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--database", default="", help="SQLAlchemy URL; default a scratch SQLite file")
    options = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    url = options.database or f"sqlite:///{tempfile.mkdtemp(prefix='bench_curriculum_')}/bench.sqlite"
    _, context, exam = _prepare(url)
    try:
        from types import SimpleNamespace

        from quizapp.bank.models import Question
        from quizapp.exams import papers
        from quizapp.extensions import db

        variant = exam.variants[0]
        person = SimpleNamespace(id=0)
        drawn = papers.draw_questions(exam, variant, person, random.Random(1))
        groups = [q.variant_group for q in drawn if q.variant_group]
        assert len(groups) == len(set(groups)), "a variant group drawn twice"

        def ours(rng):
            papers.draw_questions(exam, variant, person, rng)

        def baseline(rng):
            ids = []
            for rule in variant.rules:
                pool = papers.rule_candidates(exam, rule)
                rng.shuffle(pool)
                ids += pool[:rule.count]
            db.session.scalars(db.select(Question).where(Question.id.in_(ids))).all()

        value, base = _time(ours, options.draws), _time(baseline, options.draws)
    finally:
        context.pop()
    rerun = ".venv/bin/python benchmarks/bench_curriculum.py"
    results = [{"figure": "draw a monthly paper with 2 cases and variant groups (1,300-question bank)",
                "value": round(value * 1000, 2), "baseline": round(base * 1000, 2),
                "ratio": round(value / base, 2), "unit": "ms per paper", "rerun": rerun}]
    for row in results:
        print(f"{row['figure']}: {row['value']} {row['unit']} vs baseline {row['baseline']} → ×{row['ratio']}")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
