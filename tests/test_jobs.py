"""Background jobs (quizapp/jobs.py): the queue chosen by configuration, the job page, the file, the refusals."""
import os
import subprocess
import sys

import pytest
from huey import MemoryHuey, RedisHuey, SqliteHuey

from quizapp import jobs
from quizapp.extensions import db


@jobs.handler("test.echo")
def _echo(job, progress):
    progress(0, 3)
    if job.params.get("fail"):
        raise RuntimeError("坏了")
    path = jobs.new_file(".txt")
    path.write_text("内容", encoding="utf-8")
    progress(3)
    return path, "结果.txt"


def test_queue_is_configuration(tmp_path):
    """SQLite for one server, Redis for several, memory for tests; anything else stops start-up."""
    assert isinstance(jobs.make_huey(f"sqlite:///{tmp_path}/q.sqlite"), SqliteHuey)
    assert isinstance(jobs.make_huey("redis://127.0.0.1:6379/1"), RedisHuey)
    assert isinstance(jobs.make_huey("memory://"), MemoryHuey)
    with pytest.raises(RuntimeError):
        jobs.make_huey("amqp://somewhere")


def test_tests_run_jobs_immediately(app):
    assert jobs.get_huey().immediate


# A server's own process: the queue is module state, which the suite's immediate mode would otherwise share.
QUEUE_ON_FIRST_USE = """
import sys
from quizapp import create_app, jobs
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 64})
print("huey" in sys.modules)
jobs.run_job(7)
queue = jobs.get_huey()
print(queue.immediate, len(queue))
message = queue.dequeue()
print(message.name, message.args)
queue.execute(message)  # what the worker does: finds the task by name and runs it (job 7 does not exist)
"""


def test_queue_is_built_when_first_used_and_a_call_queues_the_job():
    """A server starts without huey; the first job builds the queue, is queued (not run), and the worker's
    queue finds the task by its name."""
    env = dict(os.environ, JOBS_URL="memory://", QUIZAPP_SERVE_ONLY="1")
    env.pop("JOBS_IMMEDIATE", None)
    out = subprocess.run([sys.executable, "-c", QUEUE_ON_FIRST_USE], capture_output=True, text=True, timeout=60,
                         env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == ["False", "False 1", "run_job (7,)"], out.stdout + out.stderr


def test_job_page_progress_and_file_for_its_owner_only(client, make_client, f, tree):
    """The owner sees the job done with its file; someone else gets 404 for both; a failure says so."""
    owner = f.user("jobowner", tree["v1"], role="leader")
    job = jobs.submit("test.echo", owner, {}, title="测试任务", back_url="/reports/")
    db.session.commit()  # the job runs once the transaction commits
    db.session.expire_all()
    job = db.session.get(jobs.Job, job.id)
    assert (job.status, job.done, job.total, job.file_name) == ("done", 3, 3, "结果.txt")
    client.login("jobowner")
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'data-status="done"' in page and "下载 结果.txt" in page and 'http-equiv="refresh"' not in page
    download = client.get(f"/jobs/{job.id}/file")
    assert download.status_code == 200 and download.get_data(as_text=True) == "内容"
    download.close()
    f.user("jobother", tree["v1"], role="leader")
    other = make_client()
    other.login("jobother")
    assert other.get(f"/jobs/{job.id}").status_code == 404
    assert other.get(f"/jobs/{job.id}/file").status_code == 404
    failed = jobs.submit("test.echo", owner, {"fail": True})
    db.session.commit()
    page = client.get(f"/jobs/{failed.id}").get_data(as_text=True)
    assert 'data-status="failed"' in page and "任务未能完成" in page
    assert client.get(f"/jobs/{failed.id}/file").status_code == 404


def test_a_rolled_back_job_never_runs(f, tree):
    owner = f.user("jobrb", tree["v1"])
    job_id = jobs.submit("test.echo", owner, {}).id
    db.session.rollback()
    assert db.session.get(jobs.Job, job_id) is None
    db.session.commit()  # a later commit does not run the forgotten job


def test_unknown_kind_is_refused(f, tree):
    with pytest.raises(ValueError):
        jobs.submit("no.such", None, {})


def test_worker_command_is_documented(runner):
    result = runner.invoke(args=["jobs", "worker", "--help"])
    assert result.exit_code == 0 and "--workers" in result.output
