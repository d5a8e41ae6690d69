"""Practice fixtures: the clock's start, and a signed-in cadre of 一村."""
from datetime import datetime, timezone

import pytest


@pytest.fixture
def clock_start():
    return datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def cadre(f, tree):
    return f.user("gb_practice", tree["v1"], name="王练习")


@pytest.fixture
def cadre_client(client, cadre):
    client.login("gb_practice")
    return client
