"""Deterministic report data at scale: a unit tree, cadres, a year of monthly exams, study time, sessions.

Run:  createdb -h 127.0.0.1 -U postgres bench_mine && DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_mine \
      .venv/bin/python benchmarks/gen_data.py --cadres 100000 --months 12

The database must be empty (it is never emptied here; --keep adds to one that has the schema); it is
upgraded to the project's migrations. Rows go in with COPY on PostgreSQL and executemany on
SQLite. What it makes, per 10,000 cadres: one county of 15 townships, each
with 3 organs and 15 administrative villages (1 + 15·18 units); about 5% 述法对象
in the organs, 3–4 法律明白人 per village; 3% who join during the year and 2%
deactivated during it; one required exam a month for everyone (about 93%
sit, scores around 82), one to three study-credit rows per person per month,
six required materials (about 80% completed), and a 法治讲堂 or 集中学法 per
township per month with about 20 cadres and some villagers present.
Exam attempts are not generated: reports read only exam_results.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

UTC = timezone.utc
YEAR = 2026
TOWNSHIPS_PER_COUNTY = 15
VILLAGES_PER_TOWNSHIP = 15
ORGANS_PER_TOWNSHIP = 3
STUDY_CATEGORIES = ("习近平法治思想", "宪法", "法律法规", "党内法规")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国志"
PASSWORD_HASH = "scrypt:32768:8:1$benchmark$" + "0" * 128  # nobody signs in as a generated cadre


def local(year, month, day, hour=9):
    return datetime(year, month, day, hour, tzinfo=UTC) - timedelta(hours=8)


def naive(moment):
    return moment.astimezone(UTC).replace(tzinfo=None)


class Writer:
    """Bulk inserts: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection):
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def insert(self, table, columns, rows):
        rows = list(rows)
        if not rows:
            return 0
        if self.postgres:
            raw = self.connection.connection.dbapi_connection
            with raw.cursor() as cursor:
                with cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            self.connection.exec_driver_sql(f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})', rows)
        return len(rows)


def is_empty(url) -> bool:
    """True when the database has no tables yet (gen_data fills only databases that hold nothing)."""
    engine = sa.create_engine(url)
    try:
        return not sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def migrate(url):
    from flask_migrate import upgrade

    from quizapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(directory=os.path.join(ROOT, "migrations"), revision="heads")
        from quizapp.extensions import db

        db.engine.dispose()


