"""Helpers shared by the practice tests: start a session and answer through the pages."""
import re

from quizapp.extensions import db
from quizapp.practice import services
from quizapp.practice.models import PracticeSession


def start(client, **choices):
    data = {"category": "", "law": "", "qtype": "", "count": "10", **choices}
    response = client.post("/practice/start", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    session_id = int(re.search(r"/practice/(\d+)$", response.headers["Location"]).group(1))
    return db.session.get(PracticeSession, session_id)


def shown(practice, seq, bank_letters):
    """The letters a cadre clicks, in the order the session shows the options, for ``bank_letters``."""
    question = services.question_at(practice, seq)
    return services.shown_question(practice, seq, question).shown(bank_letters)


def answer(client, practice, seq, response):
    """Answer the question at ``seq`` with ``response`` given in the bank's letters (the page's order differs)."""
    letters = "".join(response) if isinstance(response, (list, tuple)) else response
    if letters and all(ch in "ABCDEFGH" for ch in letters):
        response = list(shown(practice, seq, "".join(sorted(set(letters)))))
    return client.post(f"/practice/{practice.id}/answer", {"seq": str(seq), "response": response})


def fresh(practice):
    db.session.expire_all()
    return db.session.get(PracticeSession, practice.id)
