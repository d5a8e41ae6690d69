"""gunicorn settings for quizapp:  gunicorn -c gunicorn.conf.py 'quizapp:create_app()'   (docs/deploy.md)

Threaded workers (gthread): an answer save is a short conditional UPDATE that mostly waits on the database,
so a few threads per process keep a core busy without a process each. The app is preloaded: it is imported
once in the master and forked, so workers share its memory and start at once; each worker then drops the
database connections it inherited. Every value can be set from the environment.
"""
import multiprocessing
import os

# Workers only serve requests: the app leaves out what only `flask db` needs (Alembic), see create_app.
os.environ.setdefault("QUIZAPP_SERVE_ONLY", "1")

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


def _limit_malloc_arenas(count=2):
    """glibc gives each of a worker's 16 threads its own malloc arena, which holds on to freed memory; two
    arenas keep a worker ~10 MB smaller under load at no measurable cost (benchmarks/bench_exam.py)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, count)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


_limit_malloc_arenas(int(os.environ.get("GUNICORN_MALLOC_ARENAS", "2")))


def pre_fork(server, worker):
    """Move everything the preloaded master made out of the garbage collector's sight before forking: a
    collection in the worker would otherwise touch (and so copy) every shared page of the app."""
    import gc

    gc.freeze()


def post_fork(server, worker):
    """A forked worker must not reuse the master's database connections."""
    app = server.app.wsgi()
    if "sqlalchemy" not in getattr(app, "extensions", {}):
        return  # another app served with these settings (benchmarks/ceiling_app.py, the benchmarks' baseline)
    from quizapp.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)
