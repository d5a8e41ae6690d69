"""Import speed and limits, each figure against a baseline measured in the same run (issues 12, 15, 17).

Run:  .venv/bin/python benchmarks/bench_imports.py [--rounds N]

Figures:
- 10,000-row .xlsx: preview + apply (read, validate, duplicate check, bulk insert, commit) and read-and-validate
  alone, against the bare ``pandas.read_excel(engine="calamine")`` of the same file (goal: preview + apply <= 2x).
- 1,000-question .docx: the importer against python-docx reading the same document's paragraphs.
- The 1.3 MB .xlsx that inflates to 191 MiB (390,000 rows): seconds and memory growth until it is refused,
  in a fresh process (goals: < 2 s, < 100 MB); the baseline is the goal itself.
Times are CPU seconds of the process; rounds interleave baseline and importer so that a busy machine slows
both alike; each ratio is the median of the per-round ratios. Uses a scratch SQLite database in a temporary folder it creates and removes.
"""
import gc
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
RERUN = "python benchmarks/bench_imports.py"


def _timed(fn):
    """CPU seconds of this process (the SQLite writes included): on a machine shared with other work, wall time
    mostly measures the neighbours."""
    gc.collect()
    start = time.process_time()
    fn()
    return time.process_time() - start


def _rounds(baseline, measured, rounds):
    """(median seconds of measured, median seconds of baseline, median of per-round ratios)."""
    base_times, times, ratios = [], [], []
    for _ in range(rounds):
        base = _timed(baseline)
        spent = _timed(measured)
        base_times.append(base)
        times.append(spent)
        ratios.append(spent / base)
    return statistics.median(times), statistics.median(base_times), statistics.median(ratios)


def docx_questions(count=1000):
    """A Word bank of ``count`` questions in the layout organisers receive (sections, one option per line)."""
    from quizapp.bank import textbank

    questions = []
    for i in range(count):
        kind = ("single", "multiple", "judge")[i % 3]
        options = [] if kind == "judge" else [f"第{i}题选项{k}" + "甲乙丙丁"[k] * (1 + i % 4) for k in range(4)]
        questions.append({
            "qtype": kind, "stem": f"第{i}题：根据有关规定，乡镇人民政府在第{i % 97}项工作中应当（ ）。",
            "options": options, "answer": {"single": "ABCD"[i % 4], "multiple": "ABD", "judge": "AB"[i % 2]}[kind],
            "explanation": "解析：依法行政。" * (1 + i % 3), "difficulty": "medium", "category": "宪法/总纲",
            "law_name": "《中华人民共和国宪法》", "law_article": f"第{1 + i % 80}条", "law_version": None,
            "tags": [], "score_hint": None})
    return textbank.write_docx(textbank.layout_paragraphs(questions), title="基准题库")


def bomb_child(path):
    """Run in a fresh process: read the tall file at ``path``, print seconds and peak-RSS growth in MB."""
    import resource

    from quizapp.bank import importer
    from quizapp.common.spreadsheets import SpreadsheetError

    with open(path, "rb") as handle:
        data = handle.read()
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()  # wall time here: the goal is what an organiser (and gunicorn's timeout) sees
    try:
        importer.read_questions(data, "tall.xlsx")
        refused = False
    except SpreadsheetError:
        refused = True
    spent = time.perf_counter() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"{spent} {grown} {int(refused)} {len(data)}")


def main(argv=()):
    argv = list(argv)
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 5
    sys.path.insert(0, ROOT)
    sys.path.insert(0, HERE)
    import pandas as pd

    from bench_import import generate
    from quizapp import create_app
    from quizapp.bank import importer, services
    from quizapp.extensions import db

    results = []
    workdir = tempfile.mkdtemp(prefix="bench_imports_")
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.sqlite",
                          "SECRET_KEY": os.urandom(32).hex()})
        data = generate()
        with app.app_context():
            from flask_migrate import upgrade

            upgrade(directory=os.path.join(ROOT, "migrations"), revision="heads")
            counter = iter(range(1_000_000))

            def bare():
                pd.read_excel(io.BytesIO(data), engine="calamine")

            def preview_apply():
                bank = services.create_bank(None, f"基准{next(counter)}", None)
                db.session.commit()
                preview = importer.preview_import(data, bank, "bench.xlsx")
                importer.apply_import(None, bank, preview)
                db.session.commit()
                assert len(preview.accepted) == 10_000, preview.problems[:3]

            def read_only():
                importer.read_questions(data, "bench.xlsx")

            bare()  # warm imports and caches alike
            read_only()
            spent, base, ratio = _rounds(bare, preview_apply, rounds)
            results.append({"figure": "10,000-row .xlsx: preview + apply (s)", "value": round(spent, 3),
                            "baseline": round(base, 3), "ratio": round(ratio, 2), "unit": "s",
                            "rerun": RERUN})
            spent, base, ratio = _rounds(bare, read_only, rounds)
            results.append({"figure": "10,000-row .xlsx: read and validate only (s)", "value": round(spent, 3),
                            "baseline": round(base, 3), "ratio": round(ratio, 2), "unit": "s", "rerun": RERUN})

        document = docx_questions()

        def python_docx_read():
            from docx import Document

            [paragraph.text for paragraph in Document(io.BytesIO(document)).paragraphs]

        def docx_import():
            preview = importer.read_questions(document, "bench.docx")
            assert len(preview.accepted) == 1000 and not preview.problems, preview.problems[:3]

        python_docx_read()
        docx_import()
        spent, base, ratio = _rounds(python_docx_read, docx_import, rounds)
        results.append({"figure": "1,000-question .docx: import read + validate (s)", "value": round(spent, 3),
                        "baseline": round(base, 3), "ratio": round(ratio, 2), "unit": "s", "rerun": RERUN})

        sys.path.insert(0, os.path.join(ROOT, "tests", "bank"))
        from bankfiles import make_tall_xlsx

        tall = os.path.join(workdir, "tall.xlsx")
        with open(tall, "wb") as handle:
            handle.write(make_tall_xlsx(390_000))
        child = subprocess.run([sys.executable, os.path.abspath(__file__), "--bomb-child", tall],
                               capture_output=True, text=True, cwd=ROOT, timeout=120, check=True)
        seconds, grown, refused, size = child.stdout.split()
        assert refused == "1", "the tall file was not refused"
        results.append({"figure": f"{int(size) / 1e6:.1f} MB .xlsx inflating to 191 MiB: time to refuse (s)",
                        "value": round(float(seconds), 3), "baseline": 2.0, "ratio": round(float(seconds) / 2, 3),
                        "unit": "s (baseline = goal)", "rerun": RERUN})
        results.append({"figure": "same file: peak memory growth until refused (MB)", "value": round(float(grown), 1),
                        "baseline": 100.0, "ratio": round(float(grown) / 100, 3),
                        "unit": "MB (baseline = goal)", "rerun": RERUN})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    if "--bomb-child" in sys.argv:
        bomb_child(sys.argv[sys.argv.index("--bomb-child") + 1])
        sys.exit(0)
    rows = main(sys.argv[1:])
    print(f"{'figure':<58}{'value':>10}{'baseline':>10}{'ratio':>8}  unit")
    for row in rows:
        print(f"{row['figure']:<58}{row['value']:>10}{row['baseline']:>10}{row['ratio']:>8}  {row['unit']}")
