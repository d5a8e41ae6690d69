"""Exam scenario helpers on top of tests/factories.py: answering through the API, threads and shared sessions."""
import sqlalchemy as sa

from quizapp.exams.models import Attempt, AttemptItem
from quizapp.extensions import db


def answer_all_correctly(attempt, client):
    """Post the right answer for every item through the JSON endpoint (test helper reading the stored keys)."""
    keys = db.session.execute(sa.select(AttemptItem.position, AttemptItem.key)
                              .where(AttemptItem.attempt_id == attempt.id)).all()
    payload = {"answers": [{"position": p, "response": k, "seq": 1} for p, k in keys]}
    return client.post(f"/api/exams/attempts/{attempt.id}/answers", json=payload)


def only_attempt(exam, user):
    """The person's one attempt at the exam, read afresh (None before they start)."""
    db.session.expire_all()
    return db.session.scalar(sa.select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == user.id))


def signed_in_clients(app, client, login, count):
    """``count`` test clients sharing one signed-in session (tabs of one browser) and its CSRF token."""
    client.login(login)
    token = client.csrf_token()
    cookie = client.get_cookie("session")
    clients = []
    for _ in range(count):
        other = app.test_client()
        other.set_cookie("session", cookie.value, domain=cookie.domain)
        clients.append(other)
    return clients, token


def run_parallel(functions):
    """Run the callables at once (released by a barrier) and return their results in order."""
    import threading

    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)
    errors = []

    def runner(index, fn):
        try:
            barrier.wait(timeout=10)
            results[index] = fn()
        except Exception as error:  # surfaced to the test below
            import traceback
            errors.append("".join(traceback.format_exception(error)))

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, "\n".join(errors)
    return results
