"""gunicorn settings for quizapp:  gunicorn -c gunicorn.conf.py 'quizapp:create_app()'   (docs/deploy.md)

Threaded workers (gthread): an answer save is a short conditional UPDATE that mostly waits on the database,
so a few threads per process keep a core busy without a process each. The app is preloaded: it is imported
once in the master and forked, so workers share its memory and start at once; each worker then drops the
database connections it inherited. Every value can be set from the environment.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One process per core, 16 threads each: measured best for 200 cadres saving at once on SQLite (README,
# benchmarks/faults.py --only load): fewer processes contend less for SQLite's single write lock.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5  # behind nginx (docs/deploy.md) keep-alive connections are reused
# Recycle workers now and then, so a slow leak in any library can never grow without bound.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESSLOG")  # unset: nginx keeps the access log


def post_fork(server, worker):
    """A forked worker must not reuse the master's database connections."""
    app = server.app.wsgi()
    from quizapp.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)
