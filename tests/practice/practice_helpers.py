"""Helpers shared by the practice tests: start a session and answer through the pages."""
import re

from quizapp.extensions import db
from quizapp.practice.models import PracticeSession


def start(client, **choices):
    data = {"category": "", "law": "", "qtype": "", "count": "10", **choices}
    response = client.post("/practice/start", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    session_id = int(re.search(r"/practice/(\d+)$", response.headers["Location"]).group(1))
    return db.session.get(PracticeSession, session_id)


def answer(client, practice, seq, response):
    return client.post(f"/practice/{practice.id}/answer", {"seq": str(seq), "response": response})


def fresh(practice):
    db.session.expire_all()
    return db.session.get(PracticeSession, practice.id)
