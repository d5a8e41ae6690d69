"""Fixtures of the report tests: the clock's start, the world builder, a query counter."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from quizapp.extensions import db
from quizapp.reports import rollup
from reportkit import World, at


@pytest.fixture
def clock_start():
    return at(2026, 1, 1, 8)


@pytest.fixture
def world(app, tree, clock, f):
    return World(tree, clock, f)


class RebuildingClient:
    """The test client, rebuilding the roll-ups before each page as if the rebuild job had just run."""

    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def _rebuild(self):
        for year in (2025, 2026, 2027):
            rollup.refresh(year)
        db.session.commit()

    def get(self, *args, **kwargs):
        self._rebuild()
        return self._inner.get(*args, **kwargs)

    def post(self, *args, **kwargs):  # e.g. 一键提醒 reads the list it sends to
        self._rebuild()
        return self._inner.post(*args, **kwargs)


@pytest.fixture
def make_client(make_client):
    return lambda: RebuildingClient(make_client())


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def plain_client(make_client):
    """A client nothing rebuilds behind: what a real browser sees between rebuilds."""
    return make_client()._inner


@pytest.fixture
def count_queries(app):
    """count_queries() -> a context manager recording the SQL statements run inside it."""

    @contextmanager
    def counting():
        statements = []

        def before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting
