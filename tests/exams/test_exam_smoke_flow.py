"""The whole path once: an organiser's exam, a cadre starts, saves, submits and sees the result."""
from examkit import answer_all_correctly, only_attempt


def test_start_save_submit_result(client, make_exam, f, tree):
    """Can a cadre start a published exam, save answers over JSON, submit once and see full marks?"""
    exam = make_exam()
    cadre = f.user("gb1", tree["v1"])
    client.login("gb1")
    page = client.get(f"/exams/{exam.id}")
    assert page.status_code == 200 and "考试须知" in page.get_data(as_text=True)
    response = client.post(f"/exams/{exam.id}/start", {"confirm": "y"})
    assert response.status_code == 302
    attempt = only_attempt(exam, cadre)
    take = client.get(f"/exams/attempts/{attempt.id}")
    assert take.status_code == 200
    saved = answer_all_correctly(attempt, client)
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert all(s["accepted"] for s in saved.get_json()["saved"])
    done = client.post(f"/api/exams/attempts/{attempt.id}/submit", json={})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["submitted"] is True
    assert done.get_json()["score"] == 100
    result = client.get(f"/exams/attempts/{attempt.id}/result")
    assert result.status_code == 200
    assert "100" in result.get_data(as_text=True)
