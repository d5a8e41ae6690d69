"""知识竞赛: building, stepping with countdowns, answers stored once, distributions, leaderboard vs recount,
attendance as a 法治讲堂, and the refusals."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp.common.errors import ServiceError
from quizapp.engage import contest as contests
from quizapp.engage.models import Contest, ContestAnswer, ContestPlayer
from quizapp.extensions import db
from quizapp.study.models import OfflineAttendance, OfflineSession, StudyCredit


@pytest.fixture
def setup(f, tree, clock):
    organiser = f.user("org_contest", tree["jia"], role="organiser")
    bank = f.bank("竞赛题库")
    f.questions(6, bank=bank)
    made = contests.create_contest(organiser, title="宪法知识竞赛", bank_id=bank.id, count=5, seconds=20,
                                   now=clock.now)
    db.session.commit()
    players = [f.user(f"ct_{n}", tree["v1"] if n < 3 else tree["v2"], name=f"选手{n}") for n in range(5)]
    for person in players:
        contests.join(person, made.join_code, clock.now)
    db.session.commit()
    return {"organiser": organiser, "contest": made, "players": players, "bank": bank}


def test_building_draws_questions_and_a_join_code(setup):
    made = setup["contest"]
    assert made.total == 5 and len(set(made.question_ids)) == 5
    assert len(made.join_code) == 6 and made.join_code.isdigit()
    assert made.status == "draft" and made.current == -1


@pytest.mark.parametrize("values,field", [
    ({"title": ""}, "title"), ({"count": 0}, "count"), ({"count": 51}, "count"), ({"seconds": 7}, "seconds"),
    ({"bank_id": 999999}, "bank_id"), ({"count": 7}, "count"),
])
def test_building_refuses_bad_choices(setup, clock, values, field):
    args = {"title": "竞赛", "bank_id": setup["bank"].id, "count": 5, "seconds": 20, **values}
    with pytest.raises(ServiceError) as error:
        contests.create_contest(setup["organiser"], now=clock.now, **args)
    assert field in [f for f, _ in error.value.problems]


def test_stepping_answers_and_leaderboard_with_ties_by_time(setup, clock):
    """Do answers count only for the question on screen within its countdown, once each, and does the
    leaderboard order by correct answers then time, matching a recount from the stored answers?"""
    made, players = setup["contest"], setup["players"]
    assert contests.next_question(made, -1, clock.now)
    assert not contests.next_question(made, -1, clock.now)  # a double click moves once
    assert made.current == 0 and made.status == "running"
    with pytest.raises(ServiceError):
        contests.answer(players[0], made, 1, "A", clock.now)  # not the question on screen
    clock.advance(seconds=3)
    contests.answer(players[0], made, 0, "A", clock.now)
    clock.advance(seconds=2)
    contests.answer(players[1], made, 0, "A", clock.now)
    contests.answer(players[2], made, 0, "B", clock.now)
    stored, new = contests.answer(players[0], made, 0, "B", clock.now)  # a retry changes nothing
    assert not new and stored.response == "A"
    state = contests.screen_state(made, clock.now)
    assert state["open"] and state["answered"] == 3 and state["key"] is None and state["distribution"] is None
    clock.advance(seconds=20)  # time is up: a late answer (beyond the grace) is refused
    with pytest.raises(ServiceError, match="时间已过"):
        contests.answer(players[3], made, 0, "A", clock.now)
    state = contests.screen_state(made, clock.now)
    assert state["distribution"] == {"A": 2, "B": 1} and state["key"] == "A"

    contests.next_question(made, 0, clock.now)
    clock.advance(seconds=1)
    contests.answer(players[1], made, 1, "A", clock.now)
    clock.advance(seconds=1)
    contests.answer(players[0], made, 1, "A", clock.now)
    contests.reveal(made, 1, clock.now)
    with pytest.raises(ServiceError):
        contests.answer(players[2], made, 1, "A", clock.now + timedelta(seconds=5))
    db.session.commit()

    board = contests.leaderboard(made, limit=None)
    # players 0 and 1 both have 2 correct: 0 took 3 s + 2 s, 1 took 5 s + 1 s.
    assert [(s.name, s.correct, s.time_ms) for s in board[:2]] == [("选手0", 2, 5000), ("选手1", 2, 6000)]
    recount = {}
    for a in db.session.scalars(sa.select(ContestAnswer).where(ContestAnswer.contest_id == made.id)):
        c, t = recount.get(a.user_id, (0, 0))
        recount[a.user_id] = (c + a.correct, t + (a.elapsed_ms if a.correct else 0))
    for person in players:
        recount.setdefault(person.id, (0, 0))
    expected = sorted(recount.items(), key=lambda kv: (-kv[1][0], kv[1][1]))
    assert [(s.user_id, s.correct, s.time_ms) for s in board][:2] == [(u, c, t) for u, (c, t) in expected][:2]
    assert {(s.user_id, s.correct, s.time_ms) for s in board} == {(u, c, t) for u, (c, t) in recount.items()}
    units = {row["unit"]: row for row in contests.unit_board(made)}
    assert units["一村两委"]["players"] == 3 and units["一村两委"]["correct"] == 4
    assert units["二村两委"]["correct"] == 0


def test_finishing_records_attendance_as_a_lecture_once(setup, clock):
    """Does ending the contest record every player as present at a 法治讲堂 with study time, exactly once?"""
    made, players = setup["contest"], setup["players"]
    contests.next_question(made, -1, clock.now)
    clock.advance(minutes=12, seconds=5)
    assert contests.finish(setup["organiser"], made, clock.now)
    assert not contests.finish(setup["organiser"], made, clock.now)
    db.session.commit()
    session = db.session.get(OfflineSession, made.offline_session_id)
    assert session.kind == "法治讲堂" and session.minutes == 13 and session.unit_id == made.unit_id
    attendees = set(db.session.scalars(sa.select(OfflineAttendance.user_id)
                                       .where(OfflineAttendance.session_id == session.id)))
    assert attendees == {p.id for p in players}
    credited = db.session.scalar(sa.select(sa.func.sum(StudyCredit.seconds)).where(StudyCredit.source == "offline"))
    assert credited == 5 * 13 * 60
    with pytest.raises(ServiceError):
        contests.next_question(made, 0, clock.now)
    with pytest.raises(ServiceError):
        contests.join(players[0], made.join_code, clock.now)


# ---------------------------------------------------------------- pages

def test_phone_joins_and_answers_through_the_pages(setup, tree, f, client, make_client, clock):
    """Can a cadre join by code, see the question (never the key while it runs), answer once by JSON, and
    see the verdict once the question closes; does the projector page survive a reload?"""
    made = setup["contest"]
    person = f.user("ct_phone", tree["v1"], name="手机选手")
    client.login("ct_phone")
    assert client.post("/contests/join", {"code": "000000" if made.join_code != "000000" else "111111"}
                       ).status_code == 200
    response = client.post("/contests/join", {"code": made.join_code})
    assert response.headers["Location"].endswith(f"/contests/{made.id}/play")
    assert "已加入，请等待主持人开始" in client.get(f"/contests/{made.id}/play").get_data(as_text=True)

    organiser = make_client()
    organiser.login("org_contest")
    assert organiser.post(f"/contests/{made.id}/next", {"expected": "-1"}).status_code == 302
    state = client.get(f"/contests/{made.id}/play.json").get_json()
    assert state["open"] and state["question"] and state["key"] is None and state["current"] == 0
    headers = {"Accept": "application/json"}
    body = client.post(f"/contests/{made.id}/answer", {"seq": "0", "response": "A"}, headers=headers).get_json()
    assert body == {"stored": True, "position": 0, "response": "A"}
    again = client.post(f"/contests/{made.id}/answer", {"seq": "0", "response": "B"}, headers=headers).get_json()
    assert again["stored"] and again["response"] == "A"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContestAnswer)
                             .where(ContestAnswer.user_id == person.id)) == 1
    no_csrf = client.post(f"/contests/{made.id}/answer", {"seq": "0", "response": "A"}, csrf=False, headers=headers)
    assert no_csrf.status_code == 400

    assert organiser.post(f"/contests/{made.id}/reveal", {"expected": "0"}).status_code == 302
    state = client.get(f"/contests/{made.id}/play.json").get_json()
    assert state["key"] == "A" and state["correct"] is True and state["rank"] == 1
    page = organiser.get(f"/contests/{made.id}/screen").get_data(as_text=True)
    assert made.join_code in page and "第 1 / 5 题" in page and "手机选手" in page
    assert organiser.get(f"/contests/{made.id}/qr.svg").mimetype == "image/svg+xml"
    assert organiser.get(f"/contests/{made.id}/screen.json").get_json()["distribution"] == {"A": 1}


def test_refusals(setup, tree, f, make_client):
    """Is the screen refused to cadres and to an organiser of another township, and play to non-players?"""
    made = setup["contest"]
    f.user("ct_cadre", tree["v1"])
    f.user("org_other", tree["yi"], role="organiser")
    cadre, other = make_client(), make_client()
    cadre.login("ct_cadre")
    other.login("org_other")
    for url in (f"/contests/{made.id}/screen", f"/contests/{made.id}/screen.json", f"/contests/{made.id}/qr.svg"):
        assert cadre.get(url).status_code == 404
        assert other.get(url).status_code == 404
    assert other.post(f"/contests/{made.id}/next", {"expected": "-1"}).status_code == 404
    assert cadre.get(f"/contests/{made.id}/play").status_code == 404
    assert cadre.post(f"/contests/{made.id}/answer", {"seq": "0", "response": "A"}).status_code == 404
    assert cadre.get(f"/contests/{made.id}/results").status_code == 404
    assert db.session.get(Contest, made.id).current == -1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContestPlayer)) == 5


def test_organiser_creates_a_contest_from_the_form(setup, client):
    client.login("org_contest")
    page = client.get("/contests/new").get_data(as_text=True)
    assert "竞赛题库" in page
    response = client.post("/contests/new", {"title": "民法典竞赛", "bank_id": str(setup["bank"].id), "count": "5",
                                             "seconds": "15"})
    assert response.status_code == 302 and "/screen" in response.headers["Location"]
    assert "每题限时" in client.post("/contests/new", {"title": "", "bank_id": "", "count": "5",
                                                        "seconds": "15"}).get_data(as_text=True)


def test_join_codes_cannot_be_tried_one_after_another(setup, tree, f, client):
    """Are a person's join attempts throttled (20 a minute), so the six-digit codes cannot be enumerated?"""
    f.user("ct_guess", tree["v1"])
    client.login("ct_guess")
    token = client.csrf_token()
    wrong = [code for code in (f"{n:06d}" for n in range(22)) if code != setup["contest"].join_code][:21]
    statuses = [client.post("/contests/join", {"code": code, "csrf_token": token}).status_code for code in wrong]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
