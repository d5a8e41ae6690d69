"""The baseline for bench_exam.py: a bare Flask app doing what a save must do and nothing else.

Flask-Login (the signed-in user loaded from the database on every request), Flask-WTF's CSRF check on the JSON
post, and a conditional UPDATE of the answer row (only a newer ``seq`` wins) with its commit. Served by gunicorn
exactly like the app (same workers, threads, database), so the ratio of saves per second says what quizapp's
ownership, deadline and attempt checks cost over the least an authenticated, CSRF-checked save can do.
"""
import os

import sqlalchemy as sa
from flask import Flask, jsonify, request
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_wtf.csrf import CSRFProtect, generate_csrf

URL = os.environ["CEILING_DATABASE_URL"]
POSITIONS = 50
engine = sa.create_engine(URL)
if engine.dialect.name == "sqlite":
    @sa.event.listens_for(engine, "connect")
    def _pragmas(connection, _record):
        cursor = connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=10000", "synchronous=NORMAL"):
            cursor.execute("PRAGMA " + pragma)
        cursor.close()

# Preloaded by gunicorn.conf.py like the app: a forked worker must not share the master's connections.
os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))

metadata = sa.MetaData()
people = sa.Table("ceiling_people", metadata, sa.Column("id", sa.Integer, primary_key=True))
saves = sa.Table("ceiling_saves", metadata,
                 sa.Column("cadre", sa.Integer, primary_key=True),
                 sa.Column("position", sa.Integer, primary_key=True),
                 sa.Column("response", sa.String(8), nullable=False, default=""),
                 sa.Column("seq", sa.Integer, nullable=False, default=0))
metadata.create_all(engine)

app = Flask(__name__)
app.config.update(SECRET_KEY=os.environ.get("SECRET_KEY", "ceiling"), SESSION_REFRESH_EACH_REQUEST=False,
                  WTF_CSRF_TIME_LIMIT=None)
csrf = CSRFProtect(app)
login_manager = LoginManager(app)


class Person(UserMixin):
    def __init__(self, id):
        self.id = id


@login_manager.user_loader
def load_person(person_id):
    with engine.connect() as connection:
        found = connection.execute(sa.select(people.c.id).where(people.c.id == int(person_id))).scalar()
    return Person(found) if found is not None else None


@app.post("/login")
@csrf.exempt
def login():
    """Make the person and their 50 answer rows (as starting an attempt does), sign in, hand out the token."""
    cadre = int(request.get_json()["cadre"])
    with engine.begin() as connection:
        if connection.execute(sa.select(people.c.id).where(people.c.id == cadre)).scalar() is None:
            connection.execute(people.insert().values(id=cadre))
            connection.execute(saves.insert(), [{"cadre": cadre, "position": p, "response": "", "seq": 0}
                                                for p in range(1, POSITIONS + 1)])
    login_user(Person(cadre))
    return jsonify(token=generate_csrf())


@app.post("/save")
@login_required
def save():
    answer = request.get_json()["answers"][0]
    with engine.begin() as connection:
        done = connection.execute(
            saves.update().where(saves.c.cadre == current_user.id, saves.c.position == int(answer["position"]),
                                 saves.c.seq < int(answer["seq"]))
            .values(response=str(answer["response"])[:8], seq=int(answer["seq"]))).rowcount
    return jsonify(saved=[{"position": answer["position"], "seq": answer["seq"], "accepted": bool(done)}])
