"""Who may see what: another cadre's attempt is not found, organisers see their own subtree only."""
import pytest

from examkit import only_attempt
from quizapp.exams import sitting
from quizapp.extensions import db


@pytest.fixture
def two_attempts(make_exam, f, tree, clock):
    exam = make_exam()
    mine = f.user("gb1", tree["v1"])
    theirs = f.user("gb2", tree["v2"])
    sitting.start_attempt(exam, mine)
    sitting.start_attempt(exam, theirs)
    db.session.commit()
    return exam, only_attempt(exam, mine), only_attempt(exam, theirs)


def test_another_cadres_attempt_is_not_found_anywhere(client, two_attempts):
    """Does every page and endpoint answer 404 for someone else's attempt id, and change nothing?"""
    exam, mine, theirs = two_attempts
    client.login("gb1")
    other = theirs.id
    assert client.get(f"/exams/attempts/{other}").status_code == 404
    assert client.post(f"/exams/attempts/{other}", {"q1": "A", "next": "1"}).status_code == 404
    assert client.get(f"/exams/attempts/{other}/submit").status_code == 404
    assert client.post(f"/exams/attempts/{other}/submit", {}).status_code == 404
    assert client.get(f"/exams/attempts/{other}/result").status_code == 404
    assert client.get(f"/api/exams/attempts/{other}/state").status_code == 404
    save = client.post(f"/api/exams/attempts/{other}/answers",
                       json={"answers": [{"position": 1, "response": "A", "seq": 5}]})
    assert save.status_code == 404 and save.is_json
    assert client.post(f"/api/exams/attempts/{other}/submit", json={}).status_code == 404
    assert client.post(f"/api/exams/attempts/{other}/leave", json={}).status_code == 404
    assert client.get(f"/api/exams/attempts/{mine.id}/state").status_code == 200
    db.session.expire_all()
    fresh = only_attempt(exam, theirs.user)
    assert fresh.status == "open" and fresh.page_leaves == 0 and fresh.items[0].response == ""


def test_exam_outside_audience_or_draft_is_not_found(client, make_exam, f, tree, clock):
    """Is an exam outside a cadre's audience, or a draft, a 404 on every page and API and absent from their list?"""
    exam = make_exam()
    draft = make_exam(publish=False)
    f.user("yi1", tree["v3"])
    f.user("gb1", tree["v1"])
    client.login("yi1")
    assert client.get(f"/exams/{exam.id}").status_code == 404
    assert client.post(f"/exams/{exam.id}/start", {"confirm": "y"}).status_code == 404
    assert client.post(f"/api/exams/{exam.id}/start", json={"confirm": True}).status_code == 404
    assert exam.title not in client.get("/exams/").get_data(as_text=True)
    client.post("/logout", {})
    client.login("gb1")
    assert client.get(f"/exams/{draft.id}").status_code == 404
    assert exam.title in client.get("/exams/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["cadre", "leader"])
def test_management_pages_hidden_from_cadres_and_leaders(client, make_exam, f, tree, clock, role):
    """Is every exam management page and action a 404 for a cadre or a leader?"""
    exam = make_exam()
    f.user("p1", tree["jia"], role=role)
    client.login("p1")
    for url in ("/manage/exams/", "/manage/exams/new", f"/manage/exams/{exam.id}", f"/manage/exams/{exam.id}/roster",
                f"/manage/exams/{exam.id}/roster.xlsx", f"/manage/exams/{exam.id}/stats",
                f"/manage/exams/{exam.id}/paper", f"/manage/exams/{exam.id}/overrides"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/manage/exams/{exam.id}/publish", {}).status_code == 404


def test_admin_is_not_an_examinee(client, make_exam, tree, clock):
    """Is an administrator, who belongs to no audience, refused the exam list and the start API?"""
    exam = make_exam(audience=[tree["county"]])
    client.login("admin01")
    assert client.get("/exams/").status_code == 404
    assert client.post(f"/api/exams/{exam.id}/start", json={"confirm": True}).status_code == 404


def test_organisers_see_their_subtree_only(client, make_exam, f, tree, clock):
    """Is a 乙乡 organiser kept out of 甲乡's exam, and limited to their own people in a county exam?"""
    jia_exam = make_exam(owner=tree["jia"], audience=[tree["jia"]], title="甲乡月考")
    county_exam = make_exam(owner=tree["county"], audience=[tree["county"]], title="全县考试")
    jia_cadre = f.user("gb1", tree["v1"], name="甲乡人")
    f.user("gb3", tree["v3"], name="乙乡人")
    attempt, _ = sitting.start_attempt(county_exam, jia_cadre)
    db.session.commit()
    f.user("zz2", tree["yi"], role="organiser")
    client.login("zz2")
    listing = client.get("/manage/exams/").get_data(as_text=True)
    assert "全县考试" in listing and "甲乡月考" not in listing
    for url in (f"/manage/exams/{jia_exam.id}", f"/manage/exams/{jia_exam.id}/roster",
                f"/manage/exams/{jia_exam.id}/roster.xlsx", f"/manage/exams/{jia_exam.id}/stats",
                f"/manage/exams/{jia_exam.id}/paper"):
        assert client.get(url).status_code == 404, url
    roster = client.get(f"/manage/exams/{county_exam.id}/roster").get_data(as_text=True)
    assert "乙乡人" in roster and "甲乡人" not in roster
    assert client.get(f"/manage/exams/{county_exam.id}/attempts/{attempt.id}").status_code == 404
    for url in (f"/manage/exams/{county_exam.id}/edit", f"/manage/exams/{county_exam.id}/overrides"):
        assert client.get(url).status_code == 404, url  # read-only for them: the county owns it
    assert client.post(f"/manage/exams/{county_exam.id}/regrade", {}).status_code == 404
    assert client.post(f"/manage/exams/{county_exam.id}/unpublish", {}).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, make_exam, clock):
    """Are pages and the exam API sent to the sign-in page, which the exam script treats as signed out?"""
    exam = make_exam()
    for url in ("/exams/", f"/exams/{exam.id}", "/api/exams/attempts/1/state"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
