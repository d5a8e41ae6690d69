"""The ceiling for bench_exam.py: a bare Flask + SQLAlchemy endpoint that inserts one row and commits.

Served by gunicorn exactly like the app (same workers, threads, database), so the ratio
app saves/s ÷ ceiling inserts/s says what quizapp's auth, CSRF, ownership and deadline
checks and conditional update cost over the least any Flask + SQLAlchemy write can do.
"""
import os

import sqlalchemy as sa
from flask import Flask, jsonify, request

URL = os.environ["CEILING_DATABASE_URL"]
engine = sa.create_engine(URL, pool_pre_ping=True)
if engine.dialect.name == "sqlite":
    @sa.event.listens_for(engine, "connect")
    def _pragmas(connection, _record):
        cursor = connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=10000", "synchronous=NORMAL"):
            cursor.execute("PRAGMA " + pragma)
        cursor.close()

metadata = sa.MetaData()
saves = sa.Table("ceiling_saves", metadata,
                 sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("cadre", sa.Integer, nullable=False),
                 sa.Column("position", sa.Integer, nullable=False),
                 sa.Column("response", sa.String(8), nullable=False),
                 sa.Column("seq", sa.Integer, nullable=False))
metadata.create_all(engine)

app = Flask(__name__)


@app.post("/save")
def save():
    body = request.get_json()
    answer = body["answers"][0]
    with engine.begin() as connection:
        connection.execute(saves.insert().values(cadre=int(body["cadre"]), position=int(answer["position"]),
                                                 response=str(answer["response"])[:8], seq=int(answer["seq"])))
    return jsonify(saved=[{"position": answer["position"], "seq": answer["seq"], "accepted": True}])
