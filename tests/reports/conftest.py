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
    # Figures straight after each change: the roll-up is rebuilt on every page (once per request).
    # A loaded test machine can take over the real 3 s threshold for a county, which would leave the roll-up
    # to cron as if it were a province's; that path has its own test, which sets the threshold itself.
    app.config.update(REPORTS_SNAPSHOT_MAX_AGE=0, REPORTS_SYNC_REBUILD_MS=60_000)
    return World(tree, clock, f)


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
