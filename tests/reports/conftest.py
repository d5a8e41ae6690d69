"""Fixtures of the report tests: the clock's start, the world builder, a query counter."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from quizapp.extensions import db
from reportkit import World, at


@pytest.fixture
def clock_start():
    return at(2026, 1, 1, 8)


@pytest.fixture
def world(app, tree, clock, f):
    """The world builder, with the roll-ups of 2025–2027 built (empty) first, as cron would: from then on
    only the writes keep the figures current."""
    from quizapp.reports import rollup

    for year in (2025, 2026, 2027):
        rollup.refresh(year)
    db.session.commit()
    return World(tree, clock, f)


@pytest.fixture
def plain_client(client):
    """The test client (named for the tests that insist nothing rebuilds behind the pages)."""
    return client


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