def generate(url, cadres, months, seed=2026, log=print):
    rng = random.Random(seed)
    engine = sa.create_engine(url)
    counts = {}
    started = time.perf_counter()
    with engine.begin() as conn:
        w = Writer(conn)
        if w.postgres:
            # Generated rows are consistent by construction: skip per-row foreign-key triggers (superuser only).
            try:
                with conn.begin_nested():
                    conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            except sa.exc.DBAPIError:
                log("note: not a superuser, loading with foreign-key checks")
        created = naive(local(YEAR - 1, 6, 1))
        # ------------------------------------------------ units
        counties = max(1, round(cadres / 10_000))
        units, places = [], []  # places: (unit id, kind, township index) where people work
        next_id = 1

        def unit(name, parent, kind, depth, path_parent):
            nonlocal next_id
            uid = next_id
            next_id += 1
            path = f"{path_parent}{uid}/"
            units.append((uid, name, kind, parent, path, depth, 0, created))
            return uid, path

        root_id, root_path = unit("示范市", None, "county", 0, "/")
        township_ids, county_ids = [], []
        for c in range(counties):
            county_id, county_path = unit(f"第{c + 1}县", root_id, "county", 1, root_path)
            county_ids.append(county_id)
            for t in range(TOWNSHIPS_PER_COUNTY):
                town_id, town_path = unit(f"第{c + 1}县第{t + 1}乡", county_id, "township", 2, county_path)
                township_ids.append(town_id)
                for o, organ in enumerate(("乡党委", "乡政府", "乡直单位")[:ORGANS_PER_TOWNSHIP]):
                    oid, _ = unit(organ, town_id, "organ", 3, town_path)
                    places.append((oid, "organ", town_id))
                for v in range(VILLAGES_PER_TOWNSHIP):
                    vid, _ = unit(f"第{v + 1}村", town_id, "village", 3, town_path)
                    places.append((vid, "village", town_id))
        counts["units"] = w.insert("units", ["id", "name", "kind", "parent_id", "path", "depth", "sort_order",
                                             "created_at"], units)
        # ------------------------------------------------ people
        per_place = cadres / len(places)
        people = []  # (id, unit_id, category, shufa, created, deactivated, township)
        user_rows = []
        uid = 0
        leftover = 0.0
        for place_id, kind, town_id in places:
            leftover += per_place
            n = int(leftover)
            leftover -= n
            for i in range(n):
                uid += 1
                if kind == "village":
                    category = "legal_aide" if i < rng.choice((2, 3, 3, 4)) else ("village" if i < 10 else "general")
                    shufa = False
                else:
                    category = "leading" if i < 4 else "general"
                    shufa = i < 6
                joined = created
                roll = rng.random()
                deactivated = None
                if roll < 0.03:
                    joined = naive(local(YEAR, rng.randint(2, 11), rng.randint(1, 28)))
                elif roll < 0.05:
                    deactivated = naive(local(YEAR, rng.randint(1, 11), rng.randint(1, 28)))
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
                people.append((uid, place_id, category, shufa, joined, deactivated, town_id))
                user_rows.append((uid, f"c{uid:07d}", name, PASSWORD_HASH, place_id, "", "none", category, shufa,
                                  "cadre", f"139{uid:08d}", deactivated is None, False, 1, joined, joined, None,
                                  deactivated))
        # Leaders for benchmarks to sign in as: one at the root, one per county.
        counts["users"] = w.insert("users", [
            "id", "login", "name", "password_hash", "unit_id", "title", "rank", "category", "shufa", "role", "phone",
            "active", "must_change_password", "session_version", "created_at", "updated_at", "last_login_at",
            "deactivated_at"], user_rows)
        del user_rows
        # ------------------------------------------------ exams and results
        exams, exam_units, results = [], [], []
        result_id = 0
        for month in range(1, months + 1):
            opens, closes = local(YEAR, month, 5), local(YEAR, month, 25, 18)
            exams.append((month, root_id, f"{YEAR}年{month}月学法测试", "monthly", f"{YEAR}-{month:02d}", "",
                          "published", naive(opens), naive(closes), 60, True, "", False, 100.0, 60.0,
                          '[["优秀", 90], ["良好", 80], ["合格", 60]]', "all", 1, "best", True, False, 1, True, True,
                          "after_close", naive(opens), naive(opens), naive(opens)))
            exam_units.append((month, root_id))
            for pid, unit_id, category, shufa, joined, deactivated, town in people:
                if joined >= naive(closes) or (deactivated is not None and deactivated < naive(closes)):
                    continue
                if rng.random() > 0.93:
                    continue
                score = max(20.0, min(100.0, round(rng.gauss(82, 10) / 2) * 2.0))
                band = "优秀" if score >= 90 else "良好" if score >= 80 else "合格" if score >= 60 else "不合格"
                result_id += 1
                when = naive(opens + timedelta(minutes=rng.randint(0, 20 * 24 * 60)))
                results.append((result_id, month, pid, unit_id, None, 1, score, score, score, 100.0, band,
                                score >= 60, rng.randint(600, 3000), when, False, 0, False, when))
        counts["exams"] = w.insert("exams", [
            "id", "unit_id", "title", "kind", "period", "description", "status", "open_at", "close_at", "time_limit",
            "required", "audience_categories", "audience_shufa_only", "full_marks", "pass_mark", "bands",
            "multi_scoring", "attempts_allowed", "counting", "unseen_first", "makeup_enabled", "makeup_attempts",
            "shuffle_questions", "shuffle_options", "review_policy", "created_at", "updated_at", "published_at"],
            exams)
        w.insert("exam_units", ["exam_id", "unit_id"], exam_units)
        counts["exam_results"] = w.insert("exam_results", [
            "id", "exam_id", "user_id", "unit_id", "attempt_id", "attempts_used", "score", "best_score", "last_score",
            "max_score", "band", "passed", "time_used", "submitted_at", "is_makeup", "page_leaves", "flagged",
            "updated_at"], results)
        del results
        # ------------------------------------------------ study credits and materials
        credits = []
        for pid, unit_id, category, shufa, joined, deactivated, town in people:
            for month in range(1, months + 1):
                if naive(local(YEAR, month, 28)) < joined or (deactivated and naive(local(YEAR, month, 1)) > deactivated):
                    continue
                for cat in rng.sample(STUDY_CATEGORIES, rng.choice((1, 1, 2, 3))):
                    source = rng.choice(("material", "material", "law", "practice"))
                    credits.append((pid, YEAR, month, cat, source, rng.randint(10, 240) * 60))
        counts["study_credits"] = w.insert("study_credits", ["user_id", "year", "month", "category", "source",
                                                             "seconds"], credits)
        del credits
        materials, requirements, progress = [], [], []
        for m in range(1, 7):
            due = date(YEAR, 2 * m, 28)
            materials.append((m, f"必学资料{m}", STUDY_CATEGORIES[m % 4], "markdown", "正文", 30, "", None, True,
                              naive(local(YEAR, 1, 2)), naive(local(YEAR, 1, 2)), naive(local(YEAR, 1, 2))))
            requirements.append((m, m, YEAR, None, due, naive(local(YEAR, 1, 2))))
        for pid, unit_id, category, shufa, joined, deactivated, town in people:
            for m in range(1, 7):
                roll = rng.random()
                if roll < 0.8:
                    when = naive(local(YEAR, 2 * m, rng.randint(1, 27)))
                    progress.append((pid, YEAR, m, rng.randint(900, 3600), True, when, when, when))
                elif roll < 0.9:
                    when = naive(local(YEAR, 2 * m, rng.randint(1, 27)))
                    progress.append((pid, YEAR, m, rng.randint(60, 600), False, None, when, when))
        w.insert("materials", ["id", "title", "category", "kind", "body", "minutes", "sources", "unit_id",
                               "published", "published_at", "created_at", "updated_at"], materials)
        w.insert("material_requirements", ["id", "material_id", "year", "unit_id", "due_date", "created_at"],
                 requirements)
        counts["study_progress"] = w.insert("study_progress", [
            "user_id", "year", "material_id", "seconds", "reached_end", "completed_at", "first_at", "last_at"],
            progress)
        del progress
        # ------------------------------------------------ offline sessions
        by_town = {}
        for pid, unit_id, category, shufa, joined, deactivated, town in people:
            if deactivated is None:
                by_town.setdefault(town, []).append(pid)
        sessions, attendance = [], []
        sid = 0
        for town in township_ids:
            members = by_town.get(town, [])
            for month in range(1, months + 1):
                sid += 1
                kind = "法治讲堂" if month % 2 else "集中学法"
                held = date(YEAR, month, 15)
                sessions.append((sid, kind, f"{month}月{kind}", "法律法规", held, 90, town, "", "",
                                 rng.randint(0, 150) if kind == "法治讲堂" else 0, "", naive(local(YEAR, month, 16)),
                                 naive(local(YEAR, month, 16))))
                for pid in rng.sample(members, min(len(members), 20)):
                    attendance.append((sid, pid, "manual", naive(local(YEAR, month, 16))))
        w.insert("offline_sessions", ["id", "kind", "topic", "category", "held_on", "minutes", "unit_id", "speaker",
                                      "location", "public_count", "notes", "created_at", "updated_at"], sessions)
        counts["offline_attendance"] = w.insert("offline_attendance", ["session_id", "user_id", "added_via",
                                                                       "added_at"], attendance)
        if w.postgres:
            for table in ("units", "users", "exams", "exam_results", "materials", "material_requirements",
                          "offline_sessions"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    log(f"loaded in {time.perf_counter() - started:.1f} s")
    engine.dispose()
    counts["seconds"] = round(time.perf_counter() - started, 1)
    log(" ".join(f"{k}={v}" for k, v in counts.items()))
    return {"root_id": root_id, "county_id": county_ids[0], "township_id": township_ids[0], "counts": counts}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cadres", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="add to a database that already has the schema")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL")
    if not url:
        parser.error("set DATABASE_URL (postgresql+psycopg://… or sqlite:////path/file.db)")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if not args.keep and not is_empty(url):
        # It never empties a database: a benchmark must not be able to wipe one it did not create.
        parser.error("the database is not empty: give a new one (createdb …), or --keep to add to it")
    migrate(url)
    generate(url, args.cadres, min(12, max(1, args.months)), args.seed)


if __name__ == "__main__":
    main()
