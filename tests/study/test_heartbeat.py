"""Study time is honest: heartbeats with time travel, two tabs, caps, sign-out, forbidden pages, false claims."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from quizapp.extensions import db
from quizapp.study.materials import set_published
from quizapp.study.models import StudyCredit, StudyProgress
from quizapp.study.services import credit_for_beat
from study_helpers import beat, start


@pytest.fixture
def reader(people, make_material, client, clock):
    """A cadre signed in, and a 10-minute system material they may read."""
    material = make_material(None, minutes=10)
    client.login("gb01")
    return {"client": client, "material": material, "user": people["cadre"]}


def _seconds(user_id, source="material"):
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(StudyCredit.seconds), 0))
                             .where(StudyCredit.user_id == user_id, StudyCredit.source == source))


def _progress(user_id, material_id):
    db.session.expire_all()
    return db.session.scalar(sa.select(StudyProgress).where(StudyProgress.user_id == user_id,
                                                            StudyProgress.material_id == material_id))


def _open(reader):
    response = start(reader["client"], "material", reader["material"].id)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["token"]


def test_beat_credits_the_time_the_page_was_in_use(reader, clock):
    """Does a heartbeat 30 s after opening credit 30 s, to the progress and the roll-up, in that month?"""
    token = _open(reader)
    clock.advance(seconds=30)
    body = beat(reader["client"], token, 30).get_json()
    assert body["status"] == "ok" and body["credited"] == 30 and body["progress"]["seconds"] == 30
    assert _progress(reader["user"].id, reader["material"].id).seconds == 30
    row = db.session.scalar(sa.select(StudyCredit).where(StudyCredit.user_id == reader["user"].id))
    assert (row.year, row.month, row.category, row.source, row.seconds) == (2026, 5, "宪法", "material", 30)


def test_page_that_counted_less_gets_less(reader, clock):
    """Is a pause the page reports (only 12 s in use out of 30 s) credited as 12 s, not 30?"""
    token = _open(reader)
    clock.advance(seconds=30)
    assert beat(reader["client"], token, 12).get_json()["credited"] == 12


def test_claiming_more_time_than_passed_credits_nothing(reader, clock):
    """Does a page claiming 300 s when 30 s passed earn nothing at all, and lose the 30 s too?"""
    token = _open(reader)
    clock.advance(seconds=30)
    body = beat(reader["client"], token, 300).get_json()
    assert body["status"] == "rejected" and body["credited"] == 0
    assert _seconds(reader["user"].id) == 0
    clock.advance(seconds=30)
    assert beat(reader["client"], token, 30).get_json()["credited"] == 30  # honest again: counted from the refusal


def test_one_heartbeat_is_capped(reader, clock):
    """After a long silence, does one heartbeat earn at most the per-beat cap (60 s)?"""
    token = _open(reader)
    clock.advance(minutes=20)
    assert beat(reader["client"], token, 1200).get_json()["credited"] == 60


def test_replayed_heartbeat_earns_nothing(reader, clock):
    """Does sending the same heartbeat twice at the same moment credit it once?"""
    token = _open(reader)
    clock.advance(seconds=30)
    assert beat(reader["client"], token, 30).get_json()["credited"] == 30
    second = beat(reader["client"], token, 30).get_json()
    assert second["credited"] == 0
    assert _seconds(reader["user"].id) == 30


def test_two_tabs_never_count_double(reader, make_client, clock):
    """With the material open in two tabs, does only the tab opened last earn time?"""
    first = _open(reader)
    clock.advance(seconds=10)
    second = _open(reader)  # the same browser, another tab
    clock.advance(seconds=30)
    old = beat(reader["client"], first, 30).get_json()
    new = beat(reader["client"], second, 30).get_json()
    assert old["status"] == "superseded" and old["credited"] == 0
    assert new["status"] == "ok" and new["credited"] == 30
    assert _seconds(reader["user"].id) == 30


def test_two_devices_never_count_double(reader, make_client, people, make_material, clock):
    """Does a second device (or another page) of the same person take over, so the first earns nothing?"""
    token = _open(reader)
    other_material = make_material(None, minutes=10)
    phone = make_client()
    phone.login("gb01")
    other = start(phone, "material", other_material.id).get_json()["token"]
    clock.advance(seconds=30)
    assert beat(reader["client"], token, 30).get_json()["status"] == "superseded"
    assert beat(phone, other, 30).get_json()["credited"] == 30
    assert _seconds(reader["user"].id) == 30


def test_never_beyond_length_times_factor(reader, clock, app):
    """Is a 10-minute material credited at most 20 minutes (factor 2) however long it stays open?"""
    token = _open(reader)
    total = 0
    for _ in range(30):  # 30 minutes of honest heartbeats
        clock.advance(seconds=60)
        total += beat(reader["client"], token, 60).get_json()["credited"]
    assert total == 20 * 60 == _seconds(reader["user"].id)
    assert _progress(reader["user"].id, reader["material"].id).seconds == 1200


def test_factor_is_configurable(reader, clock, app):
    """Does STUDY_MAX_FACTOR=1 stop crediting at the material's own length?"""
    app.config["STUDY_MAX_FACTOR"] = 1
    token = _open(reader)
    for _ in range(15):
        clock.advance(seconds=60)
        beat(reader["client"], token, 60)
    assert _seconds(reader["user"].id) == 600


