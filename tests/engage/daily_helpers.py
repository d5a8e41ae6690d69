"""Start and answer 每日一练 through the pages, as a cadre's phone does."""
import re

from quizapp.engage.models import DailySet
from quizapp.extensions import db
from quizapp.practice import services as practice


def start(client):
    response = client.post("/daily/start")
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/daily/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    db.session.expire_all()
    return db.session.get(DailySet, int(match.group(1)))


def answer(client, daily, seq, response):
    """Post an answer given in the bank's letters, translated to the letters this session shows (options are
    shuffled per session, as in 模拟练习)."""
    question = practice.question_at(daily.session, seq)
    shown = practice.shown_question(daily.session, seq, question).shown(response) if question else response
    return client.post(f"/daily/{daily.id}/answer", {"seq": str(seq), "response": shown})


def answer_all(client, daily, right):
    """Answer every question of the set: those whose ids are in ``right`` correctly (factory key A)."""
    for seq, question_id in enumerate(daily.session.question_ids):
        answer(client, daily, seq, "A" if question_id in right else "B")
    db.session.expire_all()