def test_after_sign_out_nothing_is_credited(reader, clock):
    """Does a heartbeat arriving after sign-out get 401 and credit nothing?"""
    token = _open(reader)
    clock.advance(seconds=30)
    reader["client"].post("/logout")
    response = beat(reader["client"], token, 30)
    assert response.status_code == 401 and response.get_json()["credited"] == 0
    assert _seconds(reader["user"].id) == 0


def test_sign_out_elsewhere_ends_the_old_page(reader, make_client, clock):
    """Signing out on another device ends every session: does the open page then earn nothing?"""
    token = _open(reader)
    headers = {"X-CSRFToken": reader["client"].csrf_token()}  # the open page already holds its token
    other = make_client()
    other.login("gb01")
    other.post("/logout")
    clock.advance(seconds=30)
    response = reader["client"].post("/api/study/beat", json={"token": token, "seconds": 30}, csrf=False,
                                     headers=headers)
    assert response.status_code == 401
    assert _seconds(reader["user"].id) == 0


def test_signed_in_again_the_old_page_must_restart(reader, clock):
    """After signing out and in again, is the page opened before sign-out refused until it restarts?"""
    token = _open(reader)
    reader["client"].post("/logout")
    reader["client"].login("gb01")
    clock.advance(seconds=30)
    body = beat(reader["client"], token, 30).get_json()
    assert body["status"] == "expired" and body["credited"] == 0


def test_material_the_cadre_may_not_see_credits_nothing(people, make_material, client, clock, tree):
    """Is a page for a material outside the cadre's audience refused (404), and an unpublished one too?"""
    elsewhere = make_material(people["organiser_yi"], unit=tree["yi"])
    draft = make_material(None, publish=False)
    client.login("gb01")
    for material in (elsewhere, draft):
        response = start(client, "material", material.id)
        assert response.status_code == 404 and response.get_json()["status"] == "forbidden"
    assert start(client, "material", 999999).status_code == 404


def test_material_withdrawn_while_reading_stops_crediting(reader, clock):
    """When an organiser withdraws a material mid-reading, does the next heartbeat earn nothing?"""
    token = _open(reader)
    set_published(None, reader["material"], False)
    db.session.commit()
    clock.advance(seconds=30)
    response = beat(reader["client"], token, 30)
    assert response.status_code == 404 and response.get_json()["credited"] == 0


def test_completed_needs_minimum_time_and_the_end(reader, clock):
    """Is a material completed only after its minimum time (half of 10 min) and reaching its end?"""
    token = _open(reader)
    clock.advance(seconds=30)
    body = beat(reader["client"], token, 30, end=True).get_json()
    assert body["progress"]["reached_end"] and not body["progress"]["completed"]
    for _ in range(4):
        clock.advance(seconds=60)
        body = beat(reader["client"], token, 60).get_json()
    assert body["progress"]["seconds"] == 270 and not body["progress"]["completed"]
    clock.advance(seconds=30)
    body = beat(reader["client"], token, 30).get_json()
    assert body["progress"]["seconds"] == 300 and body["progress"]["completed"]
    assert _progress(reader["user"].id, reader["material"].id).completed_at == clock.now


def test_time_without_the_end_does_not_complete(reader, clock):
    """Does a cadre who never scrolls to the end stay incomplete however long they read?"""
    token = _open(reader)
    for _ in range(12):
        clock.advance(seconds=60)
        body = beat(reader["client"], token, 60).get_json()
    assert body["progress"]["seconds"] == 720 and not body["progress"]["completed"]


def test_reading_a_law_credits_law_time(people, client, clock, import_law):
    """Is time on a law page credited with source 'law' in the law's category?"""
    version = import_law().version
    client.login("gb01")
    token = start(client, "law", version.id).get_json()["token"]
    clock.advance(seconds=40)
    assert beat(client, token, 40).get_json()["credited"] == 40
    row = db.session.scalar(sa.select(StudyCredit).where(StudyCredit.user_id == people["cadre"].id))
    assert (row.source, row.category, row.seconds) == ("law", "法律法规", 40)


def test_heartbeat_needs_the_csrf_header(reader, clock):
    """Is a heartbeat without the X-CSRFToken header refused?"""
    token = _open(reader)
    clock.advance(seconds=30)
    response = reader["client"].post("/api/study/beat", json={"token": token, "seconds": 30}, csrf=False)
    assert response.status_code == 400
    assert _seconds(reader["user"].id) == 0


@pytest.mark.parametrize("seconds", ['"30"', "true", "null", "NaN", "Infinity", "[30]"])
def test_malformed_heartbeat_is_refused(reader, clock, seconds):
    """Are heartbeats without a finite numeric time refused rather than crashing?"""
    token = _open(reader)
    clock.advance(seconds=30)
    client = reader["client"]
    response = client.open("/api/study/beat", method="POST", data=f'{{"token": "{token}", "seconds": {seconds}}}',
                           content_type="application/json", headers={"X-CSRFToken": client.csrf_token()})
    assert response.status_code == 400
    assert _seconds(reader["user"].id) == 0


def test_credit_rolls_into_the_local_month(reader, clock):
    """Is a heartbeat at 23:59:50 on 31 May (Beijing time) credited to May, and the next to June?"""
    clock.now = datetime(2026, 5, 31, 15, 59, 20, tzinfo=timezone.utc)  # 23:59:20 in Asia/Shanghai
    token = _open(reader)
    clock.advance(seconds=30)
    beat(reader["client"], token, 30)
    clock.advance(seconds=30)
    beat(reader["client"], token, 30)
    months = dict(db.session.execute(sa.select(StudyCredit.month, StudyCredit.seconds)
                                     .where(StudyCredit.user_id == reader["user"].id)).all())
    assert months == {5: 30, 6: 30}


T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


@given(elapsed=st.floats(min_value=0, max_value=10_000), claimed=st.floats(min_value=-10, max_value=10_000))
def test_credit_never_exceeds_real_time_or_cap(elapsed, claimed):
    """For any timing, is one beat's credit within [0, min(real time, cap)] and zero for over-claims?"""
    credit = credit_for_beat(T0, T0 + timedelta(seconds=elapsed), claimed, cap=60, slack=2)
    assert 0 <= credit <= 60
    assert credit <= elapsed + 0.5
    if claimed > elapsed + 2:
        assert credit == 0
